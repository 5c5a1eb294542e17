"""The chaos run's faults, drawn from the seed: the same seed, the same faults at the same moments.

Each fault is something a real platform or provider does to a running app. Every kind appears once
per run (scaling down and back up are two steps), in an order and at moments the seed draws, spread
over the run so that traffic always meets one fault or the aftermath of another.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from ...i18n import Message, N_, _

SPAN = 16.0  # seconds of traffic
FIRST, LAST = 1.0, SPAN - 3.0  # no fault before the users are logged in, none in the final seconds

# kind -> what it is, for the timeline and the feedback
KINDS = {
    "restart_web": N_("a web process restarted (SIGTERM, a fresh one started at once)"),
    "crash_web": N_("a web process killed (SIGKILL) and started again"),
    "crash_worker": N_("every worker process killed (SIGKILL) in the middle of an upload"),
    "crash_clock": N_("the clock process killed (SIGKILL) and started again"),
    "deploy": N_("a new release rolled out, one process at a time (its stylesheet changed)"),
    "config": N_("a config var changed, which restarts every process"),
    "scale_down": N_("web scaled 3 -> 2 and worker 2 -> 1"),
    "scale_up": N_("web scaled back to 3 and worker to 2"),
    "slow_store": N_("the network to Redis slowed (20 ms per message) for 2 s"),
    "restart_redis": N_("Redis restarted, as a provider's maintenance does (connections dropped, data kept)"),
}


@dataclass(frozen=True)
class Planned:
    at: float  # seconds after the traffic started
    kind: str
    target: int  # which process of its type, when the fault picks one (an index, wrapped)

    @property
    def what(self) -> Message:
        return _(KINDS[self.kind])


def plan(seed: int) -> list[Planned]:
    rng = random.Random(seed * 104729 + 17)
    kinds = list(KINDS)
    rng.shuffle(kinds)
    if kinds.index("scale_up") < kinds.index("scale_down"):  # scaling back up comes after scaling down
        up, down = kinds.index("scale_up"), kinds.index("scale_down")
        kinds[up], kinds[down] = kinds[down], kinds[up]
    step = (LAST - FIRST) / len(kinds)
    return [Planned(round(FIRST + index * step + rng.uniform(0, step * 0.6), 2), kind, rng.randrange(3))
            for index, kind in enumerate(kinds)]
