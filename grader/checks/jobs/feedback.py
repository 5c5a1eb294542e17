"""Why a job of the ``jobs`` exercise never finished, in words a learner can act on.

A job that stays ``queued`` was never taken by a worker process; one that stays ``running`` was
taken, but its outcome never reached the store the web processes read. Either way the feedback
names what the platform recorded: a worker process that died (with its traceback), and files a
worker wrote on its local disk instead of the store.
"""
from __future__ import annotations

import time

from ...harness.local_state import recorded_findings
from ...i18n import Message, Text, _
from ..feedback import explain
from .watch import Job, JobWatch

STORE = _("Keep the queue and every job's status, result and error in the backing store at REDIS_URL "
          "(or DATABASE_URL): it is the only thing the web processes and the worker processes share.")
RELIABLE = _("Take jobs with a reliable pattern, so that the store always knows which jobs were taken "
             "and not finished. Either give each job a worker takes a lease that expires (SET "
             "lease:<job id> <a random id this process made at start> PX 5000, renewed while the job "
             "runs), and let any worker put back in the queue a taken job whose lease has expired; or "
             "BLMOVE each job into a processing list of this process's own (named by that random id, "
             "never by DYNO, which another process may share during a restart), keep a heartbeat key "
             "with an expiry beside it, and let any worker give back the jobs of a process whose "
             "heartbeat has expired. Either way a lost job must be taken again within 10 s.")


def full_stop(clause) -> Message:
    """A clause (what the grader did, which later feedback may extend) ended as a sentence."""
    return _("{clause}.", clause=clause)


def semicolons(items: list):
    """``a; b; c``, with the semicolon a message of its own (Greek writes it as the raised dot ·)."""
    joined = items[0] if items else ""
    for item in items[1:]:
        joined = _("{before}; {after}", before=joined, after=item)
    return joined


def deaths(watch: JobWatch) -> tuple[Message | str, list]:
    """A sentence on every worker process that exited without being asked to, and their logs."""
    died = watch.died()
    if not died:
        return "", []
    said = semicolons([_("{name} (pid {pid}) exited with {exit}", name=incarnation.name, pid=incarnation.pid,
                         exit=incarnation.describe_exit()) for incarnation in died[:3]])
    if watch.live_workers():
        return _("Meanwhile {said}, although the platform had not asked it to stop.", said=said), died[:2]
    return _("Meanwhile {said}, although the platform had not asked it to stop, so no worker was left to "
             "take jobs.", said=said), died[:2]


def local_writes(watch: JobWatch) -> Message | str:
    """A sentence naming the files worker processes wrote on their local disk, if any."""
    cluster = watch.cluster
    kinds = {name: worker.kind for name, worker in [*cluster.workers.items(),
                                                     *((w.name, w) for w in cluster.retired)]}
    found = [finding for finding in recorded_findings(watch.scenario) if kinds.get(finding.worker) == "worker"]
    if not found:
        return ""
    writes = semicolons([item.describe() for item in found[:3]])
    return _("The platform also recorded local writes: {writes}.", writes=writes)


def stuck(watch: JobWatch, job: Job, did, waited: float) -> Text:
    """Feedback for a job still unfinished when the grader gave up on it: ``waited`` seconds after
    it was posted, or sooner when no worker process was left alive."""
    died, logs = deaths(watch)
    if not watch.workers() and not watch.died():
        died = _("No worker process was running then, so nothing could take it.")
    waited = min(waited, time.monotonic() - job.posted_at)
    saw = Text((_("{seconds:.1f} s later job {job} still said {status} (what the grader saw: {trail}).",
                  seconds=waited, job=repr(job.id), status=repr(job.status), trail=job.trail()), died), " ")
    if logs:
        why = _("A worker process must keep running. An exception raised by one job must be caught and "
                "recorded as that job's failure, and one raised while the worker starts (a failed import, "
                "a missing variable) stops every job.")
        fix = _("Read the error below, fix worker.py, and run the check again.")
    elif job.status == "queued":
        why = _("No worker process finished the job. The web processes and the worker processes are "
                "separate processes that share nothing but the backing services, so a job kept in a "
                "web process's memory never reaches a worker, and a worker that crashes takes no job.")
        fix = Text((STORE, _("In POST /jobs, record the job as queued and push its id onto a list (LPUSH); "
                             "in worker.py, take ids from that same list in a loop (BLMOVE or BRPOP) and run "
                             "them.")), " ")
    else:
        why = Text((_("A worker took the job, but its outcome never reached the web processes: they read the "
                      "store, and a result kept in the worker's memory or on its local disk is seen by no "
                      "other process (and is gone when the worker restarts)."), local_writes(watch)), " ")
        fix = Text((STORE, _("When a job ends, write its status and its result (or error) there.")), " ")
    return explain(did, saw, why, fix, logs)
