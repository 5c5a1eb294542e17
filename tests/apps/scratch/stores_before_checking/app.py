"""Wrong: stores each row's amount as it goes, so a file that turns out bad leaves half a report."""
import csv
import io
import os
import urllib.request
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
    try:
        response = urllib.request.urlopen(url, timeout=30)
    except OSError as error:
        return {"error": str(error)}, 502
    report_id = store.incr("reports:last-id")
    key = f"report:{report_id}"
    with response:
        try:
            reader = csv.DictReader(io.TextIOWrapper(response, encoding="utf-8", newline=""))
            if "amount" not in (reader.fieldnames or []):
                return {"error": "no amount column"}, 422
            for row in reader:
                amount = Decimal(row["amount"])
                if not amount.is_finite():
                    return {"error": "an amount is not finite"}, 422
                store.hincrby(key, "rows", 1)
                store.hincrbyfloat(key, "total", float(amount))
        except (UnicodeDecodeError, InvalidOperation) as error:
            return {"error": str(error)}, 422
    return {"id": report_id}, 201


@app.get("/reports/<int:report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
