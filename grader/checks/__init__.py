"""The checks layer: what a check is (``base``), how its feedback reads (``feedback``), the guards
every check obeys (``guards``), and one package per exercise, named in ``registry``.

``EXERCISES`` maps each exercise's name to its checks, in the course's order; an exercise's package
is imported the first time it is asked for, so ``grader check scratch`` need not load the others.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..errors import BadInput
from ..i18n import _
from .base import Check
from .registry import REGISTRY, Exercise


class _Exercises(Mapping):
    """Exercise name -> its checks, each exercise's modules imported the first time it is asked for."""

    def __getitem__(self, name: str) -> list[Check]:
        return exercise(name).checks if name in _BY_NAME else _missing(name)

    def __iter__(self) -> Iterator[str]:
        return iter(_BY_NAME)

    def __len__(self) -> int:
        return len(_BY_NAME)


def _missing(name: str):
    raise KeyError(name)


_BY_NAME = {entry.name: entry for entry in REGISTRY}
EXERCISES: Mapping[str, list[Check]] = _Exercises()


def exercise(name: str) -> Exercise:
    """The contract of one exercise; BadInput names the exercises when there is no such one."""
    if name not in _BY_NAME:
        raise BadInput(_("unknown exercise {name}; the exercises are: {exercises}.", name=repr(name),
                         exercises=", ".join(_BY_NAME)))
    return _BY_NAME[name]


def select(name: str, names=None) -> list[Check]:
    """The checks to run; BadInput names what exists when the exercise or a check is unknown."""
    checks = exercise(name).checks
    if not names:
        return list(checks)
    known = {check.name: check for check in checks}
    unknown = [item for item in names if item not in known]
    if unknown:
        raise BadInput(_("{exercise} has no check {name}; its checks are: {checks}.", exercise=name,
                         name=repr(unknown[0]), checks=", ".join(known)))
    return [known[item] for item in names]
