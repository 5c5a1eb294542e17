"""Half right: the count lives in Redis, but every hit is also logged to a file on local disk."""
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
    hits = store.incr("hits")
    with open("hits.log", "a") as log:
        log.write(f"hit number {hits}\n")
    return {"hits": hits}
