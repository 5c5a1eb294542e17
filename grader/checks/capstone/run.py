"""The records of one chaos run (:mod:`.chaos`): faults, requests, uploads, visits, pages, and the
moments they happened, which :mod:`.judge` reads."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..base import Scenario
from ..sessions.visit import Visitor
from .csvs import Sheet

AFTERMATH = 1.5  # seconds after a fault ends in which failed requests are still the fault's
TTL = 6  # SESSION_TTL during the chaos run: faults may hold a user up for a second or two
PERIOD = 1.0
CONFIG = {"SESSION_TTL": str(TTL), "CLOCK_PERIOD": str(PERIOD)}
THINK = 0.12  # seconds a user waits between two requests


@dataclass
class Event:
    at: float
    end: float
    kind: str
    what: str
    error: str = ""


@dataclass
class Call:
    at: float
    user: str
    action: str
    response: object


@dataclass
class Accepted:
    user: Visitor
    upload_id: object
    sheet: Sheet
    statuses: list = field(default_factory=list)


class Run:
    """The records of one chaos run."""

    def __init__(self, scenario: Scenario):
        self.scenario, self.cluster = scenario, scenario.cluster
        self.start = time.monotonic()
        self.events: list[Event] = []
        self.calls: list[Call] = []
        self.accepted: list[Accepted] = []
        self.visits_ok = 0
        self.visits_base: int | None = None  # the count just before the traffic
        self.visits_unsure = 0
        self.logged_out: list[tuple[float, str, object, float]] = []  # (at, user, response, idle for)
        self.pages: list[tuple[float, str, object]] = []  # (at, href, the stylesheet's response)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.boot_failures: list = []  # BootFailed of processes that did not start again after a fault
        self.users: list[Visitor] = []  # the active users, whose traffic runs

    def record(self, at: float, user: str, action: str, response) -> None:
        with self.lock:
            self.calls.append(Call(at, user, action, response))

    def rng_for(self, label: str):
        """A generator for one decision of the fault thread, from the seed and the moment."""
        import random
        return random.Random(f"{self.scenario.seed}-{label}-{len(self.accepted)}")

    def now(self) -> float:
        return time.monotonic() - self.start

    def during_fault(self, at: float) -> Event | None:
        for event in self.events:
            if event.at - 0.2 <= at <= event.end + AFTERMATH:
                return event
        return None

    def nearest(self, at: float) -> Event | None:
        before = [event for event in self.events if event.at <= at + 0.2]
        return before[-1] if before else None
