"""``scratch`` checks of what a request leaves behind: its scratch space after every response, and
the stores after a request that must fail (a broken CSV, a URL that cannot be downloaded).

After each response the grader looks into the worker's scratch space (TMPDIR, and its own /tmp) and,
for requests that must fail, counts what the backing stores hold before and after
(:mod:`grader.harness.inventory`), so the feedback names the file left or the key that appeared.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...platform.http import Response
from ...platform.ports import refusing_port
from ...harness import inventory
from ..base import Scenario, Verdict
from ..feedback import explain, listing
from ...i18n import N_, Message, Text, _
from .data import broken, large, small
from .setup import CLEAN_UP, Setup, leftovers, listed

FAULTS = ("no amount column", "non-numeric", "NaN", "infinite", "not UTF-8")
FAULT_FIXES = {"no amount column": "no amount column", "non-numeric": "non-numeric", "NaN": "NaN",
               "infinite": "NaN", "not UTF-8": "not UTF-8"}  # the advice for a broken file that got 201
MEDIUM = 600 * 1024  # bytes: one download in scratch_empty is large enough to be written in pieces
ERROR_SHAPE = Text(('{"error": "', _("<what went wrong>"), '"}'), "")
FIXES = {  # the advice for each kind of fault; {example} is ERROR_SHAPE
    "500": N_("Catch what a bad file raises (UnicodeDecodeError, decimal.InvalidOperation or ValueError, a "
              "missing amount column) and what a failed download raises (urllib.error.URLError, OSError), "
              "and answer with the status the exercise asks for and JSON like {example}."),
    "NaN": N_("float(\"nan\"), float(\"-inf\") and Decimal(\"NaN\") all parse without complaint: refuse any "
              "amount that is not finite (math.isfinite(x), or Decimal(x).is_finite())."),
    "not UTF-8": N_("Decode with encoding=\"utf-8\" and the default errors=\"strict\": errors=\"replace\" or "
                    "\"ignore\" hide the fault, and Latin-1 accepts any bytes at all."),
    "no amount column": N_("Find the amount column in the header by its name, and answer 422 when it is "
                           "missing."),
    "non-numeric": N_("Refuse the whole file when one amount is not a number: skipping the row, or counting "
                      "it as 0, reports figures the file does not hold."),
    "file://": N_("Download only http:// (and https://) URLs: anything else gets 502. urllib.request.urlopen "
                  "also opens file:// URLs, which would let anyone make your app read its own disk."),
    "stored": N_("Read and check the whole file first; store the report once, at the very end, when nothing "
                 "can fail any more."),
    "left": CLEAN_UP,
    "status": N_("Answer exactly the status the exercise asks for, with JSON like {example}."),
}


def advice(fix: str) -> Message:
    """The advice under ``fix`` in FIXES, as a message."""
    text = FIXES[fix]
    return text if isinstance(text, Message) else _(text, example=ERROR_SHAPE)


@dataclass
class Outcome:
    """What one request that must fail did, and what was wrong with it (``problems``: phrases)."""

    case: str
    response: Response
    expected: int
    problems: list[Message] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    @property
    def crashed(self) -> bool:
        """No answer, or a 5xx where another status was due."""
        status = self.response.status
        return status != self.expected and (status is None or status >= 500)

    def describe(self) -> Message:
        return _("{case}, sent to {worker}: {problems}", case=self.case, worker=self.response.worker,
                 problems=Text(self.problems, "; "))


class Stores:
    """Counts what the cluster's own stores hold (stores shared with other checks are left out)."""

    def __init__(self, scenario: Scenario):
        platform = scenario.platform
        self.env = scenario.cluster.env
        self.options = {"redis": platform.external_redis is None, "database": platform.external_database is None}

    def count(self) -> dict[str, int]:
        return inventory.take(self.env, **self.options)


def expect_failure(scenario: Scenario, stores: Stores, case, payload: dict, status: int,
                   worker: str, fault_fix: str | None = None) -> Outcome:
    """Send a POST /reports that must fail with ``status``; judge the answer, scratch space and stores."""
    before, earlier = stores.count(), {path for path, _size in leftovers(scenario, worker)}
    response = scenario.cluster.post("/reports", payload, worker=worker)
    outcome = Outcome(case, response, status)
    body = response.json()
    if response.status == status and not (isinstance(body, dict) and isinstance(body.get("error"), str)):
        outcome.problems.append(_("returned {status} but not JSON like {example}", status=status,
                                  example=ERROR_SHAPE))
        outcome.fixes.append("status")
    elif response.status != status:
        outcome.problems.append(_status_phrase(response, status))
        if response.status is None or response.status >= 500:
            outcome.fixes.append("500")
        elif response.status in (200, 201) and fault_fix:
            outcome.fixes.append(fault_fix)
        else:
            outcome.fixes.append("status")
    left = [(path, count) for path, count in leftovers(scenario, worker) if path not in earlier]
    if left:
        outcome.problems.append(_("left {files} in its scratch space", files=listed(left)))
        outcome.fixes.append("left")
    grew = inventory.growth(before, stores.count())
    if grew and response.status in (200, 201):  # accepted, so stored: the status is the bug
        outcome.problems[0] = _status_phrase(response, status, stored=True)
    elif grew:
        outcome.problems.append(_("stored something: {what}", what="; ".join(grew[:2])))
        outcome.fixes.append("stored")
    return outcome


def _status_phrase(response: Response, expected: int, stored: bool = False) -> Message:
    """What was wrong with the status; ``stored``: the request was accepted and stored a report."""
    if response.status is None:
        return _("failed ({error}) instead of answering {expected}", error=response.error, expected=expected)
    if response.status >= 500 and not response.json():
        return _("returned {status} instead of {expected}: the code raised an exception", status=response.status,
                 expected=expected)
    body = response.body.strip().replace("\n", " ")
    body = (body if len(body) <= 80 else body[:77] + "...").replace("  ", " ")
    status = response.status
    if stored:
        return _("returned {status} {body} instead of {expected}, and stored a report", status=status, body=body,
                 expected=expected) if body else \
            _("returned {status} instead of {expected}, and stored a report", status=status, expected=expected)
    return _("returned {status} {body} instead of {expected}", status=status, body=body, expected=expected) \
        if body else _("returned {status} instead of {expected}", status=status, expected=expected)


def _indented(lines) -> Text:
    return Text([Text(("    ", line), "") for line in lines])


def _failed(scenario: Scenario, did, outcomes: list[Outcome], why) -> Verdict:
    wrong = [outcome for outcome in outcomes if outcome.problems]
    fixes = dict.fromkeys(fix for outcome in wrong for fix in outcome.fixes)
    crashed = next((outcome.response for outcome in wrong if outcome.crashed), None)
    logs = [scenario.incarnation_of(crashed)] if crashed else []
    saw = _indented(outcome.describe() for outcome in wrong)
    return Verdict(False, explain(did, Text((_("What went wrong:"), saw)), why, Text([advice(fix) for fix in fixes]),
                                  [incarnation for incarnation in logs if incarnation]))


def scratch_empty(scenario: Scenario) -> Verdict:
    names = scenario.cluster.serving()
    seen: dict[str, set[str]] = {name: set() for name in names}
    lines, made = [], 0
    with Setup(scenario, "scratch_empty") as setup:
        files = [setup.small(), setup.small(chunked=True), setup.publish(large(setup.rng, MEDIUM)),
                 setup.publish(small(setup.rng), chunked=True)]
        for index, served in enumerate(files):
            worker = names[index % len(names)]
            response, _report_id = setup.report(served, worker=worker)
            made += 1
            new = [(path, count) for path, count in leftovers(scenario, worker) if path not in seen[worker]]
            seen[worker].update(path for path, _size in new)
            if new:
                same = any(count == served.data.body.size for _path, count in new)
                said = dict(worker=worker, what=served.what(), status=response.status, files=listed(new))
                lines.append(_("after POST /reports on {worker} ({what}) returned {status}: {files}, the "
                               "downloaded file itself", **said) if same else
                             _("after POST /reports on {worker} ({what}) returned {status}: {files}", **said))
    if not lines:
        return Verdict(True, _("After each of {count} reports, the worker's scratch space was empty.", count=made))
    piled = [name for name, paths in seen.items() if len(paths) > 1]
    return Verdict(False, explain(
        _("The grader made {count} reports on {workers} and looked into the worker's scratch space "
          "(TMPDIR, and its own /tmp) right after each response.", count=made, workers=listing(names)),
        Text((_("Files were left behind:"), _indented(lines),
              _("They pile up: {workers} kept one more with every report.", workers=listing(piled)) if piled
              else "")),
        _("Scratch space belongs to the request that made it. A file left there is seen by no other worker "
          "and lost at the next restart, yet it piles up with every request until the disk is full, and "
          "a later request may pick it up by mistake. Factor VI: local disk is a brief, single-request cache."),
        CLEAN_UP))


def bad_csv(scenario: Scenario) -> Verdict:
    names = scenario.cluster.serving()
    stores = Stores(scenario)
    outcomes = []
    with Setup(scenario, "bad_csv") as setup:
        setup.report(setup.small(), worker=names[0])  # the stores now hold what a good report makes
        for index, fault in enumerate(FAULTS):
            bad = broken(setup.rng, fault)
            url = setup.files.publish(f"/exports/broken-{index + 1}.csv", bad.body, chunked=index % 2 == 0)
            outcomes.append(expect_failure(scenario, stores, bad.fault, {"url": url}, 422,
                                           names[(index + 1) % len(names)], FAULT_FIXES[fault]))
    if not any(outcome.problems for outcome in outcomes):
        return Verdict(True, _("{count} broken CSVs each got 422, left no file and stored nothing.",
                               count=len(FAULTS)))
    return _failed(scenario, _(
        "The grader made one good report, then sent POST /reports for {count} CSVs that break halfway "
        "through, each of which must get 422. After each response it looked into the worker's scratch "
        "space and counted what the stores hold.", count=len(FAULTS)), outcomes,
        _("A request that fails must leave the process and the stores as it found them: no file in scratch "
          "space (the next request on this worker could pick it up, and files pile up until the disk is "
          "full), and no half-made report in the store. Factor VI: scratch space belongs to one request, "
          "whatever its outcome."))


def bad_url(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    names = cluster.serving()
    stores = Stores(scenario)
    # Held for the whole check, so that no other process on this machine can start listening there.
    held = refusing_port()
    refused = held.getsockname()[1]
    cluster.grader_endpoints.add(("127.0.0.1", refused))  # the app should try it: not a stray address
    local = _local_csv(scenario)
    with held, Setup(scenario, "bad_url") as setup:
        setup.report(setup.small(), worker=names[0])
        cases = [(_("a body without url"), {}, 400, None),
                 (_("a URL where nothing listens (port {port})", port=refused),
                  {"url": f"http://127.0.0.1:{refused}/exports/sales.csv"}, 502, None),
                 (_("a URL the file server answers with 404"),
                  {"url": setup.files.url("/exports/missing.csv")}, 502, None),
                 (_("a file:// URL ({url}, a valid CSV on the worker's own disk)", url=local.as_uri()),
                  {"url": local.as_uri()}, 502, "file://")]
        outcomes = [expect_failure(scenario, stores, case, payload, status, names[(index + 1) % len(names)], fix)
                    for index, (case, payload, status, fix) in enumerate(cases)]
    if not any(outcome.problems for outcome in outcomes):
        return Verdict(True, _("A missing URL got 400; a refused, a missing and a file:// URL got 502; "
                               "nothing was stored or left behind."))
    return _failed(scenario, _(
        "The grader made one good report, then sent POST /reports {count} times with a URL that must "
        "fail: a body without url must get 400, a URL that cannot be downloaded over http must get 502. "
        "After each response it looked into the worker's scratch space and counted what the stores hold.",
        count=len(cases)),
        outcomes,
        _("A download can fail at any moment, and a request that fails must leave nothing behind: no "
          "half-written file in scratch space, and nothing in the store. Factor VI: scratch space belongs "
          "to one request, whatever its outcome."))


def _local_csv(scenario: Scenario):
    """A valid CSV on this machine's disk, where every worker can read it (the run's own folder)."""
    folder = scenario.platform.root / "files"
    folder.mkdir(exist_ok=True)
    path = folder / f"c{scenario.cluster.number}-sales.csv"
    path.write_bytes(b"date,amount\n2024-01-01,10.00\n")
    return path
