import hashlib
import json
from pathlib import Path

from flask import Flask, abort, send_from_directory

HERE = Path(__file__).resolve().parent
SOURCES = sorted((HERE / "assets").glob("*.css"))
STATIC = HERE / "static"

app = Flask(__name__, static_folder=None)
state = {"compiled_at": 0.0, "name": None}


def current_bundle():
    """Rebuild the bundle whenever a source changed since the last build, like a dev server does."""
    newest = max(path.stat().st_mtime for path in SOURCES)
    if state["name"] is None or newest > state["compiled_at"]:
        bundle = b"".join(path.read_bytes() for path in SOURCES)
        name = f"app.{hashlib.sha256(bundle).hexdigest()[:10]}.css"
        (STATIC / name).write_bytes(bundle)
        (STATIC / "manifest.json").write_text(json.dumps({"app.css": name}))
        state.update(compiled_at=newest, name=name)
    return state["name"]


@app.get("/")
def index():
    return f'<!doctype html>\n<link rel="stylesheet" href="/static/{current_bundle()}">\n<h1>Hello</h1>\n'


@app.get("/static/<name>")
def static_file(name):
    if name != current_bundle():
        abort(404)
    return send_from_directory(STATIC, name, mimetype="text/css", max_age=365 * 24 * 3600)
