"""The registry: every exercise's checks, in the order they run."""
from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from ..source import BadInput
from .base import Check


class _Exercises(Mapping):
    """Exercise name -> its checks, each exercise's modules imported the first time it is asked for:
    ``grader check scratch`` need not load the other exercises' checks (half its start-up here)."""

    def __init__(self, names: tuple[str, ...]):
        self._names = names

    def __getitem__(self, name: str) -> list[Check]:
        if name not in self._names:
            raise KeyError(name)
        return importlib.import_module(f"{__name__}.{name}").CHECKS

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


EXERCISES: Mapping[str, list[Check]] = _Exercises(("hits", "sessions", "assets", "jobs", "scratch"))


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
