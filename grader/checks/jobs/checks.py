"""Checks for the ``jobs`` exercise: web processes answer at once, worker processes do the work.

Every check runs the app's Procfile types side by side (``web`` and ``worker``) and follows its
jobs from outside (:mod:`grader.checks.jobs.watch`). This module holds the checks of the contract
and the CHECKS registry; the faults aimed at a busy worker are in :mod:`grader.checks.jobs.faults`
(SIGKILL) and :mod:`grader.checks.jobs.restart` (a restart whose successor starts at once), the
parallel batch in :mod:`grader.checks.jobs.parallel`, the disk in :mod:`grader.checks.jobs.disk`.
Job sizes come from the table of known prime counts, so the grader never computes a job itself.
"""
from __future__ import annotations

from ...i18n import N_, Message, Text, _, _n
from ..base import Check, Scenario, Verdict
from ..feedback import ContractError, explain, listing
from .disk import no_local_disk
from .faults import BUSY_CPU, LONG, SMALL, crash
from .feedback import deaths, full_stop, stuck
from .parallel import parallel
from .restart import sigterm
from .watch import DONE_WITHIN, JobWatch

FAIL_WITHIN = 5.0  # seconds a job that raises at once may take to read "failed"
BAD_BODIES = ({"n": "100"}, {"n": True}, {"n": 1.5}, {"n": None}, {}, [100], None)
UNKNOWN_IDS = ("987654321", "no-such-job")


def roundtrip(scenario: Scenario) -> Verdict:
    watch = JobWatch(scenario)
    cluster = scenario.cluster
    webs = cluster.serving()
    watch.connected()
    job = watch.post(SMALL, worker=webs[scenario.seed % len(webs)])
    watch.read_everywhere(job)  # a web process that does not know the job fails the check here
    if not watch.finish([job], DONE_WITHIN):
        return Verdict(False, stuck(watch, job, _("The grader posted job {job} (n = {n}) to {web} and read its "
                                                  "status from every web process.", job=repr(job.id), n=SMALL,
                                                  web=job.posted_on),
                                    DONE_WITHIN))
    if job.status == "failed":
        return Verdict(False, explain(
            _("The grader posted job {job} (n = {n}) to {web} and waited for it.", job=repr(job.id), n=SMALL,
              web=job.posted_on),
            _("It ended 'failed' with the error {error}.", error=repr(job.error)),
            _("count_primes({n}) does not raise, so the worker's own code failed around it.", n=SMALL),
            _("Look at the error, fix worker.py, and run the check again.")))
    seen = watch.read_everywhere(job)
    return Verdict(True, _("Job {job} posted to {web} was done by a worker process (result {result}) and read "
                           "as done by {webs}.", job=repr(job.id), web=job.posted_on, result=job.result,
                           webs=", ".join(seen)))


def contract(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    wrong = []
    for body in BAD_BODIES:
        response = cluster.post("/jobs", body)
        answer = response.json()
        if response.status != 400 or not (isinstance(answer, dict) and isinstance(answer.get("error"), str)):
            if response.status:
                wrong.append(_("POST /jobs with body {body} returned {status} {answer}", body=_shown(body),
                               status=response.status, answer=repr(response.body.strip()[:80])))
            else:
                wrong.append(_("POST /jobs with body {body} returned {error}", body=_shown(body),
                               error=response.error))
    for job_id in UNKNOWN_IDS:
        response = cluster.get(f"/jobs/{job_id}")
        if response.status != 404:
            wrong.append(_("GET /jobs/{id} (a job nobody posted) returned {status} {answer}", id=job_id,
                           status=response.status, answer=repr(response.body.strip()[:80])))
    if not wrong:
        return Verdict(True, _("{count} bad POST /jobs bodies got 400 with an error, unknown jobs 404.",
                               count=len(BAD_BODIES)))
    return Verdict(False, explain(
        _('The grader sent POST /jobs with bodies that are not {{"n": <an integer>}}, and asked for jobs '
          'that do not exist.'),
        Text((_("These answers broke the contract:"), Text([Text(("    ", line), "") for line in wrong[:6]]))),
        _("A queue fed with bad input hands the worker a job it cannot run, long after the client "
          "has gone: the web process is the place to refuse it, at once."),
        _("Answer 400 with JSON like {example} unless the body is a JSON object whose n is an int (True is "
          "a bool in JSON, not an integer, and 1.5 is a float); answer 404 for an id that no job has.",
          example='{"error": "n must be an integer"}')))


def only_workers(scenario: Scenario) -> Verdict:
    watch = JobWatch(scenario)
    cluster = scenario.cluster
    webs = cluster.serving()
    before = watch.cpu()
    job = watch.post(LONG, worker=webs[0])
    status = watch.read(job, webs[-1])
    did = _("The grader started the app with no worker process (only {webs}) and posted job {job} (n = {n}) "
            "to {web}", webs=listing(webs), job=repr(job.id), n=LONG, web=webs[0])
    if status != "queued":
        if status == "done":
            saw = _("POST /jobs took {seconds:.2f} s, and right after it {web} said the job was {status} (result "
                    "{result}), although no worker process existed to run it.", seconds=job.latency,
                    web=webs[-1], status=repr(status), result=job.result)
        else:
            saw = _("POST /jobs took {seconds:.2f} s, and right after it {web} said the job was {status}, "
                    "although no worker process existed to run it.", seconds=job.latency, web=webs[-1],
                    status=repr(status))
        return Verdict(False, explain(
            full_stop(did),
            saw,
            _("So a web process ran the job itself, in the request or in a thread of its own. A web "
              "process must answer at once; slow work done there holds up the requests behind it, and "
              "it dies with the web process at the next deploy. Factor VI: each process type has one "
              "job, and the worker type is there for the slow work."),
            _("In POST /jobs, only record the job as queued and put it in a queue in the store; let "
              "worker.py take it from there and run it.")))
    cluster.scale("worker", 1)
    watch.connected()
    started = watch.cpu()
    if not watch.finish([job], DONE_WITHIN):
        return Verdict(False, stuck(watch, job, _("{did}, then started one worker process.", did=did), DONE_WITHIN))
    after = watch.cpu()
    web_cpu = sum(after[name] - before[name] for name in webs)
    worker_cpu = after["worker.1"] - started["worker.1"]
    if worker_cpu < BUSY_CPU <= web_cpu:  # worker.1 idled while the job got done: someone else did it
        return Verdict(False, explain(
            _("{did}, then started one worker process and waited for the job.", did=did),
            _("The web processes used {web_cpu:.2f} s of CPU while the job ran, and worker.1 only "
              "{worker_cpu:.2f} s: the web processes did the work.", web_cpu=web_cpu, worker_cpu=worker_cpu),
            _("A web process must answer at once and leave the slow work to the worker processes; "
              "work done in a web process's thread competes with every request it serves, and is lost "
              "when the platform restarts it."),
            _("Don't start threads (or processes) in the web process to run jobs: put the job in the "
              "queue and let worker.py run it.")))
    return Verdict(True, _("With no worker process the job stayed queued (POST answered in {seconds:.2f} s); "
                           "worker.1 then did it, using {worker_cpu:.2f} s of CPU to the web processes' "
                           "{web_cpu:.2f} s.", seconds=job.latency, worker_cpu=worker_cpu, web_cpu=web_cpu))


def failure(scenario: Scenario) -> Verdict:
    watch = JobWatch(scenario)
    watch.connected()
    try:
        job = watch.post(-1)
    except ContractError as broken:
        if broken.response.status != 400:
            raise
        return Verdict(False, explain(
            _("The grader posted a job with n = -1."),
            full_stop(broken.response.describe()),
            _("-1 is an integer, so the contract says POST /jobs accepts it (202); the job then fails "
              "in the worker, because count_primes raises ValueError for a negative n. That is how the "
              "grader makes a job fail: a real job fails in the worker for reasons the web cannot "
              "foresee (a bad file, a service that is down)."),
            _("Accept any integer n in POST /jobs, and let the worker record the failure.")))
    did = _("The grader posted job {job} with n = -1 (count_primes raises ValueError for it)", job=repr(job.id))
    if not watch.finish([job], FAIL_WITHIN) or job.status != "failed":
        return Verdict(False, _not_failed(watch, job, did))
    error = job.error
    control = watch.post(SMALL)
    if not watch.finish([control], DONE_WITHIN):
        return Verdict(False, stuck(watch, control, _("{did}; it ended failed. Then the grader posted job "
                                                      "{control} (n = {n}).", did=did, control=repr(control.id),
                                                      n=SMALL), DONE_WITHIN))
    watch.read_everywhere(job)
    return Verdict(True, _("Job {job} (n = -1) ended failed with the error {error}, once; the next job was done "
                           "as usual.", job=repr(job.id), error=repr(error)))


def _not_failed(watch: JobWatch, job, did: Message) -> Text:
    died, logs = deaths(watch)
    if died:
        return explain(full_stop(did), Text((_("The job said {status}.", status=repr(job.status)), died), " "),
                       _("An exception in one job must not end the worker process: every job after it "
                         "would wait for a worker that is gone."),
                       _("Run each job inside try/except Exception, record the job as failed with "
                         "str(error) as its error, and go on with the next job."), logs)
    backs = job.went_back_to_queued()
    again = _n("It went from running back to queued {count} times.",
               "It went from running back to queued {count} times.", backs) if backs else ""
    return explain(
        _("{did} and read its status for {seconds:g} s.", did=did, seconds=FAIL_WITHIN),
        Text((_("It never read 'failed': it still said {status}.", status=repr(job.status)), again,
              _("What the grader saw: {trail}.", trail=job.trail())), " "),
        _("A job that raises will raise again every time it runs, so putting it back in the queue "
          "retries it forever and keeps a worker busy for nothing.") if backs else
        _("A job whose code raises must end 'failed', with the error, so that the client knows."),
        _("Catch the exception in the worker, record status 'failed' with str(error) as the error and "
          "do not put the job back (or retry it a few times at most, then record it as failed)."))


def _shown(body):
    import json
    return _("(none)") if body is None else json.dumps(body)


CHECKS = [
    Check("roundtrip", N_("A job posted to one web process is done by a worker and seen by every web process"),
          2, roundtrip, processes={"web": 2, "worker": 1}),
    Check("contract", N_("Bad requests get 400, unknown jobs 404"), 1, contract, processes={"web": 1, "worker": 0}),
    Check("only_workers", N_("Only worker processes run jobs; the web answers at once"), 2, only_workers,
          processes={"web": 1, "worker": 0}),
    Check("failure", N_("A job that raises ends failed, and is not retried forever"), 2, failure,
          processes={"web": 1, "worker": 1}),
    Check("no_local_disk", N_("Nothing is kept on local disk"), 1, no_local_disk, processes={"web": 1, "worker": 1}),
    Check("crash", N_("A job whose worker is killed (SIGKILL) is done again, and recorded once"), 2, crash,
          hidden=True, processes={"web": 1, "worker": 1}),
    Check("sigterm", N_("A worker asked to stop (SIGTERM) finishes or gives back its job, and exits in time"),
          2, sigterm, hidden=True, processes={"web": 1, "worker": 1}),
    Check("parallel", N_("Several worker processes run jobs at the same time"), 2, parallel, hidden=True,
          processes={"web": 1, "worker": 2}),
]
