"""What a learner sees in a notebook when grading fails: the feedback, never the grader's own frames."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from notebook_runs import kernel_sockets, unix_socket_kernels

ROOT = Path(__file__).resolve().parent.parent
CRASHING_APP = "%%writefile app.py\nimport os\nsettings = os.environ['NO_SUCH_SETTING']\n"


def run_cells(folder: Path, *sources: str) -> list[dict]:
    """Execute code cells in a fresh kernel in ``folder``; the outputs of each cell."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with kernel_sockets() as sockets:
        client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                                kernel_manager_class=unix_socket_kernels(sockets),
                                resources={"metadata": {"path": str(folder)}})
        client.execute(env=env)
    return [cell.outputs for cell in notebook.cells]


def error_of(outputs: list[dict]) -> dict:
    errors = [output for output in outputs if output.output_type == "error"]
    assert len(errors) == 1, outputs
    return errors[0]


def test_nothing_to_grade_and_a_failing_check_show_only_the_learners_lines(tmp_path):
    _, nothing, _, failing = run_cells(
        tmp_path, "import grader", 'grader.check("hits", ".")', CRASHING_APP,
        'grader.assert_check("hits", "agreement")')
    missing = error_of(nothing)
    assert missing.traceback == [f"grader: {tmp_path} has no app.py. Write your app in app.py "
                                 "(a WSGI callable named `app`)."]
    failed = error_of(failing)
    text = "\n".join(failed.traceback)
    assert failed.traceback[0].startswith("CheckFailed: Every worker sees the same count: could not grade.")
    assert "KeyError: 'NO_SUCH_SETTING'" in text  # the learner's own error, from the worker's stderr
    assert "grading/runner.py" not in text and "grader/__init__.py" not in text and "Traceback" not in failed.traceback[0]
