"""What a check is, what it returns, and the context it runs in.

A check drives a fresh cluster through one scenario and returns a :class:`Verdict`; the runner turns
it into a frozen :class:`CheckResult`. When the app cannot even start, the runner records the status
"could not grade", kept apart from a failure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

PASSED, FAILED, NOT_GRADED = "passed", "failed", "could not grade"


@dataclass(frozen=True)
class Verdict:
    passed: bool
    feedback: str


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    points: int
    run: Callable[["Scenario"], Verdict]
    hidden: bool = False
    workers: int = 3
    policy: str = "round_robin"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome; the report renders it as text, HTML and JSON."""

    name: str
    title: str
    status: str
    points: float
    max_points: int
    feedback: str
    hidden: bool = False

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def to_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "status": self.status, "points": self.points,
                "max_points": self.max_points, "feedback": self.feedback}


@dataclass
class Scenario:
    """What a check gets: the platform, a started cluster and the run's seed."""

    platform: object
    cluster: object
    seed: int
