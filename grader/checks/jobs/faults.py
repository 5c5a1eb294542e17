"""The ``crash`` check of the ``jobs`` exercise (SIGKILL aimed at worker.1 while it is busy with a
job), and how the fault checks catch worker.1 at work (``sigterm`` is in :mod:`grader.checks.jobs.restart`).

The grader knows worker.1 is busy from its CPU time, which climbs as soon as it computes: the job's
own status could say "running" before any work starts, or never say it at all. Nothing here sleeps
and hopes; every wait is a bounded probe (:mod:`grader.checks.jobs.watch`).
"""
from __future__ import annotations

import time

from ...platform.cluster import GRACEFUL_TIMEOUT
from ..base import Inconclusive, Scenario, Verdict
from ...i18n import Text, _
from ..feedback import explain
from .feedback import RELIABLE, deaths, full_stop, stuck
from .watch import DONE_WITHIN, FINISHED, JobWatch

SMALL, LONG = 20000, 100000  # count_primes(LONG) takes about 0.12 s of CPU here
# The job a fault is aimed at: about 0.55 s of CPU here, so that worker.1 is still at it when the
# fault lands (a busy machine can delay the grader by tenths of a second), and so that a successor
# that starts beside it starts long before it ends; yet short enough to finish in the grace period.
FAULT_N = 300000
REDO_WITHIN = 10.0  # seconds (SPEC) within which a killed job must be taken again
JOB_SLACK = 8.0  # seconds a job may take once taken again, on a busy machine
PROGRESS_WINDOW = 2.0  # seconds: a job still not done is waited for this much longer while workers compute
JOB_CAP = 30.0  # seconds after the kill beyond which even a job still being computed counts as stuck
COMPUTING_SHARE = 0.1  # of one CPU: below this, a worker is waiting (polling a lock), not computing
BUSY_CPU = 0.03  # CPU seconds that show a worker has started computing
GRACE = GRACEFUL_TIMEOUT  # seconds (SPEC: 3) a worker has between SIGTERM and SIGKILL
CATCH_ATTEMPTS = 3  # long jobs posted to catch worker.1 at work, when it finishes them too fast to see


def busy_with_a_job(scenario: Scenario, n: int = FAULT_N):
    """Post a job of size ``n`` and wait until worker.1 computes it: (watch, job, what the grader
    did, the busy incarnation), or a failed Verdict when no worker ever got busy with it."""
    watch = JobWatch(scenario)
    watch.connected()
    for _attempt in range(CATCH_ATTEMPTS):
        base = watch.cpu()["worker.1"]
        job = watch.post(n)
        did = _("The grader posted job {job} (n = {n}) and waited until worker.1 was running it", job=repr(job.id),
                n=n)
        if _until_busy(watch, job, base):
            return watch, job, did, scenario.cluster.workers["worker.1"].current
        if job.status not in FINISHED or watch.cpu()["worker.1"] - base < BUSY_CPU:
            return Verdict(False, _never_busy(watch, job, did, n))
        # worker.1 did the job, only too quickly for the grader to catch it at work: once more
    raise Inconclusive(_("worker.1 finished each of {attempts} jobs (n = {n}) before the grader, on this busy "
                         "machine, could catch it at work to aim the fault at. This says nothing about your app; "
                         "run the check again.", attempts=CATCH_ATTEMPTS, n=n))


def crash(scenario: Scenario) -> Verdict:
    busy = busy_with_a_job(scenario)
    if isinstance(busy, Verdict):
        return busy
    watch, job, did, victim = busy
    cluster = scenario.cluster
    cluster.crash("worker.1")
    killed = time.monotonic()
    did = _("{did}, then killed worker.1 (pid {pid}) with SIGKILL, as an out-of-memory kill or a failing "
            "machine does, and let the platform start a fresh worker.1", did=did, pid=victim.pid)
    lost = _lost(watch, job, killed, did)
    if lost is not None:
        return lost
    redone = time.monotonic() - killed
    control = watch.post(SMALL)
    if not watch.finish([control], DONE_WITHIN):
        return Verdict(False, stuck(watch, control, _("{did}; job {job} was done again. Then the grader posted job "
                                                      "{control}.", did=did, job=repr(job.id),
                                                      control=repr(control.id)), DONE_WITHIN))
    watch.read_everywhere(job)
    return Verdict(True, _("worker.1 was killed (SIGKILL) in the middle of job {job}; the fresh worker.1 did it "
                           "again within {seconds:.1f} s, and its result ({result}) was recorded once.",
                           job=repr(job.id), seconds=redone, result=job.result))


def _lost(watch: JobWatch, job, killed: float, did: str) -> Verdict | None:
    """The failing verdict when the killed job was not done again in time, or None when it was."""
    taken = _taken_again(watch, job, killed)
    if taken and _finished_while_computing(watch, job, killed) and job.status == "done":
        return None
    died, logs = deaths(watch)
    since = time.monotonic() - killed
    if not taken:
        return Verdict(False, explain(
            full_stop(did),
            Text((_("{seconds:.0f} s after the kill, job {job} still said {status}, and the fresh worker.1 had "
                    "used no CPU time on it: no worker took it again (what the grader saw: {trail}).",
                    seconds=since, job=repr(job.id), status=repr(job.status), trail=job.trail()), died), " "),
            _("A worker that takes a job with BRPOP or BLPOP removes it from the queue at once; when the "
              "worker dies, the job exists nowhere but in a process that is gone. (And if your worker "
              "holds a lock around each job, the killed worker holds it still: the fresh one waits for "
              "a lock nobody will release.) Factor VI: processes are disposable and can die at any "
              "moment, so the store must know which jobs were taken and not finished."),
            RELIABLE, logs))
    if job.status == "failed":
        return Verdict(False, explain(
            full_stop(did), _("The job then ended 'failed' with the error {error}.", error=repr(job.error)),
            _("The job itself was fine; it was its worker that died. Giving up on a job because the "
              "platform killed its worker loses it just the same."), RELIABLE))
    return Verdict(False, explain(
        full_stop(did),
        Text((_("The job was taken up again after the kill, but {seconds:.0f} s after the kill it still said "
                "{status} (what the grader saw: {trail}).", seconds=since, status=repr(job.status),
                trail=job.trail()), died), " "),
        _("Something the killed process held was never released: a process killed with SIGKILL "
          "runs no cleanup, no finally and no __exit__. A lock taken around each job stays taken "
          "until it expires, and every worker waits for it meanwhile."),
        _("Don't hold a lock around a whole job (see the parallel check); if you need a lock, give "
          "it an expiry of a few seconds, so that one held by a killed process frees itself."), logs))


def _finished_while_computing(watch: JobWatch, job, killed: float) -> bool:
    """Wait JOB_SLACK seconds for the job taken again to finish, then on, PROGRESS_WINDOW at a time,
    for as long as the worker processes are computing (a loaded machine runs a job slowly; a worker
    blocked on a lock uses next to no CPU), up to JOB_CAP seconds after the kill. Without this, a
    slow machine's slow job would be blamed on a lock the app never took."""
    if watch.finish([job], JOB_SLACK):
        return True
    while time.monotonic() - killed < JOB_CAP:
        before = _worker_cpu(watch)
        if watch.finish([job], PROGRESS_WINDOW):
            return True
        if _worker_cpu(watch) - before < COMPUTING_SHARE * PROGRESS_WINDOW:
            return False
    return False


def _worker_cpu(watch: JobWatch) -> float:
    """CPU seconds used so far by the current worker processes (the web processes answer the
    grader's polls, so their CPU says nothing about a job)."""
    kinds = {name: worker.kind for name, worker in watch.cluster.workers.items()}
    return sum(used for name, used in watch.cpu().items() if kinds.get(name) == "worker")


def _never_busy(watch: JobWatch, job, did, n: int) -> Text:
    """Feedback when the grader could not catch worker.1 computing the job it was meant to hit."""
    if job.status not in FINISHED:
        return stuck(watch, job, full_stop(did), DONE_WITHIN)
    return explain(
        full_stop(did),
        _("The job said {status} before worker.1 had used any noticeable CPU time (what the grader saw: "
          "{trail}); count_primes({n}) keeps a worker busy for a fraction of a second.", status=repr(job.status),
          trail=job.trail(), n=n),
        _("So a web process did the job itself, and there was no worker busy with it to aim the fault "
          "at. A web process must answer at once and leave the work to the worker processes."),
        _("In POST /jobs, only record the job and queue it; let worker.py run it."))


def _taken_again(watch: JobWatch, job, killed: float) -> bool:
    """Wait (REDO_WITHIN seconds from ``killed``) until the killed job is taken again: it changes
    status, or the fresh worker.1's CPU time climbs once it has connected to the store."""
    watch.connected()
    base = watch.cpu()["worker.1"]

    def taken() -> bool:
        return job.status != "running" or watch.cpu()["worker.1"] - base >= BUSY_CPU

    return watch.wait(taken, max(0.0, killed + REDO_WITHIN - time.monotonic()), [job])


def _until_busy(watch: JobWatch, job, base: float) -> bool:
    """Wait until worker.1 is computing ``job``: its CPU time has climbed by BUSY_CPU since ``base``
    (what it had used when the job was posted) and the job is not finished yet."""
    def busy() -> bool:
        return job.status in FINISHED or watch.cpu()["worker.1"] - base >= BUSY_CPU

    return watch.wait(busy, DONE_WITHIN, [job]) and job.status not in FINISHED
