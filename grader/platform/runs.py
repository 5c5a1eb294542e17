"""Run folders: where a grading run keeps its files, and how what a dead run left is removed.

Every run gets ``$TMPDIR/factor-six-<uid>/<run id>/`` and writes who owns it (the grader's pid and
the kernel's start time for that pid, so a recycled pid is never mistaken for the owner). A run
normally removes its own folder. When its grader dies without a chance to clean up (SIGKILL, a
Jupyter kernel restarted after a hang, out of memory), the fork server notices and cleans up at
once; and any later run removes whatever a dead run still left: its processes and its folder.

Processes are found by the run marker in their environment (:func:`grader.platform.processes.sweep`).
The Redis-compatible server overwrites its environment with its process title, so the marker cannot
find it: such processes are recorded by pid here as well.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from .processes import stat_fields, sweep

OWNER = "owner"  # "<pid> <start ticks>" of the grader process that owns the run
PIDS = "pids"  # lines "<pid> <start ticks>" of processes the marker cannot find
RELEASE = "release"  # the read-only release, which must be made writable again before removal
UNCLAIMED_GRACE = 60.0  # seconds a folder without an owner file may exist (its run is starting)


def base() -> Path:
    """The folder that holds this user's runs (created private to the user)."""
    folder = Path(tempfile.gettempdir()) / f"factor-six-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def create(run_id: str) -> Path:
    """Make the run's folder and record the calling process as its owner."""
    root = base() / run_id
    root.mkdir(mode=0o700)
    (root / OWNER).write_text(_identity(os.getpid()))
    return root


def record_pid(root: Path, pid: int) -> None:
    """Remember a process of this run that the run marker cannot find (see the module docstring)."""
    with open(root / PIDS, "a") as handle:
        handle.write(_identity(pid) + "\n")


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (None when there is no such process)."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields is not None and len(fields) > 19 else None


def clean(root: Path) -> None:
    """Kill every process of the run and remove its folder (also when it is half gone already)."""
    sweep(root.name)
    for pid, ticks in _recorded(root / PIDS):
        if start_ticks(pid) == ticks:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for release in root.glob(RELEASE + "*"):  # the first release, and any rebuilt one (release-v2, ...)
        for folder, dirs, _files in os.walk(release):
            os.chmod(folder, 0o700)
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o700)
    shutil.rmtree(root, ignore_errors=True)


def remove_dead(folder: Path | None = None) -> list[str]:
    """Clean up every run in ``folder`` (default: this user's) whose owner is gone; their ids."""
    if not os.path.isdir("/proc"):  # without procfs no owner can be told alive or dead: touch nothing
        return []
    folder = folder or base()
    removed = []
    for root in folder.iterdir():
        if root.is_dir() and _is_dead(root):
            clean(root)
            removed.append(root.name)
    return removed


def _is_dead(root: Path) -> bool:
    try:
        owner = (root / OWNER).read_text().split()
        pid, ticks = int(owner[0]), int(owner[1])
    except (OSError, ValueError, IndexError):
        try:  # no owner yet: a run that is just starting, unless it has been like this for long
            return time.time() - root.stat().st_mtime > UNCLAIMED_GRACE
        except OSError:
            return False
    return start_ticks(pid) != ticks


def _identity(pid: int) -> str:
    return f"{pid} {start_ticks(pid)}"


def _recorded(path: Path) -> list[tuple[int, int]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        try:
            pid, ticks = line.split()
            found.append((int(pid), int(ticks)))
        except ValueError:
            continue
    return found
