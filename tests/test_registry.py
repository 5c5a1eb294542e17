"""The exercise registry says true things: each entry's lesson exists and links its exercise, its
notebook writes exactly the files the entry lists, its Procfile declares the entry's process types,
and each exercise has its package of checks and its folder of test apps."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from grader.checks import EXERCISES, exercise, select
from grader.checks.registry import REGISTRY, written_by_notebooks
from grader.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent
NAMES = [entry.name for entry in REGISTRY]


def written(notebook: Path) -> dict[str, str]:
    """File name -> text of every ``%%writefile`` cell of a notebook (the last cell wins)."""
    files = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        first, _, body = source.partition("\n")
        if cell["cell_type"] == "code" and first.split()[:1] == ["%%writefile"]:
            files[first.split()[1]] = body
    return files


def test_the_registry_is_in_the_courses_order_and_every_name_is_once():
    lessons = [entry.lesson for entry in REGISTRY]
    assert lessons == sorted(lessons) and len(set(NAMES)) == len(NAMES)
    assert list(EXERCISES) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_an_entry_matches_its_lesson_notebook_procfile_checks_and_apps(name):
    entry = exercise(name)
    lesson = ROOT / "course" / entry.lesson
    assert lesson.is_file(), f"{name}'s lesson {entry.lesson} is not in course/"
    assert f"{name}.ipynb" in lesson.read_text(encoding="utf-8"), f"{entry.lesson} does not link {name}.ipynb"
    files = written(ROOT / "exercises" / "source" / name / entry.notebook)
    folders = {item for item in entry.writes if item.endswith("/")}
    plain = set(entry.writes) - folders
    assert {f for f in files if "/" not in f} == plain
    assert {f.split("/")[0] + "/" for f in files if "/" in f} == folders
    procfile = files.get("Procfile", "web: gunicorn app:app\n")
    declared = tuple(line.split(":")[0].strip() for line in procfile.splitlines() if ":" in line)
    assert declared == entry.processes
    assert importlib.import_module(entry.package).CHECKS == EXERCISES[name] != []
    assert (ROOT / "tests" / "apps" / name).is_dir(), f"tests/apps/{name}/ holds {name}'s test apps"


def test_the_nbgrader_ignore_list_is_every_file_a_notebook_writes_but_no_exercise_folder():
    names = written_by_notebooks()
    assert {"app.py", "worker.py", "build.py", "Procfile", "primes.py", "static"} <= set(names)
    assert not set(names) & set(NAMES)  # `assets/` is also the assets exercise's own folder


def test_an_unknown_exercise_or_check_is_bad_input_that_names_what_exists():
    with pytest.raises(BadInput, match="unknown exercise 'nope'; the exercises are: hits, sessions"):
        exercise("nope")
    with pytest.raises(BadInput, match="hits has no check 'nope'; its checks are: agreement"):
        select("hits", ["nope"])
