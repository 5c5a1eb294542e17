"""A class of submissions for every exercise present, built from the reference notebooks.

Shared by tests/test_classroom*.py and benchmarks/bench_classroom.py. A student hands in one of:

- the reference solution, or the untouched release;
- one of the exercise's purpose-built apps from ``tests/apps/<exercise>/`` (right and wrong ones;
  for hits also the platform's probe apps in ``tests/apps/platform/``, which are hits apps that
  misbehave as processes), put into the notebook's ``%%writefile`` cells as a learner would write it;
- a *trick*: a wrong app plus cells that try to fake the score in the kernel (patch ``grader``, a fake
  ``grader`` in ``sys.modules``, a redefined ``AssertionError``, a silenced traceback display, deleted
  or edited test cells, grades written straight into gradebook.db), or all of them on a right app;
- a *damaged* notebook: invalid JSON, not a notebook, duplicated or missing cells, duplicated cell
  ids, broken metadata, no ``%%writefile`` cell, endless loops, a kernel that dies, a huge file.

Every notebook is generated here from the course's own notebooks, so a new exercise is covered by
being added.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from grader.checks import EXERCISES
from grader.checks.registry import written_by_notebooks

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "exercises"
APPS = ROOT / "tests" / "apps"
WRITTEN = tuple(written_by_notebooks())  # what running a notebook in place leaves beside it

TRICKS = {
    "patch_grader": "import grader\ngrader.assert_check = lambda *args, **kwargs: None\ngrader.check = lambda *a, **k: None",
    "fake_module": ("import sys, types\nfake = types.ModuleType('grader')\n"
                    "fake.assert_check = fake.check = lambda *args, **kwargs: None\nsys.modules['grader'] = fake"),
    "redefine_assertion": ("import builtins\nclass AssertionError(Exception):\n    pass\n"
                           "builtins.AssertionError = AssertionError\n"
                           "import grader.grading\ngrader.grading.CheckFailed = type('CheckFailed', (Warning,), {})"),
    "silence_traceback": ("import IPython.core.interactiveshell as shell\n"
                          "shell.InteractiveShell.showtraceback = lambda *args, **kwargs: None\n"
                          "shell.InteractiveShell._showtraceback = lambda *args, **kwargs: None"),
    "fake_results": ("import pathlib, sqlite3\n"
                     "for folder in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents][:5]:\n"
                     "    book = folder / 'gradebook.db'\n"
                     "    if book.exists():\n"
                     "        with sqlite3.connect(book) as db:\n"
                     "            db.execute('UPDATE grade SET manual_score = (SELECT max_score FROM grade_cells '\n"
                     "                       'WHERE grade_cells.id = grade.cell_id)')\n"
                     "pathlib.Path('results.json').write_text('{\"score\": \"full marks\"}')"),
}
CELL_TRICKS = ("delete_tests", "edit_tests")
DAMAGE = ("invalid_json", "not_a_notebook", "duplicated_cells", "missing_cells", "duplicated_ids",
          "broken_metadata", "no_writefile", "endless_loop", "stubborn_loop", "kernel_dies", "huge")


@dataclass(frozen=True)
class Entry:
    """One student's hand-in: which exercise, what kind, and the file's bytes."""

    student: str
    exercise: str
    kind: str
    data: bytes


def env() -> dict[str, str]:
    """The environment for commands run on a course: this checkout's grader first on the path (an
    editable install elsewhere must not answer `python -m grader` in a course folder)."""
    paths = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def exercises() -> list[str]:
    """Every registered exercise with a source notebook, in the registry's order."""
    return [name for name in EXERCISES if (COURSE / "source" / name / f"{name}.ipynb").is_file()]


def reference(exercise: str) -> dict:
    return json.loads((COURSE / "source" / exercise / f"{exercise}.ipynb").read_text(encoding="utf-8"))


def purpose_built(exercise: str) -> list[Path]:
    """The purpose-built apps of an exercise, right and wrong (for hits also the platform's probe
    apps, which serve /hits), sorted by name: a student's score is whatever grader check gives it."""
    homes = [APPS / exercise] + ([APPS / "platform"] if exercise == "hits" else [])
    folders = [path for home in homes if home.is_dir() for path in home.iterdir() if path.is_dir()]
    return sorted((path for path in folders if (path / "app.py").is_file()), key=lambda path: path.name)


def new_course(target: Path) -> Path:
    """A copy of exercises/ with every exercise generated (the gradebook knows its cells)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(COURSE / "nbgrader_config.py", target)
    shutil.copytree(COURSE / "source", target / "source",
                    ignore=shutil.ignore_patterns(*WRITTEN, ".ipynb_checkpoints", "__pycache__"))
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(target)).load_config()
    config.CourseDirectory.root = str(target)
    api = NbGraderAPI(config=config)
    for exercise in exercises():
        result = api.generate_assignment(exercise, force=True)
        assert result["success"], result.get("error")
    return target


def release(course: Path, exercise: str) -> dict:
    return json.loads((course / "release" / exercise / f"{exercise}.ipynb").read_text(encoding="utf-8"))


def with_app(nb: dict, folder: Path) -> dict:
    """The notebook with the app in ``folder`` typed into its ``%%writefile`` cells (new cells for
    files it has no cell for), as a learner would write it."""
    nb = copy.deepcopy(nb)
    for item in sorted(folder.rglob("*")):
        if not item.is_file() or "__pycache__" in item.parts:
            continue
        name = item.relative_to(folder).as_posix()
        try:
            body = item.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        cell = next((c for c in nb["cells"] if c["cell_type"] == "code"
                     and _source(c).split("\n", 1)[0].split() == ["%%writefile", name]), None)
        if cell is None:
            cell = _cell(f"%%writefile {name}\n{body}")
            nb["cells"].insert(_last_writefile(nb) + 1, cell)
        else:
            cell["source"] = f"%%writefile {name}\n{body}"
    return nb


def trick(nb: dict, name: str) -> dict:
    """The notebook plus one trick (or, for "all", every trick at once)."""
    nb = copy.deepcopy(nb)
    names = list(TRICKS) + list(CELL_TRICKS) if name == "all" else [name]
    for each in names:
        if each == "delete_tests":
            nb["cells"] = [c for c in nb["cells"] if not _grade_id(c).startswith("check_")]
        elif each == "edit_tests":
            for cell in nb["cells"]:
                if _grade_id(cell).startswith("check_"):
                    cell["source"] = "pass"
        elif each == "fake_module":
            nb["cells"].insert(_setup(nb), _cell(TRICKS[each]))
        else:
            nb["cells"].insert(_setup(nb) + 1, _cell(TRICKS[each]))
    return nb


def damage(nb: dict, kind: str) -> bytes:
    """The notebook damaged in one way, as the bytes a student hands in."""
    nb = copy.deepcopy(nb)
    checks = [c for c in nb["cells"] if _grade_id(c).startswith("check_")]
    if kind == "invalid_json":
        text = json.dumps(nb, indent=1)
        return text[: len(text) * 2 // 3].encode()
    if kind == "not_a_notebook":
        return b'{"student": "forgot the notebook", "cells": "none"}'
    if kind == "duplicated_cells":
        answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
        for cell in (answer, checks[0], checks[-1]):
            twin = copy.deepcopy(cell)
            twin["id"] = uuid.uuid4().hex[:8]
            nb["cells"].insert(nb["cells"].index(cell) + 1, twin)
    elif kind == "missing_cells":
        gone = {id(checks[0]), id(checks[-1])} | {id(c) for c in nb["cells"] if _grade_id(c) == "setup"}
        gone.add(id(next(c for c in nb["cells"] if c["cell_type"] == "markdown")))
        nb["cells"] = [c for c in nb["cells"] if id(c) not in gone]
    elif kind == "duplicated_ids":
        for cell in nb["cells"]:
            cell["id"] = "same"
    elif kind == "broken_metadata":
        checks[0]["metadata"]["nbgrader"] = "garbage"
        del checks[-1]["metadata"]["nbgrader"]["schema_version"]
    elif kind == "no_writefile":
        for cell in nb["cells"]:
            if _source(cell).startswith("%%writefile"):
                cell["source"] = _source(cell).split("\n", 1)[1]
    elif kind in ("endless_loop", "stubborn_loop", "kernel_dies"):
        code = {"endless_loop": "while True:\n    pass",
                "stubborn_loop": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                "kernel_dies": "import os\nos._exit(1)"}[kind]
        nb["cells"].insert(_last_writefile(nb) + 1, _cell(code))
    elif kind == "huge":
        blob = "x" * 1000 + "\n"
        big = _cell("print('a lot')")
        big["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [blob] * 30000}]
        nb["cells"].insert(_last_writefile(nb) + 1, big)
    return json.dumps(nb).encode()


def entries(course: Path, exercise: str, apps: list[Path], *, full: bool, victim: str | None = None) -> list[Entry]:
    """One exercise's share of a class: the reference, the release and each wrong app in ``apps``;
    then tricks on the app named ``victim`` (default: the first), all of them when ``full``, else one;
    and, when ``full``, every trick at once on the right app and every kind of damage."""
    ref = reference(exercise)
    found = [Entry(f"{exercise}-reference", exercise, "reference", json.dumps(ref).encode()),
             Entry(f"{exercise}-release", exercise, "release", json.dumps(release(course, exercise)).encode())]
    wrapped = {app.name: with_app(ref, app) for app in apps}
    found += [Entry(f"{exercise}-app-{name}", exercise, "wrong app", json.dumps(nb).encode())
              for name, nb in wrapped.items()]
    target = wrapped.get(victim) or next(iter(wrapped.values()), ref)
    for name in list(TRICKS) + list(CELL_TRICKS) if full else ["patch_grader"]:
        found.append(Entry(f"{exercise}-trick-{name}", exercise, "trick", json.dumps(trick(target, name)).encode()))
    if full:
        found.append(Entry(f"{exercise}-trick-all-on-right-app", exercise, "trick", json.dumps(trick(ref, "all")).encode()))
        found += [Entry(f"{exercise}-damaged-{kind}", exercise, "damaged", damage(ref, kind)) for kind in DAMAGE]
    return found


def hand_in(course: Path, entry: Entry) -> Path:
    folder = course / "submitted" / entry.student / entry.exercise
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entry.exercise}.ipynb"
    path.write_bytes(entry.data)
    return path


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _grade_id(cell: dict) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id", "") if isinstance(meta, dict) else ""


def _cell(source: str) -> dict:
    return {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {}, "outputs": [],
            "execution_count": None, "source": source}


def _setup(nb: dict) -> int:
    """Index of the cell that imports grader (tricks go right after it)."""
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code" and "import grader" in _source(cell):
            return index
    return 0


def _last_writefile(nb: dict) -> int:
    found = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and _source(c).startswith("%%writefile")]
    return found[-1] if found else len(nb["cells"]) - 1
