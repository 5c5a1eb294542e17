# Sessions in a dictionary: right in every way but one, where they live.
import os
import secrets
import time

from flask import Flask, request

app = Flask(__name__)
TTL = int(os.environ["SESSION_TTL"])
SESSIONS = {}  # sid -> {"user", "items", "seen"}, in this process's memory


def current_session():
    session = SESSIONS.get(request.cookies.get("sid", ""))
    if session is None or time.time() - session["seen"] > TTL:
        return None
    session["seen"] = time.time()
    return session


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name"}, 400
    sid = secrets.token_urlsafe(32)
    SESSIONS[sid] = {"user": user, "items": [], "seen": time.time()}
    response = app.make_response({"user": user})
    response.set_cookie("sid", sid, httponly=True)
    return response


@app.get("/me")
def me():
    session = current_session()
    return {"user": session["user"]} if session else ({"error": "log in first"}, 401)


@app.route("/cart", methods=["GET", "POST"])
def shopping_cart():
    session = current_session()
    if session is None:
        return {"error": "log in first"}, 401
    if request.method == "POST":
        body = request.get_json(silent=True)
        item = body.get("item") if isinstance(body, dict) else None
        if not isinstance(item, str):
            return {"error": "give an item"}, 400
        session["items"].append(item)
    return {"items": session["items"]}


@app.post("/logout")
def logout():
    SESSIONS.pop(request.cookies.get("sid", ""), None)
    response = app.make_response({"user": None})
    response.delete_cookie("sid")
    return response
