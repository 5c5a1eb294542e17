"""Out-of-kernel verdicts: grade the app a notebook writes, without running the notebook.

The app is whatever the notebook's ``%%writefile`` cells write, in order (as :mod:`grader.platform.source`
reads a notebook file). Nothing the learner's kernel does can change a verdict: it is computed by the
grader's own processes from the notebook's text, before any kernel starts.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..checks.base import NOT_GRADED, CheckResult
from ..platform.source import APP_ENTRY, AppSource, files_from_cells
from ..errors import BadInput

SEED = 0  # the seed a graded cell's grader.assert_check uses by default, so both give one verdict


@dataclass(frozen=True)
class Verdicts:
    """Every check's result for one notebook, plus notes about what was graded (one source of truth
    for the graded cells' outputs, the summary table and the JSON report)."""

    exercise: str
    results: tuple[CheckResult, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    def result(self, name: str) -> CheckResult | None:
        return next((result for result in self.results if result.name == name), None)

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "notes": list(self.notes), "seconds": self.seconds,
                "results": [{"name": r.name, "title": r.title, "status": r.status, "points": r.points,
                             "max_points": r.max_points, "feedback": r.feedback, "hidden": r.hidden}
                            for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict) -> "Verdicts":
        results = tuple(CheckResult(**item) for item in data["results"])
        return cls(data["exercise"], results, tuple(data.get("notes", ())), data.get("seconds", 0.0))


def app_from_cells(cells: list, origin: str) -> AppSource:
    """The files a notebook's ``%%writefile`` cells write, in cell order; raises BadInput."""
    files = files_from_cells(cells)
    if APP_ENTRY not in files:
        raise BadInput(f"{origin} has no %%writefile app.py cell. Write your app in app.py (a WSGI "
                       "callable named `app`), in the cell that starts with `%%writefile app.py`.")
    return AppSource(origin=origin, files=files)


def judge(exercise: str, cells: list, names: list[str], origin: str) -> Verdicts:
    """Run the named checks of ``exercise`` on the app ``cells`` write; never raises for bad input.

    Input that cannot be graded at all (no app cell) makes every check "could not grade", with the
    message ``grader check`` would print, so the score is the one ``grader check`` gives (nothing).
    """
    from .. import checks as registry
    from ..grading.runner import grade

    started = time.monotonic()
    checks = registry.select(exercise, names)
    try:
        source = app_from_cells(cells, origin)
    except BadInput as problem:
        results = tuple(CheckResult(c.name, c.title, NOT_GRADED, 0, c.points, str(problem), c.hidden)
                        for c in checks)
        return Verdicts(exercise, results, (), time.monotonic() - started)
    report = grade(exercise, source, [check.name for check in checks], seed=SEED)
    return Verdicts(exercise, tuple(report.results), tuple(report.notes), time.monotonic() - started)


def cell_outputs(verdicts: Verdicts, name: str) -> list[dict]:
    """What the graded cell of check ``name`` shows: the same text ``grader.assert_check`` prints
    when the check passes, or the same ``CheckFailed`` error it raises when it does not."""
    result = verdicts.result(name)
    notes = "".join(note + "\n" for note in verdicts.notes)
    if result is not None and result.passed:
        return [{"output_type": "stream", "name": "stdout",
                 "text": f"{notes}{result.title}: passed. {result.feedback}\n"}]
    if result is None:
        message = f"{notes}{name}: could not grade.\nThe grader did not run this check."
    else:
        message = f"{notes}{result.title}: {result.status}.\n{result.feedback}"
    return [{"output_type": "error", "ename": "CheckFailed", "evalue": message,
             "traceback": f"CheckFailed: {message}".splitlines()}]
