"""Nothing outlives a run, however it ends: a signal to the command line, a grader killed outright,
or a run that died long ago and left its processes and folder behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SESSION_TAG, alive, grader_processes
from grader.platform import runs
from grader.platform import Platform
from grader.platform.processes import RUN_MARKER
from grader.platform.source import AppSource

APPS = Path(__file__).parent / "apps"
ROOT = Path(__file__).resolve().parent.parent
CLEANUP_DEADLINE = 15.0  # seconds: stopping takes about 0.1 s; this only bounds a hang


def our_run_folders() -> list[Path]:
    return sorted(path for path in runs.base().iterdir() if path.name.startswith(SESSION_TAG))


def wait_until(condition, what: str, deadline: float = CLEANUP_DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"still there after {deadline:g} s: {what}"
        time.sleep(0.05)


def assert_everything_gone(folder: Path, store_pid: int) -> None:
    wait_until(lambda: not grader_processes(), f"processes {grader_processes()}")
    wait_until(lambda: not alive(store_pid), f"the store, pid {store_pid}")
    wait_until(lambda: not folder.exists(), f"the run folder {folder}")


def has_workers(folder: Path) -> bool:
    try:
        return any((folder / "workers").iterdir())
    except OSError:  # the run is still making its folders
        return False


def store_pid_of(folder: Path) -> int:
    wait_until(lambda: (folder / runs.PIDS).exists(), "the store's pid record")
    return int((folder / runs.PIDS).read_text().split()[0])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
def test_grader_demo_stops_everything_on_a_signal(signum):
    before = our_run_folders()
    process = subprocess.Popen([sys.executable, "-m", "grader", "demo", "hits", str(APPS / "hits" / "redis_counter"),
                                "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert " behind http://" in process.stdout.readline()
        folder, = [path for path in our_run_folders() if path not in before]
        store = store_pid_of(folder)
        assert alive(store) and len(grader_processes()) >= 3  # fork server and two workers
        process.send_signal(signum)
        code = process.wait(timeout=CLEANUP_DEADLINE)
    finally:
        process.kill()
        process.wait()
    stderr = process.stderr.read()
    assert code == 0, (code, stderr)
    assert "Traceback" not in stderr
    assert_everything_gone(folder, store)


def test_grader_check_stopped_by_sigterm_says_so_and_stops_everything():
    before = our_run_folders()
    process = subprocess.Popen([sys.executable, "-m", "grader", "check", "hits", str(APPS / "platform" / "slow_answers")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: [p for p in our_run_folders() if p not in before and has_workers(p)],
                   "a run with started workers")
        folder, = [path for path in our_run_folders() if path not in before]
        store = store_pid_of(folder)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=CLEANUP_DEADLINE) == 128 + signal.SIGTERM
    finally:
        process.kill()
        process.wait()
    stderr = process.stderr.read()
    assert stderr.strip() == "grader: stopped by SIGTERM; everything it started has been stopped.", stderr
    assert_everything_gone(folder, store)


KILLED_GRADER = """
import json, sys
import grader
with grader.launch(sys.argv[1], workers=2) as cluster:
    platform = cluster.platform
    print(json.dumps({"folder": str(platform.root), "store": platform.redis.process.pid}), flush=True)
    sys.stdin.read()
"""


def test_a_grader_killed_outright_takes_its_store_workers_and_folder_with_it():
    process = subprocess.Popen([sys.executable, "-c", KILLED_GRADER, str(APPS / "platform" / "background_child")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        started = json.loads(process.stdout.readline())
        folder, store = Path(started["folder"]), started["store"]
        assert alive(store) and len(grader_processes()) >= 3
        process.kill()  # SIGKILL: no atexit, no finally, nothing of the grader's own runs
    finally:
        process.kill()
        process.wait()
    assert_everything_gone(folder, store)


def test_the_next_run_removes_what_a_dead_run_left_and_leaves_live_runs_alone():
    dead_run = SESSION_TAG + "deadrun00001"
    folder = runs.base() / dead_run
    (folder / runs.RELEASE).mkdir(parents=True)
    (folder / runs.RELEASE / "app.py").write_text("frozen")
    for path in (folder / runs.RELEASE / "app.py", folder / runs.RELEASE):
        path.chmod(0o500)
    daemon = subprocess.Popen(["sleep", "600"], env={**os.environ, RUN_MARKER: dead_run}, start_new_session=True)
    titled = subprocess.Popen(["sleep", "601"], start_new_session=True)  # found only by its recorded pid
    runs.record_pid(folder, titled.pid)
    gone = subprocess.Popen(["true"])
    gone.wait()
    # The dead owner comes last: from then on any run may clean this one up (another test worker's
    # too), and it must find every process of the dead run already there. Until then the folder
    # looks like a run that is just starting, which every run leaves alone.
    (folder / runs.OWNER).write_text(f"{gone.pid} 1")  # an owner that no longer exists
    live = runs.base() / (SESSION_TAG + "liverun00001")
    live.mkdir()
    (live / runs.OWNER).write_text(f"{os.getpid()} {runs.start_ticks(os.getpid())}")
    try:
        with Platform(AppSource("probe", {"app.py": b"from flask import Flask\napp = Flask(__name__)\n"})):
            pass
        assert daemon.wait(timeout=5) == -signal.SIGKILL
        assert titled.wait(timeout=5) == -signal.SIGKILL
        assert not folder.exists()
        assert live.exists()
    finally:
        for process in (daemon, titled):
            process.kill()
            process.wait()
        runs.clean(live)
