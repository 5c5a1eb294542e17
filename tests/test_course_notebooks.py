"""The course notebooks: committed clean, navigation up to date, and every cell runs headless.

Each notebook runs in a fresh python3 kernel whose working directory is a temporary copy of
``course/``, so the files its ``%%writefile`` cells create never land in the repository. The kernel
imports ``grader`` from this working tree (PYTHONPATH), whatever copy happens to be installed.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds, per cell
NAME = re.compile(r"^\d\d\.\d\d-[A-Z0-9][A-Za-z0-9]*(-[A-Za-z0-9]+)*\.ipynb$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def notebook_id(path: Path) -> str:
    return path.stem


def test_the_course_has_an_introduction_and_lessons():
    names = [path.name for path in NOTEBOOKS]
    assert "00.00-Introduction.ipynb" in names
    assert len(names) >= 2, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_named_and_titled_by_the_house_style(path):
    assert NAME.match(path.name), f"{path.name} is not named NN.MM-Title-With-Hyphens.ipynb"
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown" and re.match(r"# \S", first.source), \
        f"{path.name}: the first cell must be a markdown H1 title, not {first.source[:60]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or an execution count; clear them before committing"
    assert "widgets" not in notebook.metadata, f"{path.name}: saved widget state in the notebook metadata"


def test_navigation_is_up_to_date():
    run = subprocess.run([sys.executable, str(COURSE / "make_nav.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"run `python course/make_nav.py`:\n{run.stdout}{run.stderr}"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_runs_without_errors(path, tmp_path):
    before = sorted(os.listdir(COURSE))
    work = tmp_path / "course"
    shutil.copytree(COURSE, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    notebook = nbformat.read(work / path.name, as_version=4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    client.execute(env=env)
    errors = [(index, output) for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors, "\n\n".join(
        f"cell {index} raised {output.ename}: {output.evalue}\n" + ANSI.sub("", "\n".join(output.traceback))
        for index, output in errors)
    assert sorted(os.listdir(COURSE)) == before, f"{path.name} wrote files into course/ instead of its working copy"
