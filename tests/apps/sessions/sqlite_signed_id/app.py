# Sessions in the SQL database, a signed id in the cookie, expiry counted in whole seconds.
import json
import os
import secrets
import sqlite3
import time
from contextlib import closing

from flask import Flask, request
from itsdangerous import BadSignature, Signer

app = Flask(__name__)
DATABASE = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
TTL = int(os.environ["SESSION_TTL"])
signer = Signer(os.environ["SECRET_KEY"], salt="session-id")


def db():
    connection = sqlite3.connect(DATABASE, timeout=10, isolation_level=None)
    connection.execute("CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user TEXT, items TEXT, seen INTEGER)")
    return connection


def current_session(connection):
    """(id, user, items) of the live session, its last use set to now; None without one."""
    try:
        sid = signer.unsign(request.cookies.get("sid", "")).decode()
    except BadSignature:
        return None
    now = int(time.time())
    found = connection.execute("UPDATE sessions SET seen = ? WHERE id = ? AND ? - seen <= ? RETURNING user, items",
                               (now, sid, now, TTL)).fetchone()
    return (sid, found[0], json.loads(found[1])) if found else None


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name"}, 400
    sid = secrets.token_urlsafe(16)
    with closing(db()) as connection:
        connection.execute("INSERT INTO sessions VALUES (?, ?, '[]', ?)", (sid, user, int(time.time())))
    response = app.make_response({"user": user})
    response.set_cookie("sid", signer.sign(sid).decode(), httponly=True)
    return response


@app.get("/me")
def me():
    with closing(db()) as connection:
        session = current_session(connection)
    return {"user": session[1]} if session else ({"error": "log in first"}, 401)


@app.route("/cart", methods=["GET", "POST"])
def shopping_cart():
    with closing(db()) as connection:
        session = current_session(connection)
        if session is None:
            return {"error": "log in first"}, 401
        sid, user, items = session
        if request.method == "POST":
            body = request.get_json(silent=True)
            item = body.get("item") if isinstance(body, dict) else None
            if not isinstance(item, str):
                return {"error": "give an item"}, 400
            items.append(item)
            connection.execute("UPDATE sessions SET items = ? WHERE id = ?", (json.dumps(items), sid))
    return {"items": items}


@app.post("/logout")
def logout():
    with closing(db()) as connection:
        session = current_session(connection)
        if session:
            connection.execute("DELETE FROM sessions WHERE id = ?", (session[0],))
    response = app.make_response({"user": None})
    response.delete_cookie("sid")
    return response
