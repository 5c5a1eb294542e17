"""Nothing is compiled or written at run time, proven by the audit record: every file the workers'
own code opened, from start-up to the last request, each attributed to the moment it happened.

A worker that reads ``assets/*.css`` is doing the build's work; a worker that writes any file (into
its copy of the release, its TMPDIR, anywhere) keeps a result that no other worker sees and the next
restart wipes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from ...platform.events import FileAccess
from ...harness.local_state import HOME, PRIVATE_TMP, SCRATCH, SHARED, WORKDIR, where
from ..base import Scenario, Verdict
from ..feedback import explain, listing
from ...i18n import N_, Text, _
from .css import MANIFEST, SOURCE_DIR
from .pages import page

PLACES = {WORKDIR: N_("in its own copy of the release"), SCRATCH: N_("in its TMPDIR"), HOME: N_("in its HOME"),
          PRIVATE_TMP: N_("in its own /tmp"), SHARED: N_("on this machine's disk")}
STARTING = _("while starting (importing app.py)")
FOLDER_OPS = ("os.mkdir", "os.rmdir")
MAX_LINES = 4
WHY = _("At run time the release is read-only: every process runs the very files the build made, and a "
        "file a process writes lands on a disk of its own, which no other process sees and the next restart "
        "wipes. A process that compiles the bundle itself repeats the build in every process, after every "
        "restart and on every new worker; where the result depends on the process (its start time, its own "
        "disk), the workers disagree. Factor VI: the build runs once, in the build stage, and the processes "
        "only serve what it made.")
FIX = _("Move every step that reads {sources}/ or writes a file into build.py, which the platform runs "
        "once per release. app.py should only read {manifest} (once, when it is imported) and serve the "
        "file it names.", sources=SOURCE_DIR, manifest=MANIFEST)
SCRATCH_FIX = _("TMPDIR is scratch space for a single request, not a cache between requests.")


@dataclass
class Deeds:
    """What one worker did to files at one moment: the sources it read, what it wrote where."""

    sources: list[str] = field(default_factory=list)
    written: dict[str, list[str]] = field(default_factory=dict)  # place -> paths, as the worker named them
    folders: list[str] = field(default_factory=list)

    def write(self, shown: str, place: str, folder: bool) -> None:
        (self.folders if folder else self.written.setdefault(place, [])).append(shown)

    def __bool__(self) -> bool:
        return bool(self.sources or self.written or self.folders)

    def describe(self) -> Text:
        said = []
        if self.sources:
            said.append(_("read the build's sources {files}", files=listing(list(dict.fromkeys(self.sources)))))
        for place, paths in self.written.items():
            said.append(_("wrote {files} {place}", files=listing(list(dict.fromkeys(paths))), place=_(PLACES[place])))
        if self.folders and not self.written:
            said.append(_("created or removed {files}", files=listing(list(dict.fromkeys(self.folders)))))
        return Text(said, "; ")

    def __str__(self) -> str:
        return str(self.describe())


@dataclass(frozen=True)
class Window:
    """A request the grader sent, and the stretch of time (time.monotonic()) in which it ran."""

    worker: str
    request: str
    start: float
    end: float


def no_runtime_work(scenario: Scenario) -> Verdict:
    cluster, bus = scenario.cluster, scenario.platform.bus
    workers = cluster.serving()
    windows = []
    for name in workers:
        start = time.monotonic()
        _response, href = page(scenario, name)
        bus.flush()
        windows.append(Window(name, "GET /", start, time.monotonic()))
        start = time.monotonic()
        cluster.get(href, worker=name)
        bus.flush()
        windows.append(Window(name, f"GET {href}", start, time.monotonic()))
    done: dict[tuple[str, str], Deeds] = {}  # (worker, moment) -> what it did then
    reads = []
    for access in bus.recorded(FileAccess):
        incarnation = cluster.incarnation(access.token)
        if incarnation is None:
            continue
        place, shown = where(incarnation, access.path, scenario.platform.root)
        deeds = done.setdefault((incarnation.name, _moment(windows, incarnation.name, access.at)), Deeds())
        if access.writes:
            deeds.write(shown, place, folder=access.op in FOLDER_OPS)
        elif place == WORKDIR and shown.startswith(f"{SOURCE_DIR}/"):
            deeds.sources.append(shown)
        else:
            reads.append(shown)
    done = {key: deeds for key, deeds in done.items() if deeds}
    asked = _("{count} requests (GET / and GET of the stylesheet it links, to each of {workers})",
              count=len(windows), workers=listing(workers))
    if not done:
        opened = _("only read {files}", files=listing(list(dict.fromkeys(reads)))) if reads else \
            _("opened no file")
        return Verdict(True, _("No worker compiled or wrote anything: from start-up through {asked}, your app's "
                               "code {opened}.", asked=asked, opened=opened))
    order = {name: index for index, name in enumerate(workers)}
    lines = [Text(("    ", worker, ", ", moment, ": ", deeds.describe()), "") for (worker, moment), deeds
             in sorted(done.items(), key=lambda item: (order.get(item[0][0], len(order)), item[0][1] != STARTING))]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [Text(("    ", _("... and {count} more", count=len(lines) - MAX_LINES)), "")]
    scratch = any(place in (SCRATCH, PRIVATE_TMP) for deeds in done.values() for place in deeds.written)
    return Verdict(False, explain(
        _("The grader started {count} workers, sent them {asked}, and recorded every file your app's code opened.",
          count=len(workers), asked=asked),
        Text((_("Your app compiled or wrote files while it ran:"), Text(lines))),
        WHY, Text((FIX, SCRATCH_FIX), " ") if scratch else FIX))


def _moment(windows: list[Window], worker: str, at: float):
    """When a worker did something: while starting, during one of the grader's requests, or between."""
    for window in windows:
        if window.worker == worker and window.start <= at <= window.end:
            return _("during {request}", request=window.request)
    first = next((window.start for window in windows if window.worker == worker), None)
    return STARTING if first is None or at < first else _("between requests")
