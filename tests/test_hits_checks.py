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
    report = grade("hits", APPS / "hits" / app, seed=seed)
    assert report.score == report.max_score == 10, report.to_text()


def test_counter_in_a_global_fails_agreement_saying_each_worker_counts_its_own_hits():
    report = grade("hits", APPS / "hits" / "global_counter")
    agreement = report.result("agreement")
    assert agreement.status == "failed"
    # Round robin gives every worker 2 of the 6 hits, so they all say 2: they agree, and are all wrong.
    assert "web.1 said 2, web.2 said 2, web.3 said 2, although 6 hits were acknowledged" in agreement.feedback
    assert "exactly the number of hits it handled itself (web.1 took 2, web.2 took 2, web.3 took 2)" in agreement.feedback
    assert "disagree" not in agreement.feedback
    assert "REDIS_URL" in agreement.feedback
    assert statuses(report) == {"agreement": "failed", "restart_all": "failed", "no_local_disk": "passed",
                                "random_routing": "failed", "crash": "failed", "burst": "failed"}


def test_burst_tells_a_count_per_process_from_a_lost_update():
    per_process = grade("hits", APPS / "hits" / "global_counter", ["burst"]).result("burst").feedback
    assert "exactly the number of hits it handled itself" in per_process
    assert "lost update" not in per_process
    race = grade("hits", APPS / "hits" / "redis_race", ["burst"]).result("burst").feedback
    assert "every worker agrees, but the count grew from 0 to" in race and "(a lost update)" in race
    assert "handled itself" not in race


def test_counter_in_a_local_file_fails_agreement_and_is_named_as_lasting_state():
    report = grade("hits", APPS / "hits" / "local_file_counter")
    assert report.result("agreement").status == "failed"
    assert report.result("restart_all").status == "failed"
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert "web.1 kept state in hits.txt, writing it and reading it back (its working directory" in disk.feedback
    assert "Keep the count in the backing store" in disk.feedback


def _tmp_counter(private_tmp: bool):
    counter = Path("/tmp") / f"factor-six-test-{os.getpid()}-{private_tmp}.txt"
    try:
        report = grade("hits", APPS / "hits" / "tmp_path_counter", env={"COUNTER_FILE": str(counter)},
                       private_tmp=private_tmp)
        return report, counter.exists()
    finally:
        counter.unlink(missing_ok=True)


def test_counter_in_tmp_fails_as_on_a_real_platform_when_each_worker_has_its_own_tmp():
    report, leaked = _tmp_counter(private_tmp=True)
    assert not leaked, "an isolated worker wrote to the machine's own /tmp"
    assert set(statuses(report).values()) == {"failed"}, report.to_text()
    assert "exactly the number of hits it handled itself" in report.result("agreement").feedback
    disk = report.result("no_local_disk").feedback
    assert "kept state in /tmp/factor-six-test-" in disk and "(its own /tmp, private to this process" in disk


def test_counter_in_a_shared_tmp_fails_every_check_it_only_passed_through_the_shared_disk():
    report, leaked = _tmp_counter(private_tmp=False)
    assert leaked  # the workers really did share the machine's /tmp ...
    assert set(statuses(report).values()) == {"failed"}, report.to_text()  # ... and gained nothing by it
    agreement = report.result("agreement").feedback
    # Checks run side by side here, so the shared file may also be torn mid-write (a 500 then leads
    # the feedback); either way the feedback says the state was shared through this machine's disk.
    assert "Workers read a file that another worker had written: /tmp/factor-six-test-" in agreement
    assert "On a real platform each process has a disk of its own" in agreement
    disk = report.result("no_local_disk").feedback
    assert ("(this machine's disk, which every worker here happens to share" in disk  # its own finding, or
            or "Workers read a file that another worker had written: /tmp/factor-six-test-" in disk), disk  # torn


def test_a_file_written_by_a_worker_of_a_check_running_beside_this_one_is_shared_state(tmp_path):
    """Checks run side by side; without private /tmp their workers share one disk, which no two
    processes of a real platform do, so one check's cluster reading another's file is named too."""
    from grader.platform.events import FileAccess
    from grader.harness.local_state import shared_state
    from grader.platform import Platform
    from grader.platform.source import load

    counter = Path("/tmp") / f"factor-six-test-{os.getpid()}-beside.txt"
    try:
        with Platform(load(APPS / "hits" / "tmp_path_counter"), env={"COUNTER_FILE": str(counter)},
                      private_tmp=False) as platform:
            writing, reading = platform.cluster({"web": 1}), platform.cluster({"web": 1})
            assert writing.post("/hits").status == 200 and reading.get("/hits").json() == {"hits": 1}
            platform.bus.flush()
            found = shared_state(reading, platform.bus.events(FileAccess), platform.service_paths())
            assert [(item.path, item.writers, item.readers) for item in found] == [
                (str(counter), ("workers of other checks running at the same time",), ("web.1",))]
            assert shared_state(writing, platform.bus.events(FileAccess), platform.service_paths()) == []
    finally:
        counter.unlink(missing_ok=True)


def test_a_store_at_an_address_written_into_the_code_fails_every_check_naming_it(tmp_path):
    from grader.platform.forkserver import base_env
    from grader.platform.services.redis import RedisServer
    server = RedisServer(tmp_path, base_env("hardcoded-test"))  # "a Redis that happens to run here"
    try:
        server.wait_ready()
        report = grade("hits", APPS / "hits" / "hardcoded_redis", ["agreement", "restart_all"],
                       env={"HARDCODED_REDIS": f"redis://localhost:{server.port}/0"})
    finally:
        server.stop()
    for result in report.results:
        assert result.status == "failed", report.to_text()
        assert f"connected to 127.0.0.1:{server.port}" in result.feedback
        assert "not one of the services the platform attached" in result.feedback
        assert "REDIS_URL=redis://127.0.0.1:" in result.feedback
        assert "Read the address from REDIS_URL or DATABASE_URL" in result.feedback


def test_a_store_at_the_attached_url_raises_no_stray_connection():
    report = grade("hits", APPS / "hits" / "redis_counter", ["agreement"])
    assert report.result("agreement").status == "passed"
    assert "connected to" not in report.result("agreement").feedback


def test_a_count_reset_at_start_up_is_named_as_such():
    report = grade("hits", APPS / "hits" / "reset_at_start", ["restart_all", "crash"])
    restart = report.result("restart_all").feedback
    assert "Every fresh worker said 0, although 5 hits had been acknowledged" in restart
    assert "resets it when it starts" in restart and "Never overwrite it at start-up" in restart
    crash = report.result("crash").feedback
    assert "they share one count, but it went back when the new web." in crash
    assert "SIGKILL gives a process no chance" not in crash


def test_sqlite_file_in_the_working_directory_is_reported_as_a_database():
    report = grade("hits", APPS / "hits" / "sqlite_in_cwd")
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert "opened a SQLite database hits.db (its working directory" in disk.feedback
    assert "DATABASE_URL" in disk.feedback


def test_a_log_file_is_told_to_log_to_stdout_not_to_use_the_store():
    disk = grade("hits", APPS / "hits" / "log_file", ["no_local_disk"]).result("no_local_disk")
    assert disk.status == "failed"
    assert "wrote the log file hits.log (its working directory" in disk.feedback
    assert "Write log lines to stdout or stderr" in disk.feedback
    assert "Keep the count in the backing store" not in disk.feedback


def test_scratch_files_left_behind_are_told_to_clean_up():
    disk = grade("hits", APPS / "hits" / "leftover_scratch", ["no_local_disk"]).result("no_local_disk")
    assert disk.status == "failed"
    assert "left $TMPDIR/tmp" in disk.feedback and ".json behind after the request ended (its scratch space)" in disk.feedback
    assert "... and " in disk.feedback  # six requests, six files: four are named, the rest counted
    assert "tempfile.TemporaryDirectory()" in disk.feedback
    assert "Keep the count in the backing store" not in disk.feedback


def test_read_then_write_race_fails_the_burst_check_every_time():
    failures = 0
    for seed in range(10):
        report = grade("hits", APPS / "hits" / "redis_race", ["burst"], seed=seed)
        failures += report.result("burst").status == "failed"
    assert failures == 10
    assert "hits were lost" in report.result("burst").feedback and "(a lost update)" in report.result("burst").feedback


def test_scratch_space_used_and_cleaned_within_a_request_is_fine():
    report = grade("hits", APPS / "hits" / "scratch_cleaned", ["no_local_disk"])
    assert report.result("no_local_disk").status == "passed"


def test_scratch_file_left_behind_is_reported(tmp_path):
    app = tmp_path / "app.py"
    app.write_text((APPS / "hits" / "redis_counter" / "app.py").read_text().replace(
        'return {"hits": store.incr("hits")}',
        'open(os.path.join(os.environ["TMPDIR"], "last.txt"), "w").write("x")\n'
        '    return {"hits": store.incr("hits")}'))
    report = grade("hits", tmp_path, ["no_local_disk"])
    disk = report.result("no_local_disk")
    assert disk.status == "failed"
    assert "left $TMPDIR/last.txt behind after the request ended (its scratch space)" in disk.feedback


def test_app_that_crashes_at_import_cannot_be_graded_and_shows_its_error():
    report = grade("hits", APPS / "platform" / "crash_at_import")
    assert {result.status for result in report.results} == {"could not grade"}
    feedback = report.results[0].feedback
    assert "web.1 (pid " in feedback and "exited with exit code 3 before it was ready" in feedback
    assert "KeyError: 'HITS_SETTINGS_THAT_DO_NOT_EXIST'" in feedback
    assert 'File "app.py", line 7, in <module>' in feedback  # the learner's frame, by its own name
    assert "site-packages" not in feedback and "importlib" not in feedback  # no framework frames
    assert report.score == 0


def test_app_that_exits_without_a_word_is_told_it_printed_nothing():
    report = grade("hits", APPS / "platform" / "silent_exit", ["agreement"])
    feedback = report.results[0].feedback
    assert report.results[0].status == "could not grade"
    assert ("exited with exit code 3 before it was ready. Your app printed nothing of its own (the lines below "
            "are gunicorn's).") in feedback
    assert "Read the error below" not in feedback
    assert "exits without a word (sys.exit, os._exit)" in feedback


def test_app_that_hangs_at_import_is_killed_at_the_boot_deadline():
    report = grade("hits", APPS / "platform" / "hang_at_import", boot_timeout=1.5)
    assert {result.status for result in report.results} == {"could not grade"}
    assert "was not ready within 1.5 s: importing app.py never finished" in report.results[0].feedback


def test_web_process_that_never_binds_its_port_is_reported():
    report = grade("hits", APPS / "platform" / "never_binds", ["agreement"], boot_timeout=1.5)
    feedback = report.result("agreement").feedback
    assert report.result("agreement").status == "could not grade"
    assert "never answered HTTP on port" in feedback and "$PORT" in feedback
    assert "starting up, but never binding" in feedback  # its own stdout is quoted


def test_answers_that_break_the_contract_get_a_precise_message():
    report = grade("hits", APPS / "platform" / "garbage_json", ["agreement"])
    feedback = report.result("agreement").feedback
    assert report.result("agreement").status == "failed"
    assert "GET /hits to web.1" in feedback and "It returned 200 with body 'lots of hits!" in feedback
    assert '{"hits": 3}' in feedback


def test_app_ignoring_sigterm_is_killed_and_noted_but_not_penalised():
    report = grade("hits", APPS / "platform" / "ignores_sigterm", ["restart_all"])
    result = report.result("restart_all")
    assert result.status == "passed"
    assert "ignored SIGTERM and had to be killed" in result.feedback


def test_an_app_filling_the_disk_is_stopped_by_the_file_size_limit():
    report = grade("hits", APPS / "platform" / "fills_disk", ["agreement"])
    feedback = report.result("agreement").feedback
    assert report.result("agreement").status == "failed"
    assert "returned 500" in feedback and "File too large" in feedback


def test_a_check_that_runs_out_of_time_is_abandoned_and_says_which_request_was_slow():
    report = grade("hits", APPS / "platform" / "slow_answers", ["agreement"], check_budget=2.0)
    result = report.result("agreement")
    assert result.status == "could not grade"
    assert "The check's 2 s ran out after " in result.feedback
    assert "the slowest was GET /hits on web.1 returned 200" in result.feedback
