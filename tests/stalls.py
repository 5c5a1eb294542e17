"""Moments when this whole machine stopped running us: printed at the end of a test session.

Many tests here wait on real processes with time limits (a request gets 10 s, a worker 10 s to boot).
A virtual machine that is paused, or starved by its host, makes every process miss its limits at
once, and a test then fails for a reason that lies outside the code. A thread in the main pytest
process (idle while xdist's workers run the tests) wakes every TICK seconds; a wake-up much later
than asked is such a stall. The session summary lists them with the CPU time the host stole, so a
failure can be read against them.
"""
from __future__ import annotations

import os
import threading
import time

TICK = 0.05  # seconds between wake-ups
STALL = 1.0  # seconds late that count as a stall (scheduling delays on a busy machine stay far below)


def stolen_ticks() -> int | None:
    """CPU time the hypervisor gave to others, in clock ticks since boot (the 'steal' column)."""
    try:
        with open("/proc/stat") as handle:
            return int(handle.readline().split()[8])
    except (OSError, IndexError, ValueError):
        return None


class StallWatch:
    def __init__(self):
        self.stalls: list[tuple[str, float]] = []  # (wall-clock time it ended, seconds late)
        self.steal_before = stolen_ticks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        before = time.monotonic()
        while True:
            stopped = self._stop.wait(TICK)  # also measured when stopped: a pause may end just then
            now = time.monotonic()
            if now - before - TICK >= STALL:
                self.stalls.append((time.strftime("%H:%M:%S"), now - before - TICK))
            if stopped:
                return
            before = now

    def summary(self) -> list[str]:
        self._stop.set()
        self._thread.join()
        steal = stolen_ticks()
        stolen = "" if steal is None or self.steal_before is None else \
            f"; the host took {(steal - self.steal_before) / os.sysconf('SC_CLK_TCK'):.1f} s of CPU time from this machine"
        if not self.stalls:
            return [f"No machine stall of {STALL:g} s or more during the session{stolen}."]
        return [f"Machine stalls during the session ({len(self.stalls)}){stolen}:"] + \
               [f"  {when}: {late:.1f} s late" for when, late in self.stalls]
