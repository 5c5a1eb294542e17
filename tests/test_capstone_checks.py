"""The capstone checks against purpose-built apps: the reference passes on two seeds (the benchmark
runs ten), and each wrong app fails the check it should, with feedback that names its bug.

The wrong apps are graded once, two at a time, by a module fixture, each on the checks its bug
concerns; each test then reads its app's report.
"""
from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.checks.capstone import CHECKS
from grader.checks.capstone.csvs import BROKEN, sheet
from grader.checks.capstone.schedule import KINDS, plan
from grader.grading import grade

APPS = Path(__file__).parent / "apps" / "capstone"
FULL = sum(check.points for check in CHECKS)
WRONG = {  # app -> the checks it is graded on
    "memory_sessions": ["sessions"],
    "renew_past_expiry": ["sessions"],
    "local_uploads": ["uploads"],
    "global_counter": ["counter"],
    "runtime_assets": ["assets"],
    "timer_in_web": ["clock"],
    "idle_clock": ["clock"],
    "closed_connection": ["clock"],
    "inline_report": ["contract"],
    "ack_first": ["uploads", "chaos"],
    "schema_race": ["chaos"],
}


@pytest.fixture(scope="module")
def reports():
    with ThreadPoolExecutor(2) as pool:
        futures = {app: pool.submit(grade, "capstone", APPS / app, names) for app, names in WRONG.items()}
        return {app: future.result() for app, future in futures.items()}


def failed(reports, app: str, check: str) -> str:
    result = reports[app].result(check)
    assert result.status == "failed", reports[app].to_text()
    return result.feedback


@pytest.mark.parametrize("seed", range(2))
def test_reference_gets_full_marks(seed):
    report = grade("capstone", APPS / "reference", seed=seed)
    assert report.score == report.max_score == FULL, report.to_text()


def test_the_sheets_totals_are_what_the_given_summarize_computes():
    namespace = {}
    exec((APPS / "reference" / "tally.py").read_text(), namespace)
    rng = random.Random(5)
    for index in range(5):
        one = sheet(rng, f"s{index}")
        assert one.matches(namespace["summarize"](one.data))
        assert not one.matches({"rows": one.rows + 1, "sums": one.sums})
    with pytest.raises(ValueError, match="'three' is not a number"):
        namespace["summarize"](BROKEN.data)


def test_the_schedule_follows_the_seed_and_holds_every_fault_once():
    assert plan(3) == plan(3) and plan(3) != plan(4)
    for seed in range(20):
        kinds = [planned.kind for planned in plan(seed)]
        assert sorted(kinds) == sorted(KINDS)
        assert kinds.index("scale_down") < kinds.index("scale_up")


def test_sessions_in_memory_are_unknown_to_the_other_web_processes(reports):
    feedback = failed(reports, "memory_sessions", "sessions")
    assert re.search(r"logged in as \w+ on web\.1 and asked GET /me on web\.2", feedback)
    assert "A session kept in one web process's memory" in feedback


def test_a_session_renewed_before_it_is_checked_never_expires(reports):
    feedback = failed(reports, "renew_past_expiry", "sessions")
    assert "left" in feedback and "the session was still alive" in feedback
    assert "renew it only when it still exists" in feedback


def test_uploads_on_local_disk_are_missing_on_the_other_web_process(reports):
    feedback = failed(reports, "local_uploads", "uploads")
    assert re.search(r"asked GET /uploads/\w+/file on web\.2", feedback)
    assert "returned 404" in feedback and "Put the upload's bytes in the bucket" in feedback


def test_a_count_in_a_global_is_one_count_per_process(reports):
    feedback = failed(reports, "global_counter", "counter")
    assert "after 91 more visits it should say 92" in feedback
    assert "one count per process" in feedback


def test_a_stylesheet_compiled_at_run_time_differs_between_processes(reports):
    feedback = failed(reports, "runtime_assets", "assets")
    assert "They named different stylesheets" in feedback and "compile assets at build time" in feedback


def test_a_cleanup_timer_in_every_web_process_runs_once_per_web_process(reports):
    feedback = failed(reports, "timer_in_web", "clock")
    assert re.search(r"The cleanup ran \d+ times, once per period would be about \d", feedback)
    assert "a timer started in every web process runs the job 3 times per period" in feedback


def test_a_clock_that_waits_before_its_first_cleanup_is_told_it_never_ran(reports):
    feedback = failed(reports, "idle_clock", "clock")
    assert "read GET /cleanups for 10 s" in feedback
    assert "answered the same count every time: the cleanup did not run once" in feedback
    assert "as soon as it starts, then once every CLOCK_PERIOD seconds" in feedback


def test_a_clock_that_dies_after_its_first_cleanup_is_told_it_exited_and_why(reports):
    feedback = failed(reports, "closed_connection", "clock")
    assert re.search(r"The cleanup ran 0 times; once per period would be about \d\. Meanwhile clock\.1 \(pid \d+\) "
                     r"exited with exit code 1, although the platform had not asked it to stop\.", feedback)
    assert "A clock that exits stops the schedule" in feedback
    assert "psycopg.OperationalError: the connection is closed" in feedback
    assert "Loop in clock.py" not in feedback  # it has a loop: the advice is about its error


def test_totals_computed_in_the_request_are_caught_with_no_worker_running(reports):
    feedback = failed(reports, "inline_report", "contract")
    assert "with no worker to run it, it should still say 'queued'" in feedback
    assert "the web process computed the totals itself" in feedback


def test_an_upload_taken_for_good_before_its_totals_are_stored_is_lost_under_chaos(reports):
    assert reports["ack_first"].result("uploads").passed  # no fault, no loss: only chaos finds it
    feedback = failed(reports, "ack_first", "chaos")
    assert "every worker process killed (SIGKILL) in the middle of an upload" in feedback
    assert re.search(r"upload '\w+' \(\S+\.csv\) ended 'running'", feedback)
    assert "acknowledge it only after the result is stored" in feedback


def test_tables_created_by_every_process_at_once_race_each_other(reports):
    result = reports["schema_race"].result("chaos")
    feedback = result.feedback
    # the loser of the race fails on the catalog's unique index, or finds the table's type just made
    race = re.search(r"psycopg\.errors\.(UniqueViolation|DuplicateObject|DuplicateTable)", feedback)
    assert race, reports["schema_race"].to_text()
    if result.status == "could not grade":  # the race struck unaided, when the chaos formation first booted
        # whichever process lost the race: a worker or clock exits at once, gunicorn (web) before it is ready
        assert re.search(r"exited with exit code \d+ (as soon as it started|before it was ready)", feedback), feedback
        assert "create_schema" in feedback
    else:  # the grader's barrier made it strike, as it does whenever the first boot was lucky
        assert result.status == "failed"
        assert "restarted its 6 processes at once" in feedback
        waiting = re.search(r"\((\d) of them were waiting to\)", feedback)  # all 6, unless some booted late
        assert waiting and int(waiting.group(1)) >= 2, feedback
        assert "Every process created the tables when it started, and two of them did it at once" in feedback
        assert "pg_advisory_xact_lock" in feedback


def test_the_chaos_timeline_draws_every_fault_and_every_failed_request_and_reaches_the_report():
    import xml.etree.ElementTree as ET
    from types import SimpleNamespace

    from grader.checks.base import CheckResult
    from grader.checks.capstone.picture import timeline
    from grader.checks.capstone.run import Call, Event, Run
    from grader.grading.report import Report

    run = Run(SimpleNamespace(cluster=None, seed=0))
    run.events = [Event(1.0, 1.4, "crash_web", "a web process killed <&> started again"),
                  Event(3.0, 5.0, "slow_store", "the network to Redis slowed", error="BootFailed: web.2")]
    answer = lambda status: SimpleNamespace(status=status)  # noqa: E731
    run.calls = [Call(0.5, "ada", "visit", answer(200)), Call(1.2, "ada", "me", answer(None)),
                 Call(4.0, "ada", "page", answer(502)), Call(6.0, "ada", "visit", answer(200))]
    svg = ET.fromstring(timeline(run))
    ns = "{http://www.w3.org/2000/svg}"
    assert [rect.get("fill") for rect in svg.iter(f"{ns}rect")] == ["#8c6bb1", "#c0392b"]
    labels = [text.text for text in svg.iter(f"{ns}text")]
    assert "1.0 s: a web process killed <&> started again" in labels
    assert "3.0 s: the network to Redis slowed [BootFailed: web.2]" in labels
    ticks = [line.get("stroke") for line in svg.iter(f"{ns}line") if line.get("y1") == line.get("y1") and
             line.get("x1") == line.get("x2") and float(line.get("y2")) - float(line.get("y1")) > 10]
    assert ticks.count("#c0392b") == 2 and ticks.count("#9aa5b1") == 2
    result = CheckResult("chaos", "Every fault at once", "failed", 0, 4, "What broke: ...", True, timeline(run))
    html = Report("capstone", "app", 0, [result])._repr_html_()
    assert "<svg" in html and "a web process killed &lt;&amp;&gt; started again" in html
    assert "svg" not in Report("capstone", "app", 0, [result]).to_text()
