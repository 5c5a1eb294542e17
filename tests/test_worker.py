"""Worker supervision with fakes: the escalation and boot rules, without any real process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.platform.sandbox import Sandbox
from grader.platform.worker import BootFailed, Incarnation, Worker


class InstantBus:
    """Answers every wait at once: the condition either holds already or it never will."""

    def wait_for(self, condition, timeout):
        return condition()


def make_worker(tmp_path: Path, on_signal, graceful: float = 3.0, **incarnation):
    sent = []

    def send(pgid, signum):
        sent.append(signal.Signals(signum).name)
        on_signal(worker.current, signum)
        return True

    def launch(worker, number):
        root = tmp_path / f"{worker.name}-{number}"
        sandbox = Sandbox.create(root, tmp_path / "release")
        return Incarnation(worker.name, number, "web", sandbox, root / "out", root / "err", 8000,
                           pid=4242, **incarnation)

    (tmp_path / "release").mkdir(exist_ok=True)
    worker = Worker("web.1", "web", InstantBus(), launch, graceful, send_signal=send)
    worker.begin()
    return worker, sent


def exit_on(wanted):
    def on_signal(incarnation, signum):
        if signum == wanted:
            incarnation.exit_code = -signum
    return on_signal


def test_a_polite_process_gets_sigterm_only_and_loses_its_disk(tmp_path):
    worker, sent = make_worker(tmp_path, exit_on(signal.SIGTERM))
    worker.stop(worker.current)
    assert sent == ["SIGTERM"]
    assert not worker.current.killed_after_term
    assert not worker.current.sandbox.root.exists()


def test_a_process_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path):
    worker, sent = make_worker(tmp_path, exit_on(signal.SIGKILL))
    worker.stop(worker.current)
    assert sent == ["SIGTERM", "SIGKILL"]
    assert worker.current.killed_after_term and worker.current.exit_code == -9


def test_a_process_that_dies_while_booting_fails_with_its_exit_code(tmp_path):
    worker, sent = make_worker(tmp_path, exit_on(signal.SIGKILL), exit_code=3)
    with pytest.raises(BootFailed) as failure:
        worker.wait_ready(worker.current, timeout=1.0)
    assert failure.value.reason == "exited with exit code 3 before it was ready"
    assert not failure.value.timed_out
    assert sent == []  # nothing left to kill


def test_a_process_that_never_gets_ready_is_killed_at_the_deadline(tmp_path):
    worker, sent = make_worker(tmp_path, exit_on(signal.SIGKILL))
    with pytest.raises(BootFailed) as failure:
        worker.wait_ready(worker.current, timeout=2.5)
    assert failure.value.reason == "was not ready within 2.5 s" and failure.value.timed_out
    assert sent == ["SIGKILL"]


def test_the_fork_server_builds_gunicorns_parser_once_and_every_worker_parses_with_it():
    probe = ("import grader.platform.zygote as z; z.preload(); from gunicorn.config import Config; "
             "first = Config(z.GUNICORN_USAGE, prog='gunicorn').parser(); "
             "second = Config(z.GUNICORN_USAGE, prog='gunicorn').parser(); "
             "print(first is second, first.parse_args(['app:app', '--threads', '4']).threads)")
    said = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert said == ["True", "4"]


def test_a_bounded_command_ends_at_its_deadline_even_when_a_child_of_its_own_session_holds_the_output(tmp_path):
    from grader.platform.processes import run_bounded

    pidfile = tmp_path / "stray.pid"
    script = (f"import subprocess, time; subprocess.Popen(['setsid', 'sh', '-c', 'echo $$ > {pidfile}; "
              "exec sleep 30']); time.sleep(30)")
    started = time.monotonic()
    done = run_bounded([sys.executable, "-c", script], cwd=tmp_path, env={"PATH": os.environ["PATH"]}, timeout=0.5)
    try:
        assert done.returncode is None and time.monotonic() - started < 5
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
