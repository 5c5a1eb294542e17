"""The session's stall watch (tests/stalls.py) sees a process that was not run for a while, as when
a virtual machine is paused, and nothing on a machine that keeps running it."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); from stalls import StallWatch; watch = StallWatch(); "
         "print('ready', flush=True); input(); print('\\n'.join(watch.summary()), flush=True)")


def watched(pause: float) -> str:
    """What a stall watch in a child process reports after the child was stopped for ``pause`` s."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(__file__).parent)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        if pause:
            child.send_signal(signal.SIGSTOP)
            time.sleep(pause)
            child.send_signal(signal.SIGCONT)
        out, _ = child.communicate("\n", timeout=30)
        return out
    finally:
        child.kill()


def test_a_process_stopped_for_two_seconds_reports_one_stall_of_about_two_seconds():
    out = watched(2.0)
    assert out.startswith("Machine stalls during the session (1)"), out
    late = float(out.splitlines()[1].split(": ")[1].split(" s")[0])
    assert 1.8 <= late <= 10, out


def test_a_process_that_keeps_running_reports_no_stall():
    out = watched(0)
    assert out.startswith("No machine stall of 1 s or more during the session"), out
