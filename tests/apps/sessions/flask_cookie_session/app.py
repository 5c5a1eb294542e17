# Flask's default session: the whole session in a cookie, signed with SECRET_KEY.
import os
from datetime import timedelta

from flask import Flask, request, session

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
app.permanent_session_lifetime = timedelta(seconds=int(os.environ["SESSION_TTL"]))


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name"}, 400
    session.clear()
    session.permanent = True  # signed with a timestamp, refused once older than the lifetime
    session["user"] = user
    session["items"] = []
    return {"user": user}


@app.get("/me")
def me():
    if "user" not in session:
        return {"error": "log in first"}, 401
    return {"user": session["user"]}


@app.route("/cart", methods=["GET", "POST"])
def shopping_cart():
    if "user" not in session:
        return {"error": "log in first"}, 401
    if request.method == "POST":
        body = request.get_json(silent=True)
        item = body.get("item") if isinstance(body, dict) else None
        if not isinstance(item, str):
            return {"error": "give an item"}, 400
        session["items"] = session["items"] + [item]
    return {"items": session["items"]}


@app.post("/logout")
def logout():
    session.clear()
    return {"user": None}
