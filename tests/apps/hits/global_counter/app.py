"""Wrong: the count lives in this process's memory."""
from flask import Flask

app = Flask(__name__)
hits = 0


@app.get("/hits")
def read_hits():
    return {"hits": hits}


@app.post("/hits")
def add_hit():
    global hits
    hits += 1
    return {"hits": hits}
