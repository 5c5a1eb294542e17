"""A running app: named workers per process type, a router in front, and a log of every request.

The cluster is the platform's dyno manager for one scenario. It starts workers through the fork
server, sends requests to the serving ones by the routing policy, and records what happened.
"""
from __future__ import annotations

import itertools
import signal
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Callable

from .events import EventBus
from .http import REQUEST_TIMEOUT, Response, send
from .processes import signal_group
from .routing import Router
from .worker import Incarnation, Worker

GRACEFUL_TIMEOUT = 3.0


class OutOfTime(Exception):
    """The scenario's time budget ran out before its next request could be sent."""


@dataclass
class Client:
    """One user agent: a name for sticky routing and its own cookie jar."""

    name: str = "default"
    cookies: SimpleCookie = field(default_factory=SimpleCookie)


class Cluster:
    def __init__(self, bus: EventBus, launch: Callable[[Worker, int], Incarnation], router: Router,
                 process_types: dict[str, list[str]], boot_timeout: float,
                 env: dict[str, str] | None = None, platform=None):
        self.bus = bus
        self.env = env or {}  # what the workers were given: DATABASE_URL, REDIS_URL, ...
        self.platform = platform  # the platform that runs it, for faults beyond the workers
        self.router = router
        self.process_types = process_types
        self.boot_timeout = boot_timeout
        self._launch = launch
        self.workers: dict[str, Worker] = {}
        self.log: list[Response] = []
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.default_client = Client()
        self.deadline: float | None = None  # time.monotonic() after which no request is sent
        self._listeners: list[Callable[[object], None]] = []

    # -- observation -------------------------------------------------------------------------
    def subscribe(self, listener: Callable[[object], None]) -> None:
        """Call ``listener(record)`` for every lifecycle event of this cluster's processes.

        Listeners run on the event bus's thread and must return quickly; an exception in one is
        swallowed so that it can never stop the bus.
        """
        self._listeners.append(listener)

    def notify(self, record) -> None:
        for listener in list(self._listeners):
            try:
                listener(record)
            except Exception:
                pass

    # -- supervision -------------------------------------------------------------------------
    def scale(self, kind: str, count: int) -> None:
        """Start or stop workers of one type until exactly ``count`` run (new ones wait until ready)."""
        names = [name for name, worker in self.workers.items() if worker.kind == kind]
        for name in names[count:]:
            worker = self.workers.pop(name)
            worker.stop(worker.current)
        self.order({kind: count})
        self.wait_ready()

    def order(self, counts: dict[str, int]) -> None:
        """Ask for every missing process at once without waiting, so boots overlap with other work."""
        for kind, count in counts.items():
            if kind not in self.process_types:
                raise ValueError(f"the Procfile has no process type {kind!r}")
            for index in range(1, count + 1):
                name = f"{kind}.{index}"
                if name not in self.workers:
                    self.workers[name] = Worker(name, kind, self.bus, self._launch, GRACEFUL_TIMEOUT)
                    self.workers[name].begin()

    def wait_ready(self) -> None:
        """Block until every ordered process is ready; BootFailed names the first that is not."""
        for worker in self.workers.values():
            if worker.current.ready_at is None:
                worker.wait_ready(worker.current, self.boot_timeout)

    def restart(self, name: str) -> Incarnation:
        """Deploy-style restart: SIGTERM the old process, boot a fresh one, return when it serves."""
        worker = self.workers[name]
        worker.stop(worker.current, wait=False)
        incarnation = worker.begin()
        worker.wait_ready(incarnation, self.boot_timeout)
        return incarnation

    def crash(self, name: str) -> Incarnation:
        """SIGKILL a worker (no chance to clean up), then let the platform start it again."""
        worker = self.workers[name]
        worker.kill(worker.current)
        incarnation = worker.begin()
        worker.wait_ready(incarnation, self.boot_timeout)
        return incarnation

    def restart_all(self) -> None:
        """Every worker at once, as a new release or the daily restart does."""
        fresh = []
        for worker in self.workers.values():
            worker.stop(worker.current, wait=False)
            fresh.append((worker, worker.begin()))
        for worker, incarnation in fresh:
            worker.wait_ready(incarnation, self.boot_timeout)

    def settle(self) -> None:
        """Wait until every process being stopped has exited (each wait is bounded)."""
        for worker in self.workers.values():
            worker.join_background()

    def close(self) -> None:
        """SIGKILL every incarnation still alive and wait for each exit report."""
        doomed = [(worker, incarnation) for worker in self.workers.values()
                  for incarnation in worker.incarnations if incarnation.exit_code is None]
        for _, incarnation in doomed:  # signal them all first, so they die in parallel
            incarnation.stop_requested = True
            if incarnation.pid is not None:
                signal_group(incarnation.pid, signal.SIGKILL)
        for worker, incarnation in doomed:
            worker.kill(incarnation)
        for worker in self.workers.values():
            worker.join_background()

    # -- traffic -----------------------------------------------------------------------------
    def serving(self, kind: str = "web") -> list[str]:
        return [name for name, worker in self.workers.items() if worker.kind == kind and worker.serving]

    def request(self, method: str, path: str, payload=None, *, worker: str | None = None,
                client: Client | None = None) -> Response:
        """Send one request, to ``worker`` if named, else to the one the router picks."""
        client = client or self.default_client
        timeout = REQUEST_TIMEOUT
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise OutOfTime(f"{method} {path}")
        name = worker or self.router.choose(self.serving(), client.name)
        incarnation = self.workers[name].current
        with self._lock:
            seq = next(self._seq)
        response = send(seq, name, incarnation.serving_pid or incarnation.pid, incarnation.port,
                        method, path, payload, client.cookies, timeout)
        with self._lock:
            self.log.append(response)
        if response.status is None and self.deadline is not None and time.monotonic() >= self.deadline:
            raise OutOfTime(f"{method} {path}")  # cut short by the budget, not by the app
        return response

    def get(self, path: str, **options) -> Response:
        return self.request("GET", path, **options)

    def post(self, path: str, payload=None, **options) -> Response:
        return self.request("POST", path, payload, **options)

    def incarnation(self, token: str) -> Incarnation | None:
        for worker in self.workers.values():
            for incarnation in worker.incarnations:
                if incarnation.token == token:
                    return incarnation
        return None
