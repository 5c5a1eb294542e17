"""Broken: correct state, but every answer takes over a second."""
import os
import time

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/hits")
def read_hits():
    time.sleep(1.2)
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def add_hit():
    return {"hits": store.incr("hits")}
