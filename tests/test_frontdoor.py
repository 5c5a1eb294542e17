"""The front door and the addresses people are shown: whole answers, any body a browser sends, and
an app that works under a proxy's path prefix (grader/live/frontdoor.py, grader/live/address.py)."""
from __future__ import annotations

import http.cookiejar
import json
import urllib.request

from conftest import APPS

from grader.live.address import public_url
from grader.live.frontdoor import prefix_of, with_prefix

PREFIX = "/user/ada/proxy/4242"


def test_root_relative_links_get_the_prefix_and_nothing_else_does():
    page = b'<link rel="stylesheet" href="/static/app.1.css"><a href="//cdn.example/x">'
    page += b'<form action="/login"><img src="logo.png"><a href="https://x/y">'
    assert with_prefix(page, PREFIX) == (
        b'<link rel="stylesheet" href="/user/ada/proxy/4242/static/app.1.css"><a href="//cdn.example/x">'
        b'<form action="/user/ada/proxy/4242/login"><img src="logo.png"><a href="https://x/y">')
    assert with_prefix(page, "") == page
    assert prefix_of({"X-Forwarded-Prefix": PREFIX + "/"}) == PREFIX
    assert prefix_of({"X-ProxyContextPath": PREFIX}) == PREFIX
    assert prefix_of({"X-Forwarded-Prefix": "http://evil/x"}) == "" and prefix_of({}) == ""


def test_addresses_are_proxied_under_jupyterhub_and_binder_and_plain_elsewhere(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert public_url(8123) == "http://127.0.0.1:8123/"
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert public_url(8123) == "/user/ada/proxy/8123/"
    assert public_url(8123, "/hits") == "/user/ada/proxy/8123/hits"


def opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def test_the_front_door_hands_back_whole_pages_and_bytes_under_a_prefix(launched):
    cluster = launched("assets/hashed", workers=2)
    door = cluster.open()
    assert door.startswith("http://127.0.0.1:") and door.endswith("/") and "<a href=" in door._repr_html_()
    browser = opener()
    page = browser.open(urllib.request.Request(door, headers={"X-Forwarded-Prefix": PREFIX}), timeout=10)
    html = page.read().decode()
    assert f'href="{PREFIX}/static/app.' in html, html
    css = html.split(f'href="{PREFIX}')[1].split('"')[0]
    reply = browser.open(door.rstrip("/") + css, timeout=10)
    served = reply.read()
    direct = cluster.get(css, worker="web.1")
    assert len(served) == direct.size and reply.headers["Content-Type"].startswith("text/css")


def test_a_login_through_the_front_door_holds_as_requests_move_between_workers(launched):
    cluster = launched("sessions/redis_sessions", workers=3)
    door = cluster.open().rstrip("/")
    browser = opener()

    def call(method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(door + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with browser.open(request, timeout=10) as reply:
            return reply.headers["X-Served-By"], json.loads(reply.read())

    call("POST", "/login", {"user": "ada"})
    served = []
    for item in ("tea", "cake", "jam"):
        worker, _ = call("POST", "/cart", {"item": item})
        served.append(worker)
    worker, cart = call("GET", "/cart")
    assert cart == {"items": ["tea", "cake", "jam"]}
    assert len(set(served + [worker])) == 3  # round robin: the cart was filled on every worker


def test_a_form_post_reaches_the_app_as_the_browser_sent_it(launched, tmp_path):
    app = tmp_path / "form"
    app.mkdir()
    (app / "app.py").write_text(
        "from flask import Flask, request\napp = Flask(__name__)\n\n\n"
        "@app.post('/echo')\ndef echo():\n"
        "    return {'name': request.form['name'], 'type': request.mimetype}\n")
    door = launched(app, workers=1).open().rstrip("/")
    request = urllib.request.Request(door + "/echo", data=b"name=Ada+Lovelace", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert json.loads(reply.read()) == {"name": "Ada Lovelace", "type": "application/x-www-form-urlencoded"}
