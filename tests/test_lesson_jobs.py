"""Lesson 05.00 (process types and background jobs) runs headless, in time, and shows what it says.

The notebook runs once, in a fresh python3 kernel whose working directory is a temporary copy of
``course/`` (its ``%%writefile`` cells never touch the repository) and which imports ``grader``
from this working tree. Each claim test finds its cell by a ``claim-...`` tag and parses what the
cell printed, so it fails as soon as the lesson's behaviour drifts from its prose.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
LESSON = "05.00-Process-Types-And-Jobs.ipynb"
BUDGET = 60.0  # seconds the whole lesson may take here
CELL_TIMEOUT = 120  # seconds, per cell
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Run:
    """The executed notebook, its errors and its duration; ``text(tag)`` is what a cell printed."""

    def __init__(self, notebook, seconds: float):
        self.notebook = notebook
        self.seconds = seconds
        self.errors = [f"cell {index} raised {output.ename}: {output.evalue}\n"
                       + ANSI.sub("", "\n".join(output.traceback))
                       for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                       for output in cell.outputs if output.output_type == "error"]

    def cell(self, tag: str):
        cells = [cell for cell in self.notebook.cells if tag in cell.metadata.get("tags", [])]
        assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
        return cells[0]

    def text(self, tag: str) -> str:
        assert not self.errors, self.errors[0]
        return "".join(output.text for output in self.cell(tag).outputs
                       if output.output_type == "stream" and output.name == "stdout")

    def value(self, tag: str, label: str):
        """The Python literal printed after ``label`` at the start of a line of the tagged cell."""
        for line in self.text(tag).splitlines():
            if line.startswith(label):
                return ast.literal_eval(line[len(label):].strip())
        raise AssertionError(f"no line starting with {label!r} in what {tag} printed:\n{self.text(tag)}")


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    course = tmp_path_factory.mktemp("lesson") / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    notebook = nbformat.read(course / LESSON, as_version=4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(course)}})
    started = time.monotonic()
    client.execute(env=env)
    return Run(notebook, time.monotonic() - started)


@pytest.mark.timeout(600)
def test_lesson_runs_without_errors_within_its_budget(run):
    assert not run.errors, "\n\n".join(run.errors)
    print(f"{LESSON} ran in {run.seconds:.1f} s")
    assert run.seconds <= BUDGET, f"the lesson took {run.seconds:.1f} s (budget {BUDGET:g} s)"


def test_sending_in_the_request_makes_every_sign_up_wait_for_the_mail_server(run):
    waits = [float(s) for s in re.findall(r"^\w+ waited ([\d.]+) s for web\.\d$", run.text("claim-inline"), re.M)]
    assert len(waits) == 3 and min(waits) >= 0.45


def test_a_queued_job_answers_at_once_and_leaves_the_queue_empty(run):
    waits = [float(s) for s in re.findall(r"^\w+ waited ([\d.]+) s$", run.text("claim-queue"), re.M)]
    assert len(waits) == 3 and max(waits) < 0.25
    assert run.value("claim-queue", "statuses:") == {"ada": "sent", "bob": "sent", "cy": "sent"}
    assert run.value("claim-queue", "queue:") == []
    assert sorted(run.value("claim-queue", "outbox:")) == ["ada@example.com", "bob@example.com", "cy@example.com"]


def test_a_crash_loses_the_job_a_brpop_worker_was_running(run):
    text = run.text("claim-naive-crash")
    assert "before the crash, ada's email is sending" in text
    assert "bob's email: sent" in text and "ada's email: sending" in text
    assert run.value("claim-naive-crash", "queue:") == []
    assert run.value("claim-naive-crash", "outbox:") == ["bob@example.com"]


def test_the_reliable_queue_sends_the_job_of_the_killed_worker(run):
    text = run.text("claim-reliable-crash")
    assert "before the crash, ada's email is sending" in text and "ada's email: sent" in text
    assert run.value("claim-reliable-crash", "outbox:") == ["ada@example.com", "bob@example.com"]


def test_a_job_delivered_twice_is_recorded_twice_by_the_naive_worker_and_once_by_the_reliable_one(run):
    assert run.value("claim-twice", "naive_signups: outbox") == ["ada@example.com"] * 2 + ["bob@example.com"]
    assert run.value("claim-twice", "reliable_signups: outbox") == ["ada@example.com", "bob@example.com"]


def test_sigterm_kills_the_naive_worker_mid_job_and_the_reliable_one_finishes_first(run):
    ends = dict(re.findall(r"^(\w+): worker\.1 ended with (.+?) after [\d.]+ s; ada's email: (?:\w+)$",
                           run.text("claim-sigterm"), re.M))
    assert ends == {"naive_signups": "SIGTERM", "reliable_signups": "exit code 0"}
    emails = dict(re.findall(r"^(\w+): .*; ada's email: (\w+)$", run.text("claim-sigterm"), re.M))
    assert emails == {"naive_signups": "sending", "reliable_signups": "sent"}
    took = float(re.search(r"^reliable_signups: .* after ([\d.]+) s", run.text("claim-sigterm"), re.M)[1])
    assert took < 3.0  # within the grace period


def test_more_workers_finish_the_batch_sooner_and_the_plot_shows_it(run):
    seconds = dict((int(count), float(took)) for count, took in
                   re.findall(r"^(\d) worker\(s\): the batch took ([\d.]+) s$", run.text("claim-scaling"), re.M))
    assert set(seconds) == {1, 2, 4}
    assert seconds[1] >= 1.6  # 8 emails of 0.2 s, one at a time
    assert seconds[2] < 0.7 * seconds[1] and seconds[4] < 0.7 * seconds[2]
    assert any("image/png" in output.get("data", {}) for output in run.cell("claim-plot").outputs)


def test_rq_keeps_the_killed_job_in_its_started_job_registry(run):
    text = run.text("claim-rq")
    assert "bob: finished - welcome sent to bob@example.com" in text
    assert "ada after the crash: started - in the started job registry: True" in text


def test_the_playground_sends_every_email_once_despite_a_crash(run):
    assert run.value("claim-playground", "statuses:") == ["sent"] * 4
    assert run.value("claim-playground", "each web process sees:") == {"web.1": 4, "web.2": 4}
