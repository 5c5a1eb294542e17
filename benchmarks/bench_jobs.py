"""Speed of the ``jobs`` checks, as ratios to a floor measured in the same run, and how steady the
``parallel`` check's verdict is.

The floor is the one of bench_hits.py: ``gunicorn -w 1`` + Flask from start to its first HTTP 200.
The ``jobs`` checks also wait for real, CPU-bound jobs (count_primes), which no grader can make
faster; the table reports the CPU time those jobs need, measured here, and the grader's overhead:
the full check minus that CPU time spread over the machine's cores.

The stability part runs the ``parallel`` check again and again on fresh clusters: the correct app
must pass every time and both serialised apps must fail every time, whatever the load. For each it
prints the CPU share of the second busiest worker against the busiest while two jobs ran (the
check passes at 0.3 and above).

    python benchmarks/bench_jobs.py [--runs 5] [--stability-runs 20]
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

from bench_hits import FLOOR_APP, compile_like_an_install, floor_once  # noqa: E402
from grader.checks.jobs import checks as jobs  # noqa: E402
from grader.checks.base import Scenario  # noqa: E402
from grader.checks.jobs.disk import JOBS as DISK_JOBS  # noqa: E402
from grader.checks.jobs.parallel import BALANCE, BATCH, N, judge, overlap, run_batch  # noqa: E402
from grader.checks.jobs.faults import FAULT_N  # noqa: E402
from grader.checks.jobs.watch import JobWatch  # noqa: E402
from grader.platform import Platform  # noqa: E402
from grader.platform.source import load  # noqa: E402

REFERENCE = ROOT / "exercises" / "source" / "jobs" / "jobs.ipynb"
FALLBACK = ROOT / "tests" / "apps" / "jobs" / "reliable"
APPS = ROOT / "tests" / "apps" / "jobs"
# Every job one full check runs to the end at least once (a killed or given-back run is extra).
JOB_SIZES = [jobs.SMALL,                      # roundtrip
             jobs.LONG,                       # only_workers
             jobs.SMALL,                      # failure: the job after the one that raises
             *DISK_JOBS,                      # no_local_disk
             FAULT_N, jobs.SMALL,             # crash: the job done again, then one more
             FAULT_N,                         # sigterm
             *[N] * BATCH]                    # parallel


def count_primes(n: int) -> int:
    """The function the exercise notebook provides (SPEC §2), to time the jobs on this machine."""
    count = 0
    for k in range(2, n):
        d = 2
        while d * d <= k:
            if k % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


def jobs_cpu() -> float:
    """CPU seconds the jobs of one full check need here, run one after another in this process."""
    started = time.process_time()
    for n in JOB_SIZES:
        count_primes(n)
    return time.process_time() - started


def cli_once(path: Path) -> float:
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "grader", "check", "jobs", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"the reference solution did not pass:\n{run.stdout}{run.stderr}")
    return elapsed


def stability(app: Path, runs: int) -> tuple[int, list[float]]:
    """(how many runs the parallel check passed, the second/busiest CPU share of each run)."""
    check = next(item for item in jobs.CHECKS if item.name == "parallel")
    passed, shares = 0, []
    with Platform(load(app)) as platform:
        for seed in range(runs):
            cluster = platform.cluster(check.formation, seed=seed)
            try:
                watch = JobWatch(Scenario(platform, cluster, seed))
                batch = run_batch(watch)
                passed += judge(watch, batch).passed
                seen = overlap(batch.samples)
                shares.append(seen.second / seen.busiest if seen.busiest else 0.0)
            finally:
                cluster.close()
    return passed, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stability-runs", type=int, default=20)
    args = parser.parse_args()
    compile_like_an_install()
    reference = REFERENCE if REFERENCE.exists() else FALLBACK
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "app.py").write_text(FLOOR_APP)
        floor = statistics.median(floor_once(Path(directory)) for _ in range(args.runs))
    cpu = statistics.median(jobs_cpu() for _ in range(3))
    full = statistics.median(cli_once(reference) for _ in range(args.runs))
    cores = os.cpu_count() or 1
    overhead = full - cpu / cores
    rows = [("floor: gunicorn -w 1 + Flask, start to first 200", floor, None),
            (f"CPU the jobs need ({len(JOB_SIZES)} jobs, one after another)", cpu, None),
            ("full `grader check jobs` (CLI)", full, None),
            (f"overhead: full check - job CPU / {cores} cores", overhead, 5.0)]
    print(f"reference app: {reference.relative_to(ROOT)}; median of {args.runs} runs; {cores} cores; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print(f"| {'what':<52} | {'median':>9} | {'x floor':>7} | {'target':>7} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for what, seconds, target in rows:
        goal = f"<= {target:g}x" if target else ""
        print(f"| {what:<52} | {seconds * 1000:7.0f}ms | {seconds / floor:6.2f}x | {goal:>7} |")
    if args.stability_runs:
        print(f"\nparallel check, {args.stability_runs} runs each (passes when the second busiest worker's "
              f"CPU share is >= {BALANCE:g}):")
        for app, expected in (("reliable", "pass"), ("global_lock", "fail"), ("lock_after_running", "fail")):
            passed, shares = stability(APPS / app, args.stability_runs)
            shown = f"share min {min(shares):.2f}, median {statistics.median(shares):.2f}, max {max(shares):.2f}"
            print(f"    {app:<20} passed {passed}/{args.stability_runs} (must {expected} every time); {shown}")


if __name__ == "__main__":
    main()
