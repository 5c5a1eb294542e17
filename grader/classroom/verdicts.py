"""Out-of-kernel verdicts: grade the app a notebook writes, without running the notebook.

The app is whatever the notebook's ``%%writefile`` cells write, in order (as :mod:`grader.platform.source`
reads a notebook file). Nothing the learner's kernel does can change a verdict: it is computed by the
grader's own processes from the notebook's text, before any kernel starts.

The verdicts keep each check's feedback as a message (grader.i18n), also when they travel as plain
data, so a graded cell shows them in the notebook's language (:func:`notebook_language`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..checks.base import NOT_GRADED, CheckResult
from ..i18n import LANGUAGES, Message, Text, _, choose, render, translate
from ..i18n.message import from_dict as message_from_dict
from ..platform.source import APP_ENTRY, AppSource, files_from_cells
from ..errors import BadInput

SEED = 0  # the seed a graded cell's grader.assert_check uses by default, so both give one verdict
METADATA = "factor_six"  # notebook metadata of the course's own: {"lang": "el"} in a Greek notebook


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
        return {"exercise": self.exercise, "notes": [as_data(note) for note in self.notes], "seconds": self.seconds,
                "results": [{"name": r.name, "title": r.title, "status": r.status, "points": r.points,
                             "max_points": r.max_points, "feedback": r.feedback, "hidden": r.hidden,
                             **({"message": as_data(r.message)} if r.message is not None else {})}
                            for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict) -> "Verdicts":
        results = []
        for item in data["results"]:
            item = dict(item)
            message = item.pop("message", None)
            results.append(CheckResult(**item, message=None if message is None else message_from_dict(message)))
        notes = tuple(message_from_dict(note) for note in data.get("notes", ()))
        return cls(data["exercise"], tuple(results), notes, data.get("seconds", 0.0))


def as_data(value):
    """A message (grader.i18n) as plain data that JSON can carry (:func:`grader.i18n.message.from_dict`
    reads it back; a value that is not a JSON type travels as its text); anything else as it is."""
    return _json(value.to_dict()) if isinstance(value, (Message, Text)) else value


def _json(data):
    if isinstance(data, dict):
        return {str(key): _json(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_json(item) for item in data]
    return data if data is None or isinstance(data, (str, int, float, bool)) else str(data)


def notebook_language(nb) -> str:
    """The language a notebook's graded cells speak: the one its metadata names (``factor_six.lang``,
    which the course's Greek notebooks carry), else the one the locale variables name."""
    meta = nb.get("metadata", {}).get(METADATA) if hasattr(nb, "get") else None
    lang = meta.get("lang") if isinstance(meta, dict) else None
    return lang if lang in LANGUAGES else choose(None)


def app_from_cells(cells: list, origin: str) -> AppSource:
    """The files a notebook's ``%%writefile`` cells write, in cell order; raises BadInput."""
    files = files_from_cells(cells)
    if APP_ENTRY not in files:
        raise BadInput(_("{origin} has no %%writefile app.py cell. Write your app in app.py (a WSGI "
                         "callable named `app`), in the cell that starts with `%%writefile app.py`.", origin=origin))
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
        said = problem.args[0] if len(problem.args) == 1 and isinstance(problem.args[0], (Message, Text)) else None
        results = tuple(CheckResult(c.name, c.title, NOT_GRADED, 0, c.points, str(problem), c.hidden, message=said)
                        for c in checks)
        return Verdicts(exercise, results, (), time.monotonic() - started)
    report = grade(exercise, source, [check.name for check in checks], seed=SEED)
    return Verdicts(exercise, tuple(report.results), tuple(report.notes), time.monotonic() - started)


def cell_outputs(verdicts: Verdicts, name: str, lang: str = "en") -> list[dict]:
    """What the graded cell of check ``name`` shows, in ``lang``: the same text ``grader.assert_check``
    prints when the check passes, or the same ``CheckFailed`` error it raises when it does not."""
    from ..grading.report import STATUSES  # the words grader.assert_check says them with
    result = verdicts.result(name)
    notes = "".join(render(note, lang) + "\n" for note in verdicts.notes)
    if result is None:
        said = _("{title}: {status}.", title=name, status=translate(STATUSES[NOT_GRADED], lang))
        message = notes + Text((said, _("The grader did not run this check.")), "\n").render(lang)
        return _error(message)
    said = _("{title}: {status}.", title=result.title_in(lang), status=translate(STATUSES[result.status], lang))
    if result.passed:
        return [{"output_type": "stream", "name": "stdout",
                 "text": f"{notes}{said.render(lang)} {result.feedback_in(lang)}\n"}]
    return _error(f"{notes}{said.render(lang)}\n{result.feedback_in(lang)}")


def _error(message: str) -> list[dict]:
    return [{"output_type": "error", "ename": "CheckFailed", "evalue": message,
             "traceback": f"CheckFailed: {message}".splitlines()}]
