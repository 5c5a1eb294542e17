"""What the dashboard shows, as plain records: one source for the widget and for the text view.

Rows are read from the cluster's own state (its workers and their incarnations), log lines are the
cluster's events put into words. Nothing here touches a widget.
"""
from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass

from ..platform.cluster import Closed, Stopping
from ..platform.events import Exited, Ready, Spawned
from ..platform.http import Response
from ..platform.processes import describe_status

BOOTING, READY, STOPPING, CRASHED, EXITED = "booting", "ready", "stopping", "crashed", "exited"
HISTORY = 1  # earlier incarnations listed under each worker's current one
COLUMNS = ("name", "#", "pid", "type", "state", "uptime", "served")
STOP_WORDS = {"restart": "restart (SIGTERM)", "crash": "crash (SIGKILL)",
              "restart_all": "restart all (SIGTERM)", "scale": "scaled away (SIGTERM)",
              "close": "cluster stopped (SIGKILL)"}


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
    """One line of the dashboard's log; ``worker`` picks its colour ("" for the cluster itself)."""

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


def cells(row: ProcessRow) -> tuple[str, ...]:
    pid = "-" if row.pid is None else str(row.pid)
    return (row.name, str(row.number), pid, row.kind, row.state, format_uptime(row.uptime), str(row.served))


def format_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def text_table(rows: list[ProcessRow]) -> str:
    grid = [COLUMNS, *(cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in grid) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
                     for line in grid)


def log_line(record, cluster) -> LogLine | None:
    """The record in words, or None for records the log does not show."""
    if isinstance(record, Response):
        text = f"#{record.seq} {record.describe()} ({record.latency * 1000:.0f} ms)"
        return LogLine(record.worker, text, request=True)
    if isinstance(record, Stopping):
        pid = "" if record.pid is None else f" (pid {record.pid})"
        how = STOP_WORDS.get(record.reason, record.reason)
        return LogLine(record.worker, f"{record.worker}{pid} stopping: {how}")
    if isinstance(record, Closed):
        return LogLine("", "the cluster was stopped")
    incarnation = cluster.incarnation(getattr(record, "token", ""))
    if incarnation is None:
        return None
    return _lifecycle_line(record, incarnation, cluster.stop_reason(incarnation))


def _lifecycle_line(record, incarnation, reason: str | None) -> LogLine | None:
    who = f"{incarnation.name} #{incarnation.number}"
    pid = incarnation.serving_pid or record.pid  # the pid the table and the request log show
    if isinstance(record, Spawned):
        return LogLine(incarnation.name, f"{who} booting")
    if isinstance(record, Ready):
        return LogLine(incarnation.name, f"{who} ready (pid {pid})")
    if isinstance(record, Exited):
        return LogLine(incarnation.name, f"{who} (pid {pid}) exited: {exit_words(record.code, reason)}")
    if hasattr(record, "path") and hasattr(record, "op") and getattr(record, "writes", True):
        return LogLine(incarnation.name, f"{who} wrote {record.path} ({record.op})")
    return None


def exit_words(code: int, reason: str | None) -> str:
    """How a process ended; the out-of-memory guess only when the cluster did not kill it itself."""
    if reason is None or code >= 0:
        return describe_status(code)
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"
