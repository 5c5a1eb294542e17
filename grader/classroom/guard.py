"""Grades that a kernel must not change: what an instructor may set by hand on a submission.

Plain ``nbgrader autograde`` runs the learner's kernel inside the course folder, where it can open
gradebook.db and give itself manual scores, which nbgrader keeps over automatic ones. The rows of
the submission being graded are read before the kernel starts (:func:`grades_of`) and put back
after it has stopped (:func:`restore_grades`). Under ``grader autograde`` kernels never see the
course at all; this guard then protects a private copy that is thrown away anyway.
"""
from __future__ import annotations

GRADE_FIELDS = ("manual_score", "extra_credit", "needs_manual_grade")


def _submission_notebook(gradebook, resources: dict):
    from nbgrader.api import MissingEntry
    info = resources.get("nbgrader", {})
    try:
        return gradebook.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
    except (MissingEntry, KeyError):
        return None


def grades_of(resources: dict) -> dict:
    """What an instructor may have set by hand on this submission (manual scores, extra credit,
    manual comments), taken before the kernel runs: a kernel can reach gradebook.db in the course."""
    from nbgrader.api import Gradebook
    db_url = resources.get("nbgrader", {}).get("db_url")
    if not db_url:
        return {}
    with Gradebook(db_url) as gradebook:
        notebook = _submission_notebook(gradebook, resources)
        if notebook is None:
            return {}
        found = {("grade", g.id): tuple(getattr(g, f) for f in GRADE_FIELDS) for g in notebook.grades}
        found.update({("comment", c.id): (c.manual_comment,) for c in notebook.comments})
        return found


def restore_grades(resources: dict, before: dict) -> bool:
    """Put back what :func:`grades_of` saw; True when something had changed in the meantime."""
    from nbgrader.api import Gradebook
    if not before:
        return False
    changed = False
    with Gradebook(resources["nbgrader"]["db_url"]) as gradebook:
        notebook = _submission_notebook(gradebook, resources)
        rows = {("grade", g.id): g for g in notebook.grades} if notebook else {}
        rows.update({("comment", c.id): c for c in notebook.comments} if notebook else {})
        for key, values in before.items():
            row = rows.get(key)
            fields = GRADE_FIELDS if key[0] == "grade" else ("manual_comment",)
            if row is not None and tuple(getattr(row, f) for f in fields) != values:
                changed = True
                for field, value in zip(fields, values):
                    setattr(row, field, value)
        gradebook.db.commit()
    return changed
