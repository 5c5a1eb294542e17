"""Grading a class: plain serial ``nbgrader autograde`` against ``grader autograde --jobs 2``.

For each class size, a fresh copy of the course gets the same class (references and wrong apps of
the first exercise, taken in turn), graded once by stock nbgrader (the test cells run in each
learner's kernel, one submission after another) and once by ``grader autograde``. The table gives
both times, the speed-up, seconds per submission, and the same figures as multiples of the floor
(``gunicorn -w 1`` serving Flask, from start to its first HTTP 200, measured in the same run).
The machine's load average is printed too: on a shared machine it explains a slow run.

``--profile`` adds, for the largest class, where one submission's time goes: wall and CPU seconds by
stage (start-up, the checks, the learner's kernel, nbgrader's steps, the gradebook, the feedback
page, recording), as ``grader autograde --json`` reports them, beside the CPU time the whole batch
used, every process included. ``--dask`` grades each class once more on a local Dask cluster of two
worker processes.

``--soak N`` instead grades N mixed submissions (every trick and kind of damage included, hanging
and crashing notebooks too) and reports what they left behind: processes, run folders, temporary
files and listening ports.

    python benchmarks/bench_classroom.py [--sizes 15,30,60] [--nbgrader-sizes 15,30,60] [--jobs 2] [--profile] [--dask]
    python benchmarks/bench_classroom.py --soak 200
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "classroom"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import make_class  # noqa: E402
from bench_hits import floor_once, compile_like_an_install  # noqa: E402

from grader.platform import runs  # noqa: E402
from grader.platform.forkserver import RUN_TAG  # noqa: E402
from grader.platform.processes import RUN_MARKER  # noqa: E402

STOCK_CONFIG = "chains.configure(c)"
FLOOR_APP = "from flask import Flask\napp = Flask(__name__)\n\n\n@app.get('/')\ndef index():\n    return 'ok'\n"


def class_of(course: Path, exercise: str, size: int, mixed: bool) -> list[make_class.Entry]:
    """``size`` students; without ``mixed``, references and wrong apps only (stock nbgrader can
    grade those, and a damaged notebook would stop its whole batch)."""
    apps = make_class.purpose_built(exercise)
    kinds = [e for e in make_class.entries(course, exercise, apps, full=mixed) if mixed or e.kind in ("reference", "wrong app")]
    if not mixed:  # apps that take seconds by design (boot timeouts) would only measure the apps
        kinds = [e for e in kinds if not any(slow in e.student for slow in ("hang", "never_binds", "slow"))]
    chosen = []
    for index in range(size):
        entry = kinds[index % len(kinds)]
        chosen.append(make_class.Entry(f"s{index:03d}-{entry.student}", exercise, entry.kind, entry.data))
    for entry in chosen:
        make_class.hand_in(course, entry)
    return chosen


def timed(argv: list[str], course: Path, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    seconds, _cpu, done = measured(argv, course, env)
    return seconds, done


def measured(argv: list[str], course: Path, env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds, CPU seconds of every process the command ran (as far as they were waited for),
    and the finished command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", *argv], cwd=course, capture_output=True, text=True,
                          env={**make_class.env(), **(env or {})}, timeout=7200)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.monotonic() - started, cpu, done


def print_profile(batch: dict, cpu: float, wall: float) -> None:
    """Where a submission's time went, by stage, averaged over the batch, and what no stage holds."""
    from grader.classroom import profile
    graded = [item for item in batch["submissions"] if item.get("profile")]
    if not graded:
        print("no submission reported a profile")
        return
    stages: dict[str, list[float]] = {}
    for item in graded:
        for name, spent in item["profile"].items():
            entry = stages.setdefault(name, [0.0, 0.0])
            entry[0] += spent["wall"]
            entry[1] += spent["cpu"]
    count = len(graded)
    names = [name for name in profile.ORDER if name in stages] + sorted(set(stages) - set(profile.ORDER))
    startup = batch.get("startup") or {"wall": 0.0, "cpu": 0.0}
    total = sum(cpu_ for _wall, cpu_ in stages.values())
    print(f"\nwhere one submission's time goes (mean of {count}; CPU = user + system, with the processes it ran)")
    print(f"{'stage':<24} {'CPU s':>7} {'wall s':>7} {'of CPU':>7}")
    for name in names:
        wall_, cpu_ = stages[name]
        print(f"{name:<24} {cpu_ / count:>7.3f} {wall_ / count:>7.3f} {cpu_ / max(total, 1e-9):>7.0%}")
    print(f"{'all stages':<24} {total / count:>7.3f} {sum(w for w, _c in stages.values()) / count:>7.3f}")
    print(f"start-up and imports, once per batch: {startup['cpu']:.2f} s CPU, {startup['wall']:.2f} s wall")
    own = batch.get("own_cpu", 0.0)
    outside = own - startup["cpu"] - stages.get(profile.RECORD, [0.0, 0.0])[1]
    print(f"the autograde process besides start-up and recording (making jobs, forking, reaping, the "
          f"rehearsal): {outside:.2f} s CPU ({outside / count:.3f} s per submission)")
    rest = cpu - total - startup["cpu"] - outside
    print(f"whole batch: {cpu:.1f} s CPU in {wall:.1f} s wall ({cpu / count:.2f} s CPU per submission, "
          f"{cpu / wall:.2f} cores busy); in the jobs outside their stages: {rest:.1f} s "
          f"({rest / count:.2f} s per submission)")


def scores(course: Path, exercise: str) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(exercise)}


def floor(runs_: int = 5) -> float:
    times = []
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "app.py").write_text(FLOOR_APP)
        for _ in range(runs_):
            times.append(floor_once(Path(folder)))
    return sorted(times)[len(times) // 2]


def compare(base: Path, exercise: str, sizes: list[int], nbgrader_sizes: set[int], jobs: int,
            show_profile: bool = False, dask: bool = False) -> None:
    floor_seconds = floor()
    print(f"floor (gunicorn -w 1 + Flask to first 200): {floor_seconds * 1000:.0f} ms; load average {os.getloadavg()}")
    print(f"{'class':>5}  {'nbgrader serial':>15}  {'grader -j' + str(jobs):>10}  {'speed-up':>8}  "
          f"{'s/submission':>12}  {'x floor':>8}  scores agree")
    for size in sizes:
        course = base / f"class-{size}"
        shutil.copytree(base / "course", course)
        class_of(course, exercise, size, mixed=False)
        stock = None
        if size in nbgrader_sizes:
            stock_course = base / f"class-{size}-stock"
            shutil.copytree(course, stock_course)
            config = stock_course / "nbgrader_config.py"
            config.write_text(config.read_text().replace(STOCK_CONFIG, "pass  # stock nbgrader"))
            stock, done = timed(["nbgrader", "autograde", exercise], stock_course)
            assert done.returncode == 0, done.stderr[-2000:]
        if dask:
            dask_course = base / f"class-{size}-dask"
            shutil.copytree(course, dask_course)
        ours, cpu, done = measured(["grader", "autograde", exercise, "--jobs", str(jobs), "--json"], course)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        agree = "-" if stock is None else ("yes" if scores(course, exercise) == scores(stock_course, exercise) else "NO")
        speed = "-" if stock is None else f"{stock / ours:.2f}x"
        print(f"{size:>5}  {'-' if stock is None else f'{stock:.1f} s':>15}  {ours:>8.1f} s  {speed:>8}  "
              f"{ours / size:>10.2f} s  {ours / size / floor_seconds:>8.1f}  {agree}", flush=True)
        last = (json.loads(done.stdout), cpu, ours)
        if dask:
            on_dask, same = on_a_dask_cluster(dask_course, exercise, scores(course, exercise))
            print(f"{size:>5}  {'(Dask, 2 worker processes)':>26}  {on_dask:>8.1f} s  {'':>8}  "
                  f"{on_dask / size:>10.2f} s  {on_dask / size / floor_seconds:>8.1f}  {same}", flush=True)
    if show_profile:
        print_profile(*last)
    print(f"load average at the end {os.getloadavg()}")


def on_a_dask_cluster(course: Path, exercise: str, expected: dict[str, float]) -> tuple[float, str]:
    """Wall seconds to grade the class in ``course`` on a local Dask cluster of two worker processes
    (started before the clock starts), and whether the scores agree with ``expected``."""
    from distributed import LocalCluster
    os.environ["PYTHONPATH"] = make_class.env()["PYTHONPATH"]  # the workers import this grader
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        seconds, done = timed(["grader", "autograde", exercise, "--scheduler", cluster.scheduler_address, "--json"],
                              course)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return seconds, "yes" if scores(course, exercise) == expected else "NO"


# -- the soak ----------------------------------------------------------------------------------------
def listening_inodes() -> dict[str, str]:
    """{socket inode: local address} of every listening TCP socket on this machine."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                found[fields[9]] = fields[1]
    return found


def tagged_processes(tag: str) -> list[int]:
    needle = f"{RUN_MARKER}={tag}".encode()
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if any(item.startswith(needle) for item in Path(f"/proc/{entry.name}/environ").read_bytes().split(b"\0")):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def sockets_of(pids: list[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            for fd in os.scandir(f"/proc/{pid}/fd"):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    return inodes


def soak(base: Path, exercise: str, count: int, jobs: int) -> None:
    tag = f"soak{uuid.uuid4().hex[:6]}-"
    env = {RUN_TAG: tag}
    course = base / "soak"
    shutil.copytree(base / "course", course)
    entries = class_of(course, exercise, count, mixed=True)
    temp_before = set(os.listdir(tempfile.gettempdir()))
    print(f"soak: {count} submissions of {len({e.student.split('-', 1)[1] for e in entries})} sorts, load average {os.getloadavg()}")
    seconds, done = timed(["grader", "autograde", exercise, "--jobs", str(jobs), "--timeout", "40", "--json"], course, env)
    batch = json.loads(done.stdout)
    statuses = {}
    for item in batch["submissions"]:
        statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    time.sleep(1.0)  # processes killed at the very end need a moment to be reaped by their parents
    left = tagged_processes(tag)
    folders = [p.name for p in runs.base().iterdir() if p.name.startswith(tag)]
    temp_new = sorted(set(os.listdir(tempfile.gettempdir())) - temp_before)
    ours = [name for name in temp_new if name.startswith(("tmp", "kernel-", "factor-six")) and name.endswith(".json")]
    ports = sockets_of(left) & set(listening_inodes())
    print(f"graded {len(batch['submissions'])} in {seconds:.1f} s ({seconds / count:.2f} s each): {statuses}")
    print(f"left behind: {len(left)} processes {left}, {len(folders)} run folders, {len(ours)} kernel "
          f"connection files in {tempfile.gettempdir()}, {len(ports)} listening ports")
    print(f"new entries in {tempfile.gettempdir()} during the soak (any user, any program): {len(temp_new)}")
    print(f"load average at the end {os.getloadavg()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="15,30,60")
    parser.add_argument("--nbgrader-sizes", default=None, help="sizes graded by stock nbgrader too (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="where a submission's time goes, by stage")
    parser.add_argument("--dask", action="store_true", help="grade each class on a local Dask cluster too")
    parser.add_argument("--soak", type=int, default=0, help="grade this many mixed submissions and count leftovers")
    args = parser.parse_args()
    compile_like_an_install()
    exercise = make_class.exercises()[0]
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as folder:
        base = Path(folder)
        make_class.new_course(base / "course")
        if args.soak:
            soak(base, exercise, args.soak, args.jobs)
            return 0
        sizes = [int(size) for size in args.sizes.split(",")]
        nbgrader_sizes = set(sizes if args.nbgrader_sizes is None else
                             [int(size) for size in args.nbgrader_sizes.split(",") if size])
        compare(base, exercise, sizes, nbgrader_sizes, args.jobs, args.profile, args.dask)
    return 0


if __name__ == "__main__":
    sys.exit(main())
