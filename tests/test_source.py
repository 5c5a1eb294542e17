"""Reading a learner's app from a folder or from a notebook's %%writefile cells."""
from __future__ import annotations

import json
import os
import time

import pytest

from grader.errors import BadInput
from grader.platform.source import load


def notebook(tmp_path, *cells):
    path = tmp_path / "exercise.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": kind, "source": text, "metadata": {}}
                                          for kind, text in cells], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def test_writefile_cells_become_files_and_other_cells_are_ignored(tmp_path):
    path = notebook(tmp_path, ("markdown", "%%writefile nope.py\nx"),
                    ("code", "%%writefile app.py\nimport flask\n"),
                    ("code", ["%%writefile -a app.py\n", "app = 1"]),
                    ("code", "%%writefile 'Procfile'\nweb: gunicorn app:app"),
                    ("code", "print('not a file')"))
    source = load(path)
    assert source.files == {"app.py": b"import flask\napp = 1\n", "Procfile": b"web: gunicorn app:app\n"}


def test_a_notebook_without_app_cell_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="no %%writefile app.py cell"):
        load(notebook(tmp_path, ("code", "%%writefile other.py\nx = 1\n")))


def test_writefile_outside_the_notebook_folder_is_refused(tmp_path):
    with pytest.raises(BadInput, match="relative path"):
        load(notebook(tmp_path, ("code", "%%writefile /etc/app.py\nx = 1\n")))


def test_broken_json_and_missing_paths_are_bad_input(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    with pytest.raises(BadInput, match="not a readable notebook"):
        load(broken)
    with pytest.raises(BadInput, match="does not exist"):
        load(tmp_path / "missing")


def test_a_folder_is_read_without_caches_databases_or_notebooks(tmp_path):
    (tmp_path / "app.py").write_text("app = None\n")
    (tmp_path / "hits.db").write_bytes(b"SQLite")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"x")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body{}")
    assert sorted(load(tmp_path).files) == ["app.py", "static/site.css"]


def _write(path, text: str, mtime: float) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))


def test_a_folder_names_the_graded_file_and_when_it_was_written(tmp_path):
    _write(tmp_path / "app.py", "app = 1\n", 1_700_000_000)
    source = load(tmp_path)
    written = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(1_700_000_000))
    assert source.origin == f"{tmp_path / 'app.py'}, written {written}"
    assert source.notes == ()


def test_an_app_py_older_than_a_different_cell_in_the_saved_notebook_gets_a_hint(tmp_path):
    _write(tmp_path / "app.py", "app = 'old'\n", 1_700_000_000)
    nb = notebook(tmp_path, ("code", "%%writefile app.py\napp = 'new'"))
    os.utime(nb, (1_700_000_600, 1_700_000_600))
    note, = load(tmp_path).notes
    assert note.startswith("app.py was written at ") and "but exercise.ipynb was saved later, at " in note
    assert "The grader ran the older app.py: run that cell (Shift+Enter)" in note


def test_no_hint_when_the_file_matches_its_cell_or_is_newer_than_the_notebook(tmp_path):
    nb = notebook(tmp_path, ("code", "%%writefile app.py\napp = 'same'"))
    os.utime(nb, (1_700_000_600, 1_700_000_600))
    _write(tmp_path / "app.py", "app = 'same'", 1_700_000_000)  # %%writefile adds no final newline
    assert load(tmp_path).notes == ()
    _write(tmp_path / "app.py", "app = 'run but not saved yet'\n", 1_700_000_900)
    assert load(tmp_path).notes == ()


def test_a_folder_whose_writefile_cell_never_ran_says_run_it_in_one_line(tmp_path):
    notebook(tmp_path, ("code", "%%writefile app.py\napp = 1"))
    with pytest.raises(BadInput) as failure:
        load(tmp_path)
    message = str(failure.value)
    assert message.startswith("there is no app.py next to exercise.ipynb yet: run its `%%writefile app.py` cell")
    assert failure.value._render_traceback_() == [f"grader: {message}"]  # what a notebook shows: one line
