"""Tally's web process: sessions in Redis, records in PostgreSQL, files in the bucket.

It keeps nothing between requests: any web process can answer any request, before and after a
restart.
"""
import json
import os
import re
import secrets
import uuid
from pathlib import Path

from flask import Flask, Response, request

import store

app = Flask(__name__)
TTL = int(os.environ["SESSION_TTL"])
USER = re.compile(r"[A-Za-z0-9_-]{1,32}")
COOKIE = "tally_session"
STYLESHEET = json.loads(Path("static/manifest.json").read_text())["style.css"]
store.create_schema()


def current_user() -> str | None:
    """The session's user, renewing its idle expiry in the same step (GETEX on a key that is gone
    gives nothing back, so an expired session never comes back)."""
    token = request.cookies.get(COOKIE)
    return store.redis_store.getex(f"session:{token}", ex=TTL) if token else None


def unauthorised():
    return {"error": "log in first: POST /login with {\"user\": \"<name>\"}"}, 401


@app.post("/login")
def login():
    body = request.get_json(silent=True)
    user = body.get("user") if isinstance(body, dict) else None
    if not isinstance(user, str) or not USER.fullmatch(user):
        return {"error": "send {\"user\": \"<1 to 32 letters, digits, _ or ->\"}"}, 400
    token = secrets.token_urlsafe(24)
    store.redis_store.set(f"session:{token}", user, ex=TTL)
    response = app.make_response({"user": user})
    response.set_cookie(COOKIE, token, httponly=True, samesite="Lax")
    return response


@app.post("/logout")
def logout():
    token = request.cookies.get(COOKIE)
    if token:
        store.redis_store.delete(f"session:{token}")
    response = app.make_response({"user": None})
    response.delete_cookie(COOKIE)
    return response


@app.get("/me")
def me():
    user = current_user()
    return {"user": user} if user else unauthorised()


@app.post("/visits")
def visits():
    return {"visits": store.redis_store.incr("visits")}


@app.post("/uploads")
def upload():
    user = current_user()
    if not user:
        return unauthorised()
    sent = request.files.get("file")
    data = sent.read() if sent else b""
    if not data:
        return {"error": "send a non-empty file in the form field 'file'"}, 400
    upload_id = uuid.uuid4().hex
    store.s3.put_object(Bucket=store.BUCKET, Key=store.object_key(upload_id), Body=data)
    with store.connect() as db:
        db.execute("INSERT INTO uploads (id, owner, name, size) VALUES (%s, %s, %s, %s)",
                   (upload_id, user, sent.filename or "upload.csv", len(data)))
    return {"id": upload_id, "status": "queued"}, 202


def owned(db, upload_id: str, user: str):
    return db.execute("SELECT id, name, size, status, result, error FROM uploads "
                      "WHERE id = %s AND owner = %s AND NOT deleted", (upload_id, user)).fetchone()


@app.get("/uploads")
def list_uploads():
    user = current_user()
    if not user:
        return unauthorised()
    with store.connect() as db:
        rows = db.execute("SELECT id, name, status FROM uploads WHERE owner = %s AND NOT deleted "
                          "ORDER BY created", (user,)).fetchall()
    return {"uploads": [{"id": i, "name": n, "status": s} for i, n, s in rows]}


@app.get("/uploads/<upload_id>")
def one_upload(upload_id):
    user = current_user()
    if not user:
        return unauthorised()
    with store.connect() as db:
        row = owned(db, upload_id, user)
    if row is None:
        return {"error": f"no upload {upload_id!r}"}, 404
    keys = ("id", "name", "size", "status", "result", "error")
    return dict(zip(keys, row))


@app.get("/uploads/<upload_id>/file")
def upload_file(upload_id):
    user = current_user()
    if not user:
        return unauthorised()
    with store.connect() as db:
        row = owned(db, upload_id, user)
    if row is None:
        return {"error": f"no upload {upload_id!r}"}, 404
    body = store.s3.get_object(Bucket=store.BUCKET, Key=store.object_key(upload_id))["Body"].read()
    return Response(body, mimetype="text/csv")


@app.delete("/uploads/<upload_id>")
def delete_upload(upload_id):
    user = current_user()
    if not user:
        return unauthorised()
    with store.connect() as db:
        marked = db.execute("UPDATE uploads SET deleted = TRUE WHERE id = %s AND owner = %s "
                            "AND NOT deleted", (upload_id, user)).rowcount
    if not marked:
        return {"error": f"no upload {upload_id!r}"}, 404
    return {"id": upload_id, "status": "deleting"}, 202


@app.get("/cleanups")
def cleanups():
    with store.connect() as db:
        (runs,) = db.execute("SELECT count(*) FROM cleanup_runs").fetchone()
    return {"runs": runs}


@app.get("/")
def home():
    return (f'<!doctype html><html><head><title>Tally</title>'
            f'<link rel="stylesheet" href="/static/{STYLESHEET}"></head>'
            f'<body><h1>Tally</h1><p>Upload a CSV file and come back for its totals.</p></body></html>')
