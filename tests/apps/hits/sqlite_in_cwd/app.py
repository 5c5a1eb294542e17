"""Wrong: a SQLite file in the working directory instead of the one at DATABASE_URL."""
import sqlite3

from flask import Flask

app = Flask(__name__)


def connect():
    db = sqlite3.connect("hits.db", isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, hits INTEGER)")
    db.execute("INSERT OR IGNORE INTO counter VALUES (1, 0)")
    return db


@app.get("/hits")
def read_hits():
    with connect() as db:
        return {"hits": db.execute("SELECT hits FROM counter").fetchone()[0]}


@app.post("/hits")
def add_hit():
    with connect() as db:
        return {"hits": db.execute("UPDATE counter SET hits = hits + 1 RETURNING hits").fetchone()[0]}
