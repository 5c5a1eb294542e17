"""The grader's side of the fork server (see :mod:`grader.zygote`)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .processes import signal_group

STOP_TIMEOUT = 3.0


class ForkServer:
    """Starts the zygote at once (it preloads while the release builds) and sends it spawn orders."""

    def __init__(self, events: str, log: Path, env: dict[str, str]):
        with open(log, "wb") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader.zygote", events], stdin=subprocess.PIPE, stdout=handle,
                stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=log.parent)

    def spawn(self, spec: dict) -> None:
        """Ask for one process; its birth and death arrive later as events on the bus."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(spec).encode() + b"\n")
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
