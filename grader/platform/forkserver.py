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

from . import runs
from .processes import RUN_MARKER, signal_group

STOP_TIMEOUT = 3.0
RUN_TAG = "FACTOR_SIX_RUN_TAG"  # optional prefix for run ids, e.g. to tell one test session's runs apart


class ForkServer:
    """Starts the zygote at once (it preloads while the release builds) and sends it spawn orders."""

    def __init__(self, root: Path, events: str, log: Path, env: dict[str, str]):
        # The zygote must run this very copy of the grader, whatever is installed elsewhere.
        env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        self._lock = threading.Lock()
        with open(log, "wb") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader.platform.zygote", events, str(root)], stdin=subprocess.PIPE, stdout=handle,
                stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd="/")

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
        """Closing stdin makes the zygote kill every group it started and exit."""
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
