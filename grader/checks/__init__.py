"""The registry: every exercise's checks, in the order they run."""
from __future__ import annotations

from ..source import BadInput
from . import assets, hits, jobs, scratch, sessions
from .base import Check

EXERCISES: dict[str, list[Check]] = {"hits": hits.CHECKS, "sessions": sessions.CHECKS, "assets": assets.CHECKS,
                                  "jobs": jobs.CHECKS, "scratch": scratch.CHECKS}


def select(exercise: str, names=None) -> list[Check]:
    """The checks to run; BadInput names what exists when the exercise or a check is unknown."""
    if exercise not in EXERCISES:
        raise BadInput(f"unknown exercise {exercise!r}; the exercises are: {', '.join(EXERCISES)}.")
    checks = EXERCISES[exercise]
    if not names:
        return list(checks)
    known = {check.name: check for check in checks}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise BadInput(f"{exercise} has no check {unknown[0]!r}; its checks are: {', '.join(known)}.")
    return [known[name] for name in names]
