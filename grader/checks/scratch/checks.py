"""Checks for the ``scratch`` exercise: reports computed from downloads, kept in a backing service.

The app downloads a CSV it is given by URL, sums it and stores the report. Memory and disk may serve
one request as scratch space, and nothing more: the report must be readable from every worker and
after every restart, a changed file must give a fresh report, and nothing lasting may be written to
local disk. The checks of what a request leaves behind (scratch space, bad input) are in
:mod:`.scratch_space`; those of memory and of requests served at the same moment in :mod:`.scratch_load`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...harness.local_state import DATABASE, PRIVATE_TMP, SCRATCH, listed, recorded_findings
from ..base import Check, Scenario, Verdict
from ..feedback import explain, listing
from ...i18n import N_, Message, Text, _
from .reports import Figures, counting_advice, read, unknown_is_404
from .load import THREADS, bounded_memory, concurrent
from .setup import STORE, Served, Setup
from .space import bad_csv, bad_url, scratch_empty

NEW_IDS = _("Let the store hand out ids (INCR in Redis, an INTEGER PRIMARY KEY in SQL), or use uuid.uuid4().hex.")


@dataclass(frozen=True)
class Wrong:
    """One report one worker did not give back as it should."""

    served: Served
    report_id: object
    creator: str
    worker: str
    got: Figures | None  # None: the worker answered 404
    other: str | None = None  # the worker that made the other report whose figures ``got`` are

    def describe(self) -> Message:
        asked = dict(report=self.report_id, worker=self.worker)
        if self.got is None:
            return _("GET /reports/{report} on {worker} returned 404 (the report was made by {creator})", **asked,
                     creator=self.creator)
        if self.other:
            return _("GET /reports/{report} on {worker} said {got}: the figures of the report {other} made, not of "
                     "the one {creator} made ({figures})", **asked, got=str(self.got), other=self.other,
                     creator=self.creator, figures=self.served.data.figures())
        return _("GET /reports/{report} on {worker} said {got}; the file has {figures}", **asked, got=str(self.got),
                 figures=self.served.data.figures())


def _reports(setup: Setup, workers: list[str], chunked_first: bool) -> list[tuple[Served, str, object]]:
    """One small report made on each worker in turn, sent with and without Content-Length by turns:
    (the file served, the worker that made it, the id it gave)."""
    made = []
    for index, name in enumerate(workers):
        served = setup.small(chunked=index % 2 == (0 if chunked_first else 1))
        made.append((served, name, setup.report(served, worker=name)[1]))
    return made


def _read_everywhere(scenario: Scenario, made: list[tuple[Served, str, object]]) -> list[Wrong]:
    """GET every report from every serving worker; what came back wrong."""
    wrong = []
    for served, creator, report_id in made:
        for name in scenario.cluster.serving():
            _response, got = read(scenario, report_id, name)
            if got is None or not got.matches(served.data):
                other = next((maker for data, maker, _id in made
                              if data is not served and got and got.matches(data.data)), None)
                wrong.append(Wrong(served, report_id, creator, name, got, other))
    return wrong


def _lines(wrong: list[Wrong]) -> Text:
    return Text([Text(("    ", item.describe()), "") for item in wrong[:6]])


def every_worker(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    names = cluster.serving()
    with Setup(scenario, "every_worker") as setup:
        made = _reports(setup, names, chunked_first=False)
    wrong = _read_everywhere(scenario, made)
    if not wrong:
        unknown_is_404(scenario, names[-1])
        return Verdict(True, _("{reports} reports, each made by a different worker; all {workers} workers read "
                               "every one of them correctly.", reports=len(made), workers=len(names)))
    did = _("The grader sent one POST /reports to each of {workers}, each for a different CSV, then asked every "
            "worker for every report.", workers=listing(names))
    return Verdict(False, _not_everywhere(did, made, wrong))


def _not_everywhere(did, made: list[tuple[Served, str, object]], wrong: list[Wrong]) -> Text:
    """Feedback for reports that some worker did not give back: per-process state, or miscounting."""
    figures = [item for item in wrong if item.got is not None]
    lost = [item for item in wrong if item.got is None and item.worker == item.creator]
    ids = [str(report_id) for _served, _creator, report_id in made]
    if len(set(ids)) < len(ids):
        given = Text([_("{worker} gave id {report}", worker=creator, report=report_id) for _served, creator, report_id in made],
                     ", ")
        survivors = {item.other for item in wrong}
        if None not in survivors and len(survivors) == 1:
            # Every worker gives back one and the same report: the store is shared, the ids are not.
            last = survivors.pop()
            own = [item for item in wrong if item.worker == item.creator]  # each maker asked for its own id
            return explain(
                did, Text((_("Different reports got the same id ({given}), and every worker answers with the "
                             "report {worker} made:", given=given, worker=last), _lines(own or wrong))),
                _("The reports are in a shared store, but their ids come from a counter in each process's "
                  "memory: every worker handed out the same id, and each new report overwrote the one "
                  "before it under the same key. Factor VI: processes share nothing, not even a counter; "
                  "the ids must come from the backing service too."),
                NEW_IDS)
        return explain(
            did, Text((_("Different reports got the same id ({given}), and each worker answered with a report "
                         "of its own:", given=given), _lines(wrong))),
            _("Each worker hands out ids from a counter in its own memory and keeps its reports there too, so "
              "the same id means a different report on every worker, and nothing survives a restart. "
              "Factor VI: processes share nothing; the reports, and the ids that name them, belong in a "
              "backing service."),
            Text((STORE, NEW_IDS), " "))
    if lost:
        return explain(
            did, Text((_("Not even the worker that made a report could find it:"), _lines(lost))), "",
            _("GET /reports/<id> must find the report under exactly the id that POST /reports returned; "
              "check that both use the same key in the store."))
    if not figures:
        return explain(
            did, Text((_("Only the worker that made a report could find it:"), _lines(wrong))),
            _("So each report stayed in the memory or on the disk of the process that computed it. A router "
              "sends the next request to any worker, and a process's memory and disk are its own. "
              "Factor VI: scratch space serves one request; the result belongs in a backing service."),
            STORE)
    first = figures[0]
    return explain(
        did, Text((_("Some reports have the wrong figures:"), _lines(figures))), "",
        counting_advice(first.got, first.served.data))


def restart_all(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    with Setup(scenario, "restart_all") as setup:
        made = _reports(setup, cluster.serving(), chunked_first=True)
    cluster.restart_all()
    wrong = _read_everywhere(scenario, made)
    if not wrong:
        return Verdict(True, _("{reports} reports, then every worker restarted; every fresh worker read them all.",
                               reports=len(made)))
    return Verdict(False, explain(
        _("The grader made {reports} reports, restarted every worker (SIGTERM, as a deploy or the daily "
          "restart does), then asked each fresh worker for every report.", reports=len(made)),
        Text((_("The fresh workers could not give them back:"), _lines(wrong))),
        _("A restarted process starts with empty memory and an empty disk: whatever it kept there is gone. "
          "Factor VI: a process may be replaced at any moment, so a result must be in a backing service "
          "before the response says it exists."),
        STORE))


def fresh_download(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    worker = cluster.serving()[0]
    with Setup(scenario, "fresh_download") as setup:
        first = setup.small()
        _response, first_id = setup.report(first, worker=worker)
        second = setup.small()
        setup.files.replace(first.path, second.data.body)
        fresh = Served(first.url, first.path, second.data, first.chunked)
        _response, second_id = setup.report(fresh, worker=worker)
        downloads = setup.files.downloads(first.path)
    _response, got = read(scenario, second_id, worker)
    if got is not None and got.matches(second.data):
        return Verdict(True, _("The same URL served a changed file; the second report had the new figures."))
    did = _("The grader sent POST /reports for {url} to {worker} ({first}), then changed the file at that URL "
            "({second}) and sent the same POST to {worker} again.", url=first.url, worker=worker,
            first=first.data.figures(), second=second.data.figures())
    said = _("404 for its own id") if got is None else str(got)
    if got is not None and got.matches(first.data):
        old = dict(report=second_id, said=said)
        saw = Text((
            _("The second report ({report}) said {said}: the figures of the old file, under the first report's id.",
              **old) if second_id == first_id else
            _("The second report ({report}) said {said}: the figures of the old file.", **old),
            _("The app did not even download the file again: the file server saw one download of it.")
            if downloads < 2 else
            _("The app downloaded the file again, yet reported what it had kept from the first time.")), " ")
        return Verdict(False, explain(
            did, saw,
            _("The app answered from a cache it kept in the process (memory or a file), and the cache went "
              "stale when the file changed. Such a cache is also different on every worker and lost at every "
              "restart. Factor VI: memory and disk are scratch space for one request; never assume what an "
              "earlier request left there is still there, or still true."),
            _("Download the file afresh for every report, and keep nothing from one request to the next.")))
    return Verdict(False, explain(
        did, _("The second report ({report}) said {said}; the changed file has {figures}.", report=second_id, said=said,
               figures=second.data.figures()), "",
        counting_advice(got, second.data)))


def no_local_state(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    names = cluster.serving()
    with Setup(scenario, "no_local_state") as setup:
        made = _reports(setup, names * 2, chunked_first=False)
    _read_everywhere(scenario, made)
    found = [finding for finding in recorded_findings(scenario)
             if finding.place not in (SCRATCH, PRIVATE_TMP) or finding.kind == DATABASE]
    if not found:  # whether the scratch space was emptied is scratch_empty's question
        return Verdict(True, _("Every file the app wrote was in its scratch space (TMPDIR, or the worker's own "
                               "/tmp); nothing was written anywhere else."))
    return Verdict(False, explain(
        _("The grader made {reports} reports over {workers}, read each from every worker, and recorded every "
          "file the app's code opened.", reports=len(made), workers=listing(names)),
        Text((_("The app wrote outside its scratch space, or kept a database of its own:"), listed(found))),
        _("On a platform a process's disk is private and wiped at every restart: nothing written there is "
          "seen by another process or survives a deploy. Only TMPDIR is for files, and only for the request "
          "that made them. Factor VI: anything lasting lives in a backing service."),
        Text((STORE, _("Write downloads under TMPDIR (tempfile does by default), and delete them before "
                       "responding.")), " ")))


CHECKS = [
    Check("every_worker", N_("A report is readable from every worker"), 2, every_worker),
    Check("bounded_memory", N_("A 64 MB download raises peak memory by at most 16 MB"), 2, bounded_memory,
          hidden=True, workers=1),
    Check("scratch_empty", N_("The scratch space is empty after every response"), 2, scratch_empty, workers=2),
    Check("bad_csv", N_("A bad CSV gets 422, leaves no file and stores nothing"), 2, bad_csv, workers=2),
    Check("bad_url", N_("A missing or undownloadable URL gets 400 or 502, and stores nothing"), 1, bad_url,
          workers=2),
    Check("no_local_state", N_("Nothing is written outside TMPDIR"), 1, no_local_state, workers=2),
    Check("restart_all", N_("Reports survive a restart of every worker"), 1, restart_all, hidden=True, workers=2),
    Check("concurrent", N_("Two reports computed at once by one worker never mix"), 2, concurrent, hidden=True,
          workers=1, gunicorn_args=THREADS),
    Check("fresh_download", N_("A changed file at the same URL gives a fresh report"), 1, fresh_download,
          hidden=True, workers=2),
]
