import json
from pathlib import Path

from flask import Flask, abort, send_from_directory

import build

STATIC = Path(__file__).resolve().parent / "static"

build.main()  # make sure the bundle is fresh whenever the app starts
app = Flask(__name__, static_folder=None)
BUNDLE = json.loads((STATIC / "manifest.json").read_text())["app.css"]

PAGE = '<!doctype html>\n<link rel="stylesheet" href="/static/{bundle}">\n<h1>Hello</h1>\n'


@app.get("/")
def index():
    return PAGE.format(bundle=BUNDLE)


@app.get("/static/<name>")
def static_file(name):
    if name != BUNDLE:
        abort(404)
    return send_from_directory(STATIC, name, mimetype="text/css", max_age=365 * 24 * 3600)
