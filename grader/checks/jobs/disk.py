"""The ``no_local_disk`` check of the ``jobs`` exercise: jobs leave nothing on any process's disk."""
from __future__ import annotations

from ...harness.local_state import DATABASE, LASTING, LEFTOVER, LOG, WRITTEN, listed, recorded_findings
from ..base import Scenario, Verdict
from ..feedback import explain
from .feedback import STORE, stuck
from .watch import DONE_WITHIN, FINISHED, JobWatch

JOBS = (5000, 20000, 30000)
ADVICE = {
    DATABASE: STORE + " Use the exact URL from the environment; don't open a database file of your own.",
    LASTING: STORE + " A file on a process's own disk is seen by no other process and is gone at its next restart.",
    LOG: "Write log lines to stdout or stderr (print, or the logging module's default handler): the "
         "platform collects every process's output, while a log file vanishes with the process's disk.",
    LEFTOVER: "Scratch files belong to the request or the job that made them: delete them when it ends, "
              "whatever happens (tempfile.TemporaryDirectory() does it for you).",
    WRITTEN: "If the data must outlive the job, keep it in the backing store (REDIS_URL or DATABASE_URL); "
             "if it is scratch, write it under TMPDIR and delete it when the job ends.",
}


def no_local_disk(scenario: Scenario) -> Verdict:
    watch = JobWatch(scenario)
    watch.connected()
    jobs = [watch.post(n) for n in JOBS]
    did = f"The grader posted {len(jobs)} jobs, read them from every web process, and recorded every file the app's code opened"
    finished = watch.finish(jobs, DONE_WITHIN)
    if finished:
        for job in jobs:
            watch.read_everywhere(job)
    found = recorded_findings(scenario)
    if not finished and not found:
        late = next(job for job in jobs if job.status not in FINISHED)
        return Verdict(False, stuck(watch, late, did + ".", DONE_WITHIN))
    if not found:
        return Verdict(True, "No process kept anything on its local disk.")
    kinds = list(dict.fromkeys(finding.kind for finding in found))
    return Verdict(False, explain(
        did + ".",
        "The app kept data on local disk:\n" + listed(found),
        "Local disk is only scratch space for a single request or job: on a real platform it is "
        "private to one process and wiped whenever the process restarts, so the other processes "
        "(the web processes reading a worker's results, say) never see it. Factor VI: anything that "
        "must persist lives in a backing service.",
        "\n".join(ADVICE[kind] for kind in kinds)))
