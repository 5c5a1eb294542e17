"""The parts of classroom grading, one at a time: reading damaged notebooks, verdicts as cell outputs,
the nbgrader steps, the summary, and the pool that runs jobs within their time limits."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import alive
from grader.checks import EXERCISES
from grader.checks.base import FAILED, PASSED, CheckResult
from grader.classroom import job as jobs
from grader.classroom import local, repair, steps
from grader.classroom.execution import JOB_MARKER
from grader.classroom.record import Recorded
from grader.classroom.summary import Batch
from grader.classroom.verdicts import Verdicts, app_from_cells, cell_outputs
from grader.platform.forkserver import RUN_TAG
from grader.platform.processes import RUN_MARKER, marked_processes
from grader.errors import BadInput

HITS = EXERCISES["hits"]


def cell(source: str, **meta) -> dict:
    return {"cell_type": "code", "id": meta.pop("id", None) or os.urandom(4).hex(), "metadata": meta,
            "outputs": [], "execution_count": None, "source": source}


def notebook(cells: list) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def verdicts(passed: set[str]) -> Verdicts:
    results = tuple(CheckResult(c.name, c.title, PASSED if c.name in passed else FAILED,
                                c.points if c.name in passed else 0, c.points, f"feedback for {c.name}", c.hidden)
                    for c in HITS)
    return Verdicts("hits", results)


# -- reading submissions ---------------------------------------------------------------------------
def test_invalid_json_is_unreadable_and_the_message_says_where(tmp_path):
    path = tmp_path / "hits.ipynb"
    path.write_text(json.dumps(notebook([cell("x = 1")]))[:40])
    with pytest.raises(repair.Unreadable, match=r"hits.ipynb is not valid JSON at line 1, column \d+"):
        repair.read_submission(path)


def test_json_that_is_not_a_notebook_is_unreadable(tmp_path):
    path = tmp_path / "hits.ipynb"
    path.write_text('{"cells": "none"}')
    with pytest.raises(repair.Unreadable, match="JSON but not a notebook"):
        repair.read_submission(path)


def test_a_notebook_too_big_to_read_is_refused_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr(repair, "MAX_NOTEBOOK_BYTES", 100)
    path = tmp_path / "hits.ipynb"
    path.write_text(json.dumps(notebook([cell("x" * 200)])))
    with pytest.raises(repair.Unreadable, match="not graded"):
        repair.read_submission(path)


def test_cells_are_mended_and_each_repair_is_noted(tmp_path):
    path = tmp_path / "hits.ipynb"
    cells = [cell(["%%writefile app.py\n", "x = 1\n"], id="same"), cell("y = 2", id="same"), "not a cell",
             {"cell_type": "markdown", "id": "m", "source": "# hi", "metadata": "broken", "outputs": []}]
    path.write_text(json.dumps(notebook(cells)))
    data, notes = repair.read_submission(path)
    assert [c["source"] for c in data["cells"]] == ["%%writefile app.py\nx = 1\n", "y = 2", "# hi"]
    assert len({c["id"] for c in data["cells"]}) == 3
    assert data["cells"][2]["metadata"] == {} and "outputs" not in data["cells"][2]
    assert notes == ["1 entry in the list of cells was not a cell and was left out.",
                     "1 cell repeated another cell's id and got a new one."]
    nbformat.validate(nbformat.from_dict(data))


def test_odd_types_in_the_metadata_or_a_cell_type_are_mended_not_a_crash(tmp_path):
    path = tmp_path / "hits.ipynb"
    data = notebook([cell("x = 1", id="a"), {"cell_type": ["code"], "id": "b", "source": "", "metadata": {}}])
    data["nbformat_minor"] = "x"
    path.write_text(json.dumps(data))
    mended, notes = repair.read_submission(path)
    assert [c["id"] for c in mended["cells"]] == ["a"] and mended["nbformat_minor"] == 5
    assert notes == ["1 entry in the list of cells was not a cell and was left out."]
    nbformat.validate(nbformat.from_dict(mended))


def test_a_broken_timestamp_is_no_timestamp_and_does_not_stop_the_batch(tmp_path):
    from grader.classroom.course import Course, Submission

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    submitted = tmp_path / "submitted" / "ann" / "hits"
    done = tmp_path / "autograded" / "ann" / "hits"
    for folder in (submitted, done):
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("not a time")
    course = Course(tmp_path)
    assert course.should_grade("hits", Submission("ann", submitted), force=False) is False


def test_a_big_file_named_before_the_notebook_never_pushes_the_notebook_out(tmp_path, monkeypatch):
    from grader.classroom import course as courses
    from grader.classroom.course import Course, Submission

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    (tmp_path / "source" / "hits").mkdir(parents=True)
    submitted = tmp_path / "submitted" / "ann" / "hits"
    submitted.mkdir(parents=True)
    (submitted / "a_big.csv").write_bytes(b"x" * 900)  # sorts before the notebook
    (submitted / "b_small.csv").write_bytes(b"y" * 50)
    (submitted / "hits.ipynb").write_bytes(b"{}" * 200)
    (submitted / "link.ipynb").symlink_to("/etc/passwd")
    monkeypatch.setattr(courses, "MAX_SUBMISSION_BYTES", 1000)
    files, notes = Course(tmp_path).job_files("hits", Submission("ann", submitted), b"")
    assert sorted(name for name in files if name.startswith("submitted")) == [
        "submitted/ann/hits/b_small.csv", "submitted/ann/hits/hits.ipynb"]
    assert notes == ["a_big.csv was not graded: the submission is over 0 MiB."]


def test_capped_keeps_notebooks_first_then_the_smallest_files_and_skips_what_it_is_told(tmp_path):
    from grader.classroom.capped import capped

    (tmp_path / "sub").mkdir()
    for name, size in {"z.ipynb": 40, "sub/y.ipynb": 40, "a.bin": 30, "b.bin": 10, "c.bin": 15, "skip.me": 1}.items():
        (tmp_path / name).write_bytes(b"x" * size)
    kept, left = capped(tmp_path, 110, skip=lambda path: path.suffix == ".me")
    assert [path.relative_to(tmp_path).as_posix() for path in kept] == ["b.bin", "c.bin", "sub/y.ipynb", "z.ipynb"]
    assert [path.name for path in left] == ["a.bin"]
    assert capped(tmp_path / "missing", 10) == ([], [])


def _kernel_transport(folder: Path | None, monkeypatch) -> str:
    """What a graded notebook's kernel said about its own connection, run as a job runs it (or as
    plain nbgrader autograde does, with ``folder`` None)."""
    from grader.classroom.execution import JOB_FOLDER, ContainedExecute

    if folder is None:
        monkeypatch.delenv(JOB_FOLDER, raising=False)
    else:
        monkeypatch.setenv(JOB_FOLDER, str(folder))
        folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import json\nfrom ipykernel import get_connection_file\n"
        "said = json.load(open(get_connection_file()))\nprint(said['transport'], said['ip'], get_connection_file())")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb, _ = ContainedExecute(timeout=60).preprocess(nb, {"metadata": {"path": str(folder or Path.cwd())}})
    return nb.cells[0].outputs[0]["text"]


def test_a_jobs_kernel_talks_over_unix_sockets_in_the_jobs_folder(tmp_path, monkeypatch):
    transport, ip, connection = _kernel_transport(tmp_path, monkeypatch).split()
    assert transport == "ipc" and Path(ip).parent == tmp_path and Path(connection).parent == tmp_path
    assert list(tmp_path.iterdir()) == []  # its sockets and connection file are gone with it


def test_a_jobs_folder_too_deep_for_a_socket_path_puts_the_sockets_in_a_short_run_folder(tmp_path, monkeypatch):
    from grader.platform import runs

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    transport, ip, connection = _kernel_transport(deep, monkeypatch).split()
    assert transport == "ipc" and Path(connection).parent == deep
    assert Path(ip).parent.parent == runs.base() and Path(ip).parent.name.startswith(os.environ.get(RUN_TAG, ""))
    assert not Path(ip).parent.exists() and list(deep.iterdir()) == []  # both removed with the kernel


def test_a_kernel_of_plain_nbgrader_autograde_has_a_run_folder_of_its_own_removed_after(monkeypatch):
    from grader.platform import runs

    transport, ip, connection = _kernel_transport(None, monkeypatch).split()
    folder = Path(connection).parent
    assert transport == "ipc" and Path(ip).parent == folder and folder.parent == runs.base()
    assert folder.name.startswith(os.environ.get(RUN_TAG, "") + "kernel-") and not folder.exists()


def test_a_kernel_that_never_answers_costs_the_startup_limit_and_leaves_a_note(tmp_path, monkeypatch):
    """A job's kernel gets as long to start as one of its cells gets to run, then the notebook says
    why it did not run, and the silent kernel process is killed."""
    from grader.classroom.execution import JOB_FOLDER, ContainedExecute

    spec = tmp_path / "jupyter" / "kernels" / "silent"
    spec.mkdir(parents=True)
    pidfile = tmp_path / "silent.pid"
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
                 "time.sleep(600)", "{connection_file}"],
        "display_name": "silent", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv(JOB_FOLDER, str(tmp_path))
    job = jobs.Job("hits", "someone", "course", "submitted", "autograded", "feedback", {}, "m", 60.0, 3.0)
    config = jobs._config(job, Path(__file__).resolve().parents[1] / "exercises")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('never runs')")])
    nb.metadata["kernelspec"] = {"name": "silent", "display_name": "silent", "language": "python"}
    started = time.monotonic()
    nb, _ = ContainedExecute(config=config).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert time.monotonic() - started < 3.0 + 10
    notes = " ".join(nb.metadata[repair.NOTES])
    assert "could not be run to the end (RuntimeError: Kernel didn't respond in 3 seconds)" in notes, notes
    assert not alive(int(pidfile.read_text()))


# -- verdicts --------------------------------------------------------------------------------------
def test_the_app_is_what_the_writefile_cells_write_in_order():
    cells = [cell("%%writefile app.py\nA\n"), cell("print(1)"), cell("%%writefile -a app.py\nB\n"),
             {"cell_type": "markdown", "source": "%%writefile app.py\nnot code"}]
    assert app_from_cells(cells, "hits.ipynb").files == {"app.py": b"A\nB\n"}
    with pytest.raises(BadInput, match="hits.ipynb has no %%writefile app.py cell"):
        app_from_cells([cell("import flask")], "hits.ipynb")


def test_a_verdict_becomes_the_output_grader_assert_check_would_give():
    v = verdicts({"agreement"})
    passed, = cell_outputs(v, "agreement")
    assert passed["output_type"] == "stream"
    assert passed["text"] == f"{HITS[0].title}: passed. feedback for agreement\n"
    failed, = cell_outputs(v, "burst")
    burst = next(c for c in HITS if c.name == "burst")
    assert failed["ename"] == "CheckFailed"
    assert failed["evalue"] == f"{burst.title}: failed.\nfeedback for burst"
    assert failed["traceback"][0] == f"CheckFailed: {burst.title}: failed."
    missing, = cell_outputs(Verdicts("hits", ()), "crash")
    assert missing["ename"] == "CheckFailed" and "could not grade" in missing["evalue"]


def test_verdicts_travel_as_plain_data():
    v = verdicts({"crash"})
    assert Verdicts.from_dict(json.loads(json.dumps(v.to_dict()))) == v
    assert jobs.read_verdicts(b'{"notebook": "hits", "verdicts": ' + json.dumps(v.to_dict()).encode()
                              + b'}\n{"notebook": "cut sh') == {"hits": v}


# -- nbgrader steps --------------------------------------------------------------------------------
def graded_cell(name: str, source: str) -> dict:
    return cell(source, nbgrader={"grade": True, "grade_id": f"check_{name}", "locked": True, "points": 2,
                                  "schema_version": 3, "solution": False})


def test_check_cells_are_skipped_by_the_kernel_then_given_their_verdicts():
    nb = nbformat.from_dict(notebook([
        cell("%%writefile app.py\nx = 1\n"), cell('grader.check("hits", ".")'), cell("print(grader.check('hits'))"),
        graded_cell("agreement", 'grader.assert_check("hits", "agreement");'),
        graded_cell("burst", 'grader.assert_check("hits", "burst");'),
        graded_cell("nonsense", "assert True")]))
    cells = steps.check_cells(nb, "hits")
    assert cells == {"check_agreement": "agreement", "check_burst": "burst"}
    assert [steps.is_report(c) for c in nb.cells] == [False, True, False, False, False, False]
    for index in (1, 3, 4):
        nb.cells[index].metadata["tags"] = [steps.SKIP_TAG]
    nb.cells[3].outputs = [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "faked\n"})]
    steps.apply(nb, verdicts({"agreement"}), cells, [1, 3, 4])
    assert nb.cells[3].outputs[0]["text"].startswith(f"{HITS[0].title}: passed.")
    assert nb.cells[4].outputs[0]["ename"] == "CheckFailed"
    assert nb.cells[1].outputs[0]["text"] == steps.REPORT_SKIPPED
    assert all("tags" not in c.metadata for c in nb.cells)
    assert nb.cells[5].outputs == []


def test_hidden_test_regions_leave_the_feedback_and_a_lone_marker_breaks_nothing():
    hide = steps.HideHiddenTests()
    hidden = nbformat.from_dict(cell("# Hidden check\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS\nafter()"))
    lone = nbformat.from_dict(cell("print('### BEGIN HIDDEN TESTS')"))
    assert hide.preprocess_cell(hidden, {}, 0)[0].source == "# Hidden check\nafter()"
    assert hide.preprocess_cell(lone, {}, 0)[0].source == "print('### BEGIN HIDDEN TESTS')"


# -- summary ---------------------------------------------------------------------------------------
def test_the_summary_lists_every_student_with_score_status_and_seconds_and_the_notes_below():
    batch = Batch("hits", [Recorded("ada", 10, 10, "graded", 3.21),
                           Recorded("bob", 0, 10, "unreadable", 0.1, ["hits.ipynb is not valid JSON at line 3"])],
                  12.5, 2, "this machine")
    text = batch.to_text()
    assert text.splitlines()[0] == "hits: 2 submissions graded in 12.5 s (2 at a time, on this machine)"
    assert "ada          10/10  graded          3.2" in text
    assert "  bob:\n    - hits.ipynb is not valid JSON at line 3" in text
    assert text.rstrip().endswith("Totals: 1 graded, 1 unreadable")
    data = json.loads(batch.to_json())
    assert data["submissions"][1] == {"student": "bob", "score": 0, "max_score": 10, "status": "unreadable",
                                      "seconds": 0.1, "notes": ["hits.ipynb is not valid JSON at line 3"],
                                      "profile": {}}
    assert not batch.clean


def test_the_summary_quotes_a_crashed_jobs_log_line_by_line_under_its_note():
    note = "The grading crashed: its grading process ended with exit code 3. The last lines of its log:\n" \
           "Traceback (most recent call last):\n  File \"job.py\", line 1\nMemoryError"
    text = Batch("hits", [Recorded("cy", 0, 10, "crashed", 1.0, [note])], 1.0, 1, "this machine").to_text()
    assert ("    - The grading crashed: its grading process ended with exit code 3. The last lines of its log:\n"
            "      | Traceback (most recent call last):\n      |   File \"job.py\", line 1\n      | MemoryError\n") in text


# -- the pool --------------------------------------------------------------------------------------
# The stand-ins below replace the job's work in the forked child; fork=True because other tests may
# have left idle threads in this process, which would make the pool start fresh processes instead.
def fake_job(tmp_path: Path, student: str, timeout: float) -> jobs.Job:
    marker = os.environ.get(RUN_TAG, "") + "job-" + os.urandom(6).hex()
    return jobs.Job(assignment="hits", student=student, course_id="c", submitted="s", autograded="a",
                    feedback="f", files={}, marker=marker, timeout=timeout, cell_timeout=1)


def hang_with_a_detached_kernel(job, folder, send):
    """Stands in for a job whose learner kernel ignores everything and detached a daemon."""
    send("hits", verdicts({"agreement"}))
    env = {**os.environ, RUN_MARKER: os.environ[JOB_MARKER]}
    subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"], env=env,
                     start_new_session=True)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)


def crash_after_the_verdict(job, folder, send):
    send("hits", verdicts({"burst"}))
    os.write(1, b"dying\n")
    os._exit(3)


def test_a_job_past_its_deadline_is_killed_with_everything_it_started(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "run", hang_with_a_detached_kernel)
    pool = local.LocalPool(2, tmp_path, fork=True)
    job = fake_job(tmp_path, "hanging", timeout=1.5)
    started = time.monotonic()
    finished, = list(pool.run([job]))
    assert 1.5 <= time.monotonic() - started < 5
    assert finished.ended == "timed out" and "stopped after 1.5 s" in finished.detail
    assert finished.verdicts["hits"] == verdicts({"agreement"})
    assert marked_processes(job.marker) == []


def test_a_crashed_job_keeps_the_verdict_it_sent_and_says_how_it_ended(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "run", crash_after_the_verdict)
    finished, = list(local.LocalPool(1, tmp_path, fork=True).run([fake_job(tmp_path, "crashing", timeout=20)]))
    assert finished.ended == "crashed" and finished.detail == "its grading process ended with exit code 3"
    assert finished.verdicts == {"hits": verdicts({"burst"})}
    assert (finished.folder / jobs.LOG_FILE).read_text().strip() == "dying"
    assert finished.log_tail == "dying"  # what the instructor's notes quote


def test_a_log_tail_is_its_last_lines_and_nothing_for_a_missing_log(tmp_path):
    log = tmp_path / jobs.LOG_FILE
    log.write_bytes(b"x" * 10000 + b"\n" + b"".join(b"line %d\n" % n for n in range(10)) + b"\xff\n\n")
    assert jobs.log_tail(log, lines=3) == "line 8\nline 9\n\ufffd"
    assert jobs.log_tail(tmp_path / "missing.log") == ""


def test_a_job_started_without_fork_dies_with_the_grader_that_started_it(tmp_path):
    """The pool starts jobs with Popen where forking is unsafe (threads, as on a Dask worker); such a
    job is in a session of its own, so only the parent-death signal can end it with its grader."""
    stand_in = tmp_path / "python"  # stands in for the interpreter the job command runs
    stand_in.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/job.pid\nexec sleep 60\n")
    stand_in.chmod(0o755)
    grader = subprocess.Popen([sys.executable, "-c", f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_classroom_parts import fake_job
from grader.classroom import local
sys.executable = {str(stand_in)!r}
list(local.LocalPool(1, Path({str(tmp_path)!r}), fork=False).run([fake_job(Path({str(tmp_path)!r}), "x", 60)]))
"""])
    pidfile = tmp_path / "job.pid"
    deadline = time.monotonic() + 20
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline and grader.poll() is None, "the job never started"
        time.sleep(0.05)
    job = int(pidfile.read_text())
    assert os.getsid(job) == job  # a session of its own: signalling the grader's group cannot reach it
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 5
    try:
        while alive(job):
            assert time.monotonic() < deadline, "the job outlived its grader"
            time.sleep(0.05)
    finally:
        if alive(job):
            os.kill(job, signal.SIGKILL)


def test_one_hanging_job_does_not_hold_up_the_others(tmp_path, monkeypatch):
    def some_hang(job, folder, send):
        if job.student == "hangs":
            hang_with_a_detached_kernel(job, folder, send)
        send("hits", verdicts(set()))

    monkeypatch.setattr(local, "run", some_hang)
    pool = local.LocalPool(2, tmp_path, fork=True)
    order = []
    students = ["hangs"] + [f"quick{i}" for i in range(6)]
    for finished in pool.run(fake_job(tmp_path, name, timeout=3 if name == "hangs" else 20) for name in students):
        order.append((finished.job.student, finished.ended, time.monotonic()))
    assert [name for name, _, _ in order[:-1]] == students[1:]
    assert order[-1][:2] == ("hangs", "timed out")
    assert order[-2][2] < order[-1][2] - 0.5  # the quick ones were done well before the hang's deadline
