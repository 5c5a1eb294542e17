"""Following the jobs of the ``jobs`` exercise from outside, as a client and as the platform would.

A :class:`JobWatch` posts jobs through the web processes, reads their status back from every web
process in turn, and keeps the history of every status it saw. It holds each answer to the contract
(a wrong shape or a wrong result raises :class:`~grader.checks.feedback.ContractError`), and it
raises :class:`WentBack` the moment a job that was ``done`` or ``failed`` reads otherwise: a result
is recorded once, and a finished job never runs again.

Waits are bounded probes: between two rounds of reads the watch waits on the event bus, so a worker
process that dies wakes it at once. It also samples the CPU time of every process of the cluster,
which tells who really did the work whatever the load on the machine (:mod:`grader.platform.proctree`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ...platform.events import Connection
from ...platform.proctree import cpu_seconds
from ..base import Scenario, is_id
from ..feedback import ContractError, explain
from ...i18n import Text, _

STATUSES = ("queued", "running", "done", "failed")
FINISHED = ("done", "failed")
DONE_WITHIN = 10.0  # seconds small jobs may take from POST to finished, a few at once, on a busy machine
POLL_INTERVAL = 0.02  # seconds between two rounds of reads after a change (a worker's exit ends it sooner)
POLL_BACKOFF, POLL_MAX = 1.25, 0.05  # while nothing changes, each pause grows by this factor, up to this
CONNECT_TIMEOUT = 10.0  # seconds a fresh worker process may take to reach the store
# count_primes(n) for every n the checks use (tests/test_jobs_checks.py verifies them with a sieve).
PRIMES_BELOW = {5000: 669, 20000: 2262, 30000: 3245, 100000: 9592, 120000: 11301, 150000: 13848, 200000: 17984,
                300000: 25997}
SHAPE = _('200 with JSON like {example}, where status is one of queued, running, done or failed, result '
          'is count_primes(n) once done (else null) and error is the error text of a failed job (else null)',
          example='{"id": 7, "status": "done", "result": 9592, "error": null}')
POSTED = _('POST /jobs with a JSON body like {body} to answer 202 with JSON like {answer}, at once',
           body='{"n": 100000}', answer='{"id": 7}')


class Broken(ContractError):
    """What the grader saw of a job breaks a rule the check relies on; the message is the feedback.

    A ContractError, so that the runner turns it into the check's failing verdict wherever it is
    raised."""

    def __init__(self, feedback: Text):
        self.feedback = feedback
        Exception.__init__(self, str(feedback))


@dataclass
class Job:
    """One posted job and everything the grader saw of it: (seconds since posting, web, status)."""

    id: object
    n: int
    posted_on: str
    posted_at: float
    history: list[tuple[float, str, str]] = field(default_factory=list)
    result: object = None
    error: object = None
    latency: float = 0.0  # seconds the POST took

    @property
    def status(self) -> str:
        return self.history[-1][2] if self.history else "queued"

    @property
    def path(self) -> str:
        return f"/jobs/{self.id}"

    def went_back_to_queued(self) -> int:
        """How many times it was seen ``queued`` again after being seen ``running``."""
        statuses = [status for _at, _web, status in self.history]
        return sum(1 for before, now in zip(statuses, statuses[1:]) if before == "running" and now == "queued")

    def trail(self, limit: int = 6) -> Text:
        """The changes of status the grader saw: ``queued (web.1, 0.00 s) -> running (web.2, 0.03 s)``."""
        changes, last = [], None
        for at, web, status in self.history:
            if status != last:
                changes.append(f"{status} ({web}, {at:.2f} s)")  # the app's words, a name, a time
                last = status
        if len(changes) > limit:
            more = _("({count} more changes)", count=len(changes) - limit + 1)
            changes = changes[:2] + [more] + changes[-(limit - 3):]
        return Text(changes, " -> ")


class JobWatch:
    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.cluster = scenario.cluster
        self.jobs: list[Job] = []
        self._turn = scenario.seed

    # -- talking to the web processes -------------------------------------------------------
    def web(self) -> str:
        """The next web process to ask, in turn, starting where the seed says."""
        names = self.cluster.serving()
        self._turn += 1
        return names[self._turn % len(names)]

    def post(self, n, worker: str | None = None) -> Job:
        """POST /jobs {"n": n}; the Job, or ContractError unless the answer is 202 with an id."""
        worker = worker or self.web()
        started = time.monotonic()
        response = self.cluster.post("/jobs", {"n": n}, worker=worker)
        body = response.json()
        if response.status != 202 or not isinstance(body, dict) or not is_id(body.get("id")):
            raise ContractError(response, POSTED, self._incarnation(worker))
        job = Job(body["id"], n, worker, started, latency=response.latency)
        self.jobs.append(job)
        return job

    def read(self, job: Job, worker: str | None = None) -> str:
        """GET the job from one web process; its status, after checking the answer's shape."""
        worker = worker or self.web()
        response = self.cluster.get(job.path, worker=worker)
        body = response.json()
        if response.status == 404:
            raise Broken(unknown_elsewhere(job, worker, response))
        if isinstance(body, dict) and _reopened(job, body):
            raise Broken(went_back(job, worker, body))
        if response.status != 200 or not _follows_contract(body, job):
            raise ContractError(response, SHAPE, self._incarnation(worker))
        status = body["status"]
        if status == "done" and body["result"] != PRIMES_BELOW.get(job.n, body["result"]):
            expected = _("result to be count_primes({n}) = {count} once the job is done", n=job.n,
                         count=PRIMES_BELOW[job.n])
            raise ContractError(response, expected, self._incarnation(worker))
        job.history.append((time.monotonic() - job.posted_at, worker, status))
        job.result, job.error = body["result"], body["error"]
        return status

    def read_everywhere(self, job: Job) -> dict[str, str]:
        """The job's status as every web process tells it."""
        return {name: self.read(job, name) for name in self.cluster.serving()}

    # -- waiting ----------------------------------------------------------------------------
    def wait(self, condition, timeout: float, jobs: list[Job] | None = None, on_round=None) -> bool:
        """Read every job round after round until ``condition()`` holds; False if it still does not
        after ``timeout`` seconds, or once no worker process is left alive. ``jobs`` (default: all)
        are the ones whose changes of status make the rounds fast again; finished jobs are read
        too, so that one that goes back is seen."""
        deadline = time.monotonic() + timeout
        pause, before = POLL_INTERVAL, None
        while True:
            watched = jobs if jobs is not None else self.jobs
            for job in self.jobs:
                self.read(job)
            if on_round is not None:
                on_round()
            if condition():
                return True
            if time.monotonic() >= deadline or (self.workers() and not self.live_workers()):
                return False
            now = [job.status for job in watched]
            pause = POLL_INTERVAL if now != before else min(POLL_MAX, pause * POLL_BACKOFF)
            before = now
            self.cluster.bus.wait_for(lambda: bool(self.workers()) and not self.live_workers(),
                                      min(pause, max(0.0, deadline - time.monotonic())))

    def finish(self, jobs: list[Job], timeout: float, **options) -> bool:
        """Wait until every one of ``jobs`` is done or failed."""
        return self.wait(lambda: all(job.status in FINISHED for job in jobs), timeout, jobs, **options)

    def connected(self, timeout: float = CONNECT_TIMEOUT) -> bool:
        """Wait until every live worker process has connected to something (its store): a worker is
        ready to take jobs then. A worker that never connects is not an error here."""
        def ready() -> bool:
            tokens = {event.token for event in self.cluster.bus.events(Connection)}
            return all(incarnation.token in tokens or incarnation.exited for incarnation in self.live_workers())
        return self.cluster.bus.wait_for(ready, timeout)

    # -- the processes ----------------------------------------------------------------------
    def workers(self) -> list:
        """The current incarnation of every process of type ``worker``."""
        return [worker.current for worker in self.cluster.workers.values() if worker.kind == "worker"]

    def live_workers(self) -> list:
        return [incarnation for incarnation in self.workers() if not incarnation.exited]

    def died(self) -> list:
        """Worker incarnations that exited without the platform asking them to."""
        every = [incarnation for worker in [*self.cluster.workers.values(), *self.cluster.retired]
                 if worker.kind == "worker" for incarnation in worker.incarnations]
        return [incarnation for incarnation in every if incarnation.exited and not incarnation.stop_requested]

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each current process (with its children), by name."""
        current = {name: worker.current for name, worker in self.cluster.workers.items()}
        used = cpu_seconds([incarnation.pid for incarnation in current.values()])
        return {name: used[incarnation.pid] for name, incarnation in current.items()}

    def _incarnation(self, name: str):
        return self.cluster.workers[name].current


def unknown_elsewhere(job: Job, worker: str, response) -> Text:
    """Feedback for a job that one web process accepted and another does not know."""
    return explain(
        _("The grader posted job {job} to {web} (POST /jobs), then read it back from the web processes "
          "(GET /jobs/<id>).", job=repr(job.id), web=job.posted_on),
        _("{web} accepted it, but {response}: {worker} does not know the job.", web=job.posted_on,
          response=response.describe(), worker=worker),
        _("So the job lives in the memory (or on the local disk) of the process that took it. A router "
          "may send the next request for it to any web process, and the worker processes cannot see it "
          "either. Factor VI: processes share nothing; the queue and the jobs belong in a backing service."),
        _("Keep the queue and every job's status, result and error in the backing store at REDIS_URL (or "
          "DATABASE_URL): it is the only thing the web processes and the worker processes share."))


def _reopened(job: Job, body: dict) -> bool:
    """True when a job seen finished reads otherwise, or reads unfinished with a result already."""
    if job.status in FINISHED:
        return body.get("status") != job.status or body.get("result") != job.result
    return body.get("status") in ("queued", "running") and body.get("result") is not None


def went_back(job: Job, worker: str, body: dict) -> Text:
    now = _("{status} with result {result}", status=repr(body.get("status")), result=repr(body.get("result")))
    before = (_("It was {status} (result {result}), and later {worker} said it was {now}.",
                status=repr(job.status), result=repr(job.result), worker=worker, now=now)
              if job.status in FINISHED else
              _("{worker} said it was {now}: it had a result already, so it had finished and was being run "
                "again.", worker=worker, now=now))
    return explain(
        _("The grader posted job {job} (n = {n}) and read its status from the web processes again and again.",
          job=repr(job.id), n=job.n),
        Text((before, _("What the grader saw: {trail}.", trail=job.trail())), " "),
        _("A finished job must stay finished: its result is recorded once. A job that is run a second "
          "time (because two workers took it, or a lost job was recovered although it had finished) "
          "must not overwrite or reopen a result that is already there."),
        _("Before a worker runs a job, and when it records the outcome, check that the job is not "
          "finished already, in one atomic step in the store (a transaction, a Lua script, or "
          "HSETNX/SET NX on a 'finished' marker)."))


def _follows_contract(body, job: Job) -> bool:
    if not isinstance(body, dict) or body.get("status") not in STATUSES:
        return False
    if str(body.get("id")) != str(job.id) or not {"result", "error"} <= body.keys():
        return False
    if body["status"] == "failed":
        return isinstance(body["error"], str) and body["error"] != "" and body["result"] is None
    if body["status"] == "done":
        return body["error"] is None and isinstance(body["result"], int) and not isinstance(body["result"], bool)
    return body["result"] is None and body["error"] is None
