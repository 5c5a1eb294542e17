import json
from pathlib import Path

from flask import Flask, abort, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"
ONE_YEAR = 365 * 24 * 3600

app = Flask(__name__, static_folder=None)
BUNDLE = json.loads((STATIC / "manifest.json").read_text())["app.css"]  # written by build.py

PAGE = """<!doctype html>
<html>
<head><title>Assets</title><link rel="stylesheet" href="/static/{bundle}"></head>
<body><main><h1>Hello</h1></main></body>
</html>
"""


@app.get("/")
def index():
    return PAGE.format(bundle=BUNDLE)


@app.get("/static/<name>")
def static_file(name):
    if name != BUNDLE:
        abort(404)
    return send_from_directory(STATIC, name, mimetype="text/css", max_age=ONE_YEAR)
