"""The learner copies in practice/: what nbgrader releases, linked from every lesson, and usable as
they are, with nbgrader's own Validate (what JupyterLab's Validate button runs) and no instructor
command run first."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from grader.checks.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "exercises"))
import make_learner_copies  # noqa: E402


def committed(path: Path) -> bytes:
    """The file as committed (a learner's own edits in their clone must not fail the suite), or as
    it is where there is no git history (a tarball)."""
    shown = subprocess.run(["git", "show", f"HEAD:{path.relative_to(ROOT).as_posix()}"], cwd=ROOT,
                           capture_output=True)
    return shown.stdout if shown.returncode == 0 else path.read_bytes()


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> dict[str, bytes]:
    return make_learner_copies.generate(tmp_path_factory.mktemp("release"))


@pytest.mark.parametrize("name", [entry.name for entry in REGISTRY])
def test_each_learner_copy_is_what_nbgrader_releases_and_its_lesson_links_it(name, released):
    copy_path = ROOT / "practice" / name / f"{name}.ipynb"
    assert copy_path.is_file(), f"run python3 exercises/make_learner_copies.py to write {copy_path}"
    assert committed(copy_path) == released[copy_path], (
        f"practice/{name}/{name}.ipynb is not what nbgrader releases from exercises/source/{name}: "
        "run python3 exercises/make_learner_copies.py and commit the result")
    text = released[copy_path].decode()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    lesson = next(entry.lesson for entry in REGISTRY if entry.name == name)
    assert f"](../practice/{name}/{name}.ipynb)" in (ROOT / "course" / lesson).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [entry.name for entry in REGISTRY])
def test_each_greek_learner_copy_is_what_nbgrader_releases_of_the_greek_assignment(name, released):
    entry = next(item for item in REGISTRY if item.name == name)
    copy_path = ROOT / "practice" / "el" / name / entry.notebook
    assert copy_path in released, f"exercises/source/{name}-el/{entry.notebook} was not released"
    assert committed(copy_path) == released[copy_path], (
        f"practice/el/{name}/{entry.notebook} is not what nbgrader releases from exercises/source/{name}-el: "
        "run python3 exercises/make_learner_copies.py and commit the result")
    text = released[copy_path].decode()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert json.loads(text)["metadata"]["factor_six"]["lang"] == "el"


def test_the_source_folder_says_it_holds_the_solutions():
    assert "solutions" in (ROOT / "exercises" / "source" / "README.md").read_text(encoding="utf-8")


def with_solution(practice: dict, source: dict) -> dict:
    """The learner copy with the reference's answer typed into each of its answer cells."""
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"] for cell in source["cells"]
               if cell["metadata"].get("nbgrader", {}).get("solution")}
    filled = copy.deepcopy(practice)
    for cell in filled["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return filled


def validate(notebook: dict, folder: Path) -> dict:
    """What JupyterLab's Validate button reports for a learner copy opened from a clone's practice/
    folder: nbgrader's Validator, with the configuration a server at the repository's root finds
    (none: that folder is not a course), kernels on Unix sockets (see tests/notebook_runs.py)."""
    folder.mkdir(parents=True)
    path = folder / "hits.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    from nbgrader.validator import Validator
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(folder / "kernel")
    config.Execute.timeout = 120
    here = os.getcwd()
    os.chdir(folder.parent.parent)  # the server's own folder: the repository's root
    try:
        return Validator(config=config).validate(str(path))
    finally:
        os.chdir(here)


def test_the_hits_copy_untouched_fails_with_feedback_and_with_the_answer_passes(tmp_path):
    practice = json.loads((ROOT / "practice" / "hits" / "hits.ipynb").read_text(encoding="utf-8"))
    source = json.loads((ROOT / "exercises" / "source" / "hits" / "hits.ipynb").read_text(encoding="utf-8"))
    untouched = validate(practice, tmp_path / "clone" / "practice" / "hits")
    failures = untouched.get("failed", [])
    assert failures, untouched
    shown = json.dumps(failures)
    assert "CheckFailed" in shown and "Every worker sees the same count" in shown, shown[:3000]
    answered = validate(with_solution(practice, source), tmp_path / "clone2" / "practice" / "hits")
    assert not answered.get("failed") and not answered.get("changed"), json.dumps(answered)[:3000]


def test_validating_a_learner_copy_leaves_the_course_folder_alone(tmp_path):
    before = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "exercises").rglob("*")
                    if "__pycache__" not in path.parts)
    practice = json.loads((ROOT / "practice" / "hits" / "hits.ipynb").read_text(encoding="utf-8"))
    validate(practice, tmp_path / "clone" / "practice" / "hits")
    after = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "exercises").rglob("*")
                   if "__pycache__" not in path.parts)
    assert after == before
