"""Lesson 03.00, Scratch Space, run headless once: every cell runs within a minute, nothing it started
keeps running, and what each cell prints is what the lesson's prose says it prints.

The lesson runs in a fresh python3 kernel whose working directory is a temporary copy of ``course/``
(its ``%%writefile`` cells must not write into the repository), importing ``grader`` from this
working tree. A claim test finds its cell by a metadata tag (``claim-...``) and parses its output.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
LESSON = "03.00-Scratch-Space.ipynb"
TIME_LIMIT = 60.0  # seconds the whole lesson may take, headless
CELL_TIMEOUT = 120  # seconds for one cell, so that a hang fails the run instead of the session


@dataclass(frozen=True)
class Run:
    notebook: object
    errors: list[str]
    seconds: float
    survivors: list[tuple[int, str]]
    course_changed: bool


def processes_in(folder: Path) -> list[tuple[int, str]]:
    """(pid, command line) of live processes whose working directory lies in ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")).is_relative_to(folder) \
                    and (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()))
        except OSError:
            continue
    return found


def survivors(folder: Path, grace: float = 2.0) -> list[tuple[int, str]]:
    """Processes still running in ``folder`` ``grace`` seconds after the kernel ended (each is killed)."""
    deadline = time.monotonic() + grace
    while (found := processes_in(folder)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid, _ in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    before = sorted(os.listdir(COURSE))
    course = tmp_path_factory.mktemp("lesson") / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    notebook = nbformat.read(course / LESSON, as_version=4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(course)}})
    started = time.monotonic()
    client.execute(env=env)
    seconds = time.monotonic() - started
    errors = [f"cell {index} raised {output.ename}: {output.evalue}"
              for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    return Run(notebook, errors, seconds, survivors(course), sorted(os.listdir(COURSE)) != before)


def text(run: Run, tag: str) -> str:
    """What the cell tagged ``tag`` printed, and the plain text of what it displayed."""
    cells = [cell for cell in run.notebook.cells if tag in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    parts = []
    for output in cells[0].outputs:
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", "") + "\n")
    return "".join(parts)


def value(run: Run, tag: str, label: str):
    """The Python literal printed after ``label`` at the start of a line of the tagged cell."""
    for line in text(run, tag).splitlines():
        if line.startswith(label):
            return ast.literal_eval(line[len(label):].strip())
    raise AssertionError(f"no line starting with {label!r} in what {tag} printed:\n{text(run, tag)}")


def megabytes(run: Run, tag: str) -> float:
    return float(re.search(r"^web\.1's memory rose by ([\d.]+) MB$", text(run, tag), re.MULTILINE)[1])


@pytest.fixture
def lesson(run) -> Run:
    if run.errors:
        pytest.fail(f"{LESSON} did not run cleanly:\n" + "\n".join(run.errors), pytrace=False)
    return run


@pytest.mark.timeout(600)
def test_lesson_runs_within_a_minute_and_leaves_nothing_running(run):
    assert not run.errors, "\n".join(run.errors)
    assert not run.survivors, f"still running after the kernel ended: {run.survivors}"
    assert not run.course_changed, "the lesson wrote into course/ instead of its working copy"
    assert run.seconds <= TIME_LIMIT, f"the lesson took {run.seconds:.1f} s"
    print(f"{LESSON} ran in {run.seconds:.1f} s")


@pytest.mark.timeout(600)
def test_every_worker_reads_the_inventory_that_web_1_took(lesson):
    assert "POST /inventories on web.1 returned 201" in text(lesson, "claim-cycle")
    assert value(lesson, "claim-cycle", "each worker says:") == {"web.1": 3, "web.2": 3}


@pytest.mark.timeout(600)
def test_holding_the_download_raises_memory_by_about_the_archive_size(lesson):
    # Readings every 5 ms can miss the very top on a loaded machine (39 MB was seen once, in CI); a
    # streamed download stays within a few MB, so 30 still tells the two apart.
    assert 30 <= megabytes(lesson, "claim-holding-memory") <= 120


@pytest.mark.timeout(600)
def test_leaked_scratch_files_pile_up_until_a_restart_wipes_them(lesson):
    printed = text(lesson, "claim-leaky-scratch")
    assert re.search(r"^notes\.zip +on web\.1: 500$", printed, re.MULTILINE)
    assert value(lesson, "claim-leaky-scratch", "files left:") == {"web.1": 2, "web.2": 1}
    held = value(lesson, "claim-leaky-scratch", "web.1 holds:")
    assert len(held) == 2 and all(re.fullmatch(r"\$TMPDIR/tmp\w+\.zip", path) for path in held), held
    assert value(lesson, "claim-leaky-scratch", "after a restart:") == {"web.1": 0, "web.2": 1}


@pytest.mark.timeout(600)
def test_a_temporary_directory_leaves_nothing_even_after_a_422(lesson):
    printed = text(lesson, "claim-clean-scratch")
    assert re.search(r"^notes\.zip +on web\.1: 422$", printed, re.MULTILINE)
    assert value(lesson, "claim-clean-scratch", "files left:") == {"web.1": 0, "web.2": 0}


@pytest.mark.timeout(600)
def test_streaming_through_scratch_keeps_memory_flat_and_the_plot_shows_both(lesson):
    assert megabytes(lesson, "claim-streaming-memory") < 8
    cell = next(cell for cell in lesson.notebook.cells if "claim-plot-memory" in cell.metadata.get("tags", []))
    assert any("image/png" in output.get("data", {}) for output in cell.outputs)


@pytest.mark.timeout(600)
def test_a_cache_in_the_process_answers_stale_until_the_worker_restarts(lesson):
    tag = "claim-stale-cache"
    assert value(lesson, tag, "web.1, first time:") == 3
    assert value(lesson, tag, "after the change, web.1:") == 3
    assert value(lesson, tag, "after the change, web.2:") == 5
    assert value(lesson, tag, "web.1, restarted:") == 5


@pytest.mark.timeout(600)
def test_the_naive_reports_app_passes_only_the_four_checks_the_answer_names(lesson):
    printed = text(lesson, "claim-naive-reports")
    marks = {name: mark for mark, name in re.findall(r"^\s+(PASS|FAIL|NOT GRADED)\s+(\w+)\s", printed, re.MULTILINE)}
    passed = {"scratch_empty", "no_local_state", "concurrent", "fresh_download"}
    assert marks == {name: "PASS" if name in passed else "FAIL" for name in marks} and len(marks) == 9, printed
