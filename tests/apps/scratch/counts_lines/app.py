"""Wrong: sums the amounts with the csv module, but counts lines, not rows, so a note that holds a
line break counts twice."""
import csv
import io
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
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "download.csv")
        try:
            with urllib.request.urlopen(url, timeout=30) as response, open(path, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as error:
            return {"error": str(error)}, 502
        try:
            with open(path, encoding="utf-8") as text:
                rows = sum(1 for _ in text) - 1  # lines after the header
            with open(path, encoding="utf-8", newline="") as text:
                reader = csv.DictReader(text)
                if "amount" not in (reader.fieldnames or []):
                    return {"error": "no amount column"}, 422
                total = sum((Decimal(row["amount"]) for row in reader), Decimal(0))
        except (UnicodeDecodeError, InvalidOperation) as error:
            return {"error": str(error)}, 422
        if not total.is_finite():
            return {"error": "an amount is not finite"}, 422
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": str(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
