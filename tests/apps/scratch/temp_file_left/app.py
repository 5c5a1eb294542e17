"""Wrong: downloads into tempfile.mkstemp() and never deletes the file."""
import csv
import os
import shutil
import tempfile
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation

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
    handle, path = tempfile.mkstemp(suffix=".csv")  # a fresh name, but nobody removes it
    try:
        with urllib.request.urlopen(url, timeout=30) as response, os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as error:
        return {"error": str(error)}, 502
    rows, total = 0, Decimal(0)
    try:
        with open(path, encoding="utf-8", newline="") as text:
            reader = csv.DictReader(text)
            if "amount" not in (reader.fieldnames or []):
                return {"error": "no amount column"}, 422
            for row in reader:
                amount = Decimal(row["amount"])
                if not amount.is_finite():
                    return {"error": "an amount is not finite"}, 422
                rows, total = rows + 1, total + amount
    except (UnicodeDecodeError, InvalidOperation) as error:
        return {"error": f"bad CSV: {error}"}, 422
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": str(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
