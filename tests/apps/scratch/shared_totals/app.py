"""Wrong: sums into a module-level dictionary, so two requests at once add into the same totals."""
import csv
import io
import os
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])
current = {"rows": 0, "total": Decimal(0)}  # the report being computed, shared by every request


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
    current["rows"], current["total"] = 0, Decimal(0)
    with response:
        try:
            reader = csv.DictReader(io.TextIOWrapper(response, encoding="utf-8", newline=""))
            if "amount" not in (reader.fieldnames or []):
                return {"error": "no amount column"}, 422
            for row in reader:
                amount = Decimal(row["amount"])
                if not amount.is_finite():
                    return {"error": "an amount is not finite"}, 422
                current["rows"] += 1
                current["total"] += amount
        except (UnicodeDecodeError, InvalidOperation) as error:
            return {"error": str(error)}, 422
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": current["rows"], "total": str(current["total"])})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
