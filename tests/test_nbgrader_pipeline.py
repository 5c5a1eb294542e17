"""The hits exercise as an instructor runs it: a real nbgrader round trip in a copy of exercises/.

nbgrader runs through its own command line, from inside the copied course folder, so these tests see
what only shows end to end: a release that leaks the solution or loses its ``%%writefile`` line,
hidden checks that never come back at grading time, a grader that misbehaves inside an nbgrader
kernel, and scores that do not match the grader's points.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader.checks import EXERCISES

COURSE = Path(__file__).resolve().parent.parent / "exercises"
SOURCE = COURSE / "source" / "hits" / "hits.ipynb"
CHECKS = EXERCISES["hits"]
FULL_MARKS = sum(check.points for check in CHECKS)
NBGRADER_TIMEOUT = 300  # seconds for one nbgrader command; autograding both students takes about 15


def nbgrader(course: Path, *args: str) -> str:
    """Run one nbgrader command in ``course``; return its log, failing the test if the command fails."""
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True,
                         text=True, timeout=NBGRADER_TIMEOUT)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} exited with {run.returncode}:\n{run.stdout}{run.stderr}"
    return run.stdout + run.stderr


def hand_in(course: Path, student: str, notebook: Path) -> None:
    folder = course / "submitted" / student / "hits"
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder / "hits.ipynb")


def code_cells(notebook: Path) -> list[dict]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [cell for cell in cells if cell["cell_type"] == "code"]


def source_of(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def answer_cells(notebook: Path) -> list[str]:
    return [source_of(cell) for cell in code_cells(notebook) if cell["metadata"].get("nbgrader", {}).get("solution")]


def outputs_by_grade_id(notebook: Path) -> dict[str, str]:
    """Everything each nbgrader cell printed or raised, as one string per grade_id."""
    found = {}
    for cell in code_cells(notebook):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id:
            texts = ["".join(out.get("text", "")) + out.get("evalue", "") for out in cell["outputs"]]
            found[grade_id] = "".join(texts)
    return found


def scores(course: Path, student: str) -> tuple[float, float, dict[str, float]]:
    """(score, max_score, {grade_id: score}) of a student's autograded hits submission."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission("hits", student)
        notebook = gradebook.find_submission_notebook("hits", "hits", student)
        return submission.score, submission.max_score, {grade.name: grade.score for grade in notebook.grades}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A copy of exercises/ where hits was generated and released, handed in twice, and autograded.

    "solver" hands in the source notebook (the reference solution); "starter" hands in the release
    untouched. An app.py beside the source notebook stands for an instructor who ran it in place.
    """
    course = tmp_path_factory.mktemp("course")
    shutil.copy(COURSE / "nbgrader_config.py", course)
    shutil.copytree(COURSE / "source", course / "source", ignore=shutil.ignore_patterns("app.py", ".ipynb_checkpoints"))
    (course / "source" / "hits" / "app.py").write_text("# the instructor's solution, left by a run in place\n")
    nbgrader(course, "generate_assignment", "hits", "--force")
    nbgrader(course, "release_assignment", "hits", "--force")
    hand_in(course, "solver", course / "source" / "hits" / "hits.ipynb")
    hand_in(course, "starter", course / "release" / "hits" / "hits.ipynb")
    nbgrader(course, "autograde", "hits")
    return course


def test_every_check_has_one_graded_cell_worth_its_points_and_only_hidden_checks_are_hidden():
    graded = {}
    for cell in code_cells(SOURCE):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            assert meta["locked"] and not meta["solution"], meta
            graded[meta["grade_id"]] = (meta["points"], source_of(cell))
    assert set(graded) == {f"check_{check.name}" for check in CHECKS}
    for check in CHECKS:
        points, text = graded[f"check_{check.name}"]
        assert points == check.points, check.name
        assert f'grader.assert_check("hits", "{check.name}")' in text
        assert ("### BEGIN HIDDEN TESTS" in text) == check.hidden, check.name


def test_grader_cli_gives_the_source_notebook_full_marks():
    run = subprocess.run([sys.executable, "-m", "grader", "check", "hits", str(SOURCE), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert (report["score"], report["max_score"]) == (FULL_MARKS, FULL_MARKS) == (10, 10)


def test_release_keeps_the_writefile_line_but_no_solution_and_reaches_the_exchange(course):
    release = course / "release" / "hits"
    assert sorted(item.name for item in release.iterdir()) == ["hits.ipynb"]
    text = (release / "hits.ipynb").read_text(encoding="utf-8")
    for secret in ("BEGIN SOLUTION", "incr(", "HIDDEN TESTS", '"random_routing")'):
        assert secret not in text, secret
    answer, = answer_cells(release / "hits.ipynb")
    assert answer.startswith("%%writefile app.py\n") and "raise NotImplementedError()" in answer, answer
    solution, = answer_cells(SOURCE)
    for line in solution.splitlines()[1:]:
        assert not line.strip() or line not in answer, line
    assert (course / "exchange" / "factor-six" / "outbound" / "hits" / "hits.ipynb").is_file()


def test_autograde_gives_the_reference_solution_full_marks_hidden_checks_included(course):
    score, max_score, per_cell = scores(course, "solver")
    assert (score, max_score) == (FULL_MARKS, FULL_MARKS)
    assert per_cell == {f"check_{check.name}": check.points for check in CHECKS}
    printed = outputs_by_grade_id(course / "autograded" / "solver" / "hits" / "hits.ipynb")
    for check in CHECKS:
        assert printed[f"check_{check.name}"].startswith(f"{check.title}: passed."), printed[f"check_{check.name}"]


def test_autograde_gives_the_untouched_release_nothing_and_says_why(course):
    score, max_score, per_cell = scores(course, "starter")
    assert (score, max_score) == (0, FULL_MARKS)
    assert set(per_cell.values()) == {0}
    printed = outputs_by_grade_id(course / "autograded" / "starter" / "hits" / "hits.ipynb")
    for check in CHECKS:
        feedback = printed[f"check_{check.name}"]
        assert feedback.startswith(f"{check.title}: could not grade."), feedback
        assert "NotImplementedError" in feedback
