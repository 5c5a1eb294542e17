"""Binder's budget: the lessons' Run All and the heaviest exercise check on one CPU, with the memory
of everything they run.

mybinder.org gives a session one CPU and about 2 GB (1 GB guaranteed). Each measurement runs in a
child process pinned to one CPU (its whole tree inherits the affinity), or to two for the figure
beside it. The child starts a JupyterLab server, as a learner's session has one, then runs the lesson
in a kernel (nbclient) or ``grader check`` on an exercise's reference solution, while a thread sums
the memory (Pss, see grader/platform/quota.py) of every process below it: JupyterLab, the kernel,
every worker and the store. The table gives the seconds on one and two CPUs and the peak memory.
Targets: every lesson's Run All in 90 s or less on one CPU, and 1 GB or less in all at the peak.

    python benchmarks/bench_binder.py [--lessons 05.00,03.00] [--check scratch] [--cpus 1,2]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_hits import compile_like_an_install  # noqa: E402
from grader.platform.ports import free_port  # noqa: E402
from grader.platform.quota import tree_memory  # noqa: E402

COURSE = ROOT / "course"
RUN_ALL_TARGET = 90.0  # seconds on one CPU
MEMORY_TARGET = 2**30  # bytes, everything at the peak
SAMPLE = 0.05  # seconds between two readings of the tree's memory


class Peak:
    """The largest memory of this process's whole tree, read every SAMPLE seconds while it runs."""

    def __init__(self):
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(SAMPLE):
            self.peak = max(self.peak, tree_memory(os.getpid()) or 0)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def jupyterlab(folder: Path) -> subprocess.Popen:
    """A JupyterLab server on a free port, serving ``folder``, ready to answer (its memory counts)."""
    import urllib.request
    port, token = free_port(), secrets.token_hex(8)
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
                               f"--ServerApp.root_dir={folder}", "--allow-root"],
                              cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/lab",
                                             headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(request, timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("JupyterLab did not answer within 60 s")


def measure(what: str) -> dict:
    """In this (pinned) process: a JupyterLab, then the lesson or check; seconds and peak bytes."""
    with tempfile.TemporaryDirectory(prefix="bench-binder-") as folder:
        work = Path(folder)
        shutil.copytree(COURSE, work / "course", ignore=shutil.ignore_patterns("work", ".ipynb_checkpoints"))
        server = jupyterlab(work)
        peak = Peak()
        try:
            started = time.monotonic()
            if what.startswith("check:"):
                exercise = what.split(":", 1)[1]
                reference = ROOT / "exercises" / "source" / exercise / f"{exercise}.ipynb"
                run = subprocess.run([sys.executable, "-m", "grader", "check", exercise, str(reference)],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    raise SystemExit(f"the {exercise} reference did not pass:\n{run.stdout[-2000:]}")
            else:
                import nbformat
                from nbclient import NotebookClient
                path = next((work / "course").glob(f"{what}*.ipynb"))
                notebook = nbformat.read(path, as_version=4)
                NotebookClient(notebook, timeout=300, kernel_name="python3",
                               resources={"metadata": {"path": str(path.parent)}}).execute()
            seconds = time.monotonic() - started
        finally:
            memory = peak.stop()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    return {"seconds": seconds, "peak": memory}


def pinned(what: str, cpus: int) -> dict:
    """``measure(what)`` in a child process whose whole tree may use only ``cpus`` CPUs."""
    chosen = sorted(os.sched_getaffinity(0))[:cpus]
    run = subprocess.run([sys.executable, __file__, "--one", what],
                         preexec_fn=lambda: os.sched_setaffinity(0, chosen), capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{what} on {cpus} CPU failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", help="comma-separated lesson numbers (default: every lesson in course/)")
    parser.add_argument("--check", default="scratch", help="the exercise whose full check is measured")
    parser.add_argument("--cpus", default="1,2")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    compile_like_an_install()
    cpus = [int(n) for n in args.cpus.split(",")]
    lessons = args.lessons.split(",") if args.lessons else sorted(path.name[:5] for path in COURSE.glob("[0-9][0-9].[0-9][0-9]-*.ipynb"))
    items = [lesson for lesson in lessons if lesson] + ([f"check:{args.check}"] if args.check else [])
    header = " | ".join(f"{n} CPU" for n in cpus)
    print(f"| {'what':<26} | {header} | {'peak memory':>11} | targets |")
    print(f"|{'-' * 28}|" + "|".join("-" * (len(f'{n} CPU') + 2) for n in cpus) + f"|{'-' * 13}|---------|")
    for item in items:
        results = {n: pinned(item, n) for n in cpus}
        peak = max(result["peak"] for result in results.values())
        times = " | ".join(f"{results[n]['seconds']:>{len(f'{n} CPU') - 1}.1f}s" for n in cpus)
        one = results.get(1, {}).get("seconds")
        ok_time = one is None or item.startswith("check:") or one <= RUN_ALL_TARGET
        verdict = "met" if ok_time and peak <= MEMORY_TARGET else "MISSED"
        print(f"| {item:<26} | {times} | {peak / 2**20:>7.0f} MiB | {verdict:<7} |")
    print(f"\ntargets: Run All <= {RUN_ALL_TARGET:g} s on 1 CPU; <= {MEMORY_TARGET / 2**30:g} GiB of memory in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
