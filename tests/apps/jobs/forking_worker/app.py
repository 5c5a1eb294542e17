"""Web side of forking_worker: answers, nothing more."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"ok": True}
