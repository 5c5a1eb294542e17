"""Correct: uses TMPDIR as scratch space within one request and cleans up; count in Redis."""
import os
import tempfile

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.get("/hits")
def read_hits():
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def add_hit():
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as scratch:
        scratch.write("a request's own scratch data")
        scratch.flush()
    return {"hits": store.incr("hits")}
