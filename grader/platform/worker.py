"""One worker process (``web.1``) and its successive incarnations.

A worker keeps its name across restarts; each start is a new incarnation with a new pid, a new port
and a new private disk. Incarnations are never reused, so every record (a request, a local write, a
log line) points at exactly one process lifetime.
"""
from __future__ import annotations

import http.client
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .events import EventBus, Exited, Isolation, Ready, Spawned
from .processes import app_traceback, describe_status, tail_file, tail_text
from .ports import held_by, listening_sockets
from .proctree import descendants, signal_tree
from .quota import Memory
from .sandbox import Sandbox
from ..i18n import _


PROBE_INTERVAL = 0.02
SPAWN_TIMEOUT = 5.0  # the fork server answers a spawn order in milliseconds; this only bounds a hang


def answers_http(port: int | None) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _listens(incarnation: "Incarnation") -> bool:
    """Whether the incarnation's own process tree holds the socket listening on its port (True where
    /proc cannot tell)."""
    if incarnation.pid is None:
        return False
    sockets = listening_sockets(incarnation.port)
    held = None if sockets is None else held_by([incarnation.pid, *descendants(incarnation.pid)], sockets)
    return held is not False


class BootFailed(Exception):
    """A worker could not become ready; carries the incarnation so feedback can cite its logs."""

    def __init__(self, incarnation: "Incarnation", reason: str, timed_out: bool):
        super().__init__(reason)
        self.incarnation = incarnation
        self.reason = reason
        self.timed_out = timed_out


@dataclass
class Incarnation:
    """One process lifetime of a worker."""

    name: str
    number: int
    kind: str
    sandbox: Sandbox
    stdout: Path
    stderr: Path
    port: int | None
    scope: str = ""  # which cluster, so tokens stay unique for the whole platform
    mode: str = "gunicorn"  # "exec": a Procfile command the fork server execs as is; "python": a
    # `python SCRIPT.py` command of a non-web type, which the fork server runs itself (grader.platform.zygote)
    started: float = field(default_factory=time.monotonic)
    pid: int | None = None
    serving_pid: int | None = None
    ready_at: float | None = None
    exit_code: int | None = None
    stop_requested: bool = False
    killed_after_term: bool = False
    private_tmp: bool | None = None  # None until the worker reports whether it got its own /tmp
    not_private_why: str = ""
    memory: "Memory | None" = None  # what the platform's memory watch saw (grader.platform.quota)

    @property
    def token(self) -> str:
        return f"{self.scope}{self.name}#{self.number}"

    def stderr_excerpt(self) -> tuple[str, str]:
        """(label, text): the app's own traceback if stderr ends in one, else the last lines."""
        tail = tail_file(self.stderr, 200, max_bytes=65536)
        traceback = app_traceback(tail, str(self.sandbox.app))
        if traceback:
            return "the error it raised", traceback
        return "the last lines of its stderr", tail_text(tail)

    def stdout_tail(self, lines: int = 5) -> str:
        return tail_file(self.stdout, lines)

    @property
    def exited(self) -> bool:
        return self.exit_code is not None

    def record(self, event) -> None:
        """Apply a lifecycle event from the bus (called on the bus's thread, under its lock)."""
        if isinstance(event, Spawned):
            self.pid = event.pid
        elif isinstance(event, Ready):
            self.serving_pid = event.pid
            self.port = event.port or self.port
            self.ready_at = time.monotonic()
        elif isinstance(event, Exited):
            self.exit_code = event.code
        elif isinstance(event, Isolation):
            self.private_tmp, self.not_private_why = event.private, event.why

    def describe_exit(self) -> str:
        if self.exit_code is None:
            return _("still running")
        if self.memory is not None and self.memory.killed:
            return _("SIGKILL: stopped by the platform at its memory limit ({mib} MiB)", mib=self.memory.limit // 2**20)
        return describe_status(self.exit_code)


class Worker:
    """Starts, stops and kills incarnations of one named process, through the fork server."""

    def __init__(self, name: str, kind: str, bus: EventBus, launch, graceful_timeout: float,
                 send_signal=signal_tree):
        self.name = name
        # (pgid, signum) -> bool; tests pass a fake. The default reaches every process the worker
        # started, even one that moved to a process group of its own (grader.platform.proctree).
        self._signal = send_signal
        self.kind = kind
        self.bus = bus
        self._launch = launch  # (Worker, number) -> Incarnation, spawn already ordered
        self.graceful_timeout = graceful_timeout
        self.incarnations: list[Incarnation] = []
        self._background: list[threading.Thread] = []

    @property
    def current(self) -> Incarnation:
        return self.incarnations[-1]

    @property
    def serving(self) -> bool:
        """Ready, alive and not being stopped: the router may send it requests."""
        now = self.incarnations[-1] if self.incarnations else None
        return bool(now and now.ready_at and now.exit_code is None and not now.stop_requested)

    def begin(self) -> Incarnation:
        incarnation = self._launch(self, len(self.incarnations) + 1)
        self.incarnations.append(incarnation)
        return incarnation

    def wait_ready(self, incarnation: Incarnation, timeout: float) -> None:
        """Block until the incarnation reports ready; raise BootFailed if it dies or times out."""
        if incarnation.kind == "web" and incarnation.mode == "exec":
            self._probe_http(incarnation, timeout)
        elif incarnation.kind == "web":
            self.bus.wait_for(lambda: incarnation.ready_at is not None or incarnation.exited, timeout)
        else:  # a process without a port is ready once it runs
            self.bus.wait_for(lambda: incarnation.pid is not None, timeout)
            incarnation.ready_at = incarnation.ready_at or time.monotonic()
        if incarnation.exited or incarnation.ready_at is None:
            timed_out = not incarnation.exited
            status = describe_status(incarnation.exit_code) if not timed_out else None
            reason = (_("was not ready within {timeout:g} s", timeout=timeout) if timed_out
                      else _("exited with {status} before it was ready", status=status) if incarnation.kind == "web"
                      else _("exited with {status} as soon as it started", status=status))
            self.kill(incarnation)
            raise BootFailed(incarnation, reason, timed_out=timed_out)

    def _probe_http(self, incarnation: Incarnation, timeout: float) -> None:
        """Readiness for a web process the grader did not start itself: an HTTP answer on PORT, from
        a socket that the process (or one it started) listens on.

        Such a process sends no readiness event, so the probe polls, each wait bounded by the deadline.
        The port was free when the platform chose it, but another process on this machine may have
        taken it before the app could bind it; its answers must not make the app look ready.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.bus.wait_for(lambda: incarnation.exited, PROBE_INTERVAL):
                return
            if answers_http(incarnation.port) and _listens(incarnation):
                incarnation.ready_at = time.monotonic()
                return

    def stop(self, incarnation: Incarnation, wait: bool = True) -> None:
        """SIGTERM the group, give it ``graceful_timeout`` seconds, then SIGKILL; wipe its disk.

        With ``wait=False`` the escalation finishes on a background thread (used by restart, so the
        next incarnation boots while this one drains).
        """
        incarnation.stop_requested = True
        if not self.bus.wait_for(lambda: incarnation.pid is not None or incarnation.exited, SPAWN_TIMEOUT):
            raise RuntimeError(f"the fork server never started {incarnation.token}")
        if incarnation.exited:
            self._finish(incarnation)
            return
        self._signal(incarnation.pid, signal.SIGTERM)
        if wait:
            self._escalate(incarnation)
        else:
            thread = threading.Thread(target=self._escalate, args=(incarnation,), daemon=True)
            thread.start()
            self._background.append(thread)

    def _escalate(self, incarnation: Incarnation) -> None:
        if not self.bus.wait_for(lambda: incarnation.exited, self.graceful_timeout):
            incarnation.killed_after_term = True
            self._signal(incarnation.pid, signal.SIGKILL)
            self.bus.wait_for(lambda: incarnation.exited, self.graceful_timeout)
        self._finish(incarnation)

    def kill(self, incarnation: Incarnation) -> None:
        """SIGKILL the whole group now (a crash, or the end of a run) and wait for the exit report."""
        incarnation.stop_requested = True
        self.bus.wait_for(lambda: incarnation.pid is not None or incarnation.exited, SPAWN_TIMEOUT)
        if incarnation.pid is not None and not incarnation.exited:
            self._signal(incarnation.pid, signal.SIGKILL)
            self.bus.wait_for(lambda: incarnation.exited, SPAWN_TIMEOUT)
        self._finish(incarnation)

    def _finish(self, incarnation: Incarnation) -> None:
        if incarnation.exited:
            incarnation.sandbox.wipe()

    def join_background(self) -> None:
        for thread in self._background:
            thread.join()
        self._background.clear()
