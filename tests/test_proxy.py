"""A live cluster opened through a real jupyter-server-proxy, under a base URL as Binder serves one:
pages, stylesheets and a login that holds across workers, all through /user/NAME/proxy/PORT/."""
from __future__ import annotations

import http.cookiejar
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import APPS
from servers import stop_group

from grader.live import launch
from grader.platform.ports import free_port

BASE = "/user/ada/"
SERVER_READY = 60.0  # seconds for the Jupyter server to answer


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """A Jupyter server with jupyter-server-proxy under BASE: yields (root URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter-home")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "HOME": str(home)}
    log = (home / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.base_url={BASE}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={home}", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    root = f"http://127.0.0.1:{port}{BASE}"
    deadline = time.monotonic() + SERVER_READY
    try:
        while True:
            try:
                urllib.request.urlopen(urllib.request.Request(root + "api/status", headers=auth(token)), timeout=2)
                break
            except (OSError, urllib.error.URLError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the Jupyter server did not answer: {(home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.1)
        yield root, token
    finally:
        stop_group(server)
        log.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def test_a_page_and_its_stylesheet_open_through_the_proxy_under_the_base_url(jupyter):
    root, token = jupyter
    with launch(APPS / "assets" / "hashed", 2) as cluster:
        door = cluster.open()
        proxied = f"{root}proxy/{door.rstrip('/').rsplit(':', 1)[1]}/"
        page = urllib.request.urlopen(urllib.request.Request(proxied, headers=auth(token)), timeout=10)
        html = page.read().decode()
        prefix = proxied.split("127.0.0.1:", 1)[1].split("/", 1)[1]  # user/ada/proxy/PORT/
        assert f'href="/{prefix}static/app.' in html, html
        link = html.split('rel="stylesheet" href="')[1].split('"')[0]
        css = urllib.request.urlopen(urllib.request.Request(root.split(BASE)[0] + link, headers=auth(token)),
                                     timeout=10)
        assert css.headers["Content-Type"].startswith("text/css") and b"{" in css.read()


def test_a_login_through_the_proxy_stays_logged_in_as_requests_move_between_workers(jupyter):
    root, token = jupyter
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with launch(APPS / "sessions" / "redis_sessions", 3) as cluster:
        port = cluster.open().rstrip("/").rsplit(":", 1)[1]
        proxied = f"{root}proxy/{port}"

        def call(method, path, payload=None):
            data = None if payload is None else json.dumps(payload).encode()
            request = urllib.request.Request(proxied + path, data=data, method=method,
                                             headers={**auth(token), "Content-Type": "application/json"})
            with browser.open(request, timeout=10) as reply:
                return reply.headers["X-Served-By"], json.loads(reply.read())

        call("POST", "/login", {"user": "ada"})
        served = [call("GET", "/me")[0] for _ in range(3)]
        assert call("GET", "/me")[1] == {"user": "ada"}
        assert set(served) == {"web.1", "web.2", "web.3"}, served
