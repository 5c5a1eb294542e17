import json
from pathlib import Path

from flask import Flask, abort, send_file

HERE = Path(__file__).resolve().parent
BUNDLE = Path(json.loads((HERE / "static" / "manifest.json").read_text())["app.css"])

app = Flask(__name__, static_folder=None)


@app.get("/")
def index():
    return f'<!doctype html>\n<link rel="stylesheet" href="/static/{BUNDLE.name}">\n<h1>Hello</h1>\n'


@app.get("/static/<name>")
def static_file(name):
    if name != BUNDLE.name:
        abort(404)
    return send_file(BUNDLE, mimetype="text/css", max_age=365 * 24 * 3600)
