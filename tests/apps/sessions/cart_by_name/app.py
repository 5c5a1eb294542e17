# Sessions in Redis, but each cart kept under the user's name.
import os
import secrets

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
TTL = int(os.environ["SESSION_TTL"])  # seconds a session may sit idle
COOKIE = "sid"


def keys(sid):
    """Where one session lives: the user's name, and the items of its cart."""
    return f"session:{sid}:user", f"session:{sid}:items"


def current_session():
    """(sid, user) of the request's live session, renewed for another TTL; None without one."""
    sid = request.cookies.get(COOKIE)
    if not sid:
        return None
    user = store.getex(keys(sid)[0], ex=TTL)
    if user:
        store.expire(f"cart:{user}", TTL)
    return (sid, user) if user else None


def no_session():
    return {"error": "log in first"}, 401


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not user:
        return {"error": "give a user name: {\"user\": name}"}, 400
    sid = secrets.token_urlsafe(32)
    store.set(keys(sid)[0], user, ex=TTL)
    response = app.make_response({"user": user})
    response.set_cookie(COOKIE, sid, httponly=True, samesite="Lax")
    return response


@app.get("/me")
def me():
    session = current_session()
    return {"user": session[1]} if session else no_session()


@app.get("/cart")
def read_cart():
    session = current_session()
    if not session:
        return no_session()
    return {"items": store.lrange(f"cart:{session[1]}", 0, -1)}


@app.post("/cart")
def add_to_cart():
    session = current_session()
    if not session:
        return no_session()
    body = request.get_json(silent=True)
    item = body.get("item") if isinstance(body, dict) else None
    if not isinstance(item, str):
        return {"error": "give an item: {\"item\": text}"}, 400
    items_key = f"cart:{session[1]}"
    with store.pipeline() as pipe:
        pipe.rpush(items_key, item)
        pipe.expire(items_key, TTL)
        pipe.lrange(items_key, 0, -1)
        _, _, items = pipe.execute()
    return {"items": items}


@app.post("/logout")
def logout():
    sid = request.cookies.get(COOKIE)
    if sid:
        store.delete(*keys(sid))
    response = app.make_response({"user": None})
    response.delete_cookie(COOKIE)
    return response
