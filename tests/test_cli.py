"""The command line, run as a person runs it: exit codes, output, and no grader tracebacks."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

APPS = Path(__file__).parent / "apps"


def grader(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def test_check_passes_with_exit_0_and_prints_every_check():
    run = grader("check", "hits", str(APPS / "hits" / "redis_counter"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("hits: 10/10 points")
    assert run.stdout.count("[PASS]") == 6


@pytest.mark.parametrize("folder", ["/tmp", "/"])
def test_check_gives_the_same_verdict_from_any_working_directory(folder):
    """Run from /tmp, `python -m grader` has /tmp on sys.path; the workers' private /tmp must stay theirs."""
    run = grader("check", "hits", str((APPS / "hits" / "redis_counter").resolve()), cwd=folder)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("hits: 10/10 points")


def test_check_json_has_the_documented_shape_and_exit_1_on_failure():
    run = grader("check", "hits", str(APPS / "hits" / "global_counter"), "--json", "--seed", "4")
    assert run.returncode == 1
    report = json.loads(run.stdout)
    assert set(report) == {"exercise", "score", "max_score", "checks"}
    assert report["exercise"] == "hits" and report["max_score"] == 10 and report["score"] < 10
    for check in report["checks"]:
        assert {"name", "passed", "points", "max_points", "feedback"} <= set(check)


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    nb = tmp_path / "empty.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    cases = {("check", "nope", str(APPS / "hits" / "redis_counter")): "unknown exercise 'nope'",
             ("check", "hits", str(tmp_path / "missing")): "does not exist",
             ("check", "hits", str(nb)): "no %%writefile app.py cell",
             ("check", "hits", str(tmp_path / "notes.txt")): "neither a folder nor a notebook",
             ("check",): "usage"}
    for args, message in cases.items():
        run = grader(*args)
        assert run.returncode == 2, args
        assert message in run.stderr, (args, run.stderr)
        assert "Traceback" not in run.stderr


def test_an_app_that_crashes_is_graded_as_could_not_grade_without_grader_traceback():
    run = grader("check", "hits", str(APPS / "platform" / "crash_at_import"))
    assert run.returncode == 1
    assert "[NOT GRADED] agreement" in run.stdout
    assert "exited with exit code 3" in run.stdout
    assert run.stderr == ""


def test_list_names_every_check_with_its_points():
    run = grader("list")
    assert run.returncode == 0
    for name in ("agreement", "restart_all", "no_local_disk", "random_routing", "crash", "burst"):
        assert name in run.stdout


def test_demo_serves_a_front_door_until_interrupted():
    import signal
    import urllib.request
    process = subprocess.Popen([sys.executable, "-m", "grader", "demo", "hits", str(APPS / "hits" / "redis_counter"),
                                "--workers", "2"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = line.split(" behind ")[1].split(" ")[0]
        served = []
        for _ in range(4):
            request = urllib.request.Request(url + "/hits", method="POST")
            with urllib.request.urlopen(request, timeout=10) as reply:
                served.append(reply.headers["X-Served-By"])
                last = json.loads(reply.read())
        assert last == {"hits": 4}
        assert served == ["web.1", "web.2", "web.1", "web.2"]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_only_runs_the_named_checks_in_the_order_given():
    run = grader("check", "hits", str(APPS / "hits" / "redis_counter"), "--only", "burst,agreement", "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert [check["name"] for check in report["checks"]] == ["burst", "agreement"]
    assert report["max_score"] == 4
    wrong = grader("check", "hits", str(APPS / "hits" / "redis_counter"), "--only", "agreement,nope")
    assert wrong.returncode == 2 and "hits has no check 'nope'" in wrong.stderr


def _demo_banner(exercise: str, app: Path, *extra: str) -> str:
    """The line `grader demo` prints once its cluster serves; the demo is then interrupted."""
    import signal
    process = subprocess.Popen([sys.executable, "-m", "grader", "demo", exercise, str(app), "--workers", "1", *extra],
                               stdout=subprocess.PIPE, text=True)
    try:
        return process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0


def test_demo_runs_the_process_types_and_services_of_the_exercise():
    jobs = _demo_banner("jobs", APPS / "jobs" / "reliable")
    assert "1 workers behind http://127.0.0.1:" in jobs and "and 1 worker process" in jobs, jobs
    assert "attached: DATABASE_URL, REDIS_URL" in jobs, jobs
    assets = _demo_banner("assets", APPS / "assets" / "hashed")
    assert "attached: no backing service" in assets and "worker process" not in assets, assets


def test_demo_of_an_app_without_a_process_type_its_exercise_needs_is_bad_input():
    run = grader("demo", "jobs", str(APPS / "hits" / "redis_counter"))
    assert run.returncode == 2
    assert "this needs worker processes, but the app's Procfile declares only web" in run.stderr, run.stderr
