"""Wrong: splits each line on commas, so a quoted field holding a comma shifts every column after it."""
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
    with response:
        lines = iter(line.decode("utf-8") for line in response)
        try:
            column = next(lines).strip().split(",").index("amount")
            rows, total = 0, 0.0
            for line in lines:
                rows, total = rows + 1, total + float(line.strip().split(",")[column])
        except (ValueError, IndexError, UnicodeDecodeError) as error:
            return {"error": f"bad CSV: {error}"}, 422
    report_id = uuid.uuid4().hex
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": total})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": round(float(saved[b"total"]), 2)}
