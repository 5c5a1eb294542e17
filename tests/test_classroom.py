"""A whole class graded as an instructor grades it: ``grader autograde`` in a copy of exercises/.

The class covers every exercise with a notebook (tests/classroom/make_class.py): references, the
untouched release, wrong apps from tests/apps, tricks that try to fake a score in the kernel, and
damaged, hanging and crashing notebooks. Every score in the gradebook must be the one ``grader
check`` gives the app the notebook writes, check by check.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "classroom"))
import make_class  # noqa: E402

from grader.platform import runs  # noqa: E402
from grader.checks import EXERCISES  # noqa: E402
from grader.grading import grade  # noqa: E402
from grader.errors import BadInput
from grader.platform.source import load  # noqa: E402

# The class is graded once, in the first test's setup: minutes, on a busy machine.
pytestmark = pytest.mark.timeout(1500)
FULL = make_class.exercises()[0]  # this exercise gets every trick and every kind of damage
APPS_FULL, APPS_OTHERS = 6, 1  # wrong apps per exercise
# Seconds per submission in the class run (a cell gets a third). A submission takes 5-15 s here; this
# only bounds a hung job, far enough out that a busy machine never reaches it. The time limit itself
# is tested by the notebooks that loop forever, with LOOP_TIMEOUT.
TIMEOUT = 120
LOOP_TIMEOUT = 30  # seconds per submission for the notebooks that loop forever, graded on their own first
LOOPS = "damaged-*_loop"
RUN_TIMEOUT = 900  # seconds for one grader autograde command
RETRIES = 2  # extra `grader check` runs when a score differs (an app whose verdict depends on timing)


def autograde(course: Path, *args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "autograde", *args], cwd=course,
                          capture_output=True, text=True, timeout=timeout, env=make_class.env())


def grade_class(course: Path, exercise: str, *args: str) -> dict:
    run = autograde(course, exercise, "--jobs", "2", "--json", *args)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    return json.loads(run.stdout)


def expected_passes(exercise: str, path: Path) -> dict[str, bool]:
    """{check: passed} as `grader check EXERCISE NOTEBOOK` sees it (nothing passes on bad input)."""
    try:
        source = load(path)
    except (BadInput, AttributeError, TypeError):  # grader check cannot read it: no points
        return {check.name: False for check in EXERCISES[exercise]}
    return {result.name: result.passed for result in grade(exercise, source).results}


def cell_scores(course: Path, exercise: str, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(exercise, exercise, student)
        return {g.name: g.score for g in notebook.grades if g.name.startswith("check_")}


def said(submission: dict) -> str:
    """A submission's outcome with its notes in full (pytest would cut the dict's repr short)."""
    head = {key: value for key, value in submission.items() if key != "notes"}
    return "\n".join([repr(head), *submission.get("notes", [])])


def points(exercise: str, passes: dict[str, bool]) -> dict[str, float]:
    return {f"check_{c.name}": float(c.points if passes[c.name] else 0) for c in EXERCISES[exercise]}


class Class:
    def __init__(self, course: Path):
        self.course = course
        self.entries: list[make_class.Entry] = []
        self.expected: dict[str, dict[str, bool]] = {}
        self.runs: dict[str, dict] = {}
        self.seconds: dict[str, float] = {}
        self.cache: dict[str, dict[str, bool]] = {}

    @staticmethod
    def key(exercise: str, path: Path) -> str:
        """Notebooks that write the same app get the same verdict."""
        try:
            return exercise + repr(sorted(load(path).files.items()))
        except (BadInput, AttributeError, TypeError):
            return exercise + " unreadable"

    def expect(self, exercise: str, path: Path) -> dict[str, bool]:
        key = self.key(exercise, path)
        if key not in self.cache:
            self.cache[key] = expected_passes(exercise, path)
        return self.cache[key]

    def submission(self, student: str) -> dict:
        entry = self.entry(student)
        return next(s for s in self.runs[entry.exercise]["submissions"] if s["student"] == student)

    def entry(self, student: str) -> make_class.Entry:
        return next(e for e in self.entries if e.student == student)

    def regrade(self, entry: make_class.Entry) -> None:
        """Grade one submission again (``--force``) and keep its new record."""
        run = grade_class(self.course, entry.exercise, "--student", entry.student, "--force", "--timeout", str(TIMEOUT))
        fresh = next(s for s in run["submissions"] if s["student"] == entry.student)
        submissions = self.runs[entry.exercise]["submissions"]
        submissions[:] = [fresh if s["student"] == entry.student else s for s in submissions]

    def feedback(self, entry: make_class.Entry, cells: list[str]) -> str:
        """The text the autograded notebook shows under each of ``cells`` (grade ids)."""
        path = self.course / "autograded" / entry.student / entry.exercise / f"{entry.exercise}.ipynb"
        if not path.is_file():
            return f"(no {path.name} in autograded/)"
        shown = []
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in cells:
                for output in cell.get("outputs", []):
                    text = output.get("text") or output.get("evalue") or output.get("data", {}).get("text/plain", "")
                    shown.append("".join(text) if isinstance(text, list) else str(text))
        return "\n".join(shown)[-4000:]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Class:
    """The class, handed in and graded with `grader autograde EXERCISE --jobs 2`, one exercise after another."""
    started = time.monotonic()
    course = make_class.new_course(tmp_path_factory.mktemp("classroom") / "course")
    result = Class(course)
    result.seconds["generate"] = time.monotonic() - started
    for exercise in make_class.exercises():
        full = exercise == FULL
        apps = make_class.purpose_built(exercise)[: APPS_FULL if full else APPS_OTHERS]
        victim = None
        for app in apps:  # tricks go on an app that earns some points but not all
            probe = make_class.hand_in(course, make_class.Entry(f"probe-{app.name}", exercise, "", b""))
            probe.write_text(json.dumps(make_class.with_app(make_class.reference(exercise), app)))
            passes = result.expect(exercise, probe)
            shutil.rmtree(probe.parent.parent)
            if victim is None and 0 < sum(passes.values()) < len(passes):
                victim = app.name
        result.entries += make_class.entries(course, exercise, apps, full=full, victim=victim)
    paths = {entry.student: make_class.hand_in(course, entry) for entry in result.entries}
    keys = {entry.student: result.key(entry.exercise, paths[entry.student]) for entry in result.entries}
    todo = {keys[e.student]: (e.exercise, paths[e.student]) for e in result.entries if keys[e.student] not in result.cache}
    with ThreadPoolExecutor(2) as pool:  # each app once, two at a time, while the class is graded
        futures = {key: pool.submit(expected_passes, *args) for key, args in todo.items()}
        for exercise in make_class.exercises():
            started = time.monotonic()
            loops = {}
            if exercise == FULL:  # the endless loops first, with a short limit of their own
                loops = grade_class(course, exercise, "--student", f"{exercise}-{LOOPS}", "--timeout", str(LOOP_TIMEOUT))
            result.runs[exercise] = grade_class(course, exercise, "--timeout", str(TIMEOUT))
            result.runs[exercise]["submissions"] = [
                next((s for s in loops.get("submissions", []) if s["student"] == entry["student"]), entry)
                for entry in result.runs[exercise]["submissions"]]
            result.seconds[exercise] = time.monotonic() - started
        result.cache.update({key: future.result() for key, future in futures.items()})
    result.expected = {student: result.cache[key] for student, key in keys.items()}
    return result


def test_the_class_is_big_and_varied(graded):
    kinds = {entry.kind for entry in graded.entries}
    assert len(graded.entries) >= 30
    assert kinds == {"reference", "release", "wrong app", "trick", "damaged"}
    assert {e.exercise for e in graded.entries} == set(make_class.exercises())


def test_every_score_is_the_one_grader_check_gives_the_notebooks_app(graded):
    """Check by check. An app whose verdict depends on timing (the class is graded on a machine
    that runs other tests too) is checked again, and its submission graded again, before it counts
    as a mismatch; a mismatch names the grader's feedback on the cells that differ."""
    mismatches = []
    for entry in graded.entries:
        got = cell_scores(graded.course, entry.exercise, entry.student)
        want = points(entry.exercise, graded.expected[entry.student])
        path = graded.course / "submitted" / entry.student / entry.exercise / f"{entry.exercise}.ipynb"
        for _ in range(RETRIES):
            if got == want:
                break
            want = points(entry.exercise, expected_passes(entry.exercise, path))
            if got != want:
                graded.regrade(entry)
                got = cell_scores(graded.course, entry.exercise, entry.student)
        if got != want:  # with the submission's record, notes and feedback, so that a failure says why
            differ = [name for name in want if got.get(name) != want[name]]
            mismatches.append((entry.student, got, want, said(graded.submission(entry.student)),
                               graded.feedback(entry, differ)))
        assert graded.submission(entry.student)["score"] == sum(got.values()), entry.student
    assert not mismatches, "\n\n".join(map(str, mismatches))  # a string: pytest cuts a list's repr short


def test_references_get_full_marks_and_the_untouched_release_nothing(graded):
    for exercise in make_class.exercises():
        full = sum(check.points for check in EXERCISES[exercise])
        assert graded.submission(f"{exercise}-reference")["score"] == full
        assert graded.submission(f"{exercise}-release")["score"] == 0


def test_no_trick_in_the_kernel_changes_a_score(graded):
    """Each trick scores what its app earns, and all of them at once do not cost a right app a point."""
    for exercise in make_class.exercises():
        tricks = [e for e in graded.entries if e.exercise == exercise and e.kind == "trick"]
        for entry in tricks:
            got = cell_scores(graded.course, exercise, entry.student)
            assert got == points(exercise, graded.expected[entry.student]), entry.student
        earned = {tuple(graded.expected[e.student].values()) for e in tricks if "right-app" not in e.student}
        assert len(earned) == 1 and not all(next(iter(earned))), "the tricks should sit on one wrong app"
    right = graded.submission(f"{FULL}-trick-all-on-right-app")
    assert right["score"] == right["max_score"] > 0


@pytest.mark.parametrize("kind, status, note", [
    ("invalid_json", "unreadable", "is not valid JSON at line"),
    ("not_a_notebook", "unreadable", "is JSON but not a notebook"),
    ("duplicated_cells", "repaired", "appeared more than once; the last copy was graded"),
    ("missing_cells", "repaired", "was missing; it was put back from the assignment and graded"),
    ("duplicated_ids", "repaired", "repeated another cell's id and got a new one"),
    ("broken_metadata", "repaired", "had damaged nbgrader metadata"),
    ("endless_loop", "repaired", "ran longer than"),
    ("stubborn_loop", None, ("ran longer than", "The grading timed out: it was stopped after",
                             "could not be run to the end (CellTimeoutError")),
    ("kernel_dies", "repaired", "The kernel died while this cell ran"),
    ("huge", "graded", ""),
    ("no_writefile", "graded", ""),
])
def test_a_damaged_notebook_gets_a_score_and_says_what_happened(graded, kind, status, note):
    submission = graded.submission(f"{FULL}-damaged-{kind}")
    notes = " ".join(submission["notes"])
    if status:
        assert submission["status"] == status, said(submission)
    assert any(text in notes for text in ((note,) if isinstance(note, str) else note)), said(submission)
    assert submission["seconds"] <= TIMEOUT + 2, said(submission)


def test_a_notebook_that_never_stops_costs_its_own_time_limit_and_no_more(graded):
    stubborn = graded.submission(f"{FULL}-damaged-stubborn_loop")
    assert stubborn["status"] in ("repaired", "timed out"), said(stubborn)
    assert stubborn["score"] == stubborn["max_score"]
    assert stubborn["seconds"] <= LOOP_TIMEOUT + 2, said(stubborn)
    endless = graded.submission(f"{FULL}-damaged-endless_loop")
    assert endless["seconds"] < LOOP_TIMEOUT, said(endless)
    others = [s for s in graded.runs[FULL]["submissions"] if "loop" not in s["student"]]
    slowest = max(others, key=lambda s: s["seconds"])
    assert slowest["seconds"] < TIMEOUT, said(slowest)


def test_no_app_cell_is_graded_as_grader_check_grades_it(graded):
    autograded = graded.course / "autograded" / f"{FULL}-damaged-no_writefile" / FULL / f"{FULL}.ipynb"
    text = autograded.read_text()
    assert "has no %%writefile app.py cell" in text


def test_feedback_names_what_failed_but_never_shows_hidden_test_code(graded):
    student = next(e.student for e in graded.entries if e.exercise == FULL and e.kind == "trick")
    html = (graded.course / "feedback" / student / FULL / f"{FULL}.html").read_text()
    hidden = [check for check in EXERCISES[FULL] if check.hidden]
    assert hidden
    assert "HIDDEN TESTS" not in html
    for check in hidden:
        assert f'"{check.name}")' not in html and f"&quot;{check.name}&quot;)" not in html
    assert any(check.title in html for check in hidden)


def test_autograded_files_are_written_as_nbgrader_writes_them(graded):
    folder = graded.course / "autograded" / f"{FULL}-reference" / FULL
    notebook = folder / f"{FULL}.ipynb"
    assert oct(notebook.stat().st_mode & 0o777) == oct(0o444)
    nb = json.loads(notebook.read_text())
    graded_cells = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert all(c["metadata"]["nbgrader"]["grade_id"].startswith("check_") for c in graded_cells)
    assert "skip-execution" not in notebook.read_text()
    with Gradebook(f"sqlite:///{graded.course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(FULL, f"{FULL}-reference")
        assert not submission.needs_manual_grade
        assert submission.score == submission.max_score


def test_nothing_is_left_behind(graded):
    mine = [p.name for p in runs.base().iterdir() if p.name.startswith(os.environ["FACTOR_SIX_RUN_TAG"])]
    assert mine == [], mine


def test_the_class_is_graded_in_reasonable_time(graded):
    """A loose bound (the test shares two cores with other test files): two at a time, a submission
    costs a few seconds of wall time; the loops cost their own limit."""
    count = len([e for e in graded.entries if e.exercise == FULL])
    print({exercise: round(seconds, 1) for exercise, seconds in graded.seconds.items()})
    assert graded.seconds[FULL] < count * 10 + LOOP_TIMEOUT + TIMEOUT
