"""Where one submission's grading time goes: wall and CPU seconds by stage.

An instructor waiting on a class, and whoever makes that wait shorter, needs to know which part of a
submission costs what: the checks, the learner's kernel, nbgrader's own steps, the gradebook. A job
(the forked process that grades one submission) records its stages here; the recorder adds its own;
``grader autograde --json`` gives them per submission and ``benchmarks/bench_classroom.py --profile``
sums them over a class.

CPU is user plus system time of this process and of the children it reaped during the stage
(``os.times``), and of the processes a batch's template forked for it that ended meanwhile
(:func:`grader.platform.template.foreign_cpu`): a check's fork server and worker processes count in
the stage that ran the check. The learner's
kernel is reaped only when it stops, so its own CPU time is read from ``/proc`` while it runs and
given to the stages it spent it in: starting, then running the learner's cells.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

from ..platform import template

# The stages, in the order a submission goes through them (the keys of a profile).
READ = "read and mend"
SETUP = "nbgrader set-up"  # Autograde's own work around the steps: finding files, the gradebook's rows
SANITIZE = "sanitize steps"
CHECKS = "checks"
KERNEL_START = "kernel start"
CELLS = "learner cells"
KERNEL_STOP = "kernel stop"
GRADEBOOK = "gradebook writes"
STEPS = "other nbgrader steps"
FEEDBACK = "feedback page"
RECORD = "recording"  # the recorder, in the autograde process: gradebook, autograded/, feedback/
ORDER = (READ, SETUP, SANITIZE, CHECKS, KERNEL_START, CELLS, KERNEL_STOP, GRADEBOOK, STEPS, FEEDBACK, RECORD)

STEP_STAGES = {
    "RepairCells": SANITIZE, "ClearOutput": SANITIZE, "DeduplicateIds": SANITIZE, "OverwriteKernelspec": SANITIZE,
    "OverwriteCells": SANITIZE, "CheckCellMetadata": SANITIZE, "GradeOutsideKernel": CHECKS,
    "SaveAutoGrades": GRADEBOOK, "AssignLatePenalties": GRADEBOOK,
}
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds() -> float:
    """User and system CPU time of this process and of the children it has reaped, with the fork
    servers the batch's template forked for it (see :func:`grader.platform.template.foreign_cpu`)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system + template.foreign_cpu()


def process_cpu(pid: int | None) -> float:
    """CPU seconds process ``pid`` has used so far (itself and its reaped children); 0 if it is gone."""
    if not pid:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICKS  # utime, stime, cutime, cstime


def since_start() -> dict[str, float]:
    """Wall and CPU seconds this process has spent since it started (its start-up and imports)."""
    times = os.times()
    try:
        with open("/proc/self/stat", "rb") as handle:
            started = int(handle.read().rsplit(b")", 1)[1].split()[19]) / TICKS  # starttime, since boot
        with open("/proc/uptime") as handle:
            wall = float(handle.read().split()[0]) - started
    except (OSError, IndexError, ValueError):
        wall = 0.0
    return {"wall": round(wall, 3), "cpu": round(times.user + times.system, 3)}


class Profile:
    """Wall and CPU seconds per stage (a stage entered twice adds up)."""

    def __init__(self) -> None:
        self.stages: dict[str, list[float]] = {}

    def add(self, name: str, wall: float, cpu: float) -> None:
        entry = self.stages.setdefault(name, [0.0, 0.0])
        entry[0] += wall
        entry[1] += cpu

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.monotonic(), cpu_seconds()
        try:
            yield
        finally:
            self.add(name, time.monotonic() - wall, cpu_seconds() - cpu)

    def to_dict(self) -> dict[str, dict[str, float]]:
        known = [name for name in ORDER if name in self.stages]
        names = known + sorted(set(self.stages) - set(known))
        return {name: {"wall": round(self.stages[name][0], 4), "cpu": round(self.stages[name][1], 4)}
                for name in names}


class KernelClock:
    """Splits the kernel's part of a notebook's execution into its start, the cells, and its stop.

    ``begin`` when execution starts, ``first_cell`` when the kernel answers and the first cell is
    sent (with the kernel's pid), ``last_cell`` after the last cell, ``end`` once the kernel is dead
    and reaped.
    """

    def __init__(self, profile: Profile | None):
        self.profile = profile
        self.marks: list[tuple[float, float, float]] = []  # (wall, own cpu with reaped children, kernel cpu)
        self.pid: int | None = None

    def _mark(self) -> None:
        self.marks.append((time.monotonic(), cpu_seconds(), process_cpu(self.pid)))

    def begin(self) -> None:
        self.marks, self.pid = [], None
        self._mark()

    def first_cell(self, pid: int | None) -> None:
        if len(self.marks) == 1:
            self.pid = pid
            self._mark()

    def last_cell(self) -> None:
        if len(self.marks) >= 2:
            self.marks[2:] = []
            self._mark()

    def end(self) -> None:
        if self.profile is None or not self.marks:
            return
        end_wall, end_cpu = time.monotonic(), cpu_seconds()
        (wall0, cpu0, _), *rest = self.marks
        if not rest:  # the kernel never answered: all of it was starting
            self.profile.add(KERNEL_START, end_wall - wall0, end_cpu - cpu0)
            return
        wall1, cpu1, kernel1 = rest[0]
        wall2, cpu2, kernel2 = rest[1] if len(rest) > 1 else (end_wall, end_cpu, kernel1)
        start_cpu = cpu1 - cpu0 + kernel1
        cells_cpu = cpu2 - cpu1 + (kernel2 - kernel1)
        self.profile.add(KERNEL_START, wall1 - wall0, start_cpu)
        self.profile.add(CELLS, wall2 - wall1, cells_cpu)
        # The kernel was reaped during the stop: its whole CPU time arrived in our children's then.
        self.profile.add(KERNEL_STOP, end_wall - wall2, max(0.0, end_cpu - cpu0 - start_cpu - cells_cpu))


current: Profile | None = None  # the profile of the job running in this process, if any


@contextmanager
def timing_steps(profile: Profile) -> Iterator[None]:
    """Time every nbconvert preprocessor that runs meanwhile, into the stage of its kind.

    Execution is timed by :class:`KernelClock` instead (its stages are finer), so it is left out here.
    """
    from nbconvert.preprocessors import Preprocessor

    original = Preprocessor.__call__

    def timed(self, nb, resources):
        name = type(self).__name__
        if name == "ContainedExecute":
            return original(self, nb, resources)
        with profile.stage(STEP_STAGES.get(name, STEPS)):
            return original(self, nb, resources)

    Preprocessor.__call__ = timed
    try:
        yield
    finally:
        Preprocessor.__call__ = original
