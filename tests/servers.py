"""Servers the tests start in a session of their own (a Jupyter server, a file server), and how they
end: TERM to the whole group, a grace period, then KILL, always reaped."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess

STOP_GRACE = 10.0  # seconds between TERM and KILL


def stop_group(process: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """End ``process`` (started with ``start_new_session=True``) and everything in its group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
