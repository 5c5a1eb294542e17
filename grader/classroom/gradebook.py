"""Grades and feedback written by nbgrader's own code, so they are exactly what nbgrader writes.

The recorder uses these on the real course; a job uses them on its private copy, with a fresh
gradebook, to produce the feedback page in parallel with the other jobs.
"""
from __future__ import annotations

import logging
from datetime import datetime

from . import chains

LOG = logging.getLogger("grader.classroom.gradebook")
AFTER_EXECUTION = ("nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties")


def save(config, db_url: str, course_id: str, assignment: str, student: str,
         timestamp: datetime | None, notebooks: dict) -> None:
    """Record one submission: the student, the submission (with its hand-in time), and each
    notebook's grades as nbgrader's autograde records them; a notebook that is None (not handed in,
    or unreadable) gets zero, as nbgrader gives a missing notebook."""
    from nbgrader.api import Gradebook
    with Gradebook(db_url, course_id) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student, **({"timestamp": timestamp} if timestamp else {}))
        for name, nb in notebooks.items():
            if nb is None:
                for grade in gradebook.find_submission_notebook(name, assignment, student).grades:
                    grade.auto_score, grade.needs_manual_grade = 0, False
        gradebook.db.commit()
    for name, nb in notebooks.items():
        if nb is not None:
            resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": name,
                                      "db_url": db_url}, "unique_key": name}
            for path in AFTER_EXECUTION:
                nb, resources = step(path, config).preprocess(nb, resources)


def feedback(config, student: str, assignment: str, log: logging.Logger | None = None) -> None:
    """``nbgrader generate_feedback ASSIGNMENT --student STUDENT --force``, with the factor-six chain
    (hidden test code never shows). ``config`` must name the course root and gradebook."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory
    config = config.copy()
    config.CourseDirectory.student_id = student
    config.CourseDirectory.assignment_id = assignment
    chains.configure(config)
    config.GenerateFeedback.exporter_class = "grader.classroom.templates.CompiledOnceHTMLExporter"
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config, log=log or LOG)
    converter.force = True
    converter.start()


def timestamp(coursedir, submitted) -> datetime | None:
    """When the submission in folder ``submitted`` was handed in (its timestamp.txt), or None."""
    try:
        return coursedir.get_existing_timestamp(str(submitted))
    except Exception:  # an unreadable timestamp.txt: treated as none, where nbgrader would stop
        return None


def step(path: str, config):
    """An nbgrader preprocessor, by import path, configured as the course configures it."""
    from traitlets.utils.importstring import import_item
    return import_item(path)(config=config, log=LOG)
