"""The hidden checks of ``sessions``: forged cookies, and the contract's answers to bad requests.

The forgery check plays a user who edits their own cookie, as anyone can in a browser's developer
tools: while two users are logged in, it replays the first one's cookie made up, altered by one
character, renamed to the second user (signature kept), and re-signed with keys people leave in
code. Only the cookies the session needs are forged: those without which /me answers 401.
"""
from __future__ import annotations

import copy
import random
from http.cookies import SimpleCookie

from ...platform.http import Client
from ..base import Scenario, Verdict
from ..feedback import ContractError, explain
from ...i18n import Message, Text, _, _n
from .cookies import RESIGNED, Anatomy, Forgery, forgeries
from .visit import Visitor, cart, login, logout, me, shopping, visitors
from .why import SECRET, cookies_of

MAX_LISTED = 5  # accepted forgeries named in feedback
TRUST = _("Never trust a name or data the client sends back unchecked. Either keep the session on the "
          "server and put only a long random id in the cookie (secrets.token_urlsafe(32)), or sign the "
          "cookie with SECRET_KEY (Flask's session, itsdangerous) and reject any cookie whose signature "
          "does not match.")


def _with(jar: SimpleCookie, name: str, value: str | None) -> SimpleCookie:
    """A copy of ``jar`` with cookie ``name`` set to ``value``, or left out when ``value`` is None."""
    forged = copy.deepcopy(jar)
    if value is None:
        del forged[name]
    else:
        forged[name] = value
    return forged


def _ask(scenario: Scenario, visitor: Visitor):
    """GET /me as ``visitor``: (user or None, response); an answer outside the contract is (False, it)."""
    try:
        return me(scenario, visitor, worker="web.1")
    except ContractError as broken:
        return False, broken.response


def _needed(scenario: Scenario, ada: Visitor) -> list[Anatomy]:
    """The cookies of ``ada`` that the session needs (all of them when none is needed alone)."""
    cookies = cookies_of(ada)
    needed = [cookie for cookie in cookies
              if _ask(scenario, Visitor(ada.user, Client("without", _with(ada.client.cookies, cookie.name, None))))[0]
              is None]
    return needed or cookies


def forged_cookies(scenario: Scenario) -> Verdict:
    ada, grace = visitors(scenario.seed + 5, 2)
    for person, item in zip((ada, grace), shopping(scenario.seed, 2)):
        login(scenario, person, worker="web.1")
        cart(scenario, person, worker="web.1", add=item)
    user, response = _ask(scenario, Visitor("nobody", Client("no-cookie")))
    if user is not None:
        return Verdict(False, explain(
            _("The grader logged in {user} and {other}, then sent GET /me with no cookie at all.",
              user=ada.user, other=grace.user),
            _("{response}; it should be 401.", response=response.describe()),
            _("The app does not tell clients apart by their session cookie, so anyone is taken for a "
              "logged-in user."), TRUST))
    rng = random.Random(scenario.seed)
    tried: list[Forgery] = []
    accepted = []
    for cookie in _needed(scenario, ada):
        for forgery in forgeries(cookie, ada.user, grace.user, rng):
            tried.append(forgery)
            forger = Visitor(ada.user, Client("forger", _with(ada.client.cookies, cookie.name, forgery.value)))
            user, response = _ask(scenario, forger)
            if user is not None:
                accepted.append((forgery, response))
    if not accepted:
        kinds = Text([_(kind) for kind in dict.fromkeys(forgery.kind for forgery in tried)], ", ")
        return Verdict(True, _("All {count} forged versions of {user}'s cookie ({kinds}) got 401.",
                               count=len(tried), user=ada.user, kinds=kinds))
    return Verdict(False, _accepted_feedback(ada, grace, tried, accepted))


def _accepted_feedback(ada: Visitor, grace: Visitor, tried: list[Forgery], accepted: list) -> Text:
    lines = [Text(("    ", forgery.how, ": ", response.describe()), "") for forgery, response in accepted[:MAX_LISTED]]
    if len(accepted) > MAX_LISTED:
        lines.append(Text(("    ", _("... and {count} more", count=len(accepted) - MAX_LISTED)), ""))
    became = [forgery for forgery, response in accepted if forgery.names and grace.user in response.body]
    resigned = [forgery for forgery in became if forgery.kind == RESIGNED]
    crashed = all(response.status != 200 for _forgery, response in accepted)
    did = _("The grader logged in {user} and {other} (both still logged in), then sent GET /me with {count} "
            "forged versions of {user}'s cookie, each of which should get 401.",
            user=ada.user, other=grace.user, count=len(tried))
    saw = Text((_n("{count} did not get 401:", "{count} did not get 401:", len(accepted)), *lines))
    if resigned:
        keys = ", ".join(map(repr, sorted({forgery.key for forgery in resigned})))
        why = _("Your app signs its session cookies with a key anyone can guess ({keys}), so anyone can write a "
                "session naming {other} and sign it themselves. The platform gives every process the same "
                "unguessable key in SECRET_KEY, a new one for every app.", keys=keys, other=grace.user)
        return explain(did, saw, why, SECRET)
    if became:
        why = _("Anyone can become {other}, who is logged in right now, by editing their own cookie: the app "
                "believes the name the cookie carries without checking that the app itself issued it.",
                other=grace.user)
        return explain(did, saw, why, TRUST)
    if crashed:
        why = _("The app failed on cookies it never issued. A cookie is input from the client like any "
                "other: one the app cannot verify means no session, and a 401.")
        return explain(did, saw, why, _("Verify the cookie before using it, and treat any failure as 'no session'."))
    why = _("The app accepted cookies it never issued: a session id (or signature) the grader invented or "
            "altered still let it in.")
    return explain(did, saw, why, TRUST)


def edge_cases(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    stranger = Client("no-session")
    expected = [
        (_("GET /me without a session"), cluster.get("/me", worker="web.1", client=stranger), 401),
        (_("GET /cart without a session"), cluster.get("/cart", worker="web.1", client=stranger), 401),
        (_("POST /cart {body} without a session", body='{"item": "tea"}'),
         cluster.post("/cart", {"item": "tea"}, worker="web.1", client=stranger), 401),
        (_("POST /logout without a session"), cluster.post("/logout", worker="web.1", client=stranger), 200),
        (_("POST /login with no body"), cluster.post("/login", worker="web.1", client=stranger), 400),
        (_("POST /login {body}", body="{}"), cluster.post("/login", {}, worker="web.1", client=stranger), 400),
        (_("POST /login {body}", body='{"user": ""}'),
         cluster.post("/login", {"user": ""}, worker="web.1", client=stranger), 400),
    ]
    ada, = visitors(scenario.seed + 6, 1)
    login(scenario, ada, worker="web.1")
    for label, payload in (("{}", {}), ('{"item": 7}', {"item": 7}), ('{"item": ["tea"]}', {"item": ["tea"]})):
        response = cluster.post("/cart", payload, worker="web.1", client=ada.client)
        expected.append((_("POST /cart {body} in a live session", body=label), response, 400))
    items, response = cart(scenario, ada, worker="web.1")
    wrong = [Text(("    ", _("{request}, on {worker}: {answer} (expected {status})", request=label,
                              worker=response.worker, answer=_answer(response), status=status)), "")
             for label, response, status in expected if response.status != status]
    if items not in (None, []):
        wrong.append(Text(("    ", _("GET /cart afterwards, on {worker}: {answer} (expected an empty cart: the "
                                     "bad requests must add nothing)", worker=response.worker,
                                     answer=_answer(response))), ""))
    logout(scenario, ada, worker="web.1")
    if not wrong:
        return Verdict(True, _("All {count} bad or session-less requests got the answer the contract gives.",
                               count=len(expected)))
    return Verdict(False, explain(
        _("The grader sent requests that the contract answers with an error: some without any session, "
          "and some with a bad body in {user}'s live session.", user=ada.user),
        Text((_("These answers were not the contract's:"), *wrong)),
        _("401 means 'log in first' and must come whenever a request has no live session, before any "
          "data is touched; 400 means the request itself is wrong (no user name, an item that is not "
          "text), and such a request must change nothing. A client relies on the difference."),
        _("Read the body with request.get_json(silent=True), check its fields and their types, and answer "
          "{example} with 400 when they are wrong.", example='{"error": "..."}')))


def _answer(response) -> Message:
    """``returned 200 {"user":""}`` (or how the request failed): what Response.describe says after
    ``on web.1``."""
    if response.status is None:
        return _("failed: {error}", error=response.error)
    body = response.body.strip().replace("\n", " ")
    body = body if len(body) <= 120 else body[:117] + "..."
    if not body:
        return _("returned {status}", status=response.status)
    return _("returned {status} {body}", status=response.status, body=body)
