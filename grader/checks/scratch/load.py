"""``scratch`` checks under load: a 64 MB download in bounded memory, and two reports computed at the
same moment by one worker.

Memory is the worker's own peak resident size during the request (:mod:`grader.harness.memory`), measured
from just before the request, so the preloaded server does not count. For the concurrent reports the
worker runs with gunicorn's ``--threads 4`` (one process, several requests at once, as many
deployments run) and the file server makes both downloads be under way at once.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath

from ...platform.http import Client
from ...platform.events import FileAccess
from ...harness.memory import PeakMemory
from ..base import Scenario, Verdict
from ..feedback import explain
from ...i18n import Text, _
from .reports import counting_advice, read, size
from .data import large
from .setup import Setup

BIG = 64 * 1024 * 1024  # bytes in the big download
PEAK_LIMIT = 16 * 1024 * 1024  # bytes the worker's peak may rise while it reports on BIG
BIG_TIMEOUT = 40.0  # seconds for the big report (download and parse)
THREADS = ("--threads", "4")
PAIR = {"/exports/north.csv": 1536 * 1024, "/exports/south.csv": 1920 * 1024}  # path -> at least bytes
PAIR_TIMEOUT = 20.0  # seconds for each of the two reports made at once
STREAM = _("Stream it: copy the download into a file in a per-request TemporaryDirectory in pieces "
           "(shutil.copyfileobj(response, scratch_file)), then read that file row by row with the csv "
           "module; or read rows straight from the response with io.TextIOWrapper(response, "
           "encoding=\"utf-8\", newline=\"\"). Never response.read(), and with requests never .content "
           "or .text: use requests.get(url, stream=True) and iter_content.")


def bounded_memory(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    worker = cluster.serving()[0]
    with Setup(scenario, "bounded_memory") as setup:
        setup.report(setup.small(), worker=worker)  # whatever the app imports on first use is loaded now
        big = setup.publish(large(setup.rng, BIG), chunked=True)
        incarnation = cluster.workers[worker].current
        pid = incarnation.serving_pid or incarnation.pid
        peak = PeakMemory(pid)
        _response, report_id = setup.report(big, worker=worker, timeout=BIG_TIMEOUT)
        rise = peak.rise()
    _response, got = read(scenario, report_id, worker)
    did = _("The grader sent POST /reports for {what} to {worker} (pid {pid}) and measured the process's peak "
            "memory (VmHWM) from just before the request to just after the response.", what=big.what(),
            worker=worker, pid=pid)
    if got is None or not got.matches(big.data):
        return Verdict(False, explain(
            did, _("GET /reports/{report} then said {said}; the file has {figures}.", report=report_id,
                   said=str(got) if got else "404", figures=big.data.figures()), "",
            counting_advice(got, big.data)))
    limit = size(PEAK_LIMIT)
    if rise <= PEAK_LIMIT:
        return Verdict(True, _("A report on {size} raised {worker}'s peak memory by {rise} (at most {limit}).",
                               size=size(big.data.body.size), worker=worker, rise=size(rise), limit=limit))
    return Verdict(False, explain(
        did,
        _("Its memory peaked {rise} above where it started (at most {limit} was allowed): the app held "
          "something the size of the whole file in memory.", rise=size(rise), limit=limit),
        _("A platform gives each process a fixed amount of memory (512 MB on a small dyno) and kills it "
          "when it asks for more. Holding a whole download means the largest file anyone sends decides "
          "whether the worker survives, and two such requests at once need twice that. Factor VI: memory "
          "and disk are scratch space for one request, used a piece at a time."),
        STREAM))


def concurrent(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    worker = cluster.serving()[0]
    incarnation = cluster.workers[worker].current
    files, responses, overlapped = _two_at_once(scenario, worker)
    (first, one), (second, other) = [(PurePosixPath(path).name, data) for path, data in files.items()]
    did = Text((
        _("The grader ran {worker} with `gunicorn {options}`, so that one process serves several requests at "
          "once (as many deployments do), then sent it two POST /reports at the same moment, for two different "
          "files ({first}: {first_figures}; {second}: {second_figures}).", worker=worker,
          options=" ".join(THREADS), first=first, first_figures=one.figures(), second=second,
          second_figures=other.figures()),
        _("The file server made sure both downloads were under way at once.") if overlapped else
        _("The app never had both downloads under way at once.")), " ")
    lines, ids = _judge(scenario, worker, files, responses)
    if not lines:
        note = "" if overlapped is not False else \
            _("(The two downloads never ran at once: the app serves one report at a time, safe but slow.)")
        return Verdict(True, Text((_("Two reports made at the same moment by {worker} each had their own figures.",
                                     worker=worker), note), " "))
    shared = _shared_scratch(scenario, incarnation)
    saw = Text((Text([Text(("    ", line), "") for line in lines]),
                _("Both requests wrote the same scratch file: {path}.", path=shared[0]) if shared else ""))
    crashed = [response for response in responses if response.status is None or response.status >= 500]
    fix = _("Give each request scratch space of its own, with a fresh name: tempfile.TemporaryDirectory() or "
            "NamedTemporaryFile(), never a fixed name such as $TMPDIR/download.csv; and keep what one "
            "request computes in local variables, never in module-level ones.")
    if len(ids) == 2 and ids[0] == ids[1]:
        fix = Text((fix, _("Make ids unique even for requests at the same moment: uuid.uuid4().hex, or let the "
                           "store hand them out (INCR in Redis, an INTEGER PRIMARY KEY in SQL).")), " ")
    return Verdict(False, explain(
        did, Text((_("The two reports got mixed up:"), saw)),
        _("When one process serves two requests at the same moment, anything they share (a scratch file "
          "with a fixed name, a module-level variable) carries one request's data into the other's. "
          "Factor VI: scratch space serves a single request, so every request needs its own."),
        fix, [scenario.incarnation_of(crashed[0])] if crashed else []))


def _two_at_once(scenario: Scenario, worker: str):
    """POST /reports for the two PAIR files at the same moment; (files by path, responses, overlapped)."""
    with Setup(scenario, "concurrent") as setup:
        files = {path: large(setup.rng, at_least) for path, at_least in PAIR.items()}
        urls = setup.files.publish_together({path: data.body for path, data in files.items()}, chunked=True)
        with ThreadPoolExecutor(len(urls), thread_name_prefix="factor-six-pair") as pool:
            futures = [pool.submit(scenario.cluster.post, "/reports", {"url": url}, worker=worker,
                                   client=Client(f"report-{index}"), timeout=PAIR_TIMEOUT)
                       for index, url in enumerate(urls)]
            responses = [future.result() for future in futures]
        return files, responses, setup.files.overlapped(next(iter(PAIR)))


def _judge(scenario: Scenario, worker: str, files: dict, responses: list) -> tuple[list, list]:
    """(one line per report that went wrong, a message each; the ids the POSTs returned)."""
    names = {path: PurePosixPath(path).name for path in files}
    lines, ids = [], []
    for (path, data), response in zip(files.items(), responses):
        body = response.json()
        report_id = body.get("id") if isinstance(body, dict) else None
        if response.status != 201 or report_id is None:
            lines.append(_("{file}: {response} (yet the file is valid)", file=names[path],
                           response=response.describe()) if response.status == 422 else
                         Text((names[path], response.describe()), ": "))
            continue
        ids.append(report_id)
        _response, got = read(scenario, report_id, worker)
        if got is None or not got.matches(data):
            other = [names[p] for p, d in files.items() if d is not data and got and got.matches(d)]
            file, expected = names[path], data.figures()
            if other:
                lines.append(_("{file}: report {report} says {figures}, the figures of {other}", file=file,
                               report=report_id, figures=str(got), other=other[0]))
            elif got:
                lines.append(_("{file}: report {report} says {figures}; the file has {expected}", file=file,
                               report=report_id, figures=str(got), expected=expected))
            else:
                lines.append(_("{file}: report {report} says 404 (not found); the file has {expected}", file=file,
                               report=report_id, expected=expected))
    if len(ids) == 2 and ids[0] == ids[1]:
        lines.append(_("both POSTs got the same id, {report}", report=ids[0]))
    return lines, ids


def _shared_scratch(scenario: Scenario, incarnation) -> list[str]:
    """Scratch files this incarnation opened for writing more than once (as the worker names them)."""
    opened: dict[str, int] = {}
    for access in scenario.platform.bus.recorded(FileAccess):
        if access.token == incarnation.token and access.op == "open" and access.writes:
            opened[access.path] = opened.get(access.path, 0) + 1
    tmp = str(incarnation.sandbox.tmp)
    return ["$TMPDIR" + path[len(tmp):] if path.startswith(tmp + "/") else path
            for path, count in opened.items() if count > 1]
