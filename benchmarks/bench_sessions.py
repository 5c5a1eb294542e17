"""Speed of the sessions checks, as ratios to the floor of bench_hits.py, measured in the same run.

The expiry check waits on purpose: a session must sit idle for SESSION_TTL + 1 seconds before it may
be required to be gone. That time is reported on its own line; the target applies to what is left
once it is taken away (the full check minus the deliberate waiting, at most 5x the floor).

    python benchmarks/bench_sessions.py [--runs 5]
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_hits import FLOOR_APP, floor_once, compile_like_an_install  # noqa: E402  the same floor, measured the same way
from grader.checks.sessions.checks import CHECKS  # noqa: E402
from grader.checks.sessions.expiry import GRACE, TTL  # noqa: E402
from grader.grading import grade  # noqa: E402

REFERENCE = ROOT / "exercises" / "source" / "sessions" / "sessions.ipynb"
FALLBACK = ROOT / "tests" / "apps" / "sessions" / "redis_sessions"
WAITING = TTL + GRACE  # seconds the expiry check leaves a session idle, on purpose
TARGET = 5.0  # the full check minus the deliberate waiting, as a multiple of the floor


def cli_once(path: Path) -> float:
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "grader", "check", "sessions", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"the reference solution did not pass:\n{run.stdout}{run.stderr}")
    return elapsed


def checks_once(path: Path, names: list[str]) -> float:
    started = time.monotonic()
    report = grade("sessions", path, names)
    elapsed = time.monotonic() - started
    if not report.passed:
        raise SystemExit(f"the reference solution did not pass:\n{report.to_text()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_like_an_install()
    reference = REFERENCE if REFERENCE.exists() else FALLBACK
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(FLOOR_APP)
        floor = statistics.median(floor_once(Path(directory)) for _ in range(args.runs))
    cli = statistics.median(cli_once(reference) for _ in range(args.runs))
    expiry = statistics.median(checks_once(reference, ["idle_expiry"]) for _ in range(args.runs))
    others = [check.name for check in CHECKS if check.name != "idle_expiry"]
    rest = statistics.median(checks_once(reference, others) for _ in range(args.runs))
    rows = [("floor: gunicorn -w 1 + Flask, start to first 200", floor, None),
            ("full `grader check sessions` (CLI)", cli, None),
            (f"  of which waiting on purpose (TTL {TTL} s + {GRACE:g} s)", WAITING, None),
            ("  full check minus the waiting", cli - WAITING, TARGET),
            ("idle_expiry alone (in-process)", expiry, None),
            (f"the {len(others)} other checks (in-process)", rest, None)]
    print(f"reference app: {reference.relative_to(ROOT)}; median of {args.runs} runs; {os.cpu_count()} cores\n")
    print(f"| {'what':<52} | {'median':>9} | {'x floor':>7} | {'target':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for what, seconds, target in rows:
        goal = f"<= {target:g}x" if target else ""
        print(f"| {what:<52} | {seconds * 1000:7.0f}ms | {seconds / floor:6.2f}x | {goal:>7} |")


if __name__ == "__main__":
    main()
