"""The audit hook every worker runs with: it reports the files the app's own code opens, and every
TCP connection the worker makes.

Installed with :func:`sys.addaudithook` before the app is imported, so learner code cannot remove it.
Files are reported only when a frame of the app's own directory is on the stack: the web server's and
the libraries' bookkeeping is not the learner's state. Reads are reported as well as writes (code
files and installed packages aside), because a file that is read back is lasting state, while one
that is only ever written is a log or a leftover; the advice differs. Connections are reported
whoever makes them, so that a store reached at an address of the app's own choosing (rather than
the one in REDIS_URL or DATABASE_URL) is seen. Records go, one JSON datagram each, to the grader's
event socket. This module uses the standard library only, because it is also loaded by file path
into processes that cannot import the grader package.
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
# Where an event carries the directory fd its path is relative to (-1: none), as shutil.rmtree, and
# so tempfile.TemporaryDirectory, use them: without it "x.csv" would look like a file in the cwd.
DIR_FDS = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2, "os.rename": 3, "os.link": 3, "os.symlink": 2}
CODE_SUFFIXES = (".py", ".pyc", ".pyi", ".so", ".pth")
WATCHED = frozenset(PATH_EVENTS) | {"open", "sqlite3.connect", "socket.connect"}


def install(socket_path: str, token: str, app_dir: str) -> None:
    """Start reporting this process's (and its children's) file accesses and TCP connections."""
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    app_prefix = os.path.join(os.path.abspath(app_dir), "")
    installed = tuple({os.path.join(p, "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    local = threading.local()
    connected: set[tuple[int, str, int]] = set()

    def send(record: dict) -> None:
        channel.sendto(json.dumps({"token": token, "pid": os.getpid(), **record}).encode(), socket_path)

    def hook(event: str, args: tuple) -> None:
        if event not in WATCHED or getattr(local, "busy", False):
            return  # the fast path: most audit events (imports, exec, compile) are not ours
        local.busy = True
        try:
            if event == "socket.connect":
                address = _tcp_address(args)
                if address and (os.getpid(), *address) not in connected:
                    connected.add((os.getpid(), *address))
                    send({"event": "connect", "host": address[0], "port": address[1]})
                return
            found = _accessed(event, args)
            if found is None or (found[1] == "read" and found[0].startswith(installed)):
                return
            if _called_from(app_prefix):
                send({"event": "file", "op": event, "path": os.path.abspath(found[0]), "access": found[1]})
        except Exception:  # reporting must never break the learner's app
            pass
        finally:
            local.busy = False

    sys.addaudithook(hook)


def _accessed(event: str, args: tuple) -> tuple[str, str] | None:
    """(path, "read" | "write" | "update") for an audit event that touches a file, else None."""
    if event == "open":
        path, mode, flags = args
        if isinstance(mode, str):
            writes, reads = any(c in mode for c in "wax+"), "r" in mode or "+" in mode
        else:
            flags = flags or 0
            mode_bits = flags & os.O_ACCMODE
            writes = mode_bits != os.O_RDONLY or bool(flags & WRITE_FLAGS)
            reads = mode_bits in (os.O_RDONLY, os.O_RDWR)
        access = "update" if writes and reads else "write" if writes else "read"
    elif event == "sqlite3.connect":
        path, access = args[0], "update"
        if isinstance(path, (str, bytes)) and os.fsdecode(path) in ("", ":memory:"):
            return None
    elif event in PATH_EVENTS:
        path, access = args[PATH_EVENTS[event]], "write"
    else:
        return None
    if not isinstance(path, (str, bytes, os.PathLike)):
        return None
    text = os.fsdecode(path)
    fd = args[DIR_FDS[event]] if event in DIR_FDS and len(args) > DIR_FDS[event] else -1
    if isinstance(fd, int) and fd >= 0 and not os.path.isabs(text):
        text = os.path.join(os.readlink(f"/proc/self/fd/{fd}"), text)
    if text.startswith("file:"):
        text = text[5:].split("?", 1)[0]
    if text.startswith(("/dev/", "/proc/", "/sys/")) or (access == "read" and text.endswith(CODE_SUFFIXES)):
        return None
    return text, access


def _tcp_address(args: tuple) -> tuple[str, int] | None:
    sock, address = args
    if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
        return None
    if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
        return str(address[0]), address[1]
    return None


def _called_from(prefix: str) -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.startswith(prefix):
            return True
        frame = frame.f_back
    return False
