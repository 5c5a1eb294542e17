"""How much memory one process used while it served a request, read from Linux's /proc.

A worker has imported its app, Flask and gunicorn long before a check sends it anything, so its
lifetime peak says nothing about one request. :class:`PeakMemory` asks the kernel to reset the
process's high-water mark (``VmHWM``) to its current resident size (writing ``5`` to
``/proc/PID/clear_refs``) just before the request and reads the mark after it: the difference is
what the request itself needed at its worst moment. Where the kernel refuses the reset, the mark
before the request stands in for the baseline, which can only make the rise look smaller.

:func:`sampled` records the resident size over time instead, for a plot in a lesson.
"""
from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field

from ..i18n import _

KIB = 1024
SAMPLE_INTERVAL = 0.005  # seconds between two readings of a sampled process


class NoSuchProcess(Exception):
    """The process is gone (or /proc cannot be read), so its memory cannot be measured."""


def status(pid: int) -> dict[str, int]:
    """The memory lines of /proc/PID/status, in bytes (``VmRSS``, ``VmHWM``, ...); raises NoSuchProcess."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise NoSuchProcess(_("cannot read the memory of process {pid}: {error}", pid=pid, error=str(error))) from None
    found = {}
    for line in lines:
        key, _colon, value = line.partition(":")
        parts = value.split()
        if len(parts) == 2 and parts[1] == "kB":
            found[key] = int(parts[0]) * KIB
    return found


class PeakMemory:
    """``peak = PeakMemory(pid)`` before a request, ``peak.rise()`` after it: bytes above the baseline.

    Raises NoSuchProcess when the process cannot be read.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.reset = _reset_peak(pid)
        now = status(pid)
        self.baseline = now["VmRSS"] if self.reset else now.get("VmHWM", now["VmRSS"])

    def peak(self) -> int:
        """The high-water mark since the reset, in bytes."""
        now = status(self.pid)
        return now.get("VmHWM", now["VmRSS"])

    def rise(self) -> int:
        """How far the peak went above the resident size at the reset, in bytes (never negative)."""
        return max(0, self.peak() - self.baseline)


def _reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


@dataclass
class Samples:
    """Resident size of one process over time: ``seconds`` since the start, ``rss`` in bytes."""

    seconds: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)

    def rise(self) -> int:
        """Highest reading above the first one, in bytes."""
        return max(self.rss, default=0) - (self.rss[0] if self.rss else 0)


@contextlib.contextmanager
def sampled(pid: int, interval: float = SAMPLE_INTERVAL):
    """``with sampled(pid) as samples:`` reads the process's resident size every ``interval``
    seconds while the block runs (a background thread), and once more at its end."""
    samples, done = Samples(), threading.Event()
    started = time.monotonic()

    def read() -> None:
        try:
            rss = status(pid)["VmRSS"]
        except (NoSuchProcess, KeyError):
            return
        samples.seconds.append(time.monotonic() - started)
        samples.rss.append(rss)

    def loop() -> None:
        while not done.is_set():
            read()
            done.wait(interval)

    thread = threading.Thread(target=loop, name="factor-six-memory", daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        done.set()
        thread.join()
        read()
