"""The front door: one HTTP address that forwards each request to a worker chosen by the router.

Used by ``grader demo`` and the course notebooks, so a person (or a browser) can poke at a cluster
as if it were one app.
"""
from __future__ import annotations

import json
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..platform.http import Client
from ..platform.cluster import ClusterStopped


class FrontDoor:
    def __init__(self, cluster, port: int = 0):
        handler = _handler_for(cluster)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="factor-six-frontdoor", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler_for(cluster):
    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                payload = json.loads(body) if body else None
            except ValueError:
                payload = None
            client = Client(self.client_address[0], SimpleCookie(self.headers.get("Cookie", "")))
            try:
                reply = cluster.request(self.command, self.path, payload, client=client)
            except ClusterStopped as stopped:
                self.send_error(503, str(stopped))
                return
            except LookupError:
                self.send_error(503, "no worker is serving")
                return
            if reply.status is None:
                self.send_error(502, f"{reply.worker}: {reply.error}")
                return
            data = reply.body.encode()
            self.send_response(reply.status)
            for key, value in reply.headers:
                if key.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                    self.send_header(key, value)
            self.send_header("X-Served-By", reply.worker)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        def log_message(self, *args) -> None:  # the cluster's request log is the record
            pass

    return Handler
