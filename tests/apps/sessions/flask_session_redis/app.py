# Server-side sessions with the Flask-Session library: Flask's `session`, kept in Redis.
import os
from datetime import timedelta

import redis
from flask import Flask, request, session
from flask_session import Session

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ["SECRET_KEY"],
    SESSION_TYPE="redis",
    SESSION_REDIS=redis.Redis.from_url(os.environ["REDIS_URL"]),
    PERMANENT_SESSION_LIFETIME=timedelta(seconds=int(os.environ["SESSION_TTL"])),
)
Session(app)


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name"}, 400
    app.session_interface.regenerate(session)  # a new id at every login
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
    session.clear()  # Flask-Session deletes an emptied session from Redis
    return {"user": None}
