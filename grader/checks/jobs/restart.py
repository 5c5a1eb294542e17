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
from ...i18n import Text, _
from ..feedback import explain
from .faults import BUSY_CPU, GRACE, busy_with_a_job
from .feedback import full_stop, stuck
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
    did = _("{did}, then restarted worker.1 as a deploy does: it sent SIGTERM to the old worker.1 (pid {old}), "
            "gave it {grace:g} s before SIGKILL, and started the fresh worker.1 (pid {fresh}) at the same moment, "
            "so that for a while two processes ran with DYNO=worker.1", did=did, old=victim.pid, grace=GRACE,
            fresh=fresh.pid)
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
        return Verdict(True, _("On SIGTERM the old worker.1 finished job {job} and exited within {seconds:.1f} s, "
                               "and the fresh worker.1 left the job alone meanwhile.", job=repr(job.id), seconds=took))
    if not watch.finish([job], DONE_WITHIN):
        if job.status == "running":
            return Verdict(False, explain(
                full_stop(did),
                _("The old worker.1 exited {seconds:.1f} s later with {exit}, and job {job} still said 'running' "
                  "{waited:g} s after that, with no worker on it: the job was neither finished nor given back "
                  "(what the grader saw: {trail}).", seconds=took, exit=victim.describe_exit(), job=repr(job.id),
                  waited=DONE_WITHIN, trail=job.trail()),
                WHY_STOP, FIX_STOP, [victim]))
        return Verdict(False, stuck(watch, job, _("{did}; the old worker.1 gave the job back.", did=did), DONE_WITHIN))
    return Verdict(True, _("On SIGTERM the old worker.1 gave job {job} back and exited within {seconds:.1f} s; "
                           "the fresh worker.1 then did it.", job=repr(job.id), seconds=took))


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


def _taken_from_the_living(job, did, shared: Shared, victim) -> Text:
    """Feedback for a fresh process that ran the job its live predecessor held (and, if the
    predecessor also outlived the grace period, for that too)."""
    ignored = (_("What is more, the old worker.1 was still running {grace:g} s after SIGTERM, so the platform "
                 "had to kill it (SIGKILL): a worker must finish or give back the job in hand within the grace "
                 "period.", grace=GRACE)
               if victim.killed_after_term else "")
    return explain(
        full_stop(did),
        Text((_("The fresh worker.1 started computing ({fresh:.2f} s of CPU time when the grader first saw it) "
                "while the old worker.1 was still computing job {job} (it used {old:.2f} s more after that "
                "moment), and that job was the only one there was: the fresh process took the job that a live "
                "process was running, and both ran it at once.", fresh=shared.fresh, job=repr(job.id),
                old=shared.old_after), ignored), " "),
        _("It probably treated what is recorded under its DYNO name (a processing list such as "
          "processing:worker.1) as left behind by a predecessor that is dead. DYNO names a place in the "
          "formation, not one process: on Heroku, two running dynos can have the same $DYNO during a "
          "deploy or a restart, and on Heroku's newer Fir generation every dyno gets a generated unique "
          "name (as each pod does on Kubernetes), so a list kept under a dead process's name would never "
          "be emptied. "
          "Factor VI: processes are disposable and interchangeable, so whether a job's worker is dead "
          "must come from the store, not from a name."),
        _("Don't key anything on DYNO. Either give each job a worker takes a lease that expires (SET "
          "lease:<job id> <a random id this process made at start> PX 5000, renewed while the job runs) "
          "and let any worker put back in the queue a taken job whose lease is gone; or keep a processing "
          "list per process, named by that random id, beside a heartbeat key with an expiry, and let any "
          "worker give back the jobs of a process whose heartbeat has expired. Either way a killed job "
          "must be taken again within 10 s."))


WHY_STOP = _("On every deploy, restart and scale-down the platform sends SIGTERM, waits a few seconds "
             "({grace:g} s here; 30 s on Heroku, terminationGracePeriodSeconds on Kubernetes) and then "
             "kills the process. Factor IX (disposability) asks for a prompt, graceful exit; factor VI "
             "asks that no job is lost on the way.", grace=GRACE)
FIX_STOP = _("Handle SIGTERM (signal.signal(signal.SIGTERM, handler)): stop taking new jobs, then "
             "either finish the job in hand, if it will be done in time, or put it back at the head of "
             "the queue with status 'queued', and exit.")


def _judge_stop(victim, job, status: str, took: float, did) -> Verdict | None:
    """The failing verdict for how the old worker.1 answered SIGTERM, or None when it behaved."""
    if victim.killed_after_term:
        if status == "failed":  # a handler's exception, caught as the job's own error
            return Verdict(False, explain(
                full_stop(did),
                _("Job {job} ended 'failed' with the error {error}, and worker.1 was still running {grace:g} s "
                  "after SIGTERM, so the platform had to kill it (SIGKILL).", job=repr(job.id),
                  error=repr(job.error), grace=GRACE),
                WHY_STOP,
                Text((FIX_STOP, _("If your handler raises an exception to interrupt the job, derive it from "
                                  "BaseException, as KeyboardInterrupt is: the `except Exception` around each "
                                  "job then cannot catch it and record it as the job's error.")), " "),
                [victim]))
        if status == "done":
            saw = _("It finished job {job}, but worker.1 was still running {grace:g} s after SIGTERM, so the "
                    "platform had to kill it (SIGKILL): it ignores SIGTERM.", job=repr(job.id), grace=GRACE)
        else:
            saw = _("Job {job} said {status}, and worker.1 was still running {grace:g} s after SIGTERM, so the "
                    "platform had to kill it (SIGKILL): it ignores SIGTERM.", job=repr(job.id),
                    status=repr(status), grace=GRACE)
        return Verdict(False, explain(full_stop(did), saw, WHY_STOP, FIX_STOP, [victim]))
    if victim.exit_code == -15:
        return Verdict(False, explain(
            full_stop(did),
            _("The old worker.1 exited {seconds:.1f} s later, killed by the SIGTERM itself (Python's default "
              "when no handler is installed), in the middle of job {job}, which said {status} afterwards: the "
              "job was neither finished nor given back by the process that held it.", seconds=took,
              job=repr(job.id), status=repr(status)),
            WHY_STOP, FIX_STOP, [victim]))
    if status == "failed":
        return Verdict(False, explain(
            full_stop(did),
            _("worker.1 exited, and job {job} now says 'failed' with the error {error}.", job=repr(job.id),
              error=repr(job.error)),
            _("Nothing was wrong with the job: the platform only asked its worker to stop. A job "
              "interrupted that way must be given back, not recorded as failed."), FIX_STOP, [victim]))
    return None
