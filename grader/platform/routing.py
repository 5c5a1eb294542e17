"""Routing policies: which worker gets the next request.

``round_robin`` and ``random`` (seeded) are what real routers do; ``never_same`` is adversarial (a
client never reaches the worker it used last); ``sticky`` pins each client to one worker, only to show
how stickiness hides state kept in a worker's memory.
"""
from __future__ import annotations

import random
import threading
import zlib
from typing import Sequence

from ..i18n import _

POLICIES = ("round_robin", "random", "never_same", "sticky")


class Router:
    def __init__(self, policy: str = "round_robin", seed: int = 0):
        if policy not in POLICIES:
            raise ValueError(_("unknown routing policy {policy}; choose one of {policies}", policy=repr(policy),
                               policies=", ".join(POLICIES)))
        self.policy = policy
        self._random = random.Random(seed)
        self._next = 0
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def choose(self, names: Sequence[str], client: str = "default") -> str:
        """Pick one of the serving workers' names (in stable order) for this client's request."""
        if not names:
            raise LookupError(_("no worker is serving"))
        with self._lock:
            if self.policy == "round_robin":
                chosen = names[self._next % len(names)]
                self._next += 1
            elif self.policy == "random":
                chosen = self._random.choice(list(names))
            elif self.policy == "sticky":
                chosen = names[zlib.crc32(client.encode()) % len(names)]
            else:
                last = self._last.get(client)
                start = names.index(last) + 1 if last in names else self._next
                chosen = names[start % len(names)]
                self._next += 1
            self._last[client] = chosen
            return chosen
