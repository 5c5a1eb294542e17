"""What the dashboard shows, as plain records: one source for the widget and for the text view.

Rows are read from the cluster's own state (its workers and their incarnations), log lines are the
cluster's events put into words. Nothing here touches a widget.
"""
from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass

from ..i18n import N_, Text, _, translate
from ..platform.cluster import Closed, Stopping
from ..platform.events import Exited, Ready, Spawned
from ..platform.http import Response
from ..platform.processes import describe_status

BOOTING, READY, STOPPING, CRASHED, EXITED = "booting", "ready", "stopping", "crashed", "exited"
HISTORY = 1  # earlier incarnations listed under each worker's current one
COLUMNS = ("name", "#", "pid", "type", "state", "uptime", "served")
# The words shown for the columns and the states, by the identifiers above (translated when shown).
HEADINGS = {"name": N_("name"), "#": "#", "pid": "pid", "type": N_("type"), "state": N_("state"),
            "uptime": N_("uptime"), "served": N_("served")}
STATES = {BOOTING: N_("booting"), READY: N_("ready"), STOPPING: N_("stopping"), CRASHED: N_("crashed"),
          EXITED: N_("exited")}
STOP_WORDS = {"restart": N_("restart (SIGTERM)"), "crash": N_("crash (SIGKILL)"),
              "restart_all": N_("restart all (SIGTERM)"), "scale": N_("scaled away (SIGTERM)"),
              "close": N_("cluster stopped (SIGKILL)")}


@dataclass(frozen=True)
class ProcessRow:
    """One incarnation of a worker: ``uptime`` in seconds (None once exited), ``served`` requests."""

    name: str
    number: int
    pid: int | None
    kind: str
    state: str
    uptime: float | None
    served: int
    current: bool


@dataclass(frozen=True)
class LogLine:
    """One line of the dashboard's log; ``worker`` picks its colour ("" for the cluster itself).
    ``text`` is a message (grader.i18n), rendered in the dashboard's language when shown."""

    worker: str
    text: str
    request: bool = False


def state_of(incarnation, reason: str | None) -> str:
    """booting/ready/stopping while alive; crashed if SIGKILLed as a crash or it died unasked."""
    if incarnation.exit_code is None:
        if incarnation.stop_requested:
            return STOPPING
        return READY if incarnation.ready_at is not None else BOOTING
    if reason == "crash" or (reason is None and incarnation.exit_code != 0):
        return CRASHED
    return EXITED


def process_rows(cluster, now: float, history: int = HISTORY) -> list[ProcessRow]:
    """Every worker in order, its current incarnation first, then up to ``history`` earlier ones;
    then workers scaled away (their last incarnation only). ``now`` is time.monotonic()."""
    served = Counter((response.worker, response.pid) for response in list(cluster.log))
    rows = []
    for worker in list(cluster.workers.values()):
        incarnations = list(worker.incarnations)
        for incarnation in reversed(incarnations[-(history + 1):]):
            rows.append(_row(cluster, incarnation, incarnation is incarnations[-1], served, now))
    for worker in list(cluster.retired):
        rows.append(_row(cluster, worker.current, False, served, now))
    return rows


def _row(cluster, incarnation, current: bool, served: Counter, now: float) -> ProcessRow:
    pid = incarnation.serving_pid or incarnation.pid
    alive = incarnation.exit_code is None
    return ProcessRow(incarnation.name, incarnation.number, pid, incarnation.kind,
                      state_of(incarnation, cluster.stop_reason(incarnation)),
                      now - incarnation.started if alive else None,
                      served[(incarnation.name, pid)], current)


def headings(lang: str = "en") -> tuple[str, ...]:
    """The column titles in ``lang``."""
    return tuple(translate(HEADINGS[column], lang) for column in COLUMNS)


def cells(row: ProcessRow, lang: str = "en") -> tuple[str, ...]:
    pid = "-" if row.pid is None else str(row.pid)
    state = translate(STATES[row.state], lang) if row.state in STATES else row.state
    return (row.name, str(row.number), pid, row.kind, state, format_uptime(row.uptime), str(row.served))


def format_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def text_table(rows: list[ProcessRow], lang: str = "en") -> str:
    grid = [headings(lang), *(cells(row, lang) for row in rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in grid)


def log_line(record, cluster) -> LogLine | None:
    """The record in words, or None for records the log does not show."""
    if isinstance(record, Response):
        text = Text((f"#{record.seq}", record.describe(), f"({record.latency * 1000:.0f} ms)"), " ")
        return LogLine(record.worker, text, request=True)
    if isinstance(record, Stopping):
        how = _(STOP_WORDS[record.reason]) if record.reason in STOP_WORDS else record.reason
        if record.pid is None:
            return LogLine(record.worker, _("{worker} stopping: {how}", worker=record.worker, how=how))
        return LogLine(record.worker, _("{worker} (pid {pid}) stopping: {how}", worker=record.worker,
                                        pid=record.pid, how=how))
    if isinstance(record, Closed):
        return LogLine("", _("the cluster was stopped"))
    incarnation = cluster.incarnation(getattr(record, "token", ""))
    if incarnation is None:
        return None
    return _lifecycle_line(record, incarnation, cluster.stop_reason(incarnation))


def _lifecycle_line(record, incarnation, reason: str | None) -> LogLine | None:
    who = f"{incarnation.name} #{incarnation.number}"
    pid = incarnation.serving_pid or record.pid  # the pid the table and the request log show
    if isinstance(record, Spawned):
        return LogLine(incarnation.name, _("{who} booting", who=who))
    if isinstance(record, Ready):
        return LogLine(incarnation.name, _("{who} ready (pid {pid})", who=who, pid=pid))
    if isinstance(record, Exited):
        return LogLine(incarnation.name, _("{who} (pid {pid}) exited: {how}", who=who, pid=pid,
                                           how=exit_words(record.code, reason)))
    if hasattr(record, "path") and hasattr(record, "op") and getattr(record, "writes", True):
        return LogLine(incarnation.name, _("{who} wrote {path} ({op})", who=who, path=record.path, op=record.op))
    return None


def exit_words(code: int, reason: str | None) -> str:
    """How a process ended; the out-of-memory guess only when the cluster did not kill it itself."""
    if reason is None or code >= 0:
        return describe_status(code)
    try:
        return signal.Signals(-code).name
    except ValueError:
        return _("signal {number}", number=-code)
