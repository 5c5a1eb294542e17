"""The ``no_local_disk`` check of the ``jobs`` exercise: jobs leave nothing on any process's disk."""
from __future__ import annotations

from ...harness.local_state import DATABASE, LASTING, LEFTOVER, LOG, WRITTEN, listed, recorded_findings
from ...i18n import N_, Text, _
from ..base import Scenario, Verdict
from ..feedback import explain
from .feedback import stuck
from .watch import DONE_WITHIN, FINISHED, JobWatch

JOBS = (5000, 20000, 30000)
ADVICE = {
    DATABASE: N_("Keep the queue and every job's status, result and error in the backing store at REDIS_URL "
                 "(or DATABASE_URL): it is the only thing the web processes and the worker processes share. "
                 "Use the exact URL from the environment; don't open a database file of your own."),
    LASTING: N_("Keep the queue and every job's status, result and error in the backing store at REDIS_URL "
                "(or DATABASE_URL): it is the only thing the web processes and the worker processes share. "
                "A file on a process's own disk is seen by no other process and is gone at its next restart."),
    LOG: N_("Write log lines to stdout or stderr (print, or the logging module's default handler): the "
            "platform collects every process's output, while a log file vanishes with the process's disk."),
    LEFTOVER: N_("Scratch files belong to the request or the job that made them: delete them when it ends, "
                 "whatever happens (tempfile.TemporaryDirectory() does it for you)."),
    WRITTEN: N_("If the data must outlive the job, keep it in the backing store (REDIS_URL or DATABASE_URL); "
                "if it is scratch, write it under TMPDIR and delete it when the job ends."),
}


def no_local_disk(scenario: Scenario) -> Verdict:
    watch = JobWatch(scenario)
    watch.connected()
    jobs = [watch.post(n) for n in JOBS]
    did = _("The grader posted {count} jobs, read them from every web process, and recorded every file the "
            "app's code opened.", count=len(jobs))
    finished = watch.finish(jobs, DONE_WITHIN)
    if finished:
        for job in jobs:
            watch.read_everywhere(job)
    found = recorded_findings(scenario)
    if not finished and not found:
        late = next(job for job in jobs if job.status not in FINISHED)
        return Verdict(False, stuck(watch, late, did, DONE_WITHIN))
    if not found:
        return Verdict(True, _("No process kept anything on its local disk."))
    kinds = list(dict.fromkeys(finding.kind for finding in found))
    return Verdict(False, explain(
        did,
        Text((_("The app kept data on local disk:"), listed(found))),
        _("Local disk is only scratch space for a single request or job: on a real platform it is "
          "private to one process and wiped whenever the process restarts, so the other processes "
          "(the web processes reading a worker's results, say) never see it. Factor VI: anything that "
          "must persist lives in a backing service."),
        Text([_(ADVICE[kind]) for kind in kinds])))
