"""The hits checks against purpose-built apps: right apps pass, each wrong app fails the right check."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.grading import grade

APPS = Path(__file__).parent / "apps"


def statuses(report) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("app", ["redis_counter", "sqlite_counter"])
def test_correct_app_gets_full_marks_on_every_seed(app, seed):
    report = grade("hits", APPS / app, seed=seed)
    assert report.score == report.max_score == 10, report.to_text()


def test_counter_in_a_global_fails_agreement_naming_each_worker():
    report = grade("hits", APPS / "global_counter")
    agreement = report.result("agreement")
    assert agreement.status == "failed"
    assert "web.1 said 2, web.2 said 2, web.3 said 2 (expected 6 everywhere)" in agreement.feedback
    assert "REDIS_URL" in agreement.feedback
    assert statuses(report) == {"agreement": "failed", "restart_all": "failed", "no_local_disk": "passed",
                                "random_routing": "failed", "crash": "failed", "burst": "failed"}


def test_counter_in_a_local_file_fails_agreement_and_names_the_file():
    report = grade("hits", APPS / "local_file_counter")
    assert report.result("agreement").status == "failed"
    assert report.result("restart_all").status == "failed"
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert "web.1 wrote hits.txt (its working directory" in disk.feedback


def test_counter_in_tmp_by_absolute_path_is_caught_by_the_audit_hook():
    counter = Path("/tmp") / f"factor-six-test-{os.getpid()}.txt"
    try:
        report = grade("hits", APPS / "tmp_path_counter", env={"COUNTER_FILE": str(counter)})
    finally:
        counter.unlink(missing_ok=True)
    # /tmp is shared on this machine, so the count even looks right ...
    assert report.result("agreement").status == "passed"
    # ... but on a real platform each process has its own /tmp, and the grader says so.
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert f"wrote {counter} (the machine's own disk" in disk.feedback


def test_sqlite_file_in_the_working_directory_is_reported_as_a_database():
    report = grade("hits", APPS / "sqlite_in_cwd")
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert "opened a SQLite database hits.db (its working directory" in disk.feedback
    assert "DATABASE_URL" in disk.feedback


def test_read_then_write_race_fails_the_burst_check_every_time():
    failures = 0
    for seed in range(10):
        report = grade("hits", APPS / "redis_race", ["burst"], seed=seed)
        failures += report.result("burst").status == "failed"
    assert failures == 10
    assert "hits were lost" in report.result("burst").feedback


def test_scratch_space_used_and_cleaned_within_a_request_is_fine():
    report = grade("hits", APPS / "scratch_cleaned", ["no_local_disk"])
    assert report.result("no_local_disk").status == "passed"


def test_scratch_file_left_behind_is_reported(tmp_path):
    app = tmp_path / "app.py"
    app.write_text((APPS / "redis_counter" / "app.py").read_text().replace(
        'return {"hits": store.incr("hits")}',
        'open(os.path.join(os.environ["TMPDIR"], "last.txt"), "w").write("x")\n'
        '    return {"hits": store.incr("hits")}'))
    report = grade("hits", tmp_path, ["no_local_disk"])
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert "$TMPDIR/last.txt (left in its scratch space after the request ended)" in disk.feedback


def test_app_that_crashes_at_import_cannot_be_graded_and_shows_its_error():
    report = grade("hits", APPS / "crash_at_import")
    assert {result.status for result in report.results} == {"could not grade"}
    feedback = report.results[0].feedback
    assert "web.1 (pid " in feedback and "exited with exit code 3 before it was ready" in feedback
    assert "KeyError: 'HITS_SETTINGS_THAT_DO_NOT_EXIST'" in feedback
    assert 'File "app.py", line 7, in <module>' in feedback  # the learner's frame, by its own name
    assert "site-packages" not in feedback and "importlib" not in feedback  # no framework frames
    assert report.score == 0


def test_app_that_hangs_at_import_is_killed_at_the_boot_deadline():
    report = grade("hits", APPS / "hang_at_import", boot_timeout=1.5)
    assert {result.status for result in report.results} == {"could not grade"}
    assert "was not ready within 1.5 s: importing app.py never finished" in report.results[0].feedback


def test_web_process_that_never_binds_its_port_is_reported():
    report = grade("hits", APPS / "never_binds", ["agreement"], boot_timeout=1.5)
    feedback = report.result("agreement").feedback
    assert report.result("agreement").status == "could not grade"
    assert "never answered HTTP on port" in feedback and "$PORT" in feedback
    assert "starting up, but never binding" in feedback  # its own stdout is quoted


def test_answers_that_break_the_contract_get_a_precise_message():
    report = grade("hits", APPS / "garbage_json", ["agreement"])
    feedback = report.result("agreement").feedback
    assert report.result("agreement").status == "failed"
    assert "GET /hits to web.1" in feedback and "It returned 200 with body 'lots of hits!" in feedback
    assert '{"hits": 3}' in feedback


def test_app_ignoring_sigterm_is_killed_and_noted_but_not_penalised():
    report = grade("hits", APPS / "ignores_sigterm", ["restart_all"])
    result = report.result("restart_all")
    assert result.status == "passed"
    assert "ignored SIGTERM and had to be killed" in result.feedback


def test_an_app_filling_the_disk_is_stopped_by_the_file_size_limit():
    report = grade("hits", APPS / "fills_disk", ["agreement"])
    feedback = report.result("agreement").feedback
    assert report.result("agreement").status == "failed"
    assert "returned 500" in feedback and "File too large" in feedback


def test_a_check_that_runs_out_of_time_is_abandoned_and_says_which_request_was_slow():
    report = grade("hits", APPS / "slow_answers", ["agreement"], check_budget=2.0)
    result = report.result("agreement")
    assert result.status == "could not grade"
    assert "The check's 2 s ran out after " in result.feedback
    assert "the slowest was GET /hits on web.1 returned 200" in result.feedback
