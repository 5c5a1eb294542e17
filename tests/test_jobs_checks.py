"""The jobs checks against purpose-built apps: the right app passes on every seed, and each wrong app
fails the check it should, with feedback that names its bug.

Most of a wrong app's time is spent waiting for a job that never finishes, so the wrong apps are
graded once, four at a time, by a module fixture; each test then reads its app's report.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader.checks.jobs import checks as jobs
from grader.checks.base import Inconclusive, Scenario
from grader.checks.jobs.parallel import Batch, Overlap, Sample, judge, overlap, parallel
from grader.checks.feedback import ContractError
from grader.checks.jobs.watch import PRIMES_BELOW, Broken, Job, JobWatch
from grader.grading import grade
from settled import grade_settled
from grader.platform.http import Response
from grader.platform import Platform
from grader.errors import BadInput
from grader.platform.source import load

APPS = Path(__file__).parent / "apps" / "jobs"
FULL = sum(check.points for check in jobs.CHECKS)
WRONG = {  # app -> the checks it is graded on (None: all of them)
    "blpop": None,
    "inline": ["only_workers", "crash"],
    "web_thread": ["only_workers", "crash", "parallel"],
    "memory_queue": ["roundtrip"],
    "local_results": ["roundtrip", "no_local_disk"],
    "retry_forever": ["failure"],
    "dies_on_error": ["failure"],
    "ignores_sigterm": ["sigterm"],
    "per_dyno_list": ["crash", "sigterm"],
    "global_lock": ["parallel", "crash"],
    "lock_after_running": ["parallel"],
}
OVERLAP_RETRIES = 5  # extra runs of sigterm on the per-DYNO app, alone, should the first one miss the race
SERIAL_RUNS = 3  # per serialised app here; benchmarks/bench_jobs.py runs 20 (and reports the margins)


def sieve_count(n: int) -> int:
    """The number of primes below n, by the sieve of Eratosthenes (an independent method)."""
    if n < 3:
        return 0
    marks = bytearray([1]) * n
    marks[0] = marks[1] = 0
    for k in range(2, int(n ** 0.5) + 1):
        if marks[k]:
            marks[k * k::k] = bytearray(len(range(k * k, n, k)))
    return sum(marks)


@pytest.fixture(scope="module")
def reports():
    with ThreadPoolExecutor(4) as pool:
        futures = {app: pool.submit(grade_settled, "jobs", APPS / app, names) for app, names in WRONG.items()}
        return {app: future.result() for app, future in futures.items()}


def result(reports, app: str, check: str):
    return reports[app].result(check)


def test_the_table_of_prime_counts_is_right():
    assert all(PRIMES_BELOW[n] == sieve_count(n) for n in PRIMES_BELOW)
    namespace = {}
    exec((APPS / "reliable" / "primes.py").read_text(), namespace)
    assert [namespace["count_primes"](n) for n in (0, 2, 3, 10, 5000)] == [0, 0, 1, 4, 669]
    with pytest.raises(ValueError, match="n must not be negative, got -1"):
        namespace["count_primes"](-1)


@pytest.mark.parametrize("seed", range(20))
def test_correct_app_gets_full_marks_on_every_seed(seed):
    report = grade_settled("jobs", APPS / "reliable", seed=seed)
    assert report.score == report.max_score == FULL, report.to_text()


def test_plain_blpop_consumer_loses_the_killed_job_and_ignores_nothing_else(reports):
    report = reports["blpop"]
    statuses = {item.name: item.status for item in report.results}
    assert statuses == {"roundtrip": "passed", "contract": "passed", "only_workers": "passed",
                        "failure": "passed", "no_local_disk": "passed", "crash": "failed",
                        "sigterm": "failed", "parallel": "passed"}, report.to_text()
    crash = report.result("crash").feedback
    assert "killed worker.1 (pid " in crash and "with SIGKILL" in crash
    assert "still said 'running', and the fresh worker.1 had used no CPU time on it" in crash
    assert "BRPOP or BLPOP removes it from the queue at once" in crash and "BLMOVE" in crash
    sigterm = report.result("sigterm").feedback
    assert "killed by the SIGTERM itself (Python's default when no handler is installed)" in sigterm
    assert "neither finished nor given back" in sigterm


def test_job_run_inside_the_request_is_caught_with_no_worker_running(reports):
    only = result(reports, "inline", "only_workers")
    assert only.status == "failed"
    assert "started the app with no worker process (only web.1)" in only.feedback
    assert "said the job was 'done' (result 9592), although no worker process existed" in only.feedback
    crash = result(reports, "inline", "crash")
    assert crash.status == "failed" and "a web process did the job itself" in crash.feedback


def test_job_run_in_a_thread_of_the_web_process_is_caught(reports):
    only = result(reports, "web_thread", "only_workers")  # the job says queued: CPU time tells
    assert only.status == "failed"
    assert re.search(r"The web processes used [\d.]+ s of CPU while the job ran, and worker\.1 only 0\.0\d s: "
                     r"the web processes did the work", only.feedback)
    assert result(reports, "web_thread", "crash").status == "failed"
    batch = result(reports, "web_thread", "parallel")
    assert batch.status == "failed" and "too little to have computed 4 jobs" in batch.feedback


def test_queue_in_web_memory_is_unknown_to_the_other_web_process(reports):
    roundtrip = result(reports, "memory_queue", "roundtrip")
    assert roundtrip.status == "failed"
    assert re.search(r"web\.\d accepted it, but GET /jobs/1 on web\.\d returned 404", roundtrip.feedback)
    assert "lives in the memory (or on the local disk) of the process that took it" in roundtrip.feedback


def test_results_in_a_local_file_never_reach_the_web_and_are_named(reports):
    roundtrip = result(reports, "local_results", "roundtrip")
    assert roundtrip.status == "failed"
    assert "still said 'running'" in roundtrip.feedback and "A worker took the job" in roundtrip.feedback
    assert re.search(r"worker\.1 wrote results/1\.json \(its working directory", roundtrip.feedback)
    disk = result(reports, "local_results", "no_local_disk")
    assert disk.status == "failed" and "The app kept data on local disk" in disk.feedback
    assert "web.1 wrote" not in disk.feedback and "web.2 wrote" not in disk.feedback  # they only read


def test_failing_job_retried_forever_is_named(reports):
    failure = result(reports, "retry_forever", "failure")
    assert failure.status == "failed"
    assert re.search(r"It went from running back to queued \d+ times", failure.feedback)
    assert "retries it forever" in failure.feedback


def test_worker_that_dies_on_a_failing_job_shows_its_traceback(reports):
    failure = result(reports, "dies_on_error", "failure")
    assert failure.status == "failed"
    assert re.search(r"worker\.1 \(pid \d+\) exited with exit code 1, although the platform had not", failure.feedback)
    assert "ValueError: n must not be negative, got -1" in failure.feedback
    assert "try/except Exception" in failure.feedback


def test_worker_ignoring_sigterm_is_killed_after_the_grace_period(reports):
    sigterm = result(reports, "ignores_sigterm", "sigterm")
    assert sigterm.status == "failed"
    assert "was still running 3 s after SIGTERM, so the platform had to kill it (SIGKILL)" in sigterm.feedback


def test_a_processing_list_named_after_dyno_survives_a_crash_but_not_a_restart_that_overlaps(reports):
    report = reports["per_dyno_list"]
    assert report.result("crash").status == "passed", report.to_text()
    sigterm = report.result("sigterm")
    # The bug shows only if the fresh worker.1 starts before the old one finishes the job in hand; on
    # a machine loaded by the four gradings of this module's fixture the old one sometimes wins (seen
    # in CI), so the check is run again alone, up to OVERLAP_RETRIES times: it must catch it once.
    # A loaded machine can also fail it another way (the old worker over its grace period), which is
    # a true verdict but not the one under test here: that counts as a miss too.
    overlap = "the fresh process took the job that a live process was running, and both ran it at once"
    for _ in range(OVERLAP_RETRIES):
        if sigterm.status == "failed" and overlap in sigterm.feedback:
            break
        report = grade("jobs", APPS / "per_dyno_list", ["sigterm"])
        sigterm = report.result("sigterm")
    assert sigterm.status == "failed", report.to_text()
    assert "started the fresh worker.1 (pid " in sigterm.feedback
    assert "so that for a while two processes ran with DYNO=worker.1" in sigterm.feedback
    assert "the fresh process took the job that a live process was running, and both ran it at once" \
        in sigterm.feedback
    assert "two running dynos can have the same $DYNO during a deploy or a restart" in sigterm.feedback
    assert "Don't key anything on DYNO" in sigterm.feedback and "a lease that expires" in sigterm.feedback


def test_global_lock_runs_jobs_one_at_a_time_and_outlives_a_killed_worker(reports):
    batch = result(reports, "global_lock", "parallel")
    # A round reads the jobs one request at a time, so on a loaded machine one job may still read
    # "running" as the next one starts; the feedback then rests on the CPU evidence instead.
    assert batch.status == "failed"
    assert ("no two of them ever said 'running' at the same time" in batch.feedback
            or "the worker processes never computed at the same time" in batch.feedback), batch.feedback
    crash = result(reports, "global_lock", "crash")
    assert crash.status == "failed" and "Something the killed process held was never released" in crash.feedback


def test_lock_taken_after_marking_running_is_caught_by_cpu_time(reports):
    batch = result(reports, "lock_after_running", "parallel")
    assert batch.status == "failed"
    assert re.search(r"said 'running' at the same time, for [\d.]+ s in all, but the worker processes never "
                     r"computed at the same time", batch.feedback)


class ScriptedCluster:
    """Answers every GET from web.1 with the next of the bodies it was given."""

    def __init__(self, *bodies):
        self.bodies = list(bodies)
        quiet = SimpleNamespace(name="web.1", pid=1, stdout_tail=lambda: "", stderr_excerpt=lambda: ("", ""))
        self.workers = {"web.1": SimpleNamespace(current=quiet)}

    def serving(self) -> list[str]:
        return ["web.1"]

    def get(self, path: str, worker: str | None = None) -> Response:
        return Response(1, "web.1", 1, "GET", path, 200, json.dumps(self.bodies.pop(0)), (), 0.0)


def job_read_as(*statuses) -> tuple[JobWatch, Job]:
    bodies = [{"id": 1, "status": status, "result": result, "error": None} for status, result in statuses]
    return JobWatch(Scenario(None, ScriptedCluster(*bodies), 0)), Job(1, 100000, "web.1", time.monotonic())


def test_a_finished_job_that_reads_unfinished_again_is_caught():
    watch, job = job_read_as(("running", None), ("done", 9592), ("running", 9592))
    assert [watch.read(job), watch.read(job)] == ["running", "done"]
    with pytest.raises(Broken) as raised:
        watch.read(job)
    assert "It was 'done' (result 9592), and later web.1 said it was 'running' with result 9592" in str(raised.value)
    assert "A finished job must stay finished" in str(raised.value)


def test_a_job_running_with_a_result_already_is_caught_as_run_twice():
    watch, job = job_read_as(("queued", None), ("running", 9592))
    watch.read(job)
    with pytest.raises(Broken, match="it had a result already, so it had finished and was being run again"):
        watch.read(job)


def test_a_wrong_result_breaks_the_contract():
    watch, job = job_read_as(("done", 9591))
    with pytest.raises(ContractError) as raised:
        watch.read(job)
    assert "count_primes(100000) = 9592" in str(raised.value)


@pytest.mark.parametrize("app", ["global_lock", "lock_after_running"])
def test_serialised_apps_never_pass_the_parallel_check(app):
    check = next(item for item in jobs.CHECKS if item.name == "parallel")
    with Platform(load(APPS / app)) as platform:
        for seed in range(SERIAL_RUNS):
            cluster = platform.cluster(check.formation, seed=seed)
            try:
                verdict = parallel(Scenario(platform, cluster, seed))
            finally:
                cluster.close()
            assert not verdict.passed, verdict.feedback


def test_overlap_needs_two_workers_computing_at_once_while_two_jobs_run():
    def samples(*rows):
        return [Sample(at, running, finished, {"worker.1": one, "worker.2": two})
                for at, running, finished, one, two in rows]

    both = samples((0.0, 2, 0, 0.0, 0.0), (0.1, 2, 0, 0.05, 0.04), (0.2, 2, 0, 0.1, 0.09))
    assert overlap(both).balanced
    waiting = samples((0.0, 2, 0, 0.0, 0.0), (0.2, 2, 0, 0.1, 0.01))
    assert not overlap(waiting).balanced
    taking_turns = samples((0.0, 2, 0, 0.0, 0.0), (0.1, 2, 0, 0.1, 0.0), (0.2, 2, 0, 0.1, 0.1))
    assert overlap(taking_turns).cpu == {"worker.1": 0.1, "worker.2": 0.1}
    assert not overlap(taking_turns).balanced  # equal totals, never at the same time
    handing_over = samples((0.0, 2, 0, 0.0, 0.0), (0.1, 2, 1, 0.05, 0.05))
    assert overlap(handing_over).seconds == 0.0  # a job finished in that stretch: not evidence
    one_running = samples((0.0, 1, 0, 0.0, 0.0), (0.2, 2, 0, 0.1, 0.1))
    assert overlap(one_running) == Overlap(0.0, 0.0, 0.0, {})


def test_an_overlap_with_next_to_no_cpu_time_is_not_called_serial():
    """Jobs that said 'running' while a starved machine ran neither of them prove nothing either way."""
    def batch(*rows):
        samples = [Sample(at, running, 0, {"worker.1": one, "worker.2": two}) for at, running, one, two in rows]
        return Batch(["worker.1", "worker.2"], [], samples, finished=True, wall=1.0,
                     cpu={"worker.1": 0.3, "worker.2": 0.3})

    starved = batch((0.0, 2, 0.0, 0.0), (0.1, 2, 0.01, 0.0), (0.15, 2, 0.02, 0.0))
    with pytest.raises(Inconclusive, match="too busy to run them"):
        judge(None, starved)
    taking_turns = batch((0.0, 2, 0.0, 0.0), (0.2, 2, 0.15, 0.0), (0.4, 2, 0.3, 0.0))
    verdict = judge(None, taking_turns)
    assert not verdict.passed and "never computed at the same time" in verdict.feedback


def test_an_app_without_a_worker_process_type_cannot_be_graded(tmp_path):
    (tmp_path / "app.py").write_text((APPS / "reliable" / "app.py").read_text())
    with pytest.raises(BadInput, match=r"this needs worker processes, but the app's Procfile declares only web\. "
                                       r"Add a line for them to the Procfile, such as `worker: python worker\.py`"):
        grade("jobs", tmp_path, ["roundtrip"])


def test_a_worker_that_dies_at_start_up_is_named_with_its_error(tmp_path):
    shutil.copytree(APPS / "reliable", tmp_path, dirs_exist_ok=True)
    (tmp_path / "worker.py").write_text('import os\nimport time\n\ntime.sleep(0.3)  # up long enough to count as '
                                        'started\nos.environ["JOBS_SETTING_THAT_DOES_NOT_EXIST"]\n')
    roundtrip = grade("jobs", tmp_path, ["roundtrip"]).result("roundtrip")
    assert roundtrip.status == "failed"
    assert re.search(r"worker\.1 \(pid \d+\) exited with exit code 1, although the platform had not asked it to "
                     r"stop, so no worker was left to take jobs", roundtrip.feedback)
    assert "fix worker.py" in roundtrip.feedback
    assert "KeyError: 'JOBS_SETTING_THAT_DOES_NOT_EXIST'" in roundtrip.feedback


def test_a_worker_that_fails_at_once_is_named_with_its_error_whenever_the_platform_sees_it_die(tmp_path):
    """A worker process has no readiness signal: its death is seen while the cluster boots (nothing can be
    graded) or once the check has begun (the check fails). Either way the feedback is about worker.1."""
    shutil.copytree(APPS / "reliable", tmp_path, dirs_exist_ok=True)
    (tmp_path / "worker.py").write_text('import os\n\nos.environ["JOBS_SETTING_THAT_DOES_NOT_EXIST"]\n')
    roundtrip = grade("jobs", tmp_path, ["roundtrip"]).result("roundtrip")
    assert roundtrip.status in ("could not grade", "failed") and roundtrip.points == 0
    assert re.search(r"worker\.1 \(pid \d+\) exited with exit code 1 (as soon as it started|, although the "
                     r"platform had not asked it to stop)", roundtrip.feedback), roundtrip.feedback
    assert "KeyError: 'JOBS_SETTING_THAT_DOES_NOT_EXIST'" in roundtrip.feedback
    assert "app.py" not in roundtrip.feedback
