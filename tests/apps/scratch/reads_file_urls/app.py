"""Wrong: hands any URL to urlopen, which also opens file:// URLs from the server's own disk."""
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


@app.post("/reports")
def create_report():
    url = (request.get_json(silent=True) or {}).get("url")
    if not url:
        return {"error": "url is missing"}, 400
    try:
        response = urllib.request.urlopen(url, timeout=30)  # http://, but also file:// and ftp://
    except (OSError, ValueError) as error:
        return {"error": str(error)}, 502
    rows, total = 0, Decimal(0)
    with response:
        try:
            reader = csv.DictReader(io.TextIOWrapper(response, encoding="utf-8", newline=""))
            if "amount" not in (reader.fieldnames or []):
                return {"error": "no amount column"}, 422
            for row in reader:
                amount = Decimal(row["amount"])
                if not amount.is_finite():
                    return {"error": "an amount is not finite"}, 422
                rows, total = rows + 1, total + amount
        except (UnicodeDecodeError, InvalidOperation) as error:
            return {"error": str(error)}, 422
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": str(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
