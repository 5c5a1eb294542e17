"""Correct state, leaky process: it starts a child process and a detached daemon at import."""
import os
import subprocess
import sys

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])
subprocess.Popen(["sleep", "600"])
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)


@app.get("/hits")
def read_hits():
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def add_hit():
    return {"hits": store.incr("hits")}
