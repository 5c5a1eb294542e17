"""Reading a learner's app from a folder or from a notebook's %%writefile cells."""
from __future__ import annotations

import json

import pytest

from grader.source import BadInput, load


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
