"""The nbgrader preprocessors that make a graded cell's points come from outside the learner's kernel.

In nbgrader's autograde chain (``exercises/nbgrader_config.py`` sets it):

1. :class:`GradeOutsideKernel`, just before execution: finds each graded cell whose grade_id is
   ``check_<name>`` for a check of the exercise, grades the app the notebook's ``%%writefile`` cells
   write (:func:`grader.classroom.verdicts.judge`, no kernel involved), and marks those cells, and
   the cells that only print a grader report, to be skipped by the kernel;
2. execution (:class:`grader.classroom.execution.ContainedExecute`) runs every other cell as usual;
3. :class:`ApplyVerdicts`, just before ``SaveAutoGrades``: gives each check's cell the output of its
   verdict (the text ``grader.assert_check`` prints, or the ``CheckFailed`` error it raises), so
   ``SaveAutoGrades`` records exactly the check's points, and the gradebook, formgrader, manual
   grading and ``generate_feedback`` work unchanged.

Whatever the kernel did (patched ``grader``, a fake module in ``sys.modules``, a redefined
``AssertionError``, a silenced traceback display) never reaches those cells' outputs: the check
cells do not run in the kernel at all, and their outputs are written after it has stopped. Manual
grades the kernel may have written into the gradebook are put back (:mod:`grader.classroom.guard`).

What the grader writes into the cells is in the notebook's language
(:func:`grader.classroom.verdicts.notebook_language`); its notes for the instructor are in the
instructor's (the locale variables').
"""
from __future__ import annotations

import ast
from typing import Callable

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Dict

from ..i18n import N_, _, choose, render, translate
from .guard import grades_of, restore_grades
from .repair import NOTES
from .verdicts import Verdicts, cell_outputs, judge, notebook_language

CHECK_PREFIX = "check_"  # grade_id of the graded cell that runs check NAME: check_NAME
SKIP_TAG = "skip-execution"  # nbclient leaves cells with this tag unexecuted
RESOURCE = "factor_six"  # key of this module's state in nbconvert's resources
REPORT_SKIPPED = N_("This cell runs the grader's report. It was not run again at grading time: each "
                    "graded cell below shows its own check's result.\n")

# Called with (notebook id, Verdicts) as soon as a verdict exists, before any kernel starts:
# `grader autograde` sends verdicts to its recorder this way (see grader.classroom.job).
verdict_sink: Callable[[str, Verdicts], None] | None = None


def exercise_for(resources: dict, overrides: dict) -> str | None:
    """The exercise a notebook is graded on: set in the config, else its notebook's or assignment's
    name, else the exercise whose edition in another language the assignment is."""
    from ..checks import EXERCISES
    from ..checks.registry import edition_of
    info = resources.get("nbgrader", {})
    for key in (info.get("assignment"), info.get("notebook")):
        if key in overrides:
            return overrides[key]
    for key in (info.get("notebook"), info.get("assignment")):
        if key in EXERCISES:
            return key
    edition = edition_of(info.get("assignment") or "")  # hits-el: the Greek edition of hits
    return edition[0] if edition else None


def check_cells(nb, exercise: str) -> dict[str, str]:
    """{grade_id: check name} for the graded code cells that run one check of ``exercise``."""
    from ..checks import EXERCISES
    known = {check.name for check in EXERCISES[exercise]}
    found = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not utils.is_grade(cell):
            continue
        grade_id = cell.metadata.nbgrader.get("grade_id", "")
        name = grade_id[len(CHECK_PREFIX):]
        if grade_id.startswith(CHECK_PREFIX) and name in known:
            found[grade_id] = name
    return found


def is_report(cell) -> bool:
    """True for an ungraded code cell whose only statement is ``grader.check(...)``: it prints a
    report of the very checks the graded cells hold, so running it again at grading time adds nothing."""
    if cell.cell_type != "code" or utils.is_grade(cell) or utils.is_solution(cell):
        return False
    try:
        body = ast.parse(cell.source).body
    except (SyntaxError, ValueError):
        return False
    if len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Call):
        return False
    func = body[0].value.func
    return (isinstance(func, ast.Attribute) and func.attr == "check"
            and isinstance(func.value, ast.Name) and func.value.id == "grader")


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


class GradeOutsideKernel(NbGraderPreprocessor):
    """Grade the notebook's app outside the kernel and keep the kernel away from the check cells."""

    exercises = Dict({}, help="Exercise to grade an assignment or notebook on, by its name, when the "
                              "name is not itself an exercise: {'week3': 'hits'}.").tag(config=True)
    skip_reports = Bool(True, help="Skip cells that only print grader.check(...) reports.").tag(config=True)

    def preprocess(self, nb, resources):
        exercise = exercise_for(resources, self.exercises)
        if exercise is None:
            self.log.warning(render(_("No factor-six exercise for {notebook}; its cells are graded in the kernel.",
                                      notebook=resources.get("nbgrader", {}).get("notebook")), choose(None)))
            return nb, resources
        cells = check_cells(nb, exercise)
        if not cells:
            return nb, resources
        from ..checks import EXERCISES
        names = [check.name for check in EXERCISES[exercise] if check.name in cells.values()]
        notebook = resources.get("nbgrader", {}).get("notebook", "notebook")
        verdicts = judge(exercise, nb.cells, names, f"{notebook}.ipynb")
        if verdict_sink is not None:
            verdict_sink(notebook, verdicts)
        skipped = []
        for index, cell in enumerate(nb.cells):
            if _grade_id(cell) in cells or (self.skip_reports and is_report(cell)):
                tags = cell.metadata.setdefault("tags", [])
                if SKIP_TAG not in tags:
                    tags.append(SKIP_TAG)
                    skipped.append(index)
        resources[RESOURCE] = {"verdicts": verdicts, "cells": cells, "skipped": skipped,
                               "grades": grades_of(resources), "lang": notebook_language(nb)}
        return nb, resources


class ApplyVerdicts(NbGraderPreprocessor):
    """Give each check cell its verdict's output, so SaveAutoGrades records the check's points."""

    def preprocess(self, nb, resources):
        state = resources.get(RESOURCE)
        if state:
            apply(nb, state["verdicts"], state["cells"], state["skipped"], state.get("lang"))
            if restore_grades(resources, state["grades"]):
                said = _("The notebook changed its own grades in the gradebook while it ran; they were put back.")
                self.log.warning(render(said, choose(None)))
                nb.metadata.setdefault(NOTES, []).append(render(said, choose(None)))  # for the instructor
        return nb, resources


def apply(nb, verdicts: Verdicts, cells: dict[str, str], skipped: list[int], lang: str | None = None) -> None:
    """Write the verdicts into the check cells (and a note into skipped report cells), in place, in
    ``lang`` (by default the notebook's language)."""
    lang = lang or notebook_language(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if index in skipped:
            tags = cell.metadata.get("tags", [])
            if SKIP_TAG in tags:
                tags.remove(SKIP_TAG)
            if not tags:
                cell.metadata.pop("tags", None)
        name = cells.get(_grade_id(cell))
        if name is not None:
            cell.outputs = [_node(output) for output in cell_outputs(verdicts, name, lang)]
            cell.execution_count = None
        elif index in skipped:
            cell.outputs = [_node({"output_type": "stream", "name": "stdout",
                                   "text": translate(REPORT_SKIPPED, lang)})]


def _node(output: dict):
    from nbformat import from_dict
    return from_dict(output)


class HideHiddenTests(Preprocessor):
    """For feedback: drop ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` regions from every cell.

    nbgrader's own ClearHiddenTests raises on a lone delimiter, which a learner can type into any
    cell; this one only removes complete regions and leaves everything else as it is. The verdict
    in a hidden check's output names the property that failed, never the test code.
    """

    enabled = Bool(True).tag(config=True)
    begin = "BEGIN HIDDEN TESTS"
    end = "END HIDDEN TESTS"

    def preprocess_cell(self, cell, resources, index):
        lines = cell.source.split("\n")
        starts = [i for i, line in enumerate(lines) if self.begin in line]
        if not starts:
            return cell, resources
        kept, hiding = [], False
        for number, line in enumerate(lines):
            if self.begin in line and any(self.end in later for later in lines[number + 1:]):
                hiding = True
            elif hiding and self.end in line:
                hiding = False
            elif not hiding:
                kept.append(line)
        cell.source = "\n".join(kept)
        return cell, resources
