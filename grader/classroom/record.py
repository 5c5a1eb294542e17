"""The one writer: puts each graded submission into the real gradebook, ``autograded/`` and ``feedback/``.

Jobs never touch the course. The recorder takes what a job produced, writes the verdicts it received
through the pipe into the check cells once more (so nothing a job left on disk can change a score),
and then lets nbgrader's own code record it (:mod:`grader.classroom.gradebook`): ``SaveAutoGrades``
and ``AssignLatePenalties`` on the notebook; the feedback page is the one the job made from the same
notebook, or ``GenerateFeedback`` here when it made none. One process writing, one submission at a
time, is what SQLite needs; it costs little, since grading is where the time goes.

A submission whose job ended early is still recorded: its notebook is sanitized here, as nbgrader
would have, and carries the verdicts without having run; one that is not a notebook at all gets
zero, as nbgrader gives a missing notebook.

The notes are messages (grader.i18n), said in the summary's language; the verdicts go into the cells
in the notebook's language (:func:`grader.classroom.verdicts.notebook_language`).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..i18n import N_, Text, _, choose, render
from ..i18n.message import from_dict
from . import chains, gradebook, profile, steps
from .capped import capped
from .course import Course
from .job import COURSE, OUTCOME_FILE, Job
from .local import Finished
from .repair import NOTES, Unreadable, read_submission
from .verdicts import Verdicts

MAX_EXTRA_BYTES = 16 * 2**20  # files a job's kernel wrote beside the notebook, beyond this, are not kept
LOG = logging.getLogger("grader.classroom.record")
ENDINGS = {"timed out": N_("The grading timed out: {detail}."), "crashed": N_("The grading crashed: {detail}.")}


@dataclass
class Recorded:
    """One submission as recorded: its score in the gradebook, and what the instructor should know."""

    student: str
    score: float
    max_score: float
    status: str
    seconds: float
    notes: list[str] = field(default_factory=list)  # messages (grader.i18n) or text
    profile: dict = field(default_factory=dict)  # {stage: {"wall": s, "cpu": s}} (grader.classroom.profile)


class Recorder:
    """Records the submissions of one assignment of ``course``; BadInput if it was never generated."""

    def __init__(self, course: Course, assignment: str):
        self.course = course
        self.assignment = assignment
        self.notebooks = course.notebooks(assignment)
        self.notes: dict[str, list[str]] = {}  # per student, from before grading (files left out)

    def record(self, finished: Finished) -> Recorded:
        """Record one finished job; the profile it sent gets the time recording took as its last stage."""
        wall, cpu = time.monotonic(), profile.cpu_seconds()
        recorded = self._record(finished)
        recorded.profile = {**_outcome(finished.folder).get("profile", {}),
                            profile.RECORD: {"wall": round(time.monotonic() - wall, 4),
                                             "cpu": round(profile.cpu_seconds() - cpu, 4)}}
        return recorded

    def _record(self, finished: Finished) -> Recorded:
        job, student = finished.job, finished.job.student
        outcome = _outcome(finished.folder)
        produced = finished.folder / COURSE / job.autograded
        notes = list(self.notes.pop(student, []))
        if finished.ended != "done":
            ending = _(ENDINGS[finished.ended], detail=finished.detail)
            if finished.log_tail:  # the log as it is, on the lines after the note
                ending = Text((Text((ending, _("The last lines of its log:")), " "), finished.log_tail))
            notes.append(ending)
        if outcome.get("error"):
            notes.append(_("nbgrader could not run the notebook to its end ({error}); the autograded notebook "
                           "holds the verdicts, without the outputs of its other cells.", error=outcome["error"]))
        status = {"done": "graded", "timed out": "timed out", "crashed": "crashed"}[finished.ended]
        results = {}
        for name in self.notebooks:
            nb, read_notes, ran = self._notebook(produced / f"{name}.ipynb", student, name)
            repaired = [from_dict(note) for note in outcome.get("notes", {}).get(name, [])]
            notes += [note for note in repaired + read_notes if note not in notes]
            if nb is None:
                results[name] = None
                status = "unreadable"
                continue
            if not ran and status == "graded":
                status = "not run"
            self._stamp(nb, name, finished.verdicts.get(name), finished)
            notes += [note for note in nb.metadata.get(NOTES, []) if note not in notes]
            results[name] = nb
        if status == "graded" and notes:
            status = "repaired"
        ran = finished.ended == "done" and not outcome.get("error") and status != "not run"
        self._write(student, results, finished.folder, job, ran)
        score, max_score = self.score(student)
        return Recorded(student, score, max_score, status, finished.seconds, notes)

    # -- the notebook ----------------------------------------------------------------------------
    def _notebook(self, produced: Path, student: str, name: str):
        """(notebook, notes, ran): the job's executed notebook, else the submission sanitized here."""
        if produced.is_file():
            try:
                return nbformat.read(produced, as_version=4), [], True
            except Exception as error:  # nbformat raises several kinds for a damaged file
                LOG.warning(render(_("{student}'s {name} from the job is unusable ({error})", student=student, name=name,
                                     error=str(error)), choose(None)))
        submitted = self.course.path(self.course.coursedir.submitted_directory, student, self.assignment)
        try:
            data, notes = read_submission(submitted / f"{name}.ipynb")
        except FileNotFoundError:
            notebook = f"{name}.ipynb"
            return None, [_("{notebook} was not handed in.", notebook=notebook)], False
        except Unreadable as problem:
            return None, [problem.args[0] if problem.args else str(problem)], False
        nb = nbformat.from_dict(data)
        resources = self._resources(student, name)
        for step in chains.SANITIZE:
            nb, resources = gradebook.step(step, self.course.config).preprocess(nb, resources)
        return nb, notes, False

    def _stamp(self, nb, name: str, verdicts: Verdicts | None, finished: Finished) -> None:
        """Write the verdicts received through the pipe into the check cells, whatever they hold."""
        configured = self.course.config.get("GradeOutsideKernel", {}).get("exercises", {})
        exercise = steps.exercise_for({"nbgrader": {"assignment": self.assignment, "notebook": name}},
                                      configured)
        if exercise is None:
            return
        cells = steps.check_cells(nb, exercise)
        if verdicts is None:
            verdicts = _not_graded(exercise, cells, finished)
        steps.apply(nb, verdicts, cells, [])

    # -- the course ------------------------------------------------------------------------------
    def _write(self, student: str, results: dict, folder: Path, job: Job, ran: bool) -> None:
        """Gradebook first (nbgrader's own steps), then autograded/, then feedback/: the job's page
        when it made one from these very notebooks, else one made here."""
        coursedir = self.course.coursedir
        submitted = self.course.path(coursedir.submitted_directory, student, self.assignment)
        gradebook.save(self.course.config, self.course.db_url, self.course.course_id, self.assignment,
                       student, gradebook.timestamp(coursedir, submitted), results)
        target = self.course.path(coursedir.autograded_directory, student, self.assignment)
        _replace(target)
        for name, nb in results.items():
            if nb is not None:
                nbformat.write(nb, target / f"{name}.ipynb")
        produced = folder / COURSE / job.autograded
        _copy_extra(produced if produced.is_dir() else submitted, target)
        _permissions(target, 0o664 if coursedir.groupshared else 0o444)
        if all(nb is None for nb in results.values()):
            return
        made = folder / COURSE / job.feedback
        if ran and all(made.joinpath(f"{name}.html").is_file() for name, nb in results.items() if nb is not None):
            target = self.course.path(coursedir.feedback_directory, student, self.assignment)
            _replace(target)
            for page in made.glob("*.html"):
                shutil.copyfile(page, target / page.name)
            _permissions(target, 0o664 if coursedir.groupshared else 0o644)
            return
        try:
            gradebook.feedback(self.course.config, student, self.assignment)
        except Exception as error:  # feedback can be made again with nbgrader generate_feedback
            LOG.warning(render(_("no feedback for {student}: {error}", student=student, error=str(error)), choose(None)))

    def score(self, student: str) -> tuple[float, float]:
        from nbgrader.api import Gradebook
        with Gradebook(self.course.db_url, self.course.course_id) as book:
            submission = book.find_submission(self.assignment, student)
            return round(submission.score, 2), submission.max_score

    def _resources(self, student: str, notebook: str) -> dict:
        return {"nbgrader": {"student": student, "assignment": self.assignment, "notebook": notebook,
                             "db_url": self.course.db_url}, "unique_key": notebook}


def _replace(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _not_graded(exercise: str, cells: dict, finished: Finished) -> Verdicts:
    from ..checks import EXERCISES
    from ..checks.base import NOT_GRADED, CheckResult
    why = _("The grader could not finish grading this notebook: {detail}. Ask your instructor to grade it again.",
            detail=finished.detail)
    results = tuple(CheckResult(c.name, c.title, NOT_GRADED, 0, c.points, str(why), c.hidden, message=why)
                    for c in EXERCISES[exercise] if c.name in cells.values())
    return Verdicts(exercise, results)


def _outcome(folder: Path) -> dict:
    try:
        return json.loads((folder / OUTCOME_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _copy_extra(source: Path, target: Path) -> None:
    """Files beside the notebook (what nbgrader's autograde left there), up to MAX_EXTRA_BYTES."""
    for item in capped(source, MAX_EXTRA_BYTES, skip=lambda path: path.suffix == ".ipynb")[0]:
        destination = target / item.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item, destination)


def _permissions(target: Path, mode: int) -> None:
    """As nbgrader sets them: autograded files 444, feedback 644 (664 in a group-shared course)."""
    for folder, _dirs, files in os.walk(target):
        for name in files:
            os.chmod(os.path.join(folder, name), mode)
