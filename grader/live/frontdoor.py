"""The front door: one HTTP address that forwards each request to a worker chosen by the router.

Used by ``grader demo`` and the course notebooks, so a person (or a browser) can poke at a cluster
as if it were one app. It forwards what a browser sends as it is (JSON, forms, file uploads, the
cookies) and hands back the whole answer, bytes and headers.

Behind a path-stripping proxy, such as jupyter-server-proxy's ``/proxy/PORT/`` on Binder, the app
lives under a prefix it does not know, while the exercise contracts use absolute paths
(``href="/static/app.css"``). The proxy names the prefix in ``X-Forwarded-Prefix`` (as Werkzeug's
``ProxyFix`` reads it); the front door passes that header on to the app and, as a reverse proxy's
HTML rewriting does, puts the prefix before every root-relative link of an HTML answer
(``href``, ``src`` and ``action``), so pages, stylesheets and forms work through the proxy. Redirects
are left to the proxy, which rewrites ``Location`` itself. What the front door says itself (no
worker serving, a body too big) it says in ``lang``, by default the one the locale variables name.
"""
from __future__ import annotations

import re
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..i18n import Message, Text, _, choose
from ..platform.cluster import ClusterStopped
from ..platform.http import Client, Raw

HOP_BY_HOP = ("content-length", "connection", "transfer-encoding", "date", "server", "keep-alive")
PREFIX_HEADERS = ("X-Forwarded-Prefix", "X-Forwarded-Context", "X-ProxyContextPath")
ROOT_LINK = re.compile(rb"""(\b(?:href|src|action)\s*=\s*["'])/(?!/)""", re.IGNORECASE)
MAX_BODY = 64 * 2**20  # bytes of request body the front door accepts (a demo's uploads)


class FrontDoor:
    def __init__(self, cluster, port: int = 0, lang: str | None = None):
        handler = _handler_for(cluster, choose(lang))
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="factor-six-frontdoor", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def prefix_of(headers) -> str:
    """The path a proxy mounted us under ("/user/ada/proxy/8123"), or "" when there is none."""
    for name in PREFIX_HEADERS:
        value = (headers.get(name) or "").strip().rstrip("/")
        if value.startswith("/") and "//" not in value:
            return value
    return ""


def with_prefix(body: bytes, prefix: str) -> bytes:
    """An HTML page whose root-relative links (``href="/x"``) point under ``prefix``."""
    return ROOT_LINK.sub(lambda match: match.group(1) + prefix.encode() + b"/", body) if prefix else body


def _handler_for(cluster, lang: str = "en"):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._fail(413, _("the front door accepts bodies up to {mib} MiB", mib=MAX_BODY // 2**20))
                return
            data = self.rfile.read(length) if length else b""
            prefix = prefix_of(self.headers)
            extra = (("X-Forwarded-Prefix", prefix),) if prefix else ()
            body = Raw(data, self.headers.get("Content-Type"), extra)
            client = Client(self.client_address[0], SimpleCookie(self.headers.get("Cookie", "")))
            try:
                reply = cluster.request(self.command, self.path, body, client=client)
            except ClusterStopped as stopped:
                self._fail(503, stopped.args[0] if stopped.args else str(stopped))  # its message, said in lang
                return
            except LookupError:
                self._fail(503, _("no worker is serving"))
                return
            if reply.status is None:
                self._fail(502, Text((f"{reply.worker}:", reply.error), " "))
                return
            content = reply.content or b""
            html = any("text/html" in value for value in reply.header("Content-Type"))
            if html:
                content = with_prefix(content, prefix)
            self.send_response(reply.status)
            for key, value in reply.headers:
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("X-Served-By", reply.worker)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        def _fail(self, status: int, why) -> None:
            """Answer ``status`` with ``why`` (a message, said in the front door's language) as text."""
            data = (why.render(lang) if isinstance(why, (Message, Text)) else str(why)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

        def log_message(self, *args) -> None:  # the cluster's request log is the record
            pass

    return Handler
