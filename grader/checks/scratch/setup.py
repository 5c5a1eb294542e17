"""What every ``scratch`` check sets up: a file server of its own, seeded files on it, and a look at
what a worker left in its scratch space.

``with Setup(scenario, "every_worker") as setup:`` starts a file server for this check only and tells
the cluster that connections to it are expected (the guards would call them stray otherwise); the
server stops when the block ends. Files are generated from the run's seed and the check's name, so a
seed replays exactly the same files.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from ...platform.http import Response
from .files import FileServer
from ..base import Scenario
from .reports import article, create, size
from .data import Csv, small
from ..feedback import listing
from ...i18n import Message, _

CLEAN_UP = _("Give every request its own scratch space and remove it before responding, whatever happens: "
             "`with tempfile.TemporaryDirectory() as scratch:` around the download and the parsing does "
             "both, even when an exception is raised or the view returns early.")
STORE = _("Keep each report in the backing store at REDIS_URL or DATABASE_URL, the moment it is computed.")


@dataclass(frozen=True)
class Served:
    """A file published on the check's file server."""

    url: str
    path: str
    data: Csv
    chunked: bool

    def what(self) -> Message:
        """``a 14 KB CSV of 270 rows, sent with a Content-Length``, for feedback."""
        shown, rows = size(self.data.body.size), self.data.rows
        if article(shown).startswith("an "):  # "an 18 KB CSV": the article follows the English number
            if self.chunked:
                return _("an {size} CSV of {rows} rows, sent with Transfer-Encoding: chunked", size=shown, rows=rows)
            return _("an {size} CSV of {rows} rows, sent with a Content-Length", size=shown, rows=rows)
        if self.chunked:
            return _("a {size} CSV of {rows} rows, sent with Transfer-Encoding: chunked", size=shown, rows=rows)
        return _("a {size} CSV of {rows} rows, sent with a Content-Length", size=shown, rows=rows)


class Setup:
    """One check's file server and seeded generator (a context manager)."""

    def __init__(self, scenario: Scenario, check: str):
        self.scenario = scenario
        self.rng = random.Random(f"scratch/{check}/{scenario.seed}")
        self.files = FileServer()
        self._count = 0

    def __enter__(self) -> "Setup":
        self.files.start()
        self.scenario.cluster.grader_endpoints.add(self.files.address)
        return self

    def __exit__(self, *exc_info) -> None:
        self.files.close()

    def publish(self, data: Csv, *, chunked: bool = False) -> Served:
        self._count += 1
        path = f"/exports/sales-{self._count}.csv"
        return Served(self.files.publish(path, data.body, chunked=chunked), path, data, chunked)

    def small(self, *, chunked: bool = False) -> Served:
        """A new small file, published."""
        return self.publish(small(self.rng), chunked=chunked)

    def report(self, served: Served, **options) -> tuple[Response, object]:
        """POST /reports for a published valid file: (response, id). Raises reports.Unexpected."""
        return create(self.scenario, served.url, served.data, served.what(), **options)


def leftovers(scenario: Scenario, worker: str) -> list[tuple[str, int]]:
    """(path as the worker names it, size in bytes) of every file in the worker's scratch space now."""
    incarnation = scenario.cluster.workers[worker].current
    found = []
    for shown, real in incarnation.sandbox.leftover_files(bool(incarnation.private_tmp)):
        try:
            found.append((shown, real.lstat().st_size))
        except OSError:
            continue  # removed while we looked: not left over after all
    return found


def listed(files: list[tuple[str, int]], limit: int = 3) -> Message | str:
    """``$TMPDIR/tmpa1.csv (14 KB) and $TMPDIR/tmpb2.csv (14 KB)``, the rest counted."""
    shown = [f"{path} ({size(count)})" for path, count in files[:limit]]
    if len(files) > limit:
        shown.append(_("{count} more", count=len(files) - limit))
    return listing(shown)
