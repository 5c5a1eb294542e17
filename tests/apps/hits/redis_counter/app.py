"""Correct: the count lives in Redis and INCR is atomic."""
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
    return {"hits": store.incr("hits")}
