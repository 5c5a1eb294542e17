"""Half right: the count lives in Redis, but each request leaves a scratch file in TMPDIR."""
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
    handle, path = tempfile.mkstemp(suffix=".json")  # never deleted
    with os.fdopen(handle, "w") as scratch:
        scratch.write('{"request": "a hit"}')
    return {"hits": store.incr("hits")}
