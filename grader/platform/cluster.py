"""A running app: named workers per process type, a router in front, and a log of every request.

The cluster is the platform's dyno manager for one scenario. It starts workers through the fork
server, sends requests to the serving ones by the routing policy, and records what happened. Its
listeners (the dashboard) hear every lifecycle event, every logged request and every stop it begins.

It is also the public face of a demo in a notebook: ``read_all``, ``burst``, ``store_latency`` and
``dashboard`` are what lessons call, and every action on a stopped cluster raises ClusterStopped.
"""
from __future__ import annotations

import contextlib
import itertools
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

from ..errors import BadInput, LearnerError
from ..i18n import N_, _
from .events import EventBus
from .http import REQUEST_TIMEOUT, Client, Response, send
from .proctree import signal_tree
from .routing import Router
from .worker import Incarnation, Worker

GRACEFUL_TIMEOUT = 3.0
STOPPED_MESSAGE = N_("this cluster was stopped; run the cell that launches it again")
STOP_REASONS = ("restart", "crash", "restart_all", "scale", "close")


class OutOfTime(Exception):
    """The scenario's time budget ran out before its next request could be sent."""


class ClusterStopped(LearnerError, RuntimeError):
    """An action was asked of a cluster whose processes have all been stopped."""

    def __init__(self) -> None:
        super().__init__(_(STOPPED_MESSAGE))


class UnknownWorker(LearnerError, KeyError):
    """A worker name the cluster does not run (a KeyError, as a missing key in ``workers`` was)."""

    def __str__(self) -> str:
        return self.args[0]


class MissingProcessType(BadInput, ValueError):
    """Processes of a type the app's Procfile does not declare were asked for. The app cannot be
    graded as it stands (BadInput: one line for the learner), and it is still a ValueError."""

    def __init__(self, kind: str, declared) -> None:
        line = f"{kind}: python {kind}.py"
        super().__init__(_("this needs {kind} processes, but the app's Procfile declares only {declared}. Add a "
                           "line for them to the Procfile, such as `{line}`.", kind=kind,
                           declared=", ".join(declared), line=line))


@dataclass(frozen=True)
class Stopping:
    """The cluster began stopping one process; ``reason`` is one of STOP_REASONS."""

    token: str
    worker: str
    pid: int | None
    reason: str


@dataclass(frozen=True)
class Closed:
    """The cluster stopped every process it ran and accepts no more actions."""


class Cluster:
    def __init__(self, bus: EventBus, launch: Callable[[Worker, int], Incarnation], router: Router,
                 process_types: dict[str, list[str]], boot_timeout: float,
                 env: dict[str, str] | None = None, platform=None):
        self.bus = bus
        self.env = env or {}  # what the workers were given: DATABASE_URL, REDIS_URL, ...
        self.platform = platform  # the platform that runs it, for faults beyond the workers
        self.release = None  # the release new workers start from (set by the platform; see deploy)
        self.router = router
        self.process_types = process_types
        self.boot_timeout = boot_timeout
        self._launch = launch
        self.workers: dict[str, Worker] = {}
        self.retired: list[Worker] = []  # scaled away, kept so their last incarnations stay visible
        self.log: list[Response] = []
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.default_client = Client()
        self.deadline: float | None = None  # time.monotonic() after which no request is sent
        # For a check that needs them: arguments added to every web worker's gunicorn command from
        # its next start (``--threads 4``), and servers the grader runs for the app to reach.
        self.gunicorn_args: tuple[str, ...] = ()
        self.grader_endpoints: set[tuple[str, int]] = set()  # (host, port)
        # Each process's memory quota and hard limit in bytes, from its next start; None: the platform's.
        self.memory_quota: int | None = None
        self.memory_limit: int | None = None
        self._requests = itertools.count(1)
        self._listeners: list[Callable[[object], None]] = []
        self._stop_reasons: dict[str, str] = {}  # incarnation token -> why the cluster stopped it
        self._stopped = False

    # -- observation -------------------------------------------------------------------------
    @property
    def stopped(self) -> bool:
        """True once ``close`` began: every process is (being) killed and no action is accepted."""
        return self._stopped

    def subscribe(self, listener: Callable[[object], None]) -> None:
        """Call ``listener(record)`` for every event of this cluster.

        The records are the processes' lifecycle events from the bus (Spawned, Ready, Exited, ...),
        each logged Response, a Stopping before the cluster stops a process and Closed at the end.
        Listeners run on whichever thread made the event (the bus's, a request's) and must return
        quickly; an exception in one is swallowed so that it can never stop the bus or a request.
        """
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[object], None]) -> None:
        """Stop calling ``listener``; one that was never subscribed is ignored."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def notify(self, record) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                pass

    def stop_reason(self, incarnation: Incarnation) -> str | None:
        """Why the cluster stopped this incarnation (one of STOP_REASONS), or None if it did not."""
        return self._stop_reasons.get(incarnation.token)

    def _stopping(self, worker: Worker, incarnation: Incarnation, reason: str) -> None:
        self._stop_reasons.setdefault(incarnation.token, reason)
        self.notify(Stopping(incarnation.token, worker.name, incarnation.serving_pid or incarnation.pid, reason))

    def _ensure_running(self) -> None:
        if self._stopped:
            raise ClusterStopped()

    def _worker(self, name: str) -> Worker:
        self._ensure_running()
        if name not in self.workers:
            if not self.workers:
                raise UnknownWorker(_("there is no worker {name}; this cluster runs no worker", name=repr(name)))
            raise UnknownWorker(_("there is no worker {name}; this cluster runs {running}", name=repr(name),
                                  running=", ".join(self.workers)))
        return self.workers[name]

    # -- supervision -------------------------------------------------------------------------
    def scale(self, kind: str, count: int) -> None:
        """Start or stop workers of one type until exactly ``count`` run (new ones wait until ready).

        Raises ValueError for a negative count or a type the Procfile lacks, ClusterStopped when closed.
        """
        self._ensure_running()
        if count < 0:
            raise ValueError(_("cannot run {count} {kind} processes; the count must be 0 or more", count=count,
                               kind=kind))
        names = [name for name, worker in self.workers.items() if worker.kind == kind]
        for name in names[count:]:
            worker = self.workers.pop(name)
            self.retired.append(worker)
            self._stopping(worker, worker.current, "scale")
            worker.stop(worker.current)
        self.order({kind: count})
        self.wait_ready()

    def order(self, counts: dict[str, int]) -> None:
        """Ask for every missing process at once without waiting, so boots overlap with other work."""
        self._ensure_running()
        for kind, count in counts.items():
            if kind not in self.process_types:
                raise MissingProcessType(kind, self.process_types)
            for index in range(1, count + 1):
                name = f"{kind}.{index}"
                if name not in self.workers:
                    self.workers[name] = self._rehire(name) or \
                        Worker(name, kind, self.bus, self._launch, GRACEFUL_TIMEOUT)
                    self.workers[name].begin()

    def _rehire(self, name: str) -> Worker | None:
        """A worker scaled away comes back as itself, so its incarnations keep counting (and their
        tokens stay unique)."""
        for worker in self.retired:
            if worker.name == name:
                self.retired.remove(worker)
                return worker
        return None

    def wait_ready(self) -> None:
        """Block until every ordered process is ready; BootFailed names the first that is not."""
        for worker in self.workers.values():
            if worker.current.ready_at is None:
                worker.wait_ready(worker.current, self.boot_timeout)

    def restart(self, name: str, *, overlap: bool | None = None) -> Incarnation:
        """Deploy-style restart: SIGTERM the old process, boot a fresh one, return when it serves.

        ``overlap`` says whether the fresh process starts while the old one is still draining. By
        default (None) only a web process overlaps: a process of any other type is gone before its
        successor starts, so two processes never share one name (``DYNO``). ``overlap=True`` starts
        any process's successor at once, under the same name, as Heroku may: during a deploy or a
        restart two running dynos can have the same ``$DYNO``. A check uses it to show that a worker
        must not trust that what is recorded under its name was left by a predecessor that is dead.
        The old process's stop (TERM, grace, KILL) then finishes on a background thread; ``settle``
        waits for it. Raises UnknownWorker, ClusterStopped, or BootFailed when the fresh process
        does not boot.
        """
        worker = self._worker(name)
        overlap = worker.kind == "web" if overlap is None else overlap
        self._stopping(worker, worker.current, "restart")
        worker.stop(worker.current, wait=not overlap)
        incarnation = worker.begin()
        worker.wait_ready(incarnation, self.boot_timeout)
        return incarnation

    def crash(self, name: str) -> Incarnation:
        """SIGKILL a worker (no chance to clean up), then let the platform start it again.

        Raises UnknownWorker, ClusterStopped, or BootFailed when the fresh process does not boot.
        """
        worker = self._worker(name)
        self._stopping(worker, worker.current, "crash")
        worker.kill(worker.current)
        incarnation = worker.begin()
        worker.wait_ready(incarnation, self.boot_timeout)
        return incarnation

    def restart_all(self) -> None:
        """Every worker at once, as a new release or the daily restart does (a non-web process's
        successor starts once it is gone, as in ``restart``)."""
        self._ensure_running()
        fresh, draining = [], []
        for worker in self.workers.values():
            self._stopping(worker, worker.current, "restart_all")
            worker.stop(worker.current, wait=False)
            if worker.kind == "web":
                fresh.append((worker, worker.begin()))
            else:
                draining.append(worker)
        for worker in draining:
            worker.join_background()
            fresh.append((worker, worker.begin()))
        for worker, incarnation in fresh:
            worker.wait_ready(incarnation, self.boot_timeout)

    def set_config(self, **settings) -> None:
        """Change config vars (``SESSION_TTL=2``) and restart every worker with them, as
        ``heroku config:set`` does: a process reads its environment once, when it starts.

        Raises ClusterStopped, or BootFailed when a fresh process does not boot.
        """
        self._ensure_running()
        self.env.update({name: str(value) for name, value in settings.items()})
        self.restart_all()

    def deploy(self, changes: dict | None = None, *, release=None):
        """Roll every worker onto a new release, one at a time, as a deploy does; return the release.

        The release is ``release`` when given (built by ``platform.rebuild``), else a new build of
        this cluster's files with ``changes`` (relative path -> new text or bytes, None to delete).
        Each worker restarts from it and serves again before the next one stops. Raises
        ClusterStopped, BuildFailed when the build fails, or BootFailed when a worker does not boot.
        """
        self._ensure_running()
        if release is None:
            release = self.platform.rebuild(changes, base=self.release)
        self.release = release
        self.process_types = release.process_types
        for name in list(self.workers):
            self.restart(name)
        return release

    def settle(self) -> None:
        """Wait until every process being stopped has exited (each wait is bounded)."""
        for worker in [*self.workers.values(), *self.retired]:
            worker.join_background()

    def close(self) -> None:
        """SIGKILL every incarnation still alive and wait for each exit report; later calls do nothing."""
        if self._stopped:
            return
        self._stopped = True
        doomed = [(worker, incarnation) for worker in [*self.workers.values(), *self.retired]
                  for incarnation in worker.incarnations if incarnation.exit_code is None]
        for worker, incarnation in doomed:  # signal them all first, so they die in parallel
            self._stopping(worker, incarnation, "close")
            incarnation.stop_requested = True
            if incarnation.pid is not None:  # its whole tree: a child in a group of its own too
                signal_tree(incarnation.pid, signal.SIGKILL)
        for worker, incarnation in doomed:
            worker.kill(incarnation)
        self.settle()
        self.notify(Closed())

    # -- traffic -----------------------------------------------------------------------------
    def serving(self, kind: str = "web") -> list[str]:
        """Names of the workers of ``kind`` the router may use, in order (safe from any thread)."""
        return [name for name, worker in list(self.workers.items()) if worker.kind == kind and worker.serving]

    def request(self, method: str, path: str, payload=None, *, worker: str | None = None,
                client: Client | None = None, log: bool = True, timeout: float = REQUEST_TIMEOUT) -> Response:
        """Send one request, to ``worker`` if named, else to the one the router picks.

        ``timeout`` (seconds) bounds the wait for the answer; a failed connection is a Response with
        status None, not an exception. With ``log=False`` the request is neither logged nor told to
        listeners (an observer's reads must not look like traffic). Raises ClusterStopped,
        UnknownWorker, LookupError when no worker is serving, OutOfTime past the cluster's deadline.
        """
        self._ensure_running()
        client = client or self.default_client
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise OutOfTime(f"{method} {path}")
        name = self._worker(worker).name if worker else self.router.choose(self.serving(), client.name)
        incarnation = self.workers[name].current
        with self._lock:
            seq = next(self._seq) if log else 0
        memory, ticket = incarnation.memory, next(self._requests)
        if memory is not None:  # what it was serving, should it be stopped for its memory meanwhile
            memory.in_flight[ticket] = f"{method} {path}"
        try:
            response = send(seq, name, incarnation.serving_pid or incarnation.pid, incarnation.port,
                            method, path, payload, client.cookies, timeout)
        finally:
            if memory is not None:
                memory.last = memory.in_flight.pop(ticket, memory.last)
        if log:
            with self._lock:
                self.log.append(response)
            self.notify(response)
        if response.status is None and self.deadline is not None and time.monotonic() >= self.deadline:
            raise OutOfTime(f"{method} {path}")  # cut short by the budget, not by the app
        return response

    def get(self, path: str, **options) -> Response:
        return self.request("GET", path, **options)

    def post(self, path: str, payload=None, **options) -> Response:
        return self.request("POST", path, payload, **options)

    def incarnation(self, token: str) -> Incarnation | None:
        for worker in [*self.workers.values(), *self.retired]:
            for incarnation in worker.incarnations:
                if incarnation.token == token:
                    return incarnation
        return None
