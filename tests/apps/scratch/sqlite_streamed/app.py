"""Correct: rows are read straight from the download stream (no scratch file); reports live in SQLite."""
import csv
import io
import math
import os
import sqlite3
import urllib.error
import urllib.request
from contextlib import closing

from flask import Flask, request

app = Flask(__name__)
DATABASE = os.environ["DATABASE_URL"].removeprefix("sqlite:///")


def connect():
    db = sqlite3.connect(DATABASE, timeout=10, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, rows INTEGER, total REAL)")
    return db


def summarise(stream):
    """(rows, total) of a CSV stream with an ``amount`` column; ValueError when it has none."""
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8", newline=""))
    header = next(reader, [])
    if "amount" not in header:
        raise ValueError("no amount column")
    column, rows, total = header.index("amount"), 0, math.fsum([])
    amounts = []
    for row in reader:
        amount = float(row[column])
        if not math.isfinite(amount):
            raise ValueError(f"{row[column]!r} is not a finite number")
        rows += 1
        amounts.append(amount)
        if len(amounts) == 10_000:
            amounts = [math.fsum(amounts)]
    total = math.fsum(amounts)
    return rows, total


@app.post("/reports")
def create_report():
    body = request.get_json(silent=True)
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str):
        return {"error": "url is missing"}, 400
    if not url.startswith(("http://", "https://")):
        return {"error": "only http URLs"}, 502
    try:
        response = urllib.request.urlopen(url, timeout=30)
    except (urllib.error.URLError, OSError) as error:
        return {"error": str(error)}, 502
    with response:
        try:
            rows, total = summarise(response)
        except (ValueError, IndexError, UnicodeDecodeError) as error:
            return {"error": f"not a CSV with amounts: {error}"}, 422
    with closing(connect()) as db:
        report_id = db.execute("INSERT INTO reports (rows, total) VALUES (?, ?) RETURNING id",
                               (rows, total)).fetchone()[0]
    return {"id": report_id}, 201


@app.get("/reports/<int:report_id>")
def read_report(report_id):
    with closing(connect()) as db:
        found = db.execute("SELECT rows, total FROM reports WHERE id = ?", (report_id,)).fetchone()
    if found is None:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": found[0], "total": round(found[1], 2)}
