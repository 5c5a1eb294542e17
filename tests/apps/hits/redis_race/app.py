"""Wrong: read, then write back — two workers interleaving lose updates."""
import os

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/hits")
def read_hits():
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def add_hit():
    hits = int(store.get("hits") or 0) + 1
    store.set("hits", hits)
    return {"hits": hits}
