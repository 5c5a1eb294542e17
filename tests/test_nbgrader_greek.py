"""The Greek edition of an exercise through a real nbgrader round trip, graded by an English-speaking
instructor: the assignment ``<exercise>-el`` releases without its solution, the reference earns full
marks and the untouched release nothing, and the feedback nbgrader's ``generate_feedback`` writes is
Greek, because the notebook says it is (its metadata), whatever the instructor's locale.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader.checks import EXERCISES
from grader.checks import exercise as contract
from grader.i18n import translate
from greek import english_in

COURSE = Path(__file__).resolve().parent.parent / "exercises"
EXERCISES_IN_GREEK = list(EXERCISES)  # every exercise, each graded in its own xdist group
EACH = [pytest.param(name, marks=pytest.mark.xdist_group(f"nbgrader-el-{name}")) for name in EXERCISES_IN_GREEK]
TIMEOUT = 600
ENGLISH_INSTRUCTOR = {**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": "", "LANGUAGE": "", "JPY_SESSION_NAME": ""}


def nbgrader(course: Path, *args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                         timeout=TIMEOUT, env=ENGLISH_INSTRUCTOR)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} exited with {run.returncode}:\n{run.stdout}{run.stderr}"
    return run.stdout + run.stderr


@pytest.fixture(scope="session")
def greek_course(tmp_path_factory):
    made: dict[str, Path] = {}

    def build(exercise: str) -> Path:
        if exercise not in made:
            assignment = contract(exercise).editions["el"]
            folder = tmp_path_factory.mktemp(f"course-{assignment}")
            shutil.copy(COURSE / "nbgrader_config.py", folder)
            shutil.copytree(COURSE / "source" / assignment, folder / "source" / assignment,
                            ignore=shutil.ignore_patterns("*.py", "Procfile", "assets", "static", ".ipynb_checkpoints"))
            nbgrader(folder, "generate_assignment", assignment, "--force")
            for student, notebook in (("solver", folder / "source" / assignment / f"{exercise}.ipynb"),
                                      ("starter", folder / "release" / assignment / f"{exercise}.ipynb")):
                target = folder / "submitted" / student / assignment
                target.mkdir(parents=True)
                shutil.copy(notebook, target / f"{exercise}.ipynb")
            nbgrader(folder, "autograde", assignment)
            nbgrader(folder, "generate_feedback", assignment)
            made[exercise] = folder
        return made[exercise]

    return build


def score(course: Path, exercise: str, student: str) -> tuple[float, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(f"{exercise}-el", student)
        return submission.score, submission.max_score


def feedback_text(course: Path, exercise: str, student: str) -> str:
    """The text of the feedback page nbgrader wrote for ``student``, tags and styles taken out."""
    page = (course / "feedback" / student / f"{exercise}-el" / f"{exercise}.html").read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


@pytest.mark.parametrize("exercise", EACH)
def test_the_greek_release_has_no_solution_and_keeps_its_language(greek_course, exercise):
    course = greek_course(exercise)
    release = course / "release" / f"{exercise}-el" / f"{exercise}.ipynb"
    text = release.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert json.loads(text)["metadata"]["factor_six"] == {"lang": "el"}


@pytest.mark.parametrize("exercise", EACH)
def test_the_greek_reference_earns_full_marks_and_the_release_nothing(greek_course, exercise):
    course = greek_course(exercise)
    full = sum(check.points for check in EXERCISES[exercise])
    assert score(course, exercise, "solver") == (full, full)
    assert score(course, exercise, "starter") == (0, full)


@pytest.mark.parametrize("exercise", EACH)
def test_the_feedback_page_is_greek_for_an_english_speaking_instructor(greek_course, exercise):
    course = greek_course(exercise)
    solver, starter = feedback_text(course, exercise, "solver"), feedback_text(course, exercise, "starter")
    for check in EXERCISES[exercise]:
        title = translate(check.title, "el")
        assert title != check.title, f"{check.name}'s title has no Greek translation"
        assert f"{title}: πέρασε." in solver, check.name
        assert f"{title}: δεν βαθμολογήθηκε." in starter, check.name
    graded = [line for line in starter.splitlines() if "δεν βαθμολογήθηκε" in line or "NotImplementedError" in line]
    assert graded and not english_in("\n".join(graded)), english_in("\n".join(graded))
