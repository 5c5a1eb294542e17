"""What a check is, what it returns, and the context it runs in.

A check drives a fresh cluster through one scenario and returns a :class:`Verdict`; the runner turns
it into a frozen :class:`CheckResult`. When the app cannot even start, the runner records the status
"could not grade", kept apart from a failure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..i18n import render, translate

PASSED, FAILED, NOT_GRADED = "passed", "failed", "could not grade"


class Inconclusive(Exception):
    """The grader could not judge the app this time, through no fault of the app (say, a machine too
    busy to keep a timed scenario's pace): the check reads "could not grade", with this message."""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    feedback: str
    figure: str = ""  # an SVG picture of what happened, for notebooks (the chaos check's timeline)


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    points: int
    run: Callable[["Scenario"], Verdict]
    hidden: bool = False
    workers: int = 3
    policy: str = "round_robin"
    # Processes per Procfile type, for checks that need more than web processes, such as
    # {"web": 2, "worker": 1}; None runs ``workers`` web processes alone.
    processes: dict[str, int] | None = field(default=None, hash=False)
    # Config vars this check's cluster starts with, on top of the platform's ({"SESSION_TTL": "2"}).
    config: dict[str, str] | None = field(default=None, hash=False)
    # Extra arguments for every gunicorn web process of this check's cluster (("--threads", "4")).
    gunicorn_args: tuple[str, ...] = ()
    # Runs with no other check beside it: its faults reach past its own cluster (a restart of a
    # backing service every cluster shares, a slowed network), which would disturb a neighbour.
    alone: bool = False

    @property
    def formation(self) -> dict[str, int]:
        """How many processes of each type this check's cluster starts with."""
        return dict(self.processes) if self.processes else {"web": self.workers}


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
    figure: str = field(default="", repr=False)  # SVG shown under the feedback in a notebook's report
    # The feedback as a message (grader.i18n), when the check gave one: ``feedback`` is its English
    # rendering, and :meth:`feedback_in` says it in another language from the same run.
    message: object = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def feedback_in(self, lang: str) -> str:
        return render(self.message if self.message is not None else self.feedback, lang)

    def title_in(self, lang: str) -> str:
        return translate(self.title, lang)

    def to_dict(self, lang: str = "en") -> dict:
        data = {"name": self.name, "passed": self.passed, "status": self.status, "points": self.points,
                "max_points": self.max_points, "feedback": self.feedback_in(lang)}
        if self.message is not None:
            data["message"] = self.message.to_dict()
        return data


@dataclass
class Scenario:
    """What a check gets: the platform, a started cluster and the run's seed."""

    platform: object
    cluster: object
    seed: int

    def incarnation_of(self, response):
        """The current process of the worker that gave ``response`` (whose logs feedback may quote)."""
        worker = self.cluster.workers.get(response.worker)
        return worker.current if worker else None


def is_id(value) -> bool:
    """Whether an app's value can be an id: a non-empty string or an integer (never a bool)."""
    return (isinstance(value, str) and value != "") or (isinstance(value, int) and not isinstance(value, bool))
