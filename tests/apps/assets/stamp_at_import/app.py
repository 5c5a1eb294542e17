import time
from pathlib import Path

from flask import Flask, Response, abort

SOURCES = Path(__file__).resolve().parent / "assets"

app = Flask(__name__)
BUNDLE = b"".join(path.read_bytes() for path in sorted(SOURCES.glob("*.css")))
NAME = f"app.{int(time.time() * 1000):x}.css"  # a new name at every start busts the browsers' caches


@app.get("/")
def index():
    return f'<!doctype html>\n<link rel="stylesheet" href="/static/{NAME}">\n<h1>Hello</h1>\n'


@app.get("/static/<name>")
def static_file(name):
    if name != NAME:
        abort(404)
    return Response(BUNDLE, mimetype="text/css", headers={"Cache-Control": "public, max-age=31536000"})
