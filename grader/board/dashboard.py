"""The live dashboard of one cluster: what runs, buttons for faults and routing, a log and a chart.

Updates follow the cluster's own events. Its listener only turns each event into a log line and
pokes a :class:`Coalescer`, so a burst of events causes one redraw; every button redraws once its
action is done. Nothing polls. A redraw reads the process table from the cluster and asks every
worker ``GET path`` for the chart, with ``log=False`` so that looking adds no traffic to the log.
"""
from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Callable

import ipywidgets as widgets

from ..errors import rendered
from ..platform.cluster import ClusterStopped
from ..platform.worker import BootFailed
from .coalesce import Coalescer
from .controls import Controls
from .model import LogLine, log_line, process_rows, text_table
from .view import Bars, Colours, as_text, log_html, message_html, table_html

DEBOUNCE = 0.1  # seconds from the first event of a batch to its redraw
LOG_LINES = 12
CHART_TIMEOUT = 2.0  # seconds a worker may take to answer the chart's request


class Dashboard:
    """A widget over a running cluster; display it (last expression of a cell) to see it.

    ``path`` and ``key`` choose the chart (``GET path`` on every worker, the JSON field ``key``);
    ``method`` is the preset for the send and burst buttons. Models worth reading in tests:
    ``rows`` (ProcessRow), ``lines`` (LogLine), ``chart.values``, ``message_text``.
    """

    def __init__(self, cluster, path: str = "/hits", key: str | None = None, *, method: str = "POST",
                 lines: int = LOG_LINES, debounce: float = DEBOUNCE):
        self.cluster = cluster
        self.colour = Colours()
        for name in list(cluster.workers):
            self.colour(name)
        self.controls = Controls(cluster, path, key, method)
        self.title, self.table, self.log = widgets.Label(), widgets.HTML(), widgets.HTML()
        self.message, self.chart_title, self.chart = widgets.HTML(), widgets.Label(), Bars()
        self.rows, self.lines, self.message_text, self.renders = [], [], "", 0
        self._journal: deque[LogLine] = deque(
            (log_line(response, cluster) for response in list(cluster.log)[-lines:]), maxlen=lines)
        self._lock, self._drawing, self._rendered = threading.Lock(), threading.Lock(), threading.Condition()
        self._coalescer = Coalescer(self.render, debounce)
        self._wire()
        self.widget = widgets.VBox([self.title, self.table, *self.controls.rows(), self.message,
                                    widgets.HBox([self.chart_title, self.controls.key]), self.chart,
                                    self.log])
        self.widget.add_class("f6-dashboard")  # a stable handle for styles and browser tests
        cluster.subscribe(self._hear)
        self.render()

    # -- events ------------------------------------------------------------------------------
    def _hear(self, record) -> None:
        """The cluster's listener: on the bus's or a request's thread, so it only notes and pokes."""
        line = log_line(record, self.cluster)
        if line is not None:
            with self._lock:
                self._journal.append(line)
        self._coalescer.poke()

    def render(self) -> None:
        """Redraw everything from the cluster's current state; safe from any thread."""
        with self._drawing:
            try:
                self._draw()
            except Exception as error:  # a drawing failure shows here, not in the kernel's log
                self._say(f"the dashboard could not redraw: {explain(error)}", error=True)
        with self._rendered:
            self.renders += 1
            self._rendered.notify_all()

    def wait_until(self, condition: Callable[["Dashboard"], bool], timeout: float = 5.0) -> bool:
        """Block until ``condition(self)`` holds after some redraw; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._rendered:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._rendered.wait(remaining)
        return True

    def _draw(self) -> None:
        cluster = self.cluster
        self.rows = process_rows(cluster, time.monotonic())
        with self._lock:
            self.lines = list(self._journal)
        self.table.value = table_html(self.rows, self.colour)
        self.log.value = log_html(self.lines, self.colour)
        self.controls.sync(cluster)
        self.title.value = self.headline()
        self._draw_chart()

    def _draw_chart(self) -> None:
        path, key = self.controls.path.value, self.controls.key.value or None
        self.chart_title.value = f"GET {path}" + (f" → {key}" if key else "") + " on each worker:"
        if self.cluster.stopped:
            return  # keep the last answers on show
        try:
            values = self.cluster.read_all(path, key, log=False, timeout=CHART_TIMEOUT)
        except ClusterStopped:  # stopped while drawing
            return
        self.chart.show(values, self.colour)

    def headline(self) -> str:
        cluster = self.cluster
        if cluster.stopped:
            return "stopped: every process of this cluster has been stopped"
        return f"{len(cluster.serving())} web workers serving, {cluster.router.policy} routing"

    # -- buttons -----------------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.controls
        c.send.on_click(lambda _: self.run(f"sending {c.method.value} {c.path.value}", self._send))
        c.restart.on_click(lambda _: self.run(f"restarting {c.worker.value}", self._restart))
        c.crash.on_click(lambda _: self.run(f"crashing {c.worker.value}", self._crash))
        c.restart_all.on_click(lambda _: self.run("restarting every worker", self._restart_all))
        c.scale.on_click(lambda _: self.run(f"scaling web to {c.web_count.value}", self._scale))
        c.burst.on_click(lambda _: self.run(f"sending a burst of {c.burst_size.value}", self._burst))
        c.policy.observe(self._policy_chosen, names="value")
        for text in (c.path, c.key):
            text.continuous_update = False
            text.observe(lambda _: self._coalescer.poke(), names="value")

    def run(self, doing: str, action: Callable[[], str]) -> None:
        """Run one action: say what is happening, then its outcome or its error, then redraw."""
        self._say(f"{doing} ...", error=False)
        try:
            outcome, failed = action(), False
        except Exception as error:  # shown in the widget, never only in the kernel's log
            outcome, failed = explain(error), True
        self._say(outcome, error=failed)
        self.render()

    def _say(self, text: str, error: bool) -> None:
        self.message_text = text
        self.message.value = message_html(text, error)

    def _send(self) -> str:
        c = self.controls
        return self.cluster.request(c.method.value, c.path.value).describe()

    def _restart(self) -> str:
        name = self.controls.worker.value
        old, new = self._pid(name), self.cluster.restart(name)
        return f"restarted {name}: pid {old} got SIGTERM, pid {new.serving_pid or new.pid} serves now"

    def _crash(self) -> str:
        name = self.controls.worker.value
        old, new = self._pid(name), self.cluster.crash(name)
        return f"crashed {name}: pid {old} got SIGKILL, pid {new.serving_pid or new.pid} serves now"

    def _restart_all(self) -> str:
        self.cluster.restart_all()
        return "restarted every worker"

    def _scale(self) -> str:
        count = self.controls.web_count.value
        self.cluster.scale("web", count)
        return f"{count} web workers run"

    def _burst(self) -> str:
        c = self.controls
        replies = self.cluster.burst(c.method.value, c.path.value, c.burst_size.value)
        statuses = Counter("failed" if r.status is None else f"answered {r.status}" for r in replies)
        summary = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
        return f"burst of {len(replies)} × {c.method.value} {c.path.value}: {summary}"

    def _policy_chosen(self, change) -> None:
        if not self.controls.following:
            self.run(f"routing by {change['new']}", lambda: self._route(change["new"]))

    def _route(self, policy: str) -> str:
        self.cluster.set_routing(policy)
        return f"the router now sends requests by {policy}"

    def _pid(self, name: str) -> int | None:
        worker = self.cluster.workers.get(name)
        return worker and (worker.current.serving_pid or worker.current.pid)

    # -- display -----------------------------------------------------------------------------
    def to_text(self) -> str:
        """The process table, the chart's answers and the latest log lines, as plain text."""
        with self._lock:
            lines = list(self._journal)
        parts = [self.headline(), "", text_table(process_rows(self.cluster, time.monotonic()))]
        if self.chart.values:
            answers = ", ".join(f"{name} {as_text(value)}" for name, value in self.chart.values.items())
            parts += ["", f"{self.chart_title.value} {answers}"]
        parts += ["", "latest events:", *(f"  {line.text}" for line in lines or [LogLine("", "(none)")])]
        return "\n".join(parts)

    __str__ = to_text

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The live widget for front ends that have one; the text everywhere else."""
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = self.to_text()
        return bundle

    def close(self) -> None:
        """Stop following the cluster and take the widget off the page."""
        self.cluster.unsubscribe(self._hear)
        self._coalescer.close()
        _close_tree(self.widget)


def explain(error: BaseException) -> str:
    """An error in a line or two for the widget: a learner error's own message, else its type and text."""
    lines = rendered(error)
    if lines is not None:
        return "\n".join(lines)
    if isinstance(error, BootFailed):
        incarnation = error.incarnation
        return f"{incarnation.name} (pid {incarnation.pid}) {error.reason}"
    return f"{type(error).__name__}: {error}"


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
