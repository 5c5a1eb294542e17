"""Speed and steadiness of the ``capstone`` checks.

Prints, beside one cold worker boot (the floor of bench_hits.py), the time to start the platform
with its three backing services, each check of ``grader check capstone`` graded alone, the whole
check, and the waits the contract makes on purpose (an expiry, clock periods, the chaos run's
traffic span). Then grades the reference on several seeds in a row: every one must score full
marks, or the benchmark exits non-zero.

    python benchmarks/bench_capstone.py [--runs 1] [--seeds 10]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_hits import FLOOR_APP, compile_like_an_install, floor_once  # noqa: E402
from grader.checks.capstone import CHECKS  # noqa: E402
from grader.checks.capstone import checks as capstone  # noqa: E402
from grader.checks.capstone.run import AFTERMATH, TTL as CHAOS_TTL  # noqa: E402
from grader.checks.capstone.schedule import SPAN  # noqa: E402
from grader.grading import grade  # noqa: E402

REFERENCE = ROOT / "exercises" / "source" / "capstone" / "capstone.ipynb"
TARGETS = {"chaos": 45.0, "whole": 90.0, "services": 2.0}
DELIBERATE = {  # seconds each check waits because the contract says so
    "sessions": capstone.TTL + 1.0 + 0.5,
    "clock": 4 * capstone.PERIOD + 2 * capstone.PERIOD + 0.5,
    "chaos": SPAN + CHAOS_TTL + 1.0,
}


def timed(function, *args, **options):
    started = time.monotonic()
    value = function(*args, **options)
    return time.monotonic() - started, value


def services_once() -> dict[str, float]:
    """Seconds from asking to answering, for each service the capstone attaches, as a grading run
    starts them (beside the release's build), and the whole platform's start."""
    from grader.checks import exercise
    from grader.platform import Platform
    from grader.platform.source import load
    contract = exercise("capstone")
    started = time.monotonic()
    with Platform(load(REFERENCE), services=contract.services, database=contract.database) as platform:
        whole = time.monotonic() - started
        return {"postgresql": platform.postgres.timings["ready"], "s3": platform.s3.timings["ready"],
                "platform": whole}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs of each timing (median)")
    parser.add_argument("--seeds", type=int, default=10, help="seeds in a row the reference must pass")
    parser.add_argument("--checks", default=",".join(check.name for check in CHECKS),
                        help="the checks to time alone, comma-separated (default: all)")
    args = parser.parse_args()
    compile_like_an_install()
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(FLOOR_APP)
        floor = statistics.median(floor_once(Path(directory)) for _ in range(max(args.runs, 3)))
    services = [services_once() for _ in range(args.runs)]
    rows = [("floor: gunicorn -w 1 + Flask, start to first 200", floor, None)]
    for name in ("postgresql", "s3"):
        rows.append((f"{name} server ready", statistics.median(run[name] for run in services),
                     f"<={TARGETS['services']:g}s"))
    rows.append(("platform: release built, three services ready", statistics.median(run["platform"] for run in services), None))
    failures = []
    for check in [check for check in CHECKS if check.name in args.checks.split(",")]:
        seconds = []
        for _ in range(args.runs):
            took, report = timed(grade, "capstone", REFERENCE, [check.name])
            seconds.append(took)
            if report.score != report.max_score:
                failures.append(report.to_text())
        goal = f"<={TARGETS['chaos']:g}s" if check.name == "chaos" else None
        wait = DELIBERATE.get(check.name)
        rows.append((f"check {check.name}" + (f" (waits {wait:.1f} s on purpose)" if wait else ""),
                     statistics.median(seconds), goal))
    whole = []
    for seed in range(args.seeds):
        took, report = timed(grade, "capstone", REFERENCE, seed=seed)
        whole.append(took)
        if report.score != report.max_score:
            failures.append(f"seed {seed}:\n" + report.to_text())
    if whole:
        rows.append((f"grader check capstone, whole ({args.seeds} seeds)", statistics.median(whole),
                     f"<={TARGETS['whole']:g}s"))
    print(f"reference: {REFERENCE.relative_to(ROOT)}; {os.cpu_count()} cores; chaos tolerance "
          f"{AFTERMATH:g} s after each fault")
    print(f"| {'what':<52} | {'median':>9} | {'x floor':>7} | {'target':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for what, seconds, goal in rows:
        print(f"| {what:<52} | {seconds * 1000:7.0f}ms | {seconds / floor:6.2f}x | {goal or '':>7} |")
    print(f"\nreference full marks on {args.seeds - sum(f.startswith('seed') for f in failures)}/{args.seeds} seeds")
    if failures:
        print("\n\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
