"""Wrong: computes each report correctly, but keeps it in a dictionary in the process's memory."""
import csv
import io
import itertools
import urllib.request
from decimal import Decimal, InvalidOperation

from flask import Flask, request

app = Flask(__name__)
reports = {}  # report id -> (rows, total), in this process only
ids = itertools.count(1)


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
    report_id = next(ids)
    reports[report_id] = (rows, total)
    return {"id": report_id}, 201


@app.get("/reports/<int:report_id>")
def read_report(report_id):
    if report_id not in reports:
        return {"error": "no such report"}, 404
    rows, total = reports[report_id]
    return {"id": report_id, "rows": rows, "total": float(round(total, 2))}
