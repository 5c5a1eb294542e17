"""Correct count, leaking process: the count lives in Redis, but every hit also keeps 4 MiB in a
list that nothing ever empties, so each worker's memory grows with every request it serves."""
import os

import redis
from flask import Flask

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])
seen = []  # what every request leaves behind, never let go


@app.get("/hits")
def read():
    return {"hits": int(store.get("hits") or 0)}


@app.post("/hits")
def hit():
    seen.append(bytearray(4 * 2**20))  # touched: the pages are really used
    for index in range(0, len(seen[-1]), 4096):
        seen[-1][index] = 1
    return {"hits": store.incr("hits")}
