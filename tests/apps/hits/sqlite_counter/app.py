"""Correct: the count lives in the SQLite database at DATABASE_URL, incremented atomically."""
import os
import sqlite3

from flask import Flask

app = Flask(__name__)
DATABASE = os.environ["DATABASE_URL"].removeprefix("sqlite:///")


def connect():
    db = sqlite3.connect(DATABASE, timeout=10, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL)")
    db.execute("INSERT OR IGNORE INTO counter VALUES (1, 0)")
    return db


@app.get("/hits")
def read_hits():
    db = connect()
    try:
        return {"hits": db.execute("SELECT hits FROM counter WHERE id = 1").fetchone()[0]}
    finally:
        db.close()


@app.post("/hits")
def add_hit():
    db = connect()
    try:
        return {"hits": db.execute("UPDATE counter SET hits = hits + 1 WHERE id = 1 RETURNING hits").fetchone()[0]}
    finally:
        db.close()
