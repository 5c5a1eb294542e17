"""Talking to a ``scratch`` app through its HTTP contract: create a report, read it, judge its figures.

An answer that breaks the contract raises :class:`Unexpected`, a ContractError whose message is the
whole feedback (what the grader sent, what came back, what to change), so the checks only ever see
well-formed ids and figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from ...platform.http import REQUEST_TIMEOUT, Response
from ...platform.processes import tail_file
from ..base import Scenario, is_id
from ..feedback import ContractError, explain
from ...i18n import Message, Text, _
from .data import Csv

CREATED = _('a 201 response with JSON like {example}', example='{"id": "a1b2c3"}')
READ = _('a 200 response with JSON like {example}', example='{"id": "a1b2c3", "rows": 120, "total": 4521.5}')
WORKER_TIMEOUT = "WORKER TIMEOUT"  # what gunicorn logs when it kills a request that took too long
TOLERANCE = Decimal("0.01")  # how far a total may be from the exact sum (it is rounded to cents)
VALID_FILE = _("The file is valid: UTF-8 text, a header row with an amount column, and a finite decimal "
               "number in every row's amount.")
SPLIT_CHARACTER = _("Quoted fields may hold commas, quotes and line breaks: read rows with the csv module, "
                    "not with split(\",\"). And if your app decodes the download piece by piece, a "
                    "character such as é (two bytes in UTF-8) can be cut in two between pieces: decode the "
                    "stream as a whole, with io.TextIOWrapper(response, encoding=\"utf-8\", newline=\"\") "
                    "or a file opened with encoding=\"utf-8\".")


class Unexpected(ContractError):
    """An answer outside the contract; the message (``feedback``, a Text) is the complete feedback."""

    def __init__(self, response: Response, feedback: Text):
        Exception.__init__(self, str(feedback))
        self.response = response
        self.feedback = feedback


@dataclass(frozen=True)
class Figures:
    """What a report says."""

    rows: int
    total: float

    def matches(self, data: Csv) -> bool:
        return self.rows == data.rows and abs(Decimal(repr(self.total)) - data.total) <= TOLERANCE

    def __str__(self) -> str:
        return f"rows {self.rows}, total {self.total:.2f}"


def size(count: int) -> str:
    """``14 KB``, ``1.5 MB``, ``64.0 MB`` (powers of 1024, as ``ls -h`` says)."""
    if count < 1024 * 1024:
        return f"{max(1, round(count / 1024))} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def article(text: str) -> str:
    """``a 14 KB`` but ``an 18 KB``, ``an 8 KB``: the article for a phrase that starts with a number."""
    number = text.split(".")[0].split(" ")[0]
    return f"an {text}" if number.startswith("8") or number in ("11", "18") else f"a {text}"


def create(scenario: Scenario, url: str, data: Csv, what: Message, *, worker: str | None = None,
           client=None, timeout: float = REQUEST_TIMEOUT) -> tuple[Response, object]:
    """POST /reports for a valid file; return the response and the id. Raises Unexpected.

    ``what`` describes the file for feedback ("a 14 KB CSV of 270 rows, sent chunked").
    """
    response = scenario.cluster.post("/reports", {"url": url}, worker=worker, client=client, timeout=timeout)
    body = response.json()
    report_id = body.get("id") if isinstance(body, dict) else None
    if response.status == 201 and is_id(report_id):
        return response, report_id
    payload = f'{{"url": "{url}"}}'
    did = _("The grader sent POST /reports {payload} to {worker}: {what}.", payload=payload, worker=response.worker,
            what=what)
    raise Unexpected(response, refusal(scenario, response, did, data))


def refusal(scenario: Scenario, response: Response, did, data: Csv | None = None) -> Text:
    """Feedback for a POST of a valid file that was not answered 201 with an id."""
    logs = [scenario.incarnation_of(response)] if response.status is None or response.status >= 500 else []
    logs = [incarnation for incarnation in logs if incarnation is not None]
    if response.status is None:
        return explain(did, _("The request failed: {error}.", error=response.error), "",
                       _("Each report of a file this size should take well under a second; see the log below."),
                       logs)
    saw = returned(response)
    if response.status == 422:
        return explain(did, Text((saw, VALID_FILE), " "), "", SPLIT_CHARACTER)
    if response.status == 502:
        sent = _("The file server answered 200 for that URL and sent all {size} bytes.",
                 size=data.body.size) if data else ""
        return explain(did, Text((saw, sent), " "), "",
                       _("Download it with urllib.request.urlopen(url) (or requests.get(url, stream=True)) and "
                         "look at the worker's log for what went wrong."), logs)
    if response.status >= 500 and logs and WORKER_TIMEOUT in tail_file(logs[0].stderr, 400, max_bytes=65536):
        return explain(did, _("It returned {status} after {seconds:.0f} s: gunicorn stopped the request at its "
                              "worker timeout, because the report took too long.", status=response.status,
                              seconds=response.latency), "",
                       _("A report on a file this size should take a second or two. Look for work done once per "
                         "row that could be done once per file, such as a call to the store for every row."), logs)
    if response.status >= 500:
        saw = Text((saw, _("A 5xx status means your code raised an exception: its traceback is below.")), " ")
    return explain(did, saw, "", _("The exercise expects {expected}. Fix the endpoint and run the check again.",
                                   expected=CREATED), logs)


def read(scenario: Scenario, report_id, worker: str) -> tuple[Response, Figures | None]:
    """GET /reports/<id> on ``worker``: its figures, or None for a 404. Raises Unexpected."""
    response = scenario.cluster.get(f"/reports/{quote(str(report_id), safe='')}", worker=worker)
    if response.status == 404:
        return response, None
    body = response.json()
    if response.status == 200 and isinstance(body, dict) and _is_count(body.get("rows")) \
            and _is_number(body.get("total")):
        return response, Figures(body["rows"], float(body["total"]))
    incarnation = scenario.incarnation_of(response)
    raise ContractError(response, READ, incarnation)


def unknown_is_404(scenario: Scenario, worker: str) -> None:
    """An id nobody made must get 404. Raises Unexpected."""
    response = scenario.cluster.get("/reports/no-such-report-42", worker=worker)
    if response.status != 404:
        raise Unexpected(response, explain(
            _("The grader sent GET /reports/no-such-report-42 to {worker}, an id no POST ever returned.",
              worker=worker),
            returned(response), "",
            _("The exercise expects 404 with JSON like {example} for an unknown id.",
              example='{"error": "no such report"}'),
            [scenario.incarnation_of(response)] if (response.status or 500) >= 500 else []))


def wrong_figures_hint(got: Figures, data: Csv) -> Text:
    """What a report's wrong figures suggest about the counting (not about factor VI)."""
    hints = []
    if got.rows == data.rows + 1:
        hints.append(_("rows is one too many: the header row is not a data row"))
    elif got.rows != data.rows:
        hints.append(_("rows counts records, not lines: a quoted field may hold a line break, so count "
                       "the rows the csv module gives you"))
    if abs(Decimal(repr(got.total)) - data.total) > TOLERANCE:
        hints.append(_("total is the sum of the amount column (found by its name in the header, wherever "
                       "it stands), rounded to 2 decimals"))
    return Text((Text(hints, "; "), "."), "")


def counting_advice(got: Figures | None, data: Csv) -> Message:
    """"Check how the app counts: ...": the hint for wrong figures, or for a report that was not found."""
    hint = wrong_figures_hint(got, data) if got else \
        _("GET /reports/<id> must find the report the POST just made.")
    return _("Check how the app counts: {hint}", hint=hint)


def returned(response: Response) -> Message:
    """``It returned 422 with body '...'.``: a response the contract did not expect, for feedback."""
    body = response.body.strip().replace("\n", " ")
    if not body:
        return _("It returned {status} with an empty body.", status=response.status)
    return _("It returned {status} with body {body}.", status=response.status,
             body=repr(body if len(body) <= 160 else body[:157] + "..."))


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
