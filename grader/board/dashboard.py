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
from ..i18n import N_, Message, Text, _, _n, choose, render, translate
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
    ``method`` is the preset for the send and burst buttons; ``lang`` the language of its labels and
    messages ("en" or "el"; by default the one the locale variables name). Models worth reading in
    tests: ``rows`` (ProcessRow), ``lines`` (LogLine), ``chart.values``, ``message_text``.
    """

    def __init__(self, cluster, path: str = "/hits", key: str | None = None, *, method: str = "POST",
                 lines: int = LOG_LINES, debounce: float = DEBOUNCE, lang: str | None = None):
        self.cluster = cluster
        self.lang = choose(lang)
        self.colour = Colours()
        for name in list(cluster.workers):
            self.colour(name)
        self.controls = Controls(cluster, path, key, method, self.lang)
        self.title, self.table, self.log = widgets.Label(), widgets.HTML(), widgets.HTML()
        self.message, self.chart_title, self.chart = widgets.HTML(), widgets.Label(), Bars()
        self.rows, self.lines, self.message_text, self.renders = [], [], "", 0
        self._chart_heading: Message | None = None  # what the chart's answers answer, once drawn
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
                self._say(_("the dashboard could not redraw: {error}", error=explain(error, self.lang)), error=True)
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
        self.table.value = table_html(self.rows, self.colour, self.lang)
        self.log.value = log_html(self.lines, self.colour, self.lang)
        self.controls.sync(cluster)
        self.title.value = self.headline()
        self._draw_chart()

    def _draw_chart(self) -> None:
        path, key = self.controls.path.value, self.controls.key.value or None
        self._chart_heading = _("GET {path} → {key} on each worker:", path=path, key=key) if key else \
            _("GET {path} on each worker:", path=path)
        self.chart_title.value = self._chart_heading.render(self.lang)
        if self.cluster.stopped:
            return  # keep the last answers on show
        try:
            values = self.cluster.read_all(path, key, log=False, timeout=CHART_TIMEOUT)
        except ClusterStopped:  # stopped while drawing
            return
        self.chart.show(values, self.colour)

    def headline(self, lang: str | None = None) -> str:
        """The title line, in ``lang`` (by default the dashboard's own language)."""
        cluster = self.cluster
        if cluster.stopped:
            said = _("stopped: every process of this cluster has been stopped")
        else:
            # The English says "workers" whatever the count; other languages may choose the form.
            count = len(cluster.serving())
            said = _n("{count} web workers serving, {policy} routing", "{count} web workers serving, {policy} routing",
                      count, policy=cluster.router.policy)
        return said.render(lang or self.lang)

    # -- buttons -----------------------------------------------------------------------------
    def _wire(self) -> None:
        c = self.controls
        c.send.on_click(lambda _button: self.run(
            _("sending {method} {path}", method=c.method.value, path=c.path.value), self._send))
        c.restart.on_click(lambda _button: self.run(_("restarting {worker}", worker=c.worker.value), self._restart))
        c.crash.on_click(lambda _button: self.run(_("crashing {worker}", worker=c.worker.value), self._crash))
        c.restart_all.on_click(lambda _button: self.run(_("restarting every worker"), self._restart_all))
        c.scale.on_click(lambda _button: self.run(_("scaling web to {count}", count=c.web_count.value), self._scale))
        c.burst.on_click(lambda _button: self.run(
            _("sending a burst of {count}", count=c.burst_size.value), self._burst))
        c.policy.observe(self._policy_chosen, names="value")
        for text in (c.path, c.key):
            text.continuous_update = False
            text.observe(lambda _change: self._coalescer.poke(), names="value")

    def run(self, doing: str, action: Callable[[], str]) -> None:
        """Run one action: say what is happening, then its outcome or its error, then redraw.
        ``doing`` and the action's outcome are messages (grader.i18n), said in the dashboard's language."""
        self._say(Text((doing, "..."), " "), error=False)
        try:
            outcome, failed = action(), False
        except Exception as error:  # shown in the widget, never only in the kernel's log
            outcome, failed = explain(error, self.lang), True
        self._say(outcome, error=failed)
        self.render()

    def _say(self, text: str, error: bool) -> None:
        self.message_text = render(text, self.lang)
        self.message.value = message_html(self.message_text, error)

    def _send(self) -> str:
        c = self.controls
        return self.cluster.request(c.method.value, c.path.value).describe()

    def _restart(self) -> str:
        name = self.controls.worker.value
        old, new = self._pid(name), self.cluster.restart(name)
        return _("restarted {worker}: pid {old} got SIGTERM, pid {new} serves now", worker=name, old=old,
                 new=new.serving_pid or new.pid)

    def _crash(self) -> str:
        name = self.controls.worker.value
        old, new = self._pid(name), self.cluster.crash(name)
        return _("crashed {worker}: pid {old} got SIGKILL, pid {new} serves now", worker=name, old=old,
                 new=new.serving_pid or new.pid)

    def _restart_all(self) -> str:
        self.cluster.restart_all()
        return _("restarted every worker")

    def _scale(self) -> str:
        count = self.controls.web_count.value
        self.cluster.scale("web", count)
        # The English says "workers" whatever the count; other languages may choose the form.
        return _n("{count} web workers run", "{count} web workers run", count)

    def _burst(self) -> str:
        c = self.controls
        replies = self.cluster.burst(c.method.value, c.path.value, c.burst_size.value)
        # Counted by the English words, so that the summary lists them in the same order in every language.
        statuses = Counter("failed" if r.status is None else f"answered {r.status}" for r in replies)
        codes = {f"answered {r.status}": r.status for r in replies if r.status is not None}
        summary = Text([_n("{count} failed", "{count} failed", count) if status == "failed" else
                        _n("{count} answered {status}", "{count} answered {status}", count, status=codes[status])
                        for status, count in sorted(statuses.items())], ", ")
        return _("burst of {count} × {method} {path}: {summary}", count=len(replies), method=c.method.value,
                 path=c.path.value, summary=summary)

    def _policy_chosen(self, change) -> None:
        if not self.controls.following:
            self.run(_("routing by {policy}", policy=change["new"]), lambda: self._route(change["new"]))

    def _route(self, policy: str) -> str:
        self.cluster.set_routing(policy)
        return _("the router now sends requests by {policy}", policy=policy)

    def _pid(self, name: str) -> int | None:
        worker = self.cluster.workers.get(name)
        return worker and (worker.current.serving_pid or worker.current.pid)

    # -- display -----------------------------------------------------------------------------
    def to_text(self, lang: str | None = None) -> str:
        """The process table, the chart's answers and the latest log lines, as plain text in ``lang``
        (by default the dashboard's own language)."""
        lang = self.lang if lang is None else choose(lang)
        with self._lock:
            lines = list(self._journal)
        parts = [self.headline(lang), "", text_table(process_rows(self.cluster, time.monotonic()), lang)]
        if self.chart.values:
            answers = ", ".join(f"{name} {as_text(value)}" for name, value in self.chart.values.items())
            parts += ["", f"{render(self._chart_heading, lang)} {answers}"]
        lines = lines or [LogLine("", N_("(none)"))]
        parts += ["", translate(N_("latest events:"), lang), *(f"  {render(line.text, lang)}" for line in lines)]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

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


def explain(error: BaseException, lang: str = "en") -> str:
    """An error in a line or two for the widget, in ``lang``: a learner error's own message (as a
    notebook shows it), else its type and text."""
    said = _said(error, lang)
    lines = rendered(error)
    if lines is not None:  # an error that shows as its message alone in a notebook (grader.errors)
        return "\n".join(lines if said is None else f"{getattr(error, 'prefix', '')}{said}".splitlines())
    if isinstance(error, BootFailed):
        incarnation = error.incarnation
        return _("{name} (pid {pid}) {reason}", name=incarnation.name, pid=incarnation.pid,
                 reason=error.reason).render(lang)
    return f"{type(error).__name__}: {error if said is None else said}"


def _said(error: BaseException, lang: str) -> str | None:
    """The error's own text in ``lang`` when it carries a message (grader.i18n), else None."""
    if len(error.args) == 1 and isinstance(error.args[0], (Message, Text)):
        return error.args[0].render(lang)
    return None


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
