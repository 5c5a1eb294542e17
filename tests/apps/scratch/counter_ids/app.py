"""Wrong: reports live in the shared store, but their ids come from a counter in each process's
memory, so two workers hand out the same id and the later report overwrites the earlier one."""
import csv
import http.client
import os
import shutil
import tempfile
import urllib.request
import itertools
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"])
ids = itertools.count(1)  # this process's own counter
DOWNLOAD_TIMEOUT = 30  # seconds


class BadCsv(ValueError):
    """The file cannot be reported on: the message says why."""


def download(url, folder):
    """Copy the file at ``url`` into ``folder`` piece by piece; return its path."""
    path = os.path.join(folder, "download.csv")
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response, open(path, "wb") as out:
        shutil.copyfileobj(response, out)
    return path


def summarise(path):
    """(rows, total) of a CSV file with an ``amount`` column. Raises BadCsv."""
    rows, total = 0, Decimal(0)
    try:
        with open(path, encoding="utf-8", newline="") as text:
            reader = csv.DictReader(text)
            if "amount" not in (reader.fieldnames or []):
                raise BadCsv("the file has no amount column")
            for row in reader:
                try:
                    amount = Decimal(row["amount"])
                except (InvalidOperation, TypeError):
                    raise BadCsv(f"line {reader.line_num}: {row['amount']!r} is not a number") from None
                if not amount.is_finite():
                    raise BadCsv(f"line {reader.line_num}: {row['amount']!r} is not a finite number")
                rows += 1
                total += amount
    except UnicodeDecodeError:
        raise BadCsv("the file is not UTF-8 text") from None
    return rows, total


@app.post("/reports")
def create_report():
    body = request.get_json(silent=True)
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url:
        return {"error": "send JSON like {\"url\": \"http://...\"}"}, 400
    if urlsplit(url).scheme not in ("http", "https"):
        return {"error": f"only http and https URLs can be downloaded, not {url}"}, 502
    with tempfile.TemporaryDirectory() as scratch:
        try:
            path = download(url, scratch)
        except (OSError, ValueError, http.client.HTTPException) as error:
            return {"error": f"could not download {url}: {error}"}, 502
        try:
            rows, total = summarise(path)
        except BadCsv as error:
            return {"error": str(error)}, 422
    report_id = next(ids)
    store.hset(f"report:{report_id}", mapping={"rows": rows, "total": str(total)})
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    saved = store.hgetall(f"report:{report_id}")
    if not saved:
        return {"error": f"no report {report_id}"}, 404
    total = round(Decimal(saved[b"total"].decode()), 2)
    return {"id": report_id, "rows": int(saved[b"rows"]), "total": float(total)}
