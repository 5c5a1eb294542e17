"""Lesson 05.00 (process types and background jobs) runs headless, in time, leaves nothing running,
and shows what it says: each claim test parses what its tagged cell printed (:mod:`notebook_runs`)."""
from __future__ import annotations

import re

import pytest

from notebook_runs import Run, execute

LESSON = "05.00-Process-Types-And-Jobs.ipynb"
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


def test_the_reliable_queue_sends_the_job_of_the_killed_worker_once_its_heartbeat_expires(run):
    text = run.text("claim-reliable-crash")
    assert "before the crash, ada's email is sending" in text and "ada's email: sent" in text
    assert run.value("claim-reliable-crash", "outbox:") == ["bob@example.com", "ada@example.com"]


def test_a_restart_that_overlaps_leaves_the_live_predecessors_job_alone(run):
    assert run.line("claim-overlap", "processes named worker.1 right now:") == "2"
    assert run.line("claim-overlap", "workers with a heartbeat:") == "2"
    assert run.line("claim-overlap", "processing lists holding ada's job:") == "1"
    assert run.line("claim-overlap", "ada's email:") == "sent - the old worker.1 ended with exit code 0"
    assert run.value("claim-overlap", "outbox:") == ["ada@example.com"]


def test_the_naive_job_queue_passes_four_of_the_eight_jobs_checks(run):
    text = run.text("claim-naive-jobs-report")
    marks = {name: mark for mark, name in re.findall(r"^\s*\[?(PASS|FAIL|NOT GRADED)\]?\s+(\w+)", text, re.M)}
    assert marks == {"roundtrip": "PASS", "contract": "FAIL", "only_workers": "PASS", "failure": "FAIL",
                     "no_local_disk": "PASS", "crash": "FAIL", "sigterm": "FAIL", "parallel": "PASS"}, text


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


def test_rq_keeps_the_killed_job_in_its_started_job_registry_and_its_clean_up_retries_it(run):
    text = run.text("claim-rq")
    assert "bob: finished - welcome sent to bob@example.com" in text
    assert "ada after the crash: started - in the started job registry: True" in text
    assert "ada after the clean-up: finished - welcome sent to ada@example.com" in text


def test_the_playground_sends_every_email_once_despite_a_crash(run):
    assert run.value("claim-playground", "statuses:") == ["sent"] * 4
    assert run.value("claim-playground", "each web process sees:") == {"web.1": 4, "web.2": 4}
