"""Gunicorn configuration module loaded into every web worker (``-c python:grader.platform.worker_hooks``).

Its one hook tells the grader the moment the app has been imported and the worker can serve, so
readiness is an event, not a polling loop. The channel is set by the fork server before gunicorn
starts; a gunicorn started any other way simply reports nothing.
"""
from __future__ import annotations

import json
import os
import socket

CHANNEL: tuple[str, str] | None = None  # (event socket path, incarnation token)
graceful_timeout = 1


def post_worker_init(worker) -> None:  # gunicorn's hook signature
    if CHANNEL is None:
        return
    path, token = CHANNEL
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as channel:
        port = worker.sockets[0].getsockname()[1] if worker.sockets else None
        message = {"event": "ready", "token": token, "pid": os.getpid(), "port": port}
        channel.sendto(json.dumps(message).encode(), path)
