"""Speed of the ``assets`` grading, as ratios to the floor measured in the same run.

The floor is the one of bench_hits.py: ``gunicorn -w 1`` serving Flask, from start to its first
HTTP 200. Beside the full ``grader check assets`` on the reference notebook (target: 5x the floor),
the table shows what the assets checks add to a grading run: running build.py once, building a
release again with one rule edited, and rolling two workers onto it.

    python benchmarks/bench_assets.py [--runs 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_hits import FLOOR_APP, floor_once, compile_like_an_install  # noqa: E402  (one floor for every benchmark)

from grader.platform import Platform  # noqa: E402
from grader.platform.source import load  # noqa: E402

REFERENCE = ROOT / "exercises" / "source" / "assets" / "assets.ipynb"
EDIT = ("assets/03-theme.css", "h1 { color: #5e81ac; }\n")
TARGET = 5.0


def builds_and_deploys(runs: int) -> tuple[list[float], list[float], list[float]]:
    """(build.py's own run, a whole rebuild, a rolling deploy of 2 workers), in seconds, per run."""
    builds, rebuilds, deploys = [], [], []
    with Platform(load(REFERENCE)) as platform:
        builds.append(platform.release.build.seconds)
        cluster = platform.cluster({"web": 2})
        for run in range(runs):
            started = time.monotonic()
            release = platform.rebuild({EDIT[0]: EDIT[1] + f"/* run {run} */\n"})
            rebuilds.append(time.monotonic() - started)
            builds.append(release.build.seconds)
            started = time.monotonic()
            cluster.deploy(release=release)
            assert cluster.get("/", worker="web.2").status == 200
            deploys.append(time.monotonic() - started)
    return builds, rebuilds, deploys


def cli_once(path: Path) -> float:
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "grader", "check", "assets", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"the reference solution did not pass:\n{run.stdout}{run.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    compile_like_an_install()
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(FLOOR_APP)
        floor = statistics.median(floor_once(Path(directory)) for _ in range(args.runs))
    builds, rebuilds, deploys = builds_and_deploys(args.runs)
    cli = [cli_once(REFERENCE) for _ in range(args.runs)]
    rows = [("floor: gunicorn -w 1 + Flask, start to first 200", floor, None),
            ("build.py itself (python build.py, audited)", statistics.median(builds), None),
            ("rebuild a release with one rule edited", statistics.median(rebuilds), None),
            ("deploy it: roll 2 workers, one at a time", statistics.median(deploys), None),
            ("full `grader check assets` (CLI)", statistics.median(cli), TARGET)]
    print(f"reference app: {REFERENCE.relative_to(ROOT)}; median of {args.runs} runs; {os.cpu_count()} cores\n")
    print(f"| {'what':<52} | {'median':>9} | {'x floor':>7} | {'target':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for what, seconds, target in rows:
        goal = f"<= {target:g}x" if target else ""
        print(f"| {what:<52} | {seconds * 1000:7.0f}ms | {seconds / floor:6.2f}x | {goal:>7} |")


if __name__ == "__main__":
    main()
