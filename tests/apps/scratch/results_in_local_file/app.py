"""Wrong: keeps every report in reports.json, a file in the process's working directory."""
import csv
import io
import json
import urllib.request
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import Flask, request

app = Flask(__name__)
REPORTS = Path("reports.json")


def saved():
    return json.loads(REPORTS.read_text()) if REPORTS.exists() else {}


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
    report_id = uuid.uuid4().hex
    reports = saved()
    reports[report_id] = {"rows": rows, "total": str(total)}
    REPORTS.write_text(json.dumps(reports))
    return {"id": report_id}, 201


@app.get("/reports/<report_id>")
def read_report(report_id):
    report = saved().get(report_id)
    if report is None:
        return {"error": "no such report"}, 404
    return {"id": report_id, "rows": report["rows"], "total": round(float(report["total"]), 2)}
