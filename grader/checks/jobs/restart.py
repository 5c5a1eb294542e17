"""The ``sigterm`` check of the ``jobs`` exercise: worker.1 is restarted in the middle of a job, as a
deploy restarts it, and its successor starts at once under the same name.

On Heroku, during a deploy or a restart two running dynos can have the same ``$DYNO``; on its newer
Fir generation every dyno gets a generated unique name instead. So the platform here lets the old
worker.1 drain (SIGTERM, up to GRACE seconds, then SIGKILL) while the fresh worker.1 boots beside it,
and it watches the CPU time of both: a fresh process that computes while the old one still computes
the only job there is took a job that a live process held. The job (``FAULT_N``) is long enough to
outlast the fresh process's start by far, and short enough to finish in the grace period, so that
an app may either finish the job in hand or give it back.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ...platform.proctree import cpu_seconds
from ..base import Scenario, Verdict
from ..feedback import explain
from .faults import BUSY_CPU, GRACE, busy_with_a_job
from .feedback import stuck
from .watch import DONE_WITHIN, JobWatch

EXIT_SLACK = 2.0  # seconds, beyond GRACE, for the old process's exit report to arrive after SIGKILL
SAMPLE_EVERY = 0.02  # seconds between two readings of both processes' CPU time (an exit ends it sooner)


@dataclass(frozen=True)
class Shared:
    """CPU seconds both processes used on the same job at the same time: what the fresh process had
    used when it was first seen computing, and what the old one used after that moment."""

    fresh: float
    old_after: float


def sigterm(scenario: Scenario) -> Verdict:
    busy = busy_with_a_job(scenario)
    if isinstance(busy, Verdict):
        return busy
    watch, job, did, victim = busy
    asked = time.monotonic()
    fresh = scenario.cluster.restart("worker.1", overlap=True)
    did += (f", then restarted worker.1 as a deploy does: it sent SIGTERM to the old worker.1 (pid "
            f"{victim.pid}), gave it {GRACE:g} s before SIGKILL, and started the fresh worker.1 (pid "
            f"{fresh.pid}) at the same moment, so that for a while two processes ran with DYNO=worker.1")
    shared, exited_at = _watch_both(watch, victim, fresh, asked + GRACE + EXIT_SLACK)
    scenario.cluster.workers["worker.1"].join_background()  # the old one's stop is over: judge it whole
    took = (exited_at or time.monotonic()) - asked
    status = watch.read(job)
    if shared is not None:
        return Verdict(False, _taken_from_the_living(job, did, shared, victim))
    verdict = _judge_stop(victim, job, status, took, did)
    if verdict is not None:
        return verdict
    if status == "done":
        return Verdict(True, f"On SIGTERM the old worker.1 finished job {job.id!r} and exited within "
                             f"{took:.1f} s, and the fresh worker.1 left the job alone meanwhile.")
    if not watch.finish([job], DONE_WITHIN):
        if job.status == "running":
            return Verdict(False, explain(
                did + ".",
                f"The old worker.1 exited {took:.1f} s later with {victim.describe_exit()}, and job "
                f"{job.id!r} still said 'running' {DONE_WITHIN:g} s after that, with no worker on it: "
                f"the job was neither finished nor given back (what the grader saw: {job.trail()}).",
                WHY_STOP, FIX_STOP, [victim]))
        return Verdict(False, stuck(watch, job, did + "; the old worker.1 gave the job back.", DONE_WITHIN))
    return Verdict(True, f"On SIGTERM the old worker.1 gave job {job.id!r} back and exited within {took:.1f} s; "
                         "the fresh worker.1 then did it.")


def _watch_both(watch: JobWatch, old, fresh, deadline: float) -> tuple[Shared | None, float | None]:
    """Read both processes' CPU time until the old one exits (or ``deadline``): (what they shared,
    when the old one was seen gone). The fresh one's reading starts once it has reached the store,
    so its own start-up does not count as work."""
    bus = watch.cluster.bus
    watch.connected()
    base = cpu_seconds([fresh.pid])[fresh.pid]
    seen_computing = None  # (the fresh one's CPU, the old one's CPU) when the fresh one first computed
    old_last = None
    while not old.exited and time.monotonic() < deadline:
        used = cpu_seconds([old.pid, fresh.pid])
        if not old.exited:
            old_last = used[old.pid]
        if seen_computing is None and used[fresh.pid] - base >= BUSY_CPU and old_last is not None:
            seen_computing = (used[fresh.pid] - base, old_last)
        bus.wait_for(lambda: old.exited, SAMPLE_EVERY)
    exited_at = time.monotonic() if old.exited else None
    if seen_computing is not None and old_last - seen_computing[1] >= BUSY_CPU:
        return Shared(seen_computing[0], old_last - seen_computing[1]), exited_at
    return None, exited_at


def _taken_from_the_living(job, did: str, shared: Shared, victim) -> str:
    """Feedback for a fresh process that ran the job its live predecessor held (and, if the
    predecessor also outlived the grace period, for that too)."""
    ignored = (f" What is more, the old worker.1 was still running {GRACE:g} s after SIGTERM, so the "
               "platform had to kill it (SIGKILL): a worker must finish or give back the job in hand "
               "within the grace period."
               if victim.killed_after_term else "")
    return explain(
        did + ".",
        f"The fresh worker.1 started computing ({shared.fresh:.2f} s of CPU time when the grader first "
        f"saw it) while the old worker.1 was still computing job {job.id!r} (it used {shared.old_after:.2f} s "
        "more after that moment), and that job was the only one there was: the fresh process took the "
        "job that a live process was running, and both ran it at once." + ignored,
        "It probably treated what is recorded under its DYNO name (a processing list such as "
        "processing:worker.1) as left behind by a predecessor that is dead. DYNO names a place in the "
        "formation, not one process: on Heroku, two running dynos can have the same $DYNO during a "
        "deploy or a restart, and on Heroku's newer Fir generation every dyno gets a generated unique "
        "name (as each pod does on Kubernetes), so a list kept under a dead process's name would never "
        "be emptied. "
        "Factor VI: processes are disposable and interchangeable, so whether a job's worker is dead "
        "must come from the store, not from a name.",
        "Don't key anything on DYNO. Either give each job a worker takes a lease that expires (SET "
        "lease:<job id> <a random id this process made at start> PX 5000, renewed while the job runs) "
        "and let any worker put back in the queue a taken job whose lease is gone; or keep a processing "
        "list per process, named by that random id, beside a heartbeat key with an expiry, and let any "
        "worker give back the jobs of a process whose heartbeat has expired. Either way a killed job "
        "must be taken again within 10 s.")


WHY_STOP = ("On every deploy, restart and scale-down the platform sends SIGTERM, waits a few seconds "
            f"({GRACE:g} s here; 30 s on Heroku, terminationGracePeriodSeconds on Kubernetes) and then "
            "kills the process. Factor IX (disposability) asks for a prompt, graceful exit; factor VI "
            "asks that no job is lost on the way.")
FIX_STOP = ("Handle SIGTERM (signal.signal(signal.SIGTERM, handler)): stop taking new jobs, then "
            "either finish the job in hand, if it will be done in time, or put it back at the head of "
            "the queue with status 'queued', and exit.")


def _judge_stop(victim, job, status: str, took: float, did: str) -> Verdict | None:
    """The failing verdict for how the old worker.1 answered SIGTERM, or None when it behaved."""
    if victim.killed_after_term:
        still = f"worker.1 was still running {GRACE:g} s after SIGTERM, so the platform had to kill it (SIGKILL)"
        if status == "failed":  # a handler's exception, caught as the job's own error
            return Verdict(False, explain(
                did + ".", f"Job {job.id!r} ended 'failed' with the error {job.error!r}, and {still}.",
                WHY_STOP, FIX_STOP + " If your handler raises an exception to interrupt the job, derive "
                "it from BaseException, as KeyboardInterrupt is: the `except Exception` around each job "
                "then cannot catch it and record it as the job's error.", [victim]))
        doing = (f"It finished job {job.id!r}, but" if status == "done"
                 else f"Job {job.id!r} said {status!r}, and")
        return Verdict(False, explain(did + ".", f"{doing} {still}: it ignores SIGTERM.", WHY_STOP, FIX_STOP,
                                      [victim]))
    if victim.exit_code == -15:
        return Verdict(False, explain(
            did + ".",
            f"The old worker.1 exited {took:.1f} s later, killed by the SIGTERM itself (Python's default "
            f"when no handler is installed), in the middle of job {job.id!r}, which said {status!r} "
            "afterwards: the job was neither finished nor given back by the process that held it.",
            WHY_STOP, FIX_STOP, [victim]))
    if status == "failed":
        return Verdict(False, explain(
            did + ".", f"worker.1 exited, and job {job.id!r} now says 'failed' with the error {job.error!r}.",
            "Nothing was wrong with the job: the platform only asked its worker to stop. A job "
            "interrupted that way must be given back, not recorded as failed.", FIX_STOP, [victim]))
    return None
