"""The Greek edition keeps step with the English one, and reads as Greek.

Every lesson in ``course/`` and every exercise in ``exercises/source/`` has a Greek twin (the lesson
of the same name in ``course/el/``, the assignment ``<exercise>-el``): the same cells in the same
order, with the same kinds, tags and nbgrader metadata, and the same code once comments and strings
are set aside (tests/editions.py). A change to an English cell's code that the Greek twin does not
get fails here. Every Greek lesson also runs clean, as the English ones do.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from editions import differences
from grader.checks.registry import REGISTRY
from notebook_runs import COURSE, execute, kernel_sockets

ROOT = Path(__file__).resolve().parent.parent
GREEK = COURSE / "el"
LESSONS = sorted(path.name for path in COURSE.glob("[0-9][0-9].[0-9][0-9]-*.ipynb"))
SOURCE = ROOT / "exercises" / "source"
APPS = ROOT / "tests" / "apps"
HEADINGS = ("## Βασικά σημεία", "## Έλεγξε τον εαυτό σου", "## Για περισσότερη μελέτη")
PREDICT = ("**Predict, then run.**", "**Πρόβλεψε και μετά εκτέλεσε.**")
MIXED = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[\u0370-\u03ff])\w+\b")  # a word with Latin and Greek letters
MISSPELT = re.compile(r"αποθηκέυ|\bαπο\b|\bαπό τον τον\b")
EACH = [pytest.param(name, marks=pytest.mark.xdist_group(f"greek-{name}")) for name in LESSONS]


def read(path: Path):
    return nbformat.read(path, as_version=4)


def greek_texts() -> dict[str, str]:
    """Every Greek text the project ships, by path: lessons, exercises, catalogs, glossary, README."""
    paths = [*sorted(GREEK.glob("*.ipynb")), *sorted(SOURCE.glob("*-el/*.ipynb")),
             *sorted((ROOT / "practice" / "el").glob("*/*.ipynb")),
             ROOT / "grader" / "locale" / "el" / "LC_MESSAGES" / "grader.po",
             ROOT / "docs" / "glossary.el.md", ROOT / "README.el.md"]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in paths if path.is_file()}


@pytest.mark.parametrize("name", LESSONS)
def test_every_lesson_has_a_greek_twin_with_the_same_cells_and_code(name):
    twin = GREEK / name
    assert twin.is_file(), f"course/el/{name} is missing: every lesson has a Greek twin of the same name"
    assert differences(COURSE / name, twin) == [], differences(COURSE / name, twin)


def test_every_assignment_is_an_exercise_or_the_registered_edition_of_one():
    """An edition has no checks, wrong apps or lesson of its own: it is declared by its exercise's
    entry, and grading an assignment of its name uses that exercise's checks."""
    from grader.checks.registry import edition_of
    from grader.classroom.steps import exercise_for
    folders = {path.name for path in SOURCE.iterdir() if path.is_dir() and list(path.glob("*.ipynb"))}
    editions = {name: exercise.name for exercise in REGISTRY for name in exercise.editions.values()}
    assert folders == {exercise.name for exercise in REGISTRY} | set(editions)
    for name, exercise in editions.items():
        assert edition_of(name) == (exercise, "el")
        assert exercise_for({"nbgrader": {"assignment": name, "notebook": "renamed"}}, {}) == exercise
    assert edition_of("hits") is None and edition_of("hits-fr") is None
    for name, exercise in editions.items():  # its wrong apps are its exercise's, not copies of them
        assert (APPS / name).resolve() == (APPS / exercise).resolve(), f"tests/apps/{name} must link to {exercise}"


def test_an_edition_fails_a_wrong_app_where_its_exercise_does_and_says_why_in_greek(tmp_path):
    """The Greek notebook with a wrong app typed into its %%writefile cells: the same checks fail
    as for the English notebook, and the Greek report names the cause in Greek."""
    import json
    import sys
    sys.path.insert(0, str(ROOT / "tests" / "classroom"))
    import make_class
    from greek import english_in

    from grader.grading import grade
    entry = next(item for item in REGISTRY if item.name == "hits")
    failed = {}
    for lang, assignment in (("en", "hits"), ("el", entry.editions["el"])):
        nb = json.loads((SOURCE / assignment / entry.notebook).read_text(encoding="utf-8"))
        path = tmp_path / lang / entry.notebook
        path.parent.mkdir()
        path.write_text(json.dumps(make_class.with_app(nb, APPS / assignment / "global_counter")))
        report = grade("hits", path)
        failed[lang] = [result.name for result in report.results if result.status == "failed"]
    assert failed["en"] and failed["el"] == failed["en"], failed
    text = report.to_text("el")
    assert "Factor VI" not in text and "backing service" not in text and not english_in(text), text


@pytest.mark.parametrize("exercise", [entry.name for entry in REGISTRY])
def test_every_exercise_has_a_greek_twin_that_nbgrader_grades_alike(exercise):
    entry = next(item for item in REGISTRY if item.name == exercise)
    edition = entry.editions["el"]
    english, greek = SOURCE / exercise / entry.notebook, SOURCE / edition / entry.notebook
    assert greek.is_file(), f"exercises/source/{edition}/{entry.notebook} is missing"
    assert differences(english, greek) == [], differences(english, greek)
    a, b = read(english), read(greek)
    assert [cell.metadata.get("nbgrader") for cell in a.cells] == [cell.metadata.get("nbgrader") for cell in b.cells]
    assert b.metadata.get("factor_six", {}).get("lang") == "el"


def test_the_twin_check_catches_code_that_drifted(tmp_path):
    name = LESSONS[1]
    notebook = read(GREEK / name)
    index = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and "=" in cell.source)
    notebook.cells[index].source = notebook.cells[index].source.replace("=", "= 1 +", 1)
    nbformat.write(notebook, tmp_path / name)
    assert any("its code differs" in problem for problem in differences(COURSE / name, tmp_path / name))
    notebook.cells[index].source = "# ένα σχόλιο που δεν υπάρχει στα αγγλικά\n" + read(GREEK / name).cells[index].source
    nbformat.write(notebook, tmp_path / name)
    assert differences(COURSE / name, tmp_path / name) == []


@pytest.mark.parametrize("name", LESSONS)
def test_a_greek_lesson_is_built_like_its_english_twin_and_says_so(name):
    english, greek = read(COURSE / name), read(GREEK / name)
    assert greek.metadata.get("factor_six", {}).get("lang") == "el"
    assert greek.cells[0].source.startswith("# ") and greek.cells[0].source != english.cells[0].source
    dirty = [i for i, cell in enumerate(greek.cells) if cell.cell_type == "code" and (cell.outputs or cell.execution_count)]
    assert not dirty, f"el/{name}: cells {dirty} have outputs"
    if name != LESSONS[0]:
        headings = [cell.source.splitlines()[0] for cell in greek.cells if cell.cell_type == "markdown" and cell.source]
        assert [heading for heading in HEADINGS if heading in headings] == list(HEADINGS), f"el/{name}"
        assert greek.cells[2].source.startswith("**Στόχοι.**")
    challenges = [sum(cell.source.startswith(mark) for cell in book.cells) for book, mark in zip((english, greek), PREDICT)]
    assert challenges[0] == challenges[1], f"el/{name}: {challenges[1]} challenges, the English has {challenges[0]}"


@pytest.mark.parametrize("name", [name for name in LESSONS if name != LESSONS[0]])
def test_a_greek_lesson_links_its_greek_exercise(name):
    text = "\n".join(cell.source for cell in read(GREEK / name).cells if cell.cell_type == "markdown")
    links = re.findall(r"\]\((\.\./\.\./practice/el/[^)]+\.ipynb)\)", text)
    assert links, f"el/{name}: no link to its exercise in practice/el/"
    assert all((GREEK / link).resolve().is_file() for link in links), links


def test_greek_text_has_no_mixed_scripts_and_none_of_the_translations_misspellings():
    problems = []
    for path, text in greek_texts().items():
        problems += [f"{path}: {word}" for word in MIXED.findall(text)]
        problems += [f"{path}: {match}" for match in MISSPELT.findall(text)]
    assert not problems, "\n".join(problems)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", EACH)
def test_a_greek_lesson_runs_clean(name, tmp_path):
    with kernel_sockets() as sockets:
        run = execute(f"el/{name}", tmp_path if len(str(tmp_path)) < 60 else sockets)
    assert not run.errors, run.errors[0]
