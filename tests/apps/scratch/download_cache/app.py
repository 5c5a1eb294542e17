"""Wrong: keeps each download in $TMPDIR/cache/ and reuses it when the same URL comes again."""
import csv
import hashlib
import os
import shutil
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])
CACHE = os.path.join(os.environ["TMPDIR"], "cache")


def fetch(url):
    """The path of the file at ``url``, downloaded only the first time it is asked for."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, hashlib.sha256(url.encode()).hexdigest() + ".csv")
    if not os.path.exists(path):
        with urllib.request.urlopen(url, timeout=30) as response, open(path + ".part", "wb") as out:
            shutil.copyfileobj(response, out)
        os.replace(path + ".part", path)
    return path


@app.post("/reports")
def create_report():
    url = (request.get_json(silent=True) or {}).get("url")
    if not url:
        return {"error": "url is missing"}, 400
    if not url.startswith("http://"):
        return {"error": "only http URLs"}, 502
    try:
        path = fetch(url)
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
