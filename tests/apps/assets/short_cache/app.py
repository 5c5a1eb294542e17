import json
import os

from flask import Flask, render_template_string, url_for

app = Flask(__name__)  # serves the folder static/ at /static/<name>

with open(os.path.join(app.static_folder, "manifest.json")) as manifest:
    STYLESHEET = json.load(manifest)["app.css"]

PAGE = """<!doctype html>
<title>Minified</title>
<link rel="stylesheet" href="{{ url_for('static', filename=stylesheet) }}">
<h1>Hello</h1>
"""


@app.get("/")
def index():
    return render_template_string(PAGE, stylesheet=STYLESHEET)
