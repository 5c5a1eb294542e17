"""The audit hook every worker runs with: it reports each local write the app's own code makes.

Installed with :func:`sys.addaudithook` before the app is imported, so learner code cannot remove it.
Only writes made while a frame of the app's own directory is on the stack are reported: the web
server's and the libraries' bookkeeping is not the learner's state. Records go, one JSON datagram
each, to the grader's event socket. This module uses the standard library only, because it is also
loaded by file path into processes that cannot import the grader package.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import threading

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
PATH_EVENTS = {  # audit event -> index of the path it writes
    "os.remove": 0, "os.mkdir": 0, "os.truncate": 0, "os.rmdir": 0,
    "os.rename": 1, "shutil.copyfile": 1, "os.link": 1, "os.symlink": 1,
}

WATCHED = frozenset(PATH_EVENTS) | {"open", "sqlite3.connect"}


def install(socket_path: str, token: str, app_dir: str) -> None:
    """Start reporting this process's (and its children's) local writes made by code in app_dir."""
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    app_prefix = os.path.join(os.path.abspath(app_dir), "")
    local = threading.local()

    def hook(event: str, args: tuple) -> None:
        if event not in WATCHED or getattr(local, "busy", False):
            return  # the fast path: most audit events (imports, exec, compile) are not writes
        target = _written_path(event, args)
        if target is None:
            return
        local.busy = True
        try:
            if _called_from(app_prefix):
                record = {"event": "write", "token": token, "pid": os.getpid(), "op": event,
                          "path": os.path.abspath(target)}
                channel.sendto(json.dumps(record).encode(), socket_path)
        except Exception:  # reporting must never break the learner's app
            pass
        finally:
            local.busy = False

    sys.addaudithook(hook)


def _written_path(event: str, args: tuple) -> str | None:
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & WRITE_FLAGS)
    elif event == "sqlite3.connect":
        path, writes = args[0], True
        if isinstance(path, (str, bytes)) and os.fsdecode(path) in ("", ":memory:"):
            return None
    elif event in PATH_EVENTS:
        path, writes = args[PATH_EVENTS[event]], True
    else:
        return None
    if not writes or not isinstance(path, (str, bytes, os.PathLike)):
        return None
    text = os.fsdecode(path)
    if text.startswith("file:"):
        text = text[5:].split("?", 1)[0]
    return None if text.startswith("/dev/") or text.startswith("/proc/") else text


def _called_from(prefix: str) -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(prefix):
            return True
        frame = frame.f_back
    return False
