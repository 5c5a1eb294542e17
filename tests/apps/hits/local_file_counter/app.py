"""Wrong: the count lives in a file in the working directory."""
from pathlib import Path

from flask import Flask

app = Flask(__name__)
COUNTER = Path("hits.txt")


def current() -> int:
    return int(COUNTER.read_text()) if COUNTER.exists() else 0


@app.get("/hits")
def read_hits():
    return {"hits": current()}


@app.post("/hits")
def add_hit():
    hits = current() + 1
    COUNTER.write_text(str(hits))
    return {"hits": hits}
