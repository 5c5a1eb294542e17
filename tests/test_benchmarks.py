"""Every benchmark runs: one tiny iteration each, so a moved module or a changed API cannot break
one unseen. The figures are not judged here (benchmarks measure; tests do not time), only that
each finishes and prints its table."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| \S.* \| +\d+ms \| +[\d.]+x \|", re.MULTILINE)  # a row of the timing table
# a class of 2, stock and ours, then the profile's row for the checks
CLASS_ROW = re.compile(r"^ +2 +[\d.]+ s +[\d.]+ s .*^checks +[\d.]+ +[\d.]+ +\d+%$", re.MULTILINE | re.DOTALL)
BINDER_ROW = re.compile(r"^\| check:hits +\| +[\d.]+s \| +\d+ MiB \| (met|MISSED) ", re.MULTILINE)
TINY = {
    "bench_hits.py": (["--runs", "1", "--race-runs", "1"], ROW),
    "bench_assets.py": (["--runs", "1"], ROW),
    "bench_sessions.py": (["--runs", "1"], ROW),
    "bench_scratch.py": (["--runs", "1", "--mix-runs", "1"], ROW),
    "bench_jobs.py": (["--runs", "1", "--stability-runs", "1"], ROW),
    "bench_capstone.py": (["--runs", "1", "--seeds", "0", "--checks", "contract"], ROW),
    "bench_classroom.py": (["--sizes", "2", "--profile"], CLASS_ROW),
    "bench_binder.py": (["--lessons", "00.00", "--check", "hits", "--cpus", "1"], BINDER_ROW),
}
# each on a test process of its own where there is one free: they are whole grading runs
EACH = [pytest.param(name, marks=pytest.mark.xdist_group(f"bench-{name}")) for name in sorted(TINY)]


def test_every_benchmark_has_a_smoke_run():
    assert sorted(TINY) == sorted(path.name for path in (ROOT / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", EACH)
def test_benchmark_runs_once_and_prints_its_table(script):
    args, table = TINY[script]
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=280)
    assert run.returncode == 0, f"{script} exited with {run.returncode}:\n{run.stdout}\n{run.stderr[-3000:]}"
    assert table.search(run.stdout), f"{script} printed no table row:\n{run.stdout}"
