"""Grading again what a busy machine left ungraded.

A check that cannot judge fairly (the grader's own requests fell behind, the fault could not be
aimed) says "could not grade" and asks to be run again; the tests do what it asks, a bounded number
of times, and never turn a verdict into another: only a report with an ungraded check is redone.
"""
from __future__ import annotations

from grader.grading import grade

ATTEMPTS = 3


def ungraded(report) -> list[str]:
    return [result.name for result in report.results if result.status == "could not grade"]


def grade_settled(exercise: str, path, names=None, **options):
    """grade(), repeated (ATTEMPTS times at most) while some check could not grade."""
    report = grade(exercise, path, names, **options)
    for _ in range(ATTEMPTS - 1):
        if not ungraded(report):
            break
        report = grade(exercise, path, names, **options)
    return report
