"""grader autograde beside nbgrader itself: same gradebook, same files, and scores that no trick fakes;
nbgrader's --student and --force; and the same grading on a Dask cluster of separate processes.

Three students of the first exercise: the reference, a wrong app that patches ``grader`` in its
kernel, and the same wrong app writing full marks straight into gradebook.db.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).parent / "classroom"))
import make_class  # noqa: E402
from notebook_runs import kernel_sockets  # noqa: E402

from grader.checks import EXERCISES  # noqa: E402

pytestmark = pytest.mark.timeout(900)  # each fixture runs nbgrader or grader autograde on a course
EXERCISE = make_class.exercises()[0]
FULL = sum(check.points for check in EXERCISES[EXERCISE])
STOCK_CONFIG = "chains.configure(c)"  # the line of exercises/nbgrader_config.py that this file removes
TIMEOUT = 600


def run(course: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *argv], cwd=course, capture_output=True, text=True,
                          timeout=TIMEOUT, env=make_class.env())


def scores(course: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(EXERCISE)}


def failed_cells(course: Path) -> str:
    """What each graded cell that lost points printed, per student: the cause when a score is off."""
    lines = []
    for path in sorted((course / "autograded").glob(f"*/{EXERCISE}/{EXERCISE}.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if cell["metadata"].get("nbgrader", {}).get("grade") and errors:
                grade_id = cell["metadata"]["nbgrader"]["grade_id"]
                lines += [f"{path.parts[-3]} {grade_id}:"] + [line for e in errors for line in e["traceback"][-6:]]
    return "\n".join(lines)


def rows(course: Path, student: str) -> dict:
    """What the gradebook holds about one submission, as nbgrader's formgrader reads it."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(EXERCISE, student)
        notebook = gradebook.find_submission_notebook(EXERCISE, EXERCISE, student)
        return {"timestamp": submission.timestamp, "score": submission.score, "max": submission.max_score,
                "late": notebook.late_submission_penalty, "manual": submission.needs_manual_grade,
                "grades": sorted((g.name, g.auto_score, g.manual_score, g.needs_manual_grade, g.max_score)
                                 for g in notebook.grades),
                "comments": sorted((c.name, c.auto_comment, c.manual_comment) for c in notebook.comments)}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = make_class.new_course(tmp_path_factory.mktemp("nbgrader") / "course")
    wrong = next(app for app in make_class.purpose_built(EXERCISE) if app.name == "global_counter") \
        if EXERCISE == "hits" else make_class.purpose_built(EXERCISE)[0]
    app = make_class.with_app(make_class.reference(EXERCISE), wrong)
    for student, nb in {"reference": make_class.reference(EXERCISE),
                        "patched": make_class.trick(app, "patch_grader"),
                        "forger": make_class.trick(app, "fake_results")}.items():
        path = make_class.hand_in(course, make_class.Entry(student, EXERCISE, "", json.dumps(nb).encode()))
        (path.parent / "timestamp.txt").write_text("2031-01-02 03:04:05.000000 UTC")
    return course


def copy_of(course: Path, target: Path, stock_sockets: Path | None = None) -> Path:
    """A copy of the course; with ``stock_sockets``, nbgrader as it comes, its kernels aside: they talk
    over Unix sockets in that folder, because over TCP a kernel starting on this busy machine can
    lose one of its ports before it binds it, and die (see tests/notebook_runs.py)."""
    shutil.copytree(course, target)
    if stock_sockets:
        config = target / "nbgrader_config.py"
        config.write_text(config.read_text().replace(STOCK_CONFIG, (
            f"c.KernelManager.transport = 'ipc'  # stock nbgrader, with kernels on Unix sockets\n"
            f"c.KernelManager.ip = {str(stock_sockets / 'kernel')!r}")))
    return target


@pytest.fixture(scope="module")
def by_grader(course, tmp_path_factory) -> Path:
    target = copy_of(course, tmp_path_factory.mktemp("grader") / "course")
    done = run(target, "grader", "autograde", EXERCISE, "--jobs", "2", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    (target.parent / "batch.json").write_text(done.stdout)  # beside the course, which must stay as nbgrader's
    return target


@pytest.fixture(scope="module")
def by_nbgrader(course, tmp_path_factory) -> Path:
    """Plain `nbgrader autograde` with the course's configuration (the factor-six chains)."""
    target = copy_of(course, tmp_path_factory.mktemp("nbgrader-configured") / "course")
    done = run(target, "nbgrader", "autograde", EXERCISE)
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def test_stock_nbgrader_is_fooled_by_both_tricks(course, tmp_path):
    """What the configuration prevents: without it, nbgrader gives both fakers full marks."""
    with kernel_sockets() as sockets:
        stock = copy_of(course, tmp_path / "stock", stock_sockets=sockets)
        done = run(stock, "nbgrader", "autograde", EXERCISE)
        assert list(sockets.iterdir()) == []  # each kernel took its sockets with it
    assert "running over TCP" not in done.stderr  # ipykernel warns of that on every TCP start
    assert done.returncode == 0, done.stdout + done.stderr
    assert scores(stock) == {"reference": FULL, "patched": FULL, "forger": FULL}, failed_cells(stock)


def test_grader_autograde_and_configured_nbgrader_give_what_the_apps_earn(by_grader, by_nbgrader):
    for course in (by_grader, by_nbgrader):
        got = scores(course)
        assert got["reference"] == FULL, failed_cells(course)
        assert 0 < got["patched"] == got["forger"] < FULL, got


def test_grader_autograde_writes_the_gradebook_configured_nbgrader_writes(by_grader, by_nbgrader):
    for student in ("reference", "patched", "forger"):
        assert rows(by_grader, student) == rows(by_nbgrader, student), student
    assert str(rows(by_grader, "reference")["timestamp"]).startswith("2031-01-02 03:04:05")


def test_grader_autograde_writes_the_notebooks_and_feedback_nbgrader_writes(by_grader, by_nbgrader):
    def check_outputs(course: Path, student: str) -> dict:
        nb = json.loads((course / "autograded" / student / EXERCISE / f"{EXERCISE}.ipynb").read_text())
        return {c["metadata"]["nbgrader"]["grade_id"]: (c["source"], c["outputs"]) for c in nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("check_")}

    for student in ("reference", "patched"):
        ours, theirs = check_outputs(by_grader, student), check_outputs(by_nbgrader, student)
        assert ours.keys() == theirs.keys()
        for grade_id in ours:  # same verdicts; feedback text names pids and ports, which differ
            assert ours[grade_id][0] == theirs[grade_id][0]
            assert [o.get("ename", o.get("name")) for o in ours[grade_id][1]] == \
                   [o.get("ename", o.get("name")) for o in theirs[grade_id][1]], grade_id
        listing = sorted(p.name for p in (by_grader / "autograded" / student / EXERCISE).iterdir())
        assert listing == sorted(p.name for p in (by_nbgrader / "autograded" / student / EXERCISE).iterdir())
        page = (by_grader / "feedback" / student / EXERCISE / f"{EXERCISE}.html").read_text()
        assert f"{EXERCISE} (Score: {rows(by_grader, student)['score']:.1f} / {FULL:.1f})" in page


def test_every_submission_says_where_its_time_went(by_grader):
    """The profile by stage (grader.classroom.profile): each stage a submission went through, with
    wall and CPU seconds that add up to no more than the submission took."""
    from grader.classroom import profile
    batch = json.loads((by_grader.parent / "batch.json").read_text())
    assert batch["startup"]["cpu"] > 0.1 and batch["own_cpu"] >= batch["startup"]["cpu"]
    for item in batch["submissions"]:
        spent = item["profile"]
        assert {profile.CHECKS, profile.KERNEL_START, profile.CELLS, profile.KERNEL_STOP, profile.SANITIZE,
                profile.GRADEBOOK, profile.FEEDBACK, profile.RECORD} <= set(spent), (item["student"], spent)
        assert all(each["wall"] >= 0 and each["cpu"] >= 0 for each in spent.values()), spent
        inside_the_job = sum(each["wall"] for name, each in spent.items() if name != profile.RECORD)
        assert inside_the_job <= item["seconds"] + 0.05, (item["seconds"], spent)
        assert spent[profile.CHECKS]["cpu"] > 0.1, spent  # the app's workers ran, and count here
        assert spent[profile.KERNEL_START]["cpu"] > 0.05, spent  # the kernel's own start-up counts too


def test_a_rehearsal_warms_the_grader_and_leaves_nothing_behind(course, tmp_path):
    """The rehearsal before the first fork (grader.classroom.warmup) runs no kernel, no check and
    no thread, writes nothing into the course, and leaves no file in its work folder."""
    import threading

    from grader.classroom import autograde, warmup
    from grader.classroom.course import Course
    from grader.classroom.record import Recorder
    target = copy_of(course, tmp_path / "course")
    before = sorted(str(path.relative_to(target)) for path in target.rglob("*"))
    graded = Course(target)
    job = next(autograde._jobs(graded, Recorder(graded, EXERCISE), EXERCISE,
                               graded.submissions(EXERCISE, "reference"), 60))
    work = tmp_path / "work"
    work.mkdir()
    threads = threading.active_count()
    assert warmup.rehearse(job, work)
    assert list(work.iterdir()) == [] and threading.active_count() == threads
    assert sorted(str(path.relative_to(target)) for path in target.rglob("*")) == before
    assert scores(target) == {}


def test_student_and_force_work_as_in_nbgrader(by_grader):
    again = run(by_grader, "grader", "autograde", EXERCISE, "--student", "ref*", "--json")
    assert again.returncode == 0, again.stderr
    (entry,) = json.loads(again.stdout)["submissions"]
    assert (entry["student"], entry["status"], entry["score"]) == ("reference", "skipped", FULL)
    forced = run(by_grader, "grader", "autograde", EXERCISE, "--student", "reference", "--force", "--json")
    (entry,) = json.loads(forced.stdout)["submissions"]
    assert (entry["status"], entry["score"]) == ("graded", FULL)
    nobody = run(by_grader, "grader", "autograde", EXERCISE, "--student", "nobody")
    assert nobody.returncode == 2 and "no submissions of" in nobody.stderr and "Traceback" not in nobody.stderr
    unknown = run(by_grader, "grader", "autograde", "no-such-assignment")
    assert unknown.returncode == 2 and "nbgrader generate_assignment no-such-assignment" in unknown.stderr


def test_a_dask_cluster_of_separate_processes_grades_the_same(by_grader, tmp_path, monkeypatch):
    from distributed import Client, LocalCluster
    monkeypatch.setenv("PYTHONPATH", make_class.env()["PYTHONPATH"])  # the workers import this grader
    target = copy_of(by_grader, tmp_path / "course")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        workers = client.run(lambda: __import__("os").getpid())
        assert len(set(workers.values())) == 2 and __import__("os").getpid() not in workers.values()
        done = run(target, "grader", "autograde", EXERCISE, "--scheduler", cluster.scheduler_address,
                   "--force", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    batch = json.loads(done.stdout)
    assert batch["where"] == cluster.scheduler_address and batch["jobs"] == 2
    assert {s["student"]: s["score"] for s in batch["submissions"]} == scores(by_grader)
    assert scores(target) == scores(by_grader)
    for student in ("reference", "patched", "forger"):
        assert (target / "feedback" / student / EXERCISE / f"{EXERCISE}.html").is_file()


LEAKER = """
import os, sys, IPython
IPython.left_behind = "by the first submission"
os.environ["LEFT_BEHIND"] = "1"
sys.modules["left_behind_module"] = IPython
open("left_behind.txt", "w").write("x")
"""
PROBER = """
import os, sys, IPython
parent = open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\\0")
print("found:", hasattr(IPython, "left_behind"), "LEFT_BEHIND" in os.environ, "left_behind_module" in sys.modules,
      os.path.exists("left_behind.txt"))
print("forked by:", b"grader.platform.template" in parent)
"""


APP_LEAKER = """
open(os.path.join(tempfile.gettempdir(), "left_behind"), "w").write("x")
open(os.path.expanduser("~/left_behind"), "w").write("x")
store.set("left_behind", "1")
"""
APP_PROBER = """
for _left in (os.path.join(tempfile.gettempdir(), "left_behind"), os.path.expanduser("~/left_behind")):
    assert not os.path.exists(_left), f"another submission's file: {_left}"
assert not store.exists("left_behind"), "another submission's key in the store"
"""


def test_nothing_of_one_submission_reaches_the_next_through_the_warm_templates(course, tmp_path):
    """One job at a time, so both kernels come from the same kernel template and both runs' fork
    servers from the same zygote template, one after the other: what the first did to its kernel,
    its environment, its folder, its workers' disks and its store is not there for the second (whose
    app would not boot, and score nothing, if it were)."""
    assert EXERCISE == "hits", "the probing app below is a hits app"
    target = copy_of(course, tmp_path / "course")
    counter = (Path(__file__).parent / "apps" / "hits" / "redis_counter" / "app.py").read_text()
    for student, extra, app_extra in (("a-leaker", LEAKER, APP_LEAKER), ("b-prober", PROBER, APP_PROBER)):
        folder = tmp_path / student
        folder.mkdir()
        (folder / "app.py").write_text(counter.replace("import os\n", "import os\nimport tempfile\n")
                                       + app_extra)
        nb = make_class.with_app(make_class.reference(EXERCISE), folder)
        nb["cells"].append(make_class._cell(extra))
        make_class.hand_in(target, make_class.Entry(student, EXERCISE, "", json.dumps(nb).encode()))
    done = run(target, "grader", "autograde", EXERCISE, "--jobs", "1", "--student", "?-*", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    graded_scores = {s["student"]: s["score"] for s in json.loads(done.stdout)["submissions"]}
    assert set(graded_scores) == {"a-leaker", "b-prober"} and graded_scores["b-prober"] == FULL, graded_scores
    graded = json.loads((target / "autograded" / "b-prober" / EXERCISE / f"{EXERCISE}.ipynb").read_text())
    said = "".join("".join(out.get("text", "")) for out in graded["cells"][-1]["outputs"])
    assert said.splitlines() == ["found: False False False False", "forked by: True"], said
