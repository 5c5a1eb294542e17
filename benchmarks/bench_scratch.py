"""Speed of the scratch exercise's grading, as ratios to a floor measured in the same run.

The floor is bench_hits.py's: ``gunicorn -w 1`` serving a bare Flask app, from start to its first
HTTP 200. The table gives, as medians of several runs, the 64 MB download the ``bounded_memory`` check
makes the app do, alone at loopback speed (the grader's file server to a client that streams it to
nowhere) and with the least work a correct app must add (decoding it and summing a CSV column), and
the full ``grader check scratch`` on the reference solution. The check's own cost is the full check
minus the transfer and the parsing a correct app cannot avoid, as a multiple of the floor (target:
5x). Last, how reliably the concurrency check catches a fixed scratch path
(tests/apps/scratch/fixed_scratch_path), which must be every time.

    python benchmarks/bench_scratch.py [--runs 5] [--mix-runs 20]
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_hits import FLOOR_APP, floor_once, compile_like_an_install  # noqa: E402 (the same floor, measured the same way)
from grader.checks.scratch.data import large  # noqa: E402
from grader.checks.scratch.load import BIG  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.checks.scratch.files import FileServer  # noqa: E402

REFERENCE = ROOT / "exercises" / "source" / "scratch" / "scratch.ipynb"
FALLBACK = ROOT / "tests" / "apps" / "scratch" / "redis_reports"
MIXER = ROOT / "tests" / "apps" / "scratch" / "fixed_scratch_path"
TARGET = 5.0  # the check's overhead, as a multiple of the floor
PIECE = 1 << 20


def transfer_once(url: str, parse: bool) -> float:
    """Seconds to download ``url`` streaming (and, if ``parse``, to sum its amount column too)."""
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as response:
        if parse:
            rows = csv.DictReader(io.TextIOWrapper(response, encoding="utf-8", newline=""))
            sum((Decimal(row["amount"]) for row in rows), Decimal(0))
        else:
            while response.read(PIECE):
                pass
    return time.monotonic() - started


def transfers(runs: int) -> tuple[float, float]:
    """Median seconds of the bare 64 MB download, and of the download with the CSV summed."""
    data = large(random.Random(0), BIG)
    with FileServer() as files:
        url = files.publish("/big.csv", data.body, chunked=True)
        bare = statistics.median(transfer_once(url, parse=False) for _ in range(runs))
        parsed = statistics.median(transfer_once(url, parse=True) for _ in range(runs))
    return bare, parsed


def cli_once(path: Path) -> float:
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "grader", "check", "scratch", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"the reference solution did not pass:\n{run.stdout}{run.stderr}")
    return elapsed


def mix_rate(runs: int) -> int:
    """In how many of ``runs`` seeds the concurrency check failed the fixed-scratch-path app."""
    return sum(grade("scratch", MIXER, ["concurrent"], seed=seed).results[0].status == "failed"
               for seed in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mix-runs", type=int, default=20)
    args = parser.parse_args()
    compile_like_an_install()
    reference = REFERENCE if REFERENCE.exists() else FALLBACK
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(FLOOR_APP)
        floor = statistics.median(floor_once(Path(directory)) for _ in range(args.runs))
    bare, parsed = transfers(args.runs)
    full = statistics.median(cli_once(reference) for _ in range(args.runs))
    rows = [("floor: gunicorn -w 1 + Flask, start to first 200", floor, None),
            ("64 MB download alone (loopback, streamed)", bare, None),
            ("64 MB download + summing its CSV, one process", parsed, None),
            ("full `grader check scratch` (CLI)", full, None),
            ("full check minus the download", full - bare, None),
            ("full check minus the download and the app's parsing", full - parsed, TARGET)]
    print(f"reference app: {reference.relative_to(ROOT)}; median of {args.runs} runs; {os.cpu_count()} cores\n")
    print(f"| {'what':<52} | {'median':>9} | {'x floor':>7} | {'target':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for what, seconds, target in rows:
        goal = f"<= {target:g}x" if target else ""
        print(f"| {what:<52} | {seconds * 1000:7.0f}ms | {seconds / floor:6.2f}x | {goal:>7} |")
    print(f"\nthe 64 MB transfer runs at {BIG / bare / 2**20:.0f} MB/s")
    if args.mix_runs:
        failed = mix_rate(args.mix_runs)
        print(f"a fixed scratch path (tests/apps/scratch/fixed_scratch_path) failed the concurrent check in "
              f"{failed}/{args.mix_runs} runs ({100 * failed / args.mix_runs:.0f}%; required: 100%)")


if __name__ == "__main__":
    main()
