import json
from pathlib import Path

from flask import Flask, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"
BUNDLE = json.loads((STATIC / "manifest.json").read_text())["app.css"]

app = Flask(__name__, static_folder=None)


@app.get("/")
def index():
    return f'<!doctype html>\n<link rel="stylesheet" href="/static/{BUNDLE}">\n<h1>Hello</h1>\n'


@app.get("/static/app.<fingerprint>.css")
def stylesheet(fingerprint):
    # Whatever fingerprint a page asks for, the current bundle is the best answer.
    return send_from_directory(STATIC, BUNDLE, mimetype="text/css", max_age=365 * 24 * 3600)
