"""Speed of the grader, as ratios to a floor measured in the same run.

The floor is the cheapest honest way to serve one Flask app with gunicorn: ``gunicorn -w 1`` started
from nothing until its first HTTP 200 (a connect is not enough: gunicorn accepts connections before
the app can answer). Everything else is reported as a median of several runs and as a multiple of
that floor, so the table means the same on a faster or slower machine.

    python benchmarks/bench_hits.py [--runs 7] [--race-runs 100]
"""
from __future__ import annotations

import argparse
import compileall
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.platform import Platform  # noqa: E402
from grader.platform.ports import free_port  # noqa: E402
from grader.platform.source import load  # noqa: E402

FLOOR_APP = "from flask import Flask\napp = Flask(__name__)\n\n\n@app.get('/')\ndef index():\n    return 'ok'\n"
REFERENCE = ROOT / "exercises" / "source" / "hits" / "hits.ipynb"
FALLBACK = ROOT / "tests" / "apps" / "hits" / "redis_counter"


def compile_like_an_install() -> None:
    """Compile the grader to bytecode, as pip does for an installed package. gunicorn and Flask,
    which the floor runs, were compiled when they were installed; without this, a shell with
    PYTHONDONTWRITEBYTECODE=1 (common in containers) would time the grader compiling itself."""
    compileall.compile_dir(ROOT / "grader", quiet=1)


def floor_once(directory: Path) -> float:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "app:app"],
                               cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/")
                if connection.getresponse().status == 200:
                    return time.monotonic() - started
            except OSError:
                time.sleep(0.001)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def served(cluster, name: str) -> None:
    response = cluster.get("/hits", worker=name)
    assert response.status == 200, response.describe()


def boot_and_restart(source, runs: int) -> tuple[list[float], list[float]]:
    boots, restarts = [], []
    with Platform(source) as platform:
        platform.cluster({"web": 1}).close()  # the fork server has finished preloading
        for _ in range(runs):
            started = time.monotonic()
            cluster = platform.cluster({"web": 1})
            served(cluster, "web.1")
            boots.append(time.monotonic() - started)
            started = time.monotonic()
            cluster.restart("web.1")
            served(cluster, "web.1")
            restarts.append(time.monotonic() - started)
            cluster.close()
    return boots, restarts


def cli_once(path: Path) -> float:
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "grader", "check", "hits", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"the reference solution did not pass:\n{run.stdout}{run.stderr}")
    return elapsed


def race_rate(runs: int) -> tuple[int, int]:
    app = ROOT / "tests" / "apps" / "hits" / "redis_race"
    failed = sum(grade("hits", app, ["burst"], seed=seed).results[0].status == "failed" for seed in range(runs))
    return failed, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--race-runs", type=int, default=100)
    args = parser.parse_args()
    compile_like_an_install()
    reference = REFERENCE if REFERENCE.exists() else FALLBACK
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(FLOOR_APP)
        floor = statistics.median(floor_once(Path(directory)) for _ in range(args.runs))
    boots, restarts = boot_and_restart(load(reference), args.runs)
    cli = [cli_once(reference) for _ in range(args.runs)]
    rows = [("floor: gunicorn -w 1 + Flask, start to first 200", floor, None),
            ("cold worker boot to first 200", statistics.median(boots), None),
            ("restart one worker to first 200", statistics.median(restarts), 0.5),
            ("full `grader check hits` (CLI)", statistics.median(cli), 5.0)]
    print(f"reference app: {reference.relative_to(ROOT)}; median of {args.runs} runs; {os.cpu_count()} cores\n")
    print(f"| {'what':<52} | {'median':>9} | {'x floor':>7} | {'target':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for what, seconds, target in rows:
        ratio = seconds / floor
        goal = f"<= {target:g}x" if target else ""
        print(f"| {what:<52} | {seconds * 1000:7.0f}ms | {ratio:6.2f}x | {goal:>7} |")
    if args.race_runs:
        failed, runs = race_rate(args.race_runs)
        print(f"\nread-then-write race (tests/apps/hits/redis_race) failed the burst check in {failed}/{runs} runs "
              f"({100 * failed / runs:.1f}%; required >= 99%)")


if __name__ == "__main__":
    main()
