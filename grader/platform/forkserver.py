"""The grader's side of the fork server (see :mod:`grader.platform.zygote`), and the run it belongs to.

The fork server's preload (gunicorn, Flask, redis: about 300 ms) is the longest step of a grading
run, so :func:`warm_up` lets the CLI start it before the rest of the grader is even imported; the
platform then adopts it with :func:`take_warm` instead of starting its own.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

from . import runs, template
from .processes import RUN_MARKER, RUN_TAG, signal_group  # noqa: F401 (RUN_TAG: named here too)
from .zygote import CLOSING

STOP_TIMEOUT = 3.0


class ForkServer:
    """Starts the zygote at once (it preloads while the release builds) and sends it spawn orders."""

    def __init__(self, root: Path, events: str, log: Path, env: dict[str, str]):
        env = zygote_env(env)
        self._lock = threading.Lock()
        self._closing = root / CLOSING
        # In a batch (grader autograde) the batch's template forks one, preloaded already.
        self.process = _forked(root, events, log, env)
        if self.process is None:
            with open(log, "wb") as handle:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "grader.platform.zygote", events, str(root)], stdin=subprocess.PIPE,
                    stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd="/")

    def spawn(self, spec: dict) -> None:
        """Ask for one process; its birth and death arrive later as events on the bus.

        Checks run side by side, so orders may come from several threads: one line at a time.
        """
        assert self.process.stdin is not None
        line = json.dumps(spec).encode() + b"\n"
        with self._lock:
            self.process.stdin.write(line)
            self.process.stdin.flush()

    def close(self) -> None:
        """Closing stdin makes the zygote kill every group it started and exit; the ``closing`` file
        tells it that this was on purpose (without it, it cleans the run up for a grader that died)."""
        try:
            self._closing.touch()
        except OSError:
            pass
        try:
            if self.process.stdin:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            signal_group(self.process.pid, 9)
            self.process.wait()


def zygote_env(env: dict[str, str]) -> dict[str, str]:
    """A fork server's start-up environment: ``env``, and this very copy of the grader on the path,
    whatever is installed elsewhere."""
    return {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


def _forked(root: Path, events: str, log: Path, env: dict[str, str]) -> template.Forked | None:
    """A fork server forked by this batch's template (:mod:`grader.platform.template`), or None."""
    if not template.serves(template.ZYGOTE):
        return None
    order_read, order_write = os.pipe()
    log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        forked = template.start(template.ZYGOTE, {"events": events, "root": str(root), "env": env, "cwd": "/"},
                                (order_read, log_fd, log_fd))
    finally:
        os.close(order_read)
        os.close(log_fd)
    if forked is None:
        os.close(order_write)
        return None
    forked.stdin = os.fdopen(order_write, "wb")
    return forked


class Run:
    """One grading run's identity: its marker, its private directory and its fork server."""

    def __init__(self) -> None:
        runs.remove_dead()
        self.run_id = os.environ.get(RUN_TAG, "") + uuid.uuid4().hex[:12]
        self.root = runs.create(self.run_id)
        for name in ("logs", "workers"):
            (self.root / name).mkdir()
        self.events = str(self.root / "events.sock")
        self.forkserver = ForkServer(self.root, self.events, self.root / "logs" / "zygote.log",
                                     base_env(self.run_id))


def base_env(run_id: str) -> dict[str, str]:
    """What every process of a run starts from: a usable PATH and locale, and the run's marker."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")])
    return {"PATH": path, "LANG": os.environ.get("LANG", "C.UTF-8"), RUN_MARKER: run_id,
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}


_warm: Run | None = None


def warm_up() -> None:
    """Start the next run's fork server now (the CLI calls this before importing the rest)."""
    global _warm
    if _warm is None:
        _warm = Run()


def take_warm() -> Run:
    """The warmed-up run if there is one, else a new one."""
    global _warm
    run, _warm = _warm or Run(), None
    return run


def discard_warm() -> None:
    """Stop a warmed-up fork server nobody adopted (the input turned out to be unusable)."""
    global _warm
    if _warm is not None:
        _warm.forkserver.close()
        runs.clean(_warm.root)
        _warm = None
