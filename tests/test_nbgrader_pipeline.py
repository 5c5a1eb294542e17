"""Every exercise as an instructor runs it: a real nbgrader round trip in a copy of exercises/.

nbgrader runs through its own command line, from inside the copied course folder, so these tests see
what only shows end to end: a release that leaks the solution or loses its ``%%writefile`` line,
hidden checks that never come back at grading time, a grader that misbehaves inside an nbgrader
kernel, and scores that do not match the grader's points. Every folder ``exercises/source/NAME``
holding ``NAME.ipynb`` is an exercise here, so a new exercise is covered by being added.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from grader.checks import EXERCISES, exercise
from grader.checks.registry import written_by_notebooks

COURSE = Path(__file__).resolve().parent.parent / "exercises"
NAMES = sorted(path.parent.name for path in COURSE.glob("source/*/*.ipynb") if path.stem == path.parent.name)
# One xdist group per exercise: its tests share one round trip, and exercises run side by side.
EACH = [pytest.param(name, marks=pytest.mark.xdist_group(f"nbgrader-{name}")) for name in NAMES]
NBGRADER_TIMEOUT = 600  # seconds for one nbgrader command; autograding two students takes about 15 per exercise


def _left_by_a_run_in_place(folder: str, names: list[str]) -> set[str]:
    """What running a source notebook in place leaves beside it (never the exercise folders)."""
    ignored = set(shutil.ignore_patterns(*written_by_notebooks(), ".ipynb_checkpoints")(folder, names))
    if Path(folder).parent.name == "source":  # inside one exercise's folder: all it writes, `assets/` too
        ignored |= set(exercise(Path(folder).name).top_level) & set(names)
    return ignored


def source_notebook(exercise: str) -> Path:
    return COURSE / "source" / exercise / f"{exercise}.ipynb"


def full_marks(exercise: str) -> int:
    return sum(check.points for check in EXERCISES[exercise])


def nbgrader(course: Path, *args: str) -> str:
    """Run one nbgrader command in ``course``; return its log, failing the test if the command fails."""
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True,
                         text=True, timeout=NBGRADER_TIMEOUT)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} exited with {run.returncode}:\n{run.stdout}{run.stderr}"
    return run.stdout + run.stderr


def hand_in(course: Path, student: str, exercise: str, notebook: Path) -> None:
    folder = course / "submitted" / student / exercise
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder / f"{exercise}.ipynb")


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


def scores(course: Path, exercise: str, student: str) -> tuple[float, float, dict[str, float]]:
    """(score, max_score, {grade_id: score}) of a student's autograded submission."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(exercise, student)
        notebook = gradebook.find_submission_notebook(exercise, exercise, student)
        return submission.score, submission.max_score, {grade.name: grade.score for grade in notebook.grades}


def autograded(course: Path, exercise: str, student: str) -> Path:
    return course / "autograded" / student / exercise / f"{exercise}.ipynb"


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """``course(exercise)``: a copy of exercises/ where that exercise was generated and released,
    handed in twice, and autograded (built once per test process). "solver" hands in the source
    notebook (the reference solution); "starter" hands in the release untouched. An app.py beside
    the source notebook stands for an instructor who ran it in place. Each exercise has a copy and a
    gradebook of its own, so the exercises' round trips can run side by side (one xdist group each).
    """
    made: dict[str, Path] = {}

    def build(exercise: str) -> Path:
        if exercise not in made:
            folder = tmp_path_factory.mktemp(f"course-{exercise}")
            shutil.copy(COURSE / "nbgrader_config.py", folder)
            shutil.copytree(COURSE / "source" / exercise, folder / "source" / exercise, ignore=_left_by_a_run_in_place)
            (folder / "source" / exercise / "app.py").write_text("# the instructor's solution, left by a run in place\n")
            nbgrader(folder, "generate_assignment", exercise, "--force")
            nbgrader(folder, "release_assignment", exercise, "--force")
            hand_in(folder, "solver", exercise, folder / "source" / exercise / f"{exercise}.ipynb")
            hand_in(folder, "starter", exercise, folder / "release" / exercise / f"{exercise}.ipynb")
            nbgrader(folder, "autograde", exercise)
            made[exercise] = folder
        return made[exercise]

    return build


def test_every_exercise_with_checks_has_a_notebook_and_the_reverse():
    assert "hits" in NAMES
    assert set(NAMES) == set(EXERCISES)


@pytest.mark.parametrize("exercise", EACH)
def test_every_check_has_one_graded_cell_worth_its_points_and_only_hidden_checks_are_hidden(exercise):
    graded = {}
    for cell in code_cells(source_notebook(exercise)):
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            assert meta["locked"] and not meta["solution"], meta
            graded[meta["grade_id"]] = (meta["points"], source_of(cell))
    checks = EXERCISES[exercise]
    assert set(graded) == {f"check_{check.name}" for check in checks}
    for check in checks:
        points, text = graded[f"check_{check.name}"]
        assert points == check.points, check.name
        assert f'grader.assert_check("{exercise}", "{check.name}")' in text
        assert ("### BEGIN HIDDEN TESTS" in text) == check.hidden, check.name


@pytest.mark.parametrize("exercise", EACH)
def test_grader_cli_gives_the_source_notebook_full_marks(exercise):
    run = subprocess.run([sys.executable, "-m", "grader", "check", exercise, str(source_notebook(exercise)), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["score"] == report["max_score"] == full_marks(exercise)


@pytest.mark.parametrize("exercise", EACH)
def test_release_keeps_the_writefile_lines_but_no_solution_and_reaches_the_exchange(course, exercise):
    course = course(exercise)
    release = course / "release" / exercise
    assert sorted(item.name for item in release.iterdir()) == [f"{exercise}.ipynb"]
    text = (release / f"{exercise}.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    for check in EXERCISES[exercise]:
        if check.hidden:
            assert f'"{check.name}")' not in text, check.name
    answers = answer_cells(release / f"{exercise}.ipynb")
    solutions = answer_cells(source_notebook(exercise))
    assert len(answers) == len(solutions) >= 1
    for answer, solution in zip(answers, solutions):
        assert answer.splitlines()[0] == solution.splitlines()[0], "the %%writefile line must survive"
        if solution.startswith("%%writefile") and "### BEGIN SOLUTION" in solution:
            assert "raise NotImplementedError()" in answer, answer
        for line in solution.splitlines()[1:]:
            if line.strip() and not line.startswith("###"):
                assert line not in answer, line
    assert (course / "exchange" / "factor-six" / "outbound" / exercise / f"{exercise}.ipynb").is_file()


@pytest.mark.parametrize("exercise", EACH)
def test_autograde_gives_the_reference_solution_full_marks_hidden_checks_included(course, exercise):
    course = course(exercise)
    checks = EXERCISES[exercise]
    score, max_score, per_cell = scores(course, exercise, "solver")
    assert (score, max_score) == (full_marks(exercise), full_marks(exercise))
    assert per_cell == {f"check_{check.name}": check.points for check in checks}
    printed = outputs_by_grade_id(autograded(course, exercise, "solver"))
    for check in checks:
        assert printed[f"check_{check.name}"].startswith(f"{check.title}: passed."), printed[f"check_{check.name}"]


@pytest.mark.parametrize("exercise", EACH)
def test_autograde_gives_the_untouched_release_nothing_and_says_why(course, exercise):
    course = course(exercise)
    checks = EXERCISES[exercise]
    score, max_score, per_cell = scores(course, exercise, "starter")
    assert (score, max_score) == (0, full_marks(exercise))
    assert set(per_cell.values()) == {0}
    printed = outputs_by_grade_id(autograded(course, exercise, "starter"))
    for check in checks:
        feedback = printed[f"check_{check.name}"]
        assert feedback.startswith(f"{check.title}: could not grade."), feedback
        assert "NotImplementedError" in feedback


@pytest.mark.parametrize("exercise", EACH)
def test_failing_graded_cells_show_the_feedback_and_no_grader_frames(course, exercise):
    course = course(exercise)
    for cell in code_cells(autograded(course, exercise, "starter")):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
        if not grade_id.startswith("check_"):
            continue
        error, = [output for output in cell["outputs"] if output["output_type"] == "error"]
        shown = "\n".join(error["traceback"])
        assert error["ename"] == "CheckFailed" and shown.startswith("CheckFailed: "), shown[:200]
        assert "grading.py" not in shown and "site-packages" not in shown and "<ipython-input" not in shown
