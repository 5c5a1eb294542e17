"""The event bus: every record a worker, the fork server or the audit hook sends to the grader.

Processes talk to the grader only through JSON datagrams on one Unix socket. A reader thread turns
them into frozen records, keeps them in arrival order, and wakes whoever waits for one.
"""
from __future__ import annotations

import itertools
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Spawned:
    token: str
    pid: int


@dataclass(frozen=True)
class Ready:
    token: str
    pid: int  # the gunicorn worker process that will serve requests
    port: int | None = None  # where it listens (the worker chose it by binding port 0)


@dataclass(frozen=True)
class Exited:
    token: str
    pid: int
    code: int


@dataclass(frozen=True)
class Isolation:
    """Whether the worker got its own /tmp (see :mod:`grader.platform.isolation`), and if not, why."""

    token: str
    pid: int
    private: bool
    why: str = ""


@dataclass(frozen=True)
class FileAccess:
    """A file the app's own code opened, as the worker saw its path (reported by the audit hook).

    ``access`` is "read", "write" or "update" (both); ``op`` the audit event (``open``,
    ``sqlite3.connect``, ``os.rename``, ...); ``at`` is the grader's time.monotonic() on arrival.
    """

    token: str
    pid: int
    op: str
    path: str
    at: float
    access: str = "write"

    @property
    def writes(self) -> bool:
        return self.access != "read"

    @property
    def reads(self) -> bool:
        return self.access != "write" or self.op == "sqlite3.connect"


@dataclass(frozen=True)
class Connection:
    """A TCP connection the worker opened (to a backing service, or to somewhere it should not)."""

    token: str
    pid: int
    host: str
    port: int
    at: float


Event = Spawned | Ready | Exited | Isolation | FileAccess | Connection
STOP = b"\0stop"
MARK = b"\0mark "  # then a number: see EventBus.flush
FLUSH_TIMEOUT = 2.0


def parse(data: bytes, now: float) -> Event | None:
    try:
        message = json.loads(data)
        kind = message.pop("event")
        if kind == "spawned":
            return Spawned(message["token"], message["pid"])
        if kind == "ready":
            return Ready(message["token"], message["pid"], message.get("port"))
        if kind == "exited":
            return Exited(message["token"], message["pid"], message["code"])
        if kind == "file":
            return FileAccess(message["token"], message["pid"], message["op"], message["path"], now,
                              message.get("access", "write"))
        if kind == "connect":
            return Connection(message["token"], message["pid"], message["host"], int(message["port"]), now)
        if kind == "isolation":
            return Isolation(message["token"], message["pid"], bool(message["private"]), message.get("why", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return None


class EventBus:
    """Receives events on ``path``, hands each to ``handler`` and keeps the log.

    ``wait_for`` blocks until a condition holds; it is re-evaluated after every event, so whatever
    the handler updates (an incarnation's pid, readiness, exit code) can be waited on directly.
    """

    def __init__(self, path: Path, handler: Callable[[Event], None] = lambda event: None):
        self.path = str(path)
        self._handler = handler
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(self.path)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._events: list[Event] = []
        self._changed = threading.Condition()
        self._closed = False
        self._marks = itertools.count(1)
        self._passed = 0  # the highest flush marker the reader has handled
        self._thread = threading.Thread(target=self._read, name="factor-six-events", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            data = self._socket.recv(65536)
            if data == STOP:
                return
            if data.startswith(MARK):
                with self._changed:
                    self._passed = max(self._passed, int(data[len(MARK):]))
                    self._changed.notify_all()
                continue
            event = parse(data, time.monotonic())
            if event is None:
                continue
            with self._changed:
                self._events.append(event)
                try:
                    self._handler(event)
                except Exception:  # the reader must outlive any handler bug: if it stopped reading,
                    pass           # every worker would block on its next report once the queue is full
                self._changed.notify_all()

    def events(self, kind: type | None = None) -> list[Event]:
        with self._changed:
            return [event for event in self._events if kind is None or isinstance(event, kind)]

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """True as soon as ``condition()`` holds, False if it still does not after ``timeout`` s,
        or at once when the bus is closed (no event will ever come to make it hold)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._changed.wait(remaining)
            return True

    def recorded(self, kind: type | None = None) -> list[Event]:
        """Every record (of ``kind``) that any process sent before this call, in arrival order.

        What a check reads after its requests: an audit record a worker sent before answering may
        still wait in the socket's queue when the answer arrives, so this flushes first.
        """
        self.flush()
        return self.events(kind)

    def flush(self, timeout: float = FLUSH_TIMEOUT) -> bool:
        """Wait until every record sent to the bus before this call is in the log.

        Datagrams on one socket are read in the order they were sent, so once a marker sent now has
        been read, so has every record a process sent before it: an audit record a worker sent before
        it answered a request, say. False if the marker was not read within ``timeout`` seconds.
        """
        number = next(self._marks)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as poke:
            poke.settimeout(timeout)  # a full queue that nobody reads must not hang the grader
            try:
                poke.sendto(MARK + str(number).encode(), self.path)
            except OSError:
                return False
        return self.wait_for(lambda: self._passed >= number, timeout)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as poke:
            poke.settimeout(2)
            try:
                poke.sendto(STOP, self.path)
            except OSError:  # the reader is gone or stuck: closing the socket below is what counts
                pass
        self._thread.join(timeout=2)
        self._socket.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
