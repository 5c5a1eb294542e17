"""Speaking the capstone's contract (docs/capstone.md): one function per request a check sends.

Sessions speak the ``sessions`` exercise's contract, so its helpers (:mod:`..sessions.visit`) log
users in and ask who they are. Every helper here returns what the answer means, and raises
ContractError, whose message is the learner's feedback, for an answer the contract does not allow.
"""
from __future__ import annotations

from ...platform.http import Raw, Response, form_file
from ..base import Scenario, is_id
from ..feedback import ContractError
from ..sessions.visit import Visitor
from .csvs import Sheet
from ...i18n import Message, Text, _, render
from ...i18n.message import DEFAULT

UPLOAD_SHAPE = _("202 with JSON like {example}", example='{"id": "3f2a", "status": "queued"}')
STATUS_SHAPE = _("200 with JSON like {example}, or 404",
                 example='{"id": "3f2a", "name": "a.csv", "size": 41, "status": "done", '
                         '"result": {"rows": 3, "sums": {...}}, "error": null}')
VISITS_SHAPE = _("200 with JSON like {example}", example='{"visits": 7}')
CLEANUPS_SHAPE = _("200 with JSON like {example}", example='{"runs": 3}')
DELETE_SHAPE = _("202 with JSON like {example}", example='{"id": "3f2a", "status": "deleting"}')
STATUSES = ("queued", "running", "done", "failed")


def broken(scenario: Scenario, response: Response, expected: Message) -> ContractError:
    return ContractError(response, expected, scenario.incarnation_of(response))


def upload(scenario: Scenario, visitor: Visitor, sheet: Sheet, worker: str | None = None) -> tuple[object, Response]:
    """POST /uploads with the sheet as multipart form data: (its id, response)."""
    response = scenario.cluster.request("POST", "/uploads", form_file("file", sheet.name, sheet.data),
                                        worker=worker, client=visitor.client)
    data = response.json()
    if response.status != 202 or not isinstance(data, dict) or not is_id(data.get("id")):
        raise broken(scenario, response, UPLOAD_SHAPE)
    return data["id"], response


def status(scenario: Scenario, visitor: Visitor, upload_id, worker: str | None = None) -> tuple[dict | None, Response]:
    """GET /uploads/<id>: (the record, response), or (None, response) for a 404."""
    response = scenario.cluster.get(f"/uploads/{upload_id}", worker=worker, client=visitor.client)
    if response.status == 404:
        return None, response
    data = response.json()
    if response.status != 200 or not isinstance(data, dict) or data.get("status") not in STATUSES:
        raise broken(scenario, response, STATUS_SHAPE)
    return data, response


def file_of(scenario: Scenario, visitor: Visitor, upload_id, worker: str | None = None) -> Response:
    """GET /uploads/<id>/file: the response, whose ``content`` holds the bytes."""
    return scenario.cluster.request("GET", f"/uploads/{upload_id}/file", Raw(), worker=worker,
                                    client=visitor.client)


def delete(scenario: Scenario, visitor: Visitor, upload_id, worker: str | None = None) -> Response:
    response = scenario.cluster.request("DELETE", f"/uploads/{upload_id}", worker=worker, client=visitor.client)
    if response.status != 202:
        raise broken(scenario, response, DELETE_SHAPE)
    return response


def visits(scenario: Scenario, worker: str | None = None, client=None) -> tuple[int | None, Response]:
    response = scenario.cluster.post("/visits", worker=worker, client=client)
    data = response.json()
    count = data.get("visits") if isinstance(data, dict) else None
    if response.status != 200 or not isinstance(count, int) or isinstance(count, bool):
        return None, response
    return count, response


def cleanups(scenario: Scenario, worker: str | None = None) -> int:
    response = scenario.cluster.get("/cleanups", worker=worker)
    data = response.json()
    runs = data.get("runs") if isinstance(data, dict) else None
    if response.status != 200 or not isinstance(runs, int) or isinstance(runs, bool):
        raise broken(scenario, response, CLEANUPS_SHAPE)
    return runs



class Clipped(Text):
    """A message cut to ``limit`` characters, in whatever language it is rendered in; as a ``str``
    it is its English, cut (and so is its :meth:`to_dict`)."""

    __slots__ = ("whole", "limit")

    def __new__(cls, whole, limit: int):
        english = str(whole)[:limit]
        self = str.__new__(cls, english)
        self.parts, self.sep, self.whole, self.limit = (english,), "", whole, limit
        return self

    def render(self, lang: str = DEFAULT) -> str:
        return render(self.whole, lang)[:self.limit]

    def __reduce__(self):
        return (Clipped, (self.whole, self.limit))

    def __repr__(self) -> str:
        return f"Clipped({self.whole!r}, {self.limit!r})"


def clipped(text, limit: int):
    """``text`` (a response's description) cut to ``limit`` characters, as feedback quotes it."""
    return text if len(text) <= limit else Clipped(text, limit)
