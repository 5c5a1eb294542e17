"""Wrong: every request downloads to the same file, $TMPDIR/download.csv, so two at once collide."""
import csv
import os
import shutil
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])
SCRATCH = os.path.join(os.environ["TMPDIR"], "download.csv")


def summarise(path):
    rows, total = 0, Decimal(0)
    with open(path, encoding="utf-8", newline="") as text:
        reader = csv.DictReader(text)
        if "amount" not in (reader.fieldnames or []):
            raise ValueError("no amount column")
        for row in reader:
            amount = Decimal(row["amount"])
            if not amount.is_finite():
                raise ValueError("an amount is not finite")
            rows, total = rows + 1, total + amount
    return rows, total


@app.post("/reports")
def create_report():
    url = (request.get_json(silent=True) or {}).get("url")
    if not url:
        return {"error": "url is missing"}, 400
    if not url.startswith("http://"):
        return {"error": "only http URLs"}, 502
    try:
        try:
            with urllib.request.urlopen(url, timeout=30) as response, open(SCRATCH, "wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as error:
            return {"error": str(error)}, 502
        try:
            rows, total = summarise(SCRATCH)
        except (ValueError, UnicodeDecodeError, InvalidOperation) as error:
            return {"error": str(error)}, 422
    finally:
        if os.path.exists(SCRATCH):
            os.remove(SCRATCH)
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": str(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
