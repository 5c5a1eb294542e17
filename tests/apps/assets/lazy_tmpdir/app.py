import hashlib
import os
import tempfile
from pathlib import Path

from flask import Flask, abort, send_from_directory

SOURCES = Path(__file__).resolve().parent / "assets"
CACHE = tempfile.gettempdir()  # compiled once per process, on the first request that needs it

app = Flask(__name__, static_folder=None)
compiled = {}


def bundle_name():
    if "name" not in compiled:
        bundle = b"".join(path.read_bytes() for path in sorted(SOURCES.glob("*.css")))
        name = f"app.{hashlib.sha256(bundle).hexdigest()[:10]}.css"
        with open(os.path.join(CACHE, name), "wb") as out:
            out.write(bundle)
        compiled["name"] = name
    return compiled["name"]


@app.get("/")
def index():
    return f'<!doctype html>\n<link rel="stylesheet" href="/static/{bundle_name()}">\n<h1>Hello</h1>\n'


@app.get("/static/<name>")
def static_file(name):
    if name != bundle_name():
        abort(404)
    return send_from_directory(CACHE, name, mimetype="text/css", max_age=365 * 24 * 3600)
