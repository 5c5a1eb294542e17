"""Lesson 05.01 (clocks, locks and scaling down) runs headless, in time, leaves nothing running,
and shows what it says: each claim test parses what its tagged cell printed (:mod:`notebook_runs`)."""
from __future__ import annotations

import re

import pytest

from notebook_runs import Run, execute

LESSON = "05.01-Clocks-Locks-And-Scaling-Down.ipynb"
BUDGET = 60.0  # seconds the whole lesson may take here


@pytest.fixture(scope="module")
def lesson(tmp_path_factory) -> Run:
    return execute(LESSON, tmp_path_factory.mktemp("lesson"))


@pytest.fixture
def run(lesson) -> Run:
    """The lesson's run, for a claim test: one with errors fails the test."""
    return lesson.clean()


@pytest.mark.timeout(600)
def test_lesson_runs_without_errors_within_its_budget_and_leaves_nothing_running(lesson):
    assert not lesson.errors, "\n\n".join(lesson.errors)
    assert lesson.seconds <= BUDGET, f"the lesson took {lesson.seconds:.1f} s (budget {BUDGET:g} s)"


def test_a_timer_in_the_web_process_fires_once_per_process_and_again_at_every_restart(run):
    assert run.value("claim-timer", "the digest was sent by:") == ["web.1", "web.2", "web.3"]
    assert run.value("claim-timer", "after a restart of web.2:") == ["web.1", "web.2", "web.2", "web.3"]


def test_one_clock_guarded_by_set_nx_sends_the_digest_once_through_restarts(run):
    assert run.value("claim-clock", "the digest was sent by:") == ["clock.1"]
    assert run.value("claim-clock", "after restarting web.2 and clock.1:") == ["clock.1"]


def test_a_threading_lock_oversells_across_processes(run):
    sold, left = map(int, re.fullmatch(r"thread_lock_tickets: (\d+) tickets sold, (\d+) left\n",
                                       run.text("claim-thread-lock")).groups())
    assert sold > 5, run.text("claim-thread-lock")
    assert left < 5


def test_a_lock_in_redis_sells_exactly_the_five_tickets(run):
    assert run.line("claim-redis-lock", "redis_lock_tickets:") == "5 tickets sold, 0 left"
    took = float(re.search(r"the 20 buyers took ([\d.]+) s", run.text("claim-redis-lock"))[1])
    assert took >= 0.25  # five sales of 50 ms, one after the other


def test_a_scale_down_leaves_the_naive_import_half_done_for_good(run):
    after = run.value("claim-naive-import", "naive_import: after the scale-down:")
    later = run.value("claim-naive-import", "naive_import: with a worker again:")
    assert after["status"] == "running" and 3 <= after["rows"] < 10
    assert later == after


def test_a_resumable_import_is_given_back_and_finished_with_every_row_once(run):
    after = run.value("claim-resumable-import", "resumable_import: after the scale-down:")
    assert after["status"] == "queued" and after["rows"] in (3, 4)
    assert run.value("claim-resumable-import", "resumable_import: with a worker again:") == \
        {"status": "done", "rows": 10}
