"""The cluster a lesson holds: ``grader.launch`` and ``grader.start`` return a :class:`LiveCluster`.

It is the platform's own :class:`~grader.platform.cluster.Cluster` (same workers, same routing,
same faults) with the verbs a person uses on it in a notebook: compare what every worker answers,
send a burst, slow the store, change the routing, look into scratch space and memory, open the
dashboard. The platform builds it through ``Platform.cluster(kind=LiveCluster)``, so nothing below
this layer knows it exists.
"""
from __future__ import annotations

import contextlib
import threading

from ..harness.faults import BURST_CONCURRENCY, burst
from ..harness.memory import sampled
from ..i18n import _
from ..platform.cluster import Cluster
from ..platform.http import REQUEST_TIMEOUT, Response
from ..platform.routing import Router
from .address import public_url
from .frontdoor import FrontDoor

QUIET_WAIT = 5.0  # seconds an observer's read and a request may wait for each other, at most


class LiveCluster(Cluster):
    """A cluster as lessons use it: the platform's cluster plus what a person does to it in a notebook.

    Every method raises ClusterStopped once the cluster is closed.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._traffic_lock = threading.Condition()
        self._sending = 0  # logged requests under way
        self._observing = 0  # observers' reads under way

    def stop(self) -> None:
        """Stop this cluster and everything its run started (workers, store, fork server).

        For clusters from :func:`start`; inside ``with grader.launch(...)`` the block does it. Stopping
        twice is harmless.
        """
        if self.platform is not None:
            self.platform.close()
        else:
            self.close()

    def read_all(self, path: str = "/hits", key: str | None = None, *, log: bool = True,
                 timeout: float = REQUEST_TIMEOUT) -> dict[str, object]:
        """Ask every serving web worker by name, to compare what each one believes.

        Returns ``{worker name: parsed JSON body}`` in worker order (``body[key]`` when ``key`` is
        given); None where a worker did not answer JSON or its answer lacks ``key``. ``log`` and
        ``timeout`` (seconds) are as for ``request``.
        """
        self._ensure_running()
        with contextlib.nullcontext() if log else self._between_requests(timeout):
            answers: dict[str, object] = {}
            for name in self.serving():
                body = self.request("GET", path, worker=name, log=log, timeout=timeout).json()
                answers[name] = body if key is None else pick(body, key)
        return answers

    def request(self, method: str, path: str, payload=None, *, log: bool = True, **options) -> Response:
        """As the platform's ``Cluster.request``; a logged request waits while an observer's unlogged
        reads are under way (see :meth:`_between_requests`)."""
        if not log:
            return super().request(method, path, payload, log=log, **options)
        with self._traffic_lock:
            self._traffic_lock.wait_for(lambda: not self._observing, QUIET_WAIT)
            self._sending += 1
        try:
            return super().request(method, path, payload, log=log, **options)
        finally:
            with self._traffic_lock:
                self._sending -= 1
                self._traffic_lock.notify_all()

    @contextlib.contextmanager
    def _between_requests(self, timeout: float):
        """An observer (the dashboard's chart) reads only between the lesson's own requests, never
        during one: an app whose every request rewrites the session (Flask-Session renews it) would
        otherwise lose the update of a request that overlapped a read. Each wait is bounded."""
        with self._traffic_lock:
            self._traffic_lock.wait_for(lambda: not self._sending, min(timeout, QUIET_WAIT))
            self._observing += 1
        try:
            yield
        finally:
            with self._traffic_lock:
                self._observing -= 1
                self._traffic_lock.notify_all()

    def burst(self, method: str, path: str, count: int, payload=None,
              concurrency: int = BURST_CONCURRENCY) -> list[Response]:
        """Send ``count`` identical requests from ``concurrency`` clients at once, routed as usual.

        Requests that overlap on different workers are what expose lost updates. Returns the
        responses in the order they were submitted. Raises ValueError for a negative count or
        fewer than one client.
        """
        from ..harness.faults import burst  # faults builds on the cluster, which imports this module
        self._ensure_running()
        if count < 0 or concurrency < 1:
            raise ValueError(_("a burst needs count >= 0 and concurrency >= 1, not {count} and {concurrency}",
                               count=count, concurrency=concurrency))
        return burst(self, method, path, count, payload, concurrency)

    def set_store_latency(self, seconds: float) -> None:
        """Delay every round trip between the workers and the private Redis by ``seconds``.

        A store a millisecond away, as in production, widens the gap a read-then-write race needs.
        It applies to the whole platform (every cluster it runs) and does nothing for an external
        Redis. Raises ValueError for a negative delay.
        """
        self._ensure_running()
        if seconds < 0:
            raise ValueError(_("a latency is a duration in seconds and cannot be negative, not {seconds}",
                               seconds=seconds))
        if self.platform is None:
            raise RuntimeError(_("this cluster runs without a platform, so it has no store to slow down"))
        self.platform.set_store_latency(seconds)

    @contextlib.contextmanager
    def store_latency(self, seconds: float):
        """``with cluster.store_latency(0.002):`` a slow store inside the block, none after it."""
        self.set_store_latency(seconds)
        try:
            yield self
        finally:
            if not self.stopped:
                self.platform.set_store_latency(0.0)

    def set_routing(self, policy: str, seed: int = 0) -> None:
        """Route the next requests by ``policy`` (one of grader.platform.routing.POLICIES); ``seed`` fixes
        the choices of ``random``. Raises ValueError for an unknown policy."""
        self._ensure_running()
        self.router = Router(policy, seed)

    def scratch_files(self) -> dict[str, list[str]]:
        """What each serving web worker holds in its scratch space right now: ``{worker: [paths]}``,
        paths as the worker names them (``$TMPDIR/x.csv``, and ``/tmp/y`` when it has its own /tmp)."""
        self._ensure_running()
        found = {}
        for name in self.serving():
            incarnation = self.workers[name].current
            found[name] = incarnation.sandbox.leftover_scratch(bool(incarnation.private_tmp))
        return found

    def watch_memory(self, name: str, interval: float = 0.005):
        """``with cluster.watch_memory("web.1") as samples:`` records the resident memory of the
        process that serves ``name``'s requests every ``interval`` seconds while the block runs
        (:class:`grader.harness.memory.Samples`: ``seconds`` and ``rss`` in bytes). Raises UnknownWorker."""
        from ..harness.memory import sampled
        incarnation = self._worker(name).current
        return sampled(incarnation.serving_pid or incarnation.pid, interval)

    def open(self, path: str = "/") -> "Address":
        """One address for the whole cluster, to open in a browser: a front door that routes every
        request as the cluster does (started the first time, closed with the cluster). Shows as a
        link in a notebook; ``str()`` gives the URL, proxied when Jupyter runs remotely
        (:mod:`grader.live.address`)."""
        self._ensure_running()
        if getattr(self, "_door", None) is None:
            self._door = FrontDoor(self)
        return Address(public_url(self._door.port, path))

    def close(self) -> None:
        door, self._door = getattr(self, "_door", None), None
        if door is not None:
            door.close()
        super().close()

    def dashboard(self, path: str = "/hits", key: str | None = None, **options):
        """A live widget of this cluster: its processes, fault buttons, the request log and a chart
        of what every worker answers to ``GET path`` (its ``key`` field, if given).

        Options are those of :class:`grader.board.Dashboard`. Outside a live front end it shows as
        a plain-text table.
        """
        from ..board import Dashboard
        return Dashboard(self, path, key, **options)


def pick(body, key: str):
    """``body[key]`` for a JSON object that has it, else None."""
    return body.get(key) if isinstance(body, dict) else None


class Address(str):
    """A URL that a notebook shows as a link opening in a new tab."""

    def _repr_html_(self) -> str:
        from html import escape
        return f'<a href="{escape(self)}" target="_blank" rel="noopener">{escape(self)}</a>'
