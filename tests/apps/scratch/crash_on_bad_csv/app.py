"""Wrong: a bad CSV raises an exception (500), and the downloaded file is then never deleted."""
import csv
import os
import shutil
import tempfile
import urllib.request
import uuid
from decimal import Decimal

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
    scratch = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            shutil.copyfileobj(response, scratch)
    except OSError as error:
        scratch.close()
        os.remove(scratch.name)
        return {"error": str(error)}, 502
    scratch.close()
    rows, total = 0, Decimal(0)
    with open(scratch.name, encoding="utf-8", newline="") as text:
        for row in csv.DictReader(text):
            rows, total = rows + 1, total + Decimal(row["amount"])  # KeyError, InvalidOperation...
    os.remove(scratch.name)  # only reached when nothing went wrong
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": str(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
