# Sessions pickled to files, the way Flask-Session's "filesystem" type keeps them.
import os
import pickle
import secrets
import time
from pathlib import Path

from flask import Flask, request

app = Flask(__name__)
TTL = int(os.environ["SESSION_TTL"])
FOLDER = Path("flask_session")
FOLDER.mkdir(exist_ok=True)


def load():
    sid = request.cookies.get("sid", "")
    path = FOLDER / sid
    if not sid.isalnum() or not path.exists():
        return None, None
    session = pickle.loads(path.read_bytes())
    if time.time() - session["seen"] > TTL:
        path.unlink()
        return None, None
    session["seen"] = time.time()
    path.write_bytes(pickle.dumps(session))
    return sid, session


def save(sid, session):
    (FOLDER / sid).write_bytes(pickle.dumps(session))


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name"}, 400
    sid = secrets.token_hex(16)
    save(sid, {"user": user, "items": [], "seen": time.time()})
    response = app.make_response({"user": user})
    response.set_cookie("sid", sid, httponly=True)
    return response


@app.get("/me")
def me():
    sid, session = load()
    return {"user": session["user"]} if session else ({"error": "log in first"}, 401)


@app.route("/cart", methods=["GET", "POST"])
def shopping_cart():
    sid, session = load()
    if session is None:
        return {"error": "log in first"}, 401
    if request.method == "POST":
        body = request.get_json(silent=True)
        item = body.get("item") if isinstance(body, dict) else None
        if not isinstance(item, str):
            return {"error": "give an item"}, 400
        session["items"].append(item)
        save(sid, session)
    return {"items": session["items"]}


@app.post("/logout")
def logout():
    sid, session = load()
    if session:
        (FOLDER / sid).unlink()
    response = app.make_response({"user": None})
    response.delete_cookie("sid")
    return response
