"""Broken: every hit appends a megabyte to a scratch file and never stops (a disk-filling bug)."""
import os

from flask import Flask

app = Flask(__name__)
BLOCK = b"x" * 2**20


@app.route("/hits", methods=["GET", "POST"])
def hits():
    with open(os.path.join(os.environ["TMPDIR"], "runaway.log"), "ab") as log:
        while True:
            log.write(BLOCK)
