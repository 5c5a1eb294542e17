"""The nbgrader course folder: its settings, an assignment's submissions, and what a job needs of it.

Paths follow the course's own nbgrader settings (``CourseDirectory``: folder names, directory
structure, ignore patterns), read from ``nbgrader_config.py`` in the course folder, so a job lays out
its private copy of the course exactly as the course is laid out.
"""
from __future__ import annotations

import glob
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..i18n import _
from .capped import capped

CONFIG_FILE = "nbgrader_config.py"
MAX_SUBMISSION_BYTES = 64 * 2**20  # files of one submission beyond this are not copied to its job
GRADEBOOK = "gradebook.db"


@dataclass(frozen=True)
class Submission:
    student: str
    folder: Path  # submitted/<student>/<assignment>/


class Course:
    """One nbgrader course folder, read-only except through :mod:`grader.classroom.record`."""

    def __init__(self, root: Path):
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader

        root = Path(root).resolve()
        if not (root / CONFIG_FILE).is_file():
            raise BadInput(_("{root} has no {config}: run grader autograde in the nbgrader course folder (for "
                             "this course, exercises/).", root=str(root), config=CONFIG_FILE))
        self.config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
        self.config.CourseDirectory.root = str(root)
        self.coursedir = CourseDirectory(config=self.config)
        self.root = root
        self._shared: dict[str, dict[str, bytes]] = {}  # per assignment: the files every job gets

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id or "default_course"

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    def path(self, step: str, student: str, assignment: str) -> Path:
        """The folder of one student's assignment at one step (submitted, autograded, feedback)."""
        return Path(self.coursedir.format_path(step, student, assignment))

    def relative(self, step: str, student: str, assignment: str) -> Path:
        return self.path(step, student, assignment).relative_to(self.root)

    def submissions(self, assignment: str, student: str = "*") -> list[Submission]:
        """Every submitted folder of ``assignment`` whose student id matches the glob ``student``."""
        step = self.coursedir.submitted_directory
        pattern = self.coursedir.format_path(step, "(?P<student_id>.*)", assignment, escape=True)
        found = []
        for folder in sorted(glob.glob(self.coursedir.format_path(step, student, assignment))):
            match = re.fullmatch(pattern, folder)
            if match and os.path.isdir(folder):
                found.append(Submission(match.group("student_id"), Path(folder)))
        return found

    def notebooks(self, assignment: str) -> list[str]:
        """The assignment's notebook names, from the gradebook; BadInput when it was never generated."""
        from nbgrader.api import Gradebook, MissingEntry
        with Gradebook(self.db_url, self.course_id) as gradebook:
            try:
                return [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
            except MissingEntry:
                raise BadInput(_("the gradebook has no assignment {quoted}: run `nbgrader generate_assignment "
                                 "{assignment}` first.", quoted=repr(assignment), assignment=assignment)) from None

    def should_grade(self, assignment: str, submission: Submission, force: bool) -> bool:
        """nbgrader's rule: grade what was never graded, everything with --force, and submissions
        handed in again since they were graded (their timestamp.txt is newer)."""
        done = self.path(self.coursedir.autograded_directory, submission.student, assignment)
        if force or not done.exists():
            return True
        from .gradebook import timestamp
        new = timestamp(self.coursedir, submission.folder)  # None for an unreadable timestamp.txt
        old = timestamp(self.coursedir, done)
        return new is not None and old is not None and new > old

    def job_files(self, assignment: str, submission: Submission, template: bytes) -> tuple[dict[str, bytes], list[str]]:
        """The files of a job's private course: settings, gradebook template, source files, submission.

        Returns the files and notes (messages) on anything left out (a submission over MAX_SUBMISSION_BYTES).
        """
        files = {**self._shared_files(assignment), GRADEBOOK: template}
        kept, left = capped(submission.folder, MAX_SUBMISSION_BYTES)
        for name in kept:
            files[os.path.relpath(name, self.root)] = name.read_bytes()
        notes = [_("{name} was not graded: the submission is over {mib} MiB.", name=name.name,
                   mib=MAX_SUBMISSION_BYTES // 2**20) for name in left]
        return files, notes

    def _shared_files(self, assignment: str) -> dict[str, bytes]:
        """The settings and the assignment's source files (its notebooks aside), read once per batch."""
        if assignment not in self._shared:
            from nbgrader.utils import find_all_files
            files = {CONFIG_FILE: (self.root / CONFIG_FILE).read_bytes()}
            source = self.path(self.coursedir.source_directory, ".", assignment)
            for name in find_all_files(str(source), self.coursedir.ignore + ["*.ipynb"]):
                files[os.path.relpath(name, self.root)] = Path(name).read_bytes()
            self._shared[assignment] = files
        return self._shared[assignment]

    def template_gradebook(self, assignment: str) -> bytes:
        """A gradebook holding only ``assignment`` (its notebooks and cells, no students): what a job
        needs to autograde one submission, small enough to send to any machine."""
        from nbgrader.api import Gradebook
        with tempfile.TemporaryDirectory(prefix="factor-six-template-") as folder:
            target = f"sqlite:///{folder}/{GRADEBOOK}"
            with Gradebook(self.db_url, self.course_id) as real, Gradebook(target, self.course_id) as copy:
                _copy_assignment(real.find_assignment(assignment), copy)
            return (Path(folder) / GRADEBOOK).read_bytes()


def _copy_assignment(assignment, target) -> None:
    name = assignment.name
    target.update_or_create_assignment(name, duedate=assignment.duedate)
    for notebook in assignment.notebooks:
        target.update_or_create_notebook(notebook.name, name)
        for cell in notebook.grade_cells:
            target.update_or_create_grade_cell(cell.name, notebook.name, name, max_score=cell.max_score,
                                               cell_type=cell.cell_type)
        for cell in notebook.solution_cells:
            target.update_or_create_solution_cell(cell.name, notebook.name, name)
        for cell in notebook.task_cells:
            target.update_or_create_task_cell(cell.name, notebook.name, name, max_score=cell.max_score,
                                              cell_type=cell.cell_type)
        for cell in notebook.source_cells:
            target.update_or_create_source_cell(cell.name, notebook.name, name, cell_type=cell.cell_type,
                                                locked=cell.locked, source=cell.source, checksum=cell.checksum)
