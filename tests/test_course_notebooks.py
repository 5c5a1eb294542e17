"""The course notebooks: committed clean, built by the lesson conventions, navigation up to date,
every cell runs headless, and what the cells print is what the prose says they print.

Every notebook runs once per suite (:mod:`notebook_runs`): those with a test module of their own
(``test_lesson_*.py``) run there, the others here, at most once per test module.
"""
from __future__ import annotations

import ast
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from notebook_runs import COURSE, Run, execute, run_by_their_own_modules

NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
INTRODUCTION = "00.00-Introduction.ipynb"
LESSON_01 = "01.00-Stateful-Counter-Breaks.ipynb"
NAME = re.compile(r"^\d\d\.\d\d-[A-Z0-9][A-Za-z0-9]*(-[A-Za-z0-9]+)*\.ipynb$")
OWN_MODULES = run_by_their_own_modules()
PREDICT = "**Predict, then run.**"
HEADINGS = ("## Key points", "## Check yourself", "## Further reading")


def notebook_id(path: Path) -> str:
    return path.stem


def read(path: Path):
    return nbformat.read(path, as_version=4)


# -- how the notebooks are committed -----------------------------------------------------------
def test_the_course_has_an_introduction_and_lessons():
    names = [path.name for path in NOTEBOOKS]
    assert INTRODUCTION in names
    assert len(names) >= 2, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_named_and_titled_by_the_house_style(path):
    assert NAME.match(path.name), f"{path.name} is not named NN.MM-Title-With-Hyphens.ipynb"
    first = read(path).cells[0]
    assert first.cell_type == "markdown" and re.match(r"# \S", first.source), \
        f"{path.name}: the first cell must be a markdown H1 title, not {first.source[:60]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_is_committed_without_outputs(path):
    notebook = read(path)
    nbformat.validate(notebook)
    dirty = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or an execution count; clear them before committing"
    assert "widgets" not in notebook.metadata, f"{path.name}: saved widget state in the notebook metadata"


# -- the lesson conventions --------------------------------------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_notebook_states_its_objectives_first_and_ends_with_key_points_questions_and_reading(path):
    cells = read(path).cells
    assert cells[2].source.startswith("**Objectives.**"), \
        f"{path.name}: the cell after the navigation must state the objectives"
    headings = [cell.source.splitlines()[0] for cell in cells if cell.cell_type == "markdown" and cell.source]
    missing = [heading for heading in HEADINGS if heading not in headings]
    assert not missing, f"{path.name}: no section {missing}"
    order = [headings.index(heading) for heading in HEADINGS]
    assert order == sorted(order), f"{path.name}: the closing sections must come in the order {HEADINGS}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_every_challenge_is_run_then_answered_in_a_folded_cell(path):
    cells = read(path).cells
    challenges = [index for index, cell in enumerate(cells)
                  if cell.cell_type == "markdown" and cell.source.startswith(PREDICT)]
    assert challenges, f"{path.name}: no {PREDICT!r} challenge"
    for index in challenges:
        after = cells[index + 1:]
        assert after and after[0].cell_type == "code", \
            f"{path.name}: challenge {index} is not followed by the cell it asks about"
        ends = [i for i, cell in enumerate(after)
                if cell.cell_type == "markdown" and cell.source.startswith(PREDICT)]
        window = after[:ends[0]] if ends else after
        assert any(folded(cell) for cell in window), f"{path.name}: challenge {index} has no folded answer"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_check_yourself_asks_three_to_six_questions_with_folded_answers(path):
    cells = read(path).cells
    index = next(i for i, cell in enumerate(cells) if cell.source.startswith("## Check yourself"))
    questions = re.findall(r"^\d+\. ", cells[index].source, re.MULTILINE)
    assert 3 <= len(questions) <= 6, f"{path.name}: {len(questions)} questions"
    assert folded(cells[index + 1]), f"{path.name}: the answers must follow, folded away"
    assert len(re.findall(r"^\d+\. ", cells[index + 1].source, re.MULTILINE)) == len(questions)


@pytest.mark.parametrize("path", [path for path in NOTEBOOKS if path.name != INTRODUCTION], ids=notebook_id)
def test_lesson_links_to_its_exercise(path):
    text = "\n".join(cell.source for cell in read(path).cells if cell.cell_type == "markdown")
    assert re.search(r"\]\(\.\./practice/[^)]+\.ipynb\)", text), f"{path.name}: no link to its exercise"


def folded(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.startswith("<details>") \
        and "<summary>" in cell.source and cell.source.rstrip().endswith("</details>")


# -- navigation ----------------------------------------------------------------------------------
def test_navigation_is_up_to_date():
    run = subprocess.run([sys.executable, str(COURSE / "make_nav.py"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, f"run `python course/make_nav.py`:\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_navigation_is_at_the_top_and_at_the_bottom_with_the_same_links(path):
    cells = read(path).cells
    top, bottom = cells[1].source.splitlines(), cells[-1].source.splitlines()
    assert top[0] == "<!--NAVIGATION-->" and bottom[0] == "<!--NAVIGATION-BOTTOM-->"
    assert top[1:] == bottom[1:]


@pytest.mark.parametrize("damage", ["remove", "stale", "move"])
def test_make_nav_check_finds_a_damaged_bottom_navigation_and_a_run_repairs_it(tmp_path, capsys, damage):
    course = tmp_path / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    path = course / LESSON_01
    notebook = read(path)
    if damage == "remove":
        notebook.cells.pop()
    elif damage == "stale":
        notebook.cells[-1].source = "<!--NAVIGATION-BOTTOM-->\n< [Old title](00.00-Introduction.ipynb)"
    else:
        notebook.cells.append(nbformat.v4.new_markdown_cell("A cell added after the navigation."))
    nbformat.write(notebook, path)
    make_nav = load_make_nav(course / "make_nav.py")  # its COURSE is the copy

    assert make_nav.main(["--check"]) == 1
    assert capsys.readouterr().out == f"out of date: {LESSON_01}\n"
    assert make_nav.main([]) == 0
    assert make_nav.main(["--check"]) == 0
    repaired = read(path)
    assert repaired.cells[-1].source == read(COURSE / LESSON_01).cells[-1].source
    assert sum(cell.source.startswith("<!--NAVIGATION-BOTTOM-->") for cell in repaired.cells) == 1


def load_make_nav(path: Path):
    spec = importlib.util.spec_from_file_location(f"make_nav_{id(path)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- running the notebooks -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_of(tmp_path_factory):
    """``run_of(name)`` executes a notebook the first time it is asked, then returns the same Run."""
    runs: dict[str, Run] = {}

    def run(name: str) -> Run:
        if name not in runs:
            runs[name] = execute(name, tmp_path_factory.mktemp(Path(name).stem))
        return runs[name]
    return run


@pytest.fixture
def lesson(run_of):
    """``lesson(name)``: the run of a notebook that ran cleanly (a run with errors fails every claim test)."""
    return lambda name: run_of(name).clean()


def test_every_lesson_a_module_of_its_own_runs_exists():
    missing = {name: module for name, module in OWN_MODULES.items() if not (COURSE / name).exists()}
    assert not missing, f"these modules run notebooks that do not exist: {missing}"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", [path for path in NOTEBOOKS if path.name not in OWN_MODULES], ids=notebook_id)
def test_notebook_runs_without_errors_and_leaves_nothing_running(path, run_of):
    run = run_of(path.name)
    assert not run.errors, "\n\n".join(run.errors)


# -- what the introduction claims ----------------------------------------------------------------
@pytest.mark.timeout(600)
def test_introduction_a_new_process_does_not_see_the_notebooks_hits(lesson):
    outputs = lesson(INTRODUCTION)
    assert outputs.value("claim-notebook-count", "this notebook's process says") == 3
    assert outputs.value("claim-new-process-count", "a new process says") == 1


@pytest.mark.timeout(600)
def test_introduction_grader_list_shows_the_hits_exercise_and_its_checks(lesson):
    text = lesson(INTRODUCTION).text("claim-grader-list")
    assert text.startswith("hits\n")
    for check in ("agreement", "restart_all", "no_local_disk", "random_routing", "crash", "burst"):
        assert re.search(rf"^\s+{check}\s", text, re.MULTILINE), f"{check} missing from:\n{text}"


# -- what lesson 01.00 claims --------------------------------------------------------------------
@pytest.mark.timeout(600)
def test_lesson_01_gunicorn_workers_each_count_only_the_likes_they_took(lesson):
    outputs = lesson(LESSON_01)
    answers = outputs.value("claim-gunicorn-answers", "the nine answers:")
    log = outputs.text("claim-gunicorn-log")
    took = [int(n) for n in re.findall(r"^worker pid \d+ took (\d+) likes$", log, re.MULTILINE)]
    assert sum(took) == len(answers) == 9
    # each worker answered 1, 2, ... up to the number of likes it took, and nothing else
    assert sorted(answers) == sorted(count for likes in took for count in range(1, likes + 1))
    assert len(took) >= 2 and max(answers) < 9, "one worker took every like: the lesson shows no bug"


@pytest.mark.timeout(600)
def test_lesson_01_round_robin_workers_answer_1_1_1_2_2_and_keep_2_2_1(lesson):
    outputs = lesson(LESSON_01)
    answered = re.findall(r"^POST /posts/1/likes on (web\.\d) returned 200 (\{.*\})$",
                          outputs.text("claim-round-robin"), re.MULTILINE)
    assert [(worker, ast.literal_eval(body)["likes"]) for worker, body in answered] == \
        [("web.1", 1), ("web.2", 1), ("web.3", 1), ("web.1", 2), ("web.2", 2)]
    assert outputs.value("claim-round-robin", "each worker says:") == {"web.1": 2, "web.2": 2, "web.3": 1}


@pytest.mark.timeout(600)
def test_lesson_01_plots_draw_a_figure(lesson):
    outputs = lesson(LESSON_01)
    for tag in ("claim-plot-naive", "claim-plot-both"):
        assert any("image/png" in output.get("data", {}) for output in outputs.cell(tag).outputs), tag


@pytest.mark.timeout(600)
def test_lesson_01_sticky_client_sees_1_to_5_from_one_worker_while_the_others_say_0(lesson):
    text = lesson(LESSON_01).text("claim-sticky")
    saw, workers = re.search(r"^you saw: (\[.*\]) from (\{.*\})$", text, re.MULTILINE).groups()
    assert ast.literal_eval(saw) == [1, 2, 3, 4, 5]
    (pinned,) = ast.literal_eval(workers)
    says = lesson(LESSON_01).value("claim-sticky", "the workers say:")
    assert says == {name: 5 if name == pinned else 0 for name in ("web.1", "web.2", "web.3")}


@pytest.mark.timeout(600)
def test_lesson_01_restart_and_crash_wipe_the_naive_counts(lesson):
    outputs = lesson(LESSON_01)
    assert outputs.value("claim-faults", "after 6 likes:") == {"web.1": 2, "web.2": 2, "web.3": 2}
    restarted = re.search(r"^web\.1 restarted: (\{.*\}) \(pid (\d+) replaced by (\d+)\)$",
                          outputs.text("claim-faults"), re.MULTILINE)
    assert ast.literal_eval(restarted[1]) == {"web.1": 0, "web.2": 2, "web.3": 2}
    assert restarted[2] != restarted[3], "the restarted web.1 should be a new process"
    assert outputs.value("claim-faults", "web.2 crashed:") == {"web.1": 0, "web.2": 0, "web.3": 2}


@pytest.mark.timeout(600)
def test_lesson_01_redis_keeps_5_likes_on_every_worker_through_restart_crash_and_restart_all(lesson):
    outputs = lesson(LESSON_01)
    five = {"web.1": 5, "web.2": 5, "web.3": 5}
    for label in ("after 5 likes:", "a restart and a crash:", "every worker replaced:"):
        assert outputs.value("claim-fix", label) == five, label


@pytest.mark.timeout(600)
def test_lesson_01_a_new_launch_gets_a_fresh_empty_store(lesson):
    outputs = lesson(LESSON_01)
    text = outputs.text("claim-fresh-store")
    last = re.search(r"^the last cluster's store: (\S+)$", text, re.MULTILINE)[1]
    this = re.search(r"^this cluster's store: +(\S+)$", text, re.MULTILINE)[1]
    assert last.startswith("redis://") and this.startswith("redis://") and last != this
    assert outputs.value("claim-fresh-store", "each worker says:") == {"web.1": 0, "web.2": 0, "web.3": 0}


BURST = re.compile(r"^(\w+): 40 likes sent, the count says (\d+); (\d+) answers repeated a count$", re.MULTILINE)


@pytest.mark.timeout(600)
def test_lesson_01_racy_counter_loses_updates_under_a_burst(lesson):
    folder, count, repeated = BURST.search(lesson(LESSON_01).text("claim-race")).groups()
    assert folder == "racy_likes"
    assert int(count) < 40 and int(repeated) > 0


@pytest.mark.timeout(600)
def test_lesson_01_atomic_counter_counts_all_40_likes_of_the_burst(lesson):
    assert BURST.search(lesson(LESSON_01).text("claim-atomic")).groups() == ("redis_likes", "40", "0")


@pytest.mark.timeout(600)
def test_lesson_01_playground_naive_loses_web_2s_like_and_redis_says_3_everywhere(lesson):
    outputs = lesson(LESSON_01)
    assert outputs.value("claim-playground", "naive_likes:") == {"web.1": 1, "web.2": 0, "web.3": 1}
    assert outputs.value("claim-playground", "redis_likes:") == {"web.1": 3, "web.2": 3, "web.3": 3}


@pytest.mark.timeout(600)
def test_lesson_01_in_memory_hit_counter_passes_only_no_local_disk(lesson):
    text = lesson(LESSON_01).text("claim-naive-hits-report")
    marks = dict((name, mark) for mark, name in re.findall(r"^\s+(PASS|FAIL|NOT GRADED)\s+(\w+)\s", text, re.MULTILINE))
    assert marks == {"agreement": "FAIL", "restart_all": "FAIL", "no_local_disk": "PASS",
                     "random_routing": "FAIL", "crash": "FAIL", "burst": "FAIL"}, text
