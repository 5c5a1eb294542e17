"""Following an upload until a worker has dealt with it, from outside, as a user would."""
from __future__ import annotations

import time

from ..base import Scenario
from ..sessions.visit import Visitor
from .api import status

POLL = 0.05  # seconds between two reads of an upload's status
DONE_WITHIN = 10.0  # seconds an upload may take from 202 to done, a crash's recovery included


def settled(scenario: Scenario, visitor: Visitor, upload_id, within: float = DONE_WITHIN,
            worker: str | None = None) -> tuple[dict | None, list[str]]:
    """Read the upload's status until it is done or failed, for at most ``within`` seconds:
    (the last record, every status seen in order, repeats left out)."""
    deadline, seen, record = time.monotonic() + within, [], None
    while True:
        record, _ = status(scenario, visitor, upload_id, worker=worker)
        state = record["status"] if record else "404"
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in ("done", "failed", "404") or time.monotonic() >= deadline:
            return record, seen
        time.sleep(POLL)


def pause(seconds: float) -> None:
    """A deliberate wait of the contract (an expiry, a clock period): the check's time, not a guess."""
    time.sleep(max(0.0, seconds))
