"""Broken: answers, but not in the exercise's JSON shape."""
from flask import Flask

app = Flask(__name__)


@app.route("/hits", methods=["GET", "POST"])
def hits():
    return "lots of hits!\x00\xff", 200, {"Content-Type": "text/plain"}
