"""Wrong: float() accepts "NaN" and "-Infinity", so a file with such amounts gets a report."""
import csv
import io
import os
import urllib.request
import uuid

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.post("/reports")
def create_report():
    url = (request.get_json(silent=True) or {}).get("url")
    if not url:
        return {"error": "url is missing"}, 400
    if not url.startswith("http://"):
        return {"error": "only http URLs"}, 502
    try:
        response = urllib.request.urlopen(url, timeout=30)
    except OSError as error:
        return {"error": str(error)}, 502
    rows, total = 0, 0.0
    with response:
        try:
            reader = csv.DictReader(io.TextIOWrapper(response, encoding="utf-8", newline=""))
            if "amount" not in (reader.fieldnames or []):
                return {"error": "no amount column"}, 422
            for row in reader:
                rows, total = rows + 1, total + float(row["amount"])  # float("NaN") is fine for Python
        except (UnicodeDecodeError, ValueError) as error:
            return {"error": str(error)}, 422
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": repr(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
