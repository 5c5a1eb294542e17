"""Memory quotas: every process the platform runs for an app gets one, as a dyno or a container does.

A platform bounds each process's memory, so that one leaking app cannot take the machine (and, on
Binder, the learner's JupyterLab) down with it. Heroku logs R14 ("memory quota exceeded") when a dyno
goes past its quota and keeps it running; at twice the quota it stops the dyno (R15, "memory quota
vastly exceeded"). Kubernetes kills a container at its memory limit (``OOMKilled``). The grader does
the same for each worker: :class:`MemoryWatch` reads the memory of every worker's whole process tree
(the process, its gunicorn worker, anything it started) a few dozen times a second, records when it
first passes the quota, and at the hard limit SIGKILLs that worker's tree alone. The other workers,
the grader and the kernel it runs in are not touched.

Memory is counted as the kernel's proportional set size (``Pss`` in ``/proc/PID/smaps_rollup``):
pages a forked worker still shares with the fork server count once, split between the processes
sharing them, as a cgroup counts them; ``VmRSS`` stands in where ``smaps_rollup`` is missing. It is
not an address-space limit (``RLIMIT_AS``), which a correct ``gunicorn --threads 4`` worker, whose
thread stacks reserve far more virtual memory than they use, could trip.

Reading ``smaps_rollup`` walks a process's page tables, which, a few dozen times a second for every
worker, was a seventh of a whole check's CPU time. Each reading therefore starts from the resident
set (``/proc/PID/statm``, a counter the kernel keeps): a process's Pss never exceeds its resident
set, so while the tree's resident set is within the quota its Pss is too, and Pss is read only
when the resident set is above the quota, or every ``PSS_EVERY``-th reading to keep the peak.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field

from .proctree import descendants, signal_tree

MIB = 2**20
QUOTA = 512 * MIB  # a small dyno's memory (Heroku's Basic and Standard-1X)
HARD_FACTOR = 2  # Heroku stops a dyno at twice its quota (R15)
INTERVAL = 0.02  # seconds between two readings of every watched tree
PSS_EVERY = 10  # within the quota by its resident set, a tree's Pss is read at every tenth reading only
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class Memory:
    """What the watch saw of one incarnation: its peak, and when it passed its quota or was stopped.

    ``serving`` lists the requests it was answering when it was stopped (``"POST /hits"``), from
    what the cluster had in flight to it at that moment.
    """

    quota: int
    limit: int
    peak: int = 0
    over_quota_at: float | None = None  # time.monotonic() of the first reading above the quota
    killed_at: float | None = None  # time.monotonic() when the watch stopped it at the hard limit
    serving: tuple[str, ...] = ()
    in_flight: dict[int, str] = field(default_factory=dict)  # request number -> "METHOD /path"
    last: str = ""  # the request it answered last ("POST /hits"), for a stop between requests
    readings: int = 0  # how many times the watch has read it

    @property
    def over_quota(self) -> bool:
        return self.over_quota_at is not None

    @property
    def killed(self) -> bool:
        return self.killed_at is not None


def tree_memory(pid: int) -> int | None:
    """Bytes of memory held by ``pid`` and every process it started, or None if it is gone."""
    total, seen = 0, False
    for each in (pid, *descendants(pid)):
        used = _process_memory(each)
        if used is not None:
            total, seen = total + used, True
    return total if seen else None


def tree_resident(pid: int) -> int | None:
    """Bytes resident for ``pid`` and every process it started (shared pages counted in each, so never
    less than :func:`tree_memory`), or None if it is gone. Cheap: no page table is walked."""
    total, seen = 0, False
    for each in (pid, *descendants(pid)):
        try:
            with open(f"/proc/{each}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * PAGE
                seen = True
        except (OSError, IndexError, ValueError):
            continue
    return total if seen else None


def _process_memory(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


class MemoryWatch:
    """One thread that watches every registered incarnation until it exits or the watch closes.

    ``kill`` (pid) stops a tree; tests pass a fake. Library code installs no signal handler: the
    thread only reads /proc and sends signals.
    """

    def __init__(self, interval: float = INTERVAL, kill=lambda pid: signal_tree(pid, signal.SIGKILL),
                 clock=time.monotonic):
        self._interval = interval
        self._kill = kill
        self._clock = clock
        self._watched: dict[str, tuple[object, Memory]] = {}  # token -> (incarnation, its record)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="factor-six-memory", daemon=True)
        self._thread.start()

    def watch(self, incarnation, quota: int = QUOTA, limit: int | None = None) -> Memory:
        """Start watching ``incarnation`` (anything with ``token``, ``pid`` and ``exit_code``);
        its record is also set as ``incarnation.memory``. ``limit`` defaults to twice the quota."""
        record = Memory(quota, limit if limit is not None else quota * HARD_FACTOR)
        incarnation.memory = record
        with self._lock:
            self._watched[incarnation.token] = (incarnation, record)
        return record

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._closed.wait(self._interval):
            with self._lock:
                watched = list(self._watched.items())
            for token, (incarnation, record) in watched:
                if incarnation.exit_code is not None or record.killed:
                    with self._lock:
                        self._watched.pop(token, None)
                elif incarnation.pid is not None:
                    self._read(incarnation, record)

    def _read(self, incarnation, record: Memory) -> None:
        record.readings += 1
        if record.readings % PSS_EVERY:
            resident = tree_resident(incarnation.pid)
            if resident is not None and resident <= record.quota:
                return  # its Pss is within the quota too: nothing to record or to stop
        used = tree_memory(incarnation.pid)
        if used is None:
            return
        record.peak = max(record.peak, used)
        if used > record.quota and record.over_quota_at is None:
            record.over_quota_at = self._clock()
        if used > record.limit:
            record.serving = tuple(record.in_flight.values())
            record.killed_at = self._clock()
            self._kill(incarnation.pid)
