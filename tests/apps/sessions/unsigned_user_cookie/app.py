# The cookie says who you are, in plain text; the store only says who is logged in.
import os

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
TTL = int(os.environ["SESSION_TTL"])


def current_user():
    user = request.cookies.get("user")
    if not user or not store.expire(f"session:{user}", TTL):
        return None
    store.expire(f"cart:{user}", TTL)
    return user


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name"}, 400
    store.set(f"session:{user}", 1, ex=TTL)
    response = app.make_response({"user": user})
    response.set_cookie("user", user, httponly=True)
    return response


@app.get("/me")
def me():
    user = current_user()
    return {"user": user} if user else ({"error": "log in first"}, 401)


@app.route("/cart", methods=["GET", "POST"])
def shopping_cart():
    user = current_user()
    if user is None:
        return {"error": "log in first"}, 401
    if request.method == "POST":
        body = request.get_json(silent=True)
        item = body.get("item") if isinstance(body, dict) else None
        if not isinstance(item, str):
            return {"error": "give an item"}, 400
        store.rpush(f"cart:{user}", item)
        store.expire(f"cart:{user}", TTL)
    return {"items": store.lrange(f"cart:{user}", 0, -1)}


@app.post("/logout")
def logout():
    user = request.cookies.get("user")
    if user:
        store.delete(f"session:{user}", f"cart:{user}")
    response = app.make_response({"user": None})
    response.delete_cookie("user")
    return response
