"""Correct state, rude process: it ignores SIGTERM, so the platform has to kill it."""
import os
import signal

import redis
from flask import Flask

signal.signal(signal.SIGTERM, signal.SIG_IGN)
app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/hits")
def read_hits():
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def add_hit():
    return {"hits": store.incr("hits")}
