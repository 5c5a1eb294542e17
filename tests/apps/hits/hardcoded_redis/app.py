"""Wrong: ignores REDIS_URL and uses an address written into the code.

It works on a laptop that runs Redis on its default port. (The tests point HARDCODED_REDIS at a
server of their own, which stands in for "a Redis that happens to run on this machine".)
"""
import os

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis.from_url(os.environ.get("HARDCODED_REDIS", "redis://localhost:6379/0"))


@app.get("/hits")
def read_hits():
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def add_hit():
    return {"hits": store.incr("hits")}
