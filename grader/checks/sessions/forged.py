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
from .cookies import RESIGNED, Anatomy, Forgery, forgeries
from .visit import Visitor, cart, login, logout, me, shopping, visitors
from .why import SECRET, cookies_of

MAX_LISTED = 5  # accepted forgeries named in feedback
TRUST = ("Never trust a name or data the client sends back unchecked. Either keep the session on the "
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
            f"The grader logged in {ada.user} and {grace.user}, then sent GET /me with no cookie at all.",
            f"{response.describe()}; it should be 401.",
            "The app does not tell clients apart by their session cookie, so anyone is taken for a "
            "logged-in user.", TRUST))
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
        kinds = ", ".join(dict.fromkeys(forgery.kind for forgery in tried))
        return Verdict(True, f"All {len(tried)} forged versions of {ada.user}'s cookie ({kinds}) got 401.")
    return Verdict(False, _accepted_feedback(ada, grace, tried, accepted))


def _accepted_feedback(ada: Visitor, grace: Visitor, tried: list[Forgery], accepted: list) -> str:
    lines = "\n".join(f"    {forgery.how}: {response.describe()}" for forgery, response in accepted[:MAX_LISTED])
    if len(accepted) > MAX_LISTED:
        lines += f"\n    ... and {len(accepted) - MAX_LISTED} more"
    became = [forgery for forgery, response in accepted if forgery.names and grace.user in response.body]
    resigned = [forgery for forgery in became if forgery.kind == RESIGNED]
    crashed = all(response.status != 200 for _, response in accepted)
    did = (f"The grader logged in {ada.user} and {grace.user} (both still logged in), then sent GET /me "
           f"with {len(tried)} forged versions of {ada.user}'s cookie, each of which should get 401.")
    saw = f"{len(accepted)} did not get 401:\n{lines}"
    if resigned:
        keys = sorted({forgery.key for forgery in resigned})
        why = (f"Your app signs its session cookies with a key anyone can guess ({', '.join(map(repr, keys))}), "
               f"so anyone can write a session naming {grace.user} and sign it themselves. The platform "
               "gives every process the same unguessable key in SECRET_KEY, a new one for every app.")
        return explain(did, saw, why, SECRET)
    if became:
        why = (f"Anyone can become {grace.user}, who is logged in right now, by editing their own cookie: "
               "the app believes the name the cookie carries without checking that the app itself "
               "issued it.")
        return explain(did, saw, why, TRUST)
    if crashed:
        why = ("The app failed on cookies it never issued. A cookie is input from the client like any "
               "other: one the app cannot verify means no session, and a 401.")
        return explain(did, saw, why, "Verify the cookie before using it, and treat any failure as 'no session'.")
    why = ("The app accepted cookies it never issued: a session id (or signature) the grader invented or "
           "altered still let it in.")
    return explain(did, saw, why, TRUST)


def edge_cases(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    stranger = Client("no-session")
    expected = [
        ("GET /me without a session", cluster.get("/me", worker="web.1", client=stranger), 401),
        ("GET /cart without a session", cluster.get("/cart", worker="web.1", client=stranger), 401),
        ('POST /cart {"item": "tea"} without a session',
         cluster.post("/cart", {"item": "tea"}, worker="web.1", client=stranger), 401),
        ("POST /logout without a session", cluster.post("/logout", worker="web.1", client=stranger), 200),
        ("POST /login with no body", cluster.post("/login", worker="web.1", client=stranger), 400),
        ("POST /login {}", cluster.post("/login", {}, worker="web.1", client=stranger), 400),
        ('POST /login {"user": ""}', cluster.post("/login", {"user": ""}, worker="web.1", client=stranger), 400),
    ]
    ada, = visitors(scenario.seed + 6, 1)
    login(scenario, ada, worker="web.1")
    for label, payload in (("{}", {}), ('{"item": 7}', {"item": 7}), ('{"item": ["tea"]}', {"item": ["tea"]})):
        response = cluster.post("/cart", payload, worker="web.1", client=ada.client)
        expected.append((f"POST /cart {label} in a live session", response, 400))
    items, response = cart(scenario, ada, worker="web.1")
    wrong = [f"    {label}, on {response.worker}: {_answer(response)} (expected {status})"
             for label, response, status in expected if response.status != status]
    if items not in (None, []):
        wrong.append(f"    GET /cart afterwards, on {response.worker}: {_answer(response)} (expected an "
                     "empty cart: the bad requests must add nothing)")
    logout(scenario, ada, worker="web.1")
    if not wrong:
        return Verdict(True, f"All {len(expected)} bad or session-less requests got the answer the contract gives.")
    return Verdict(False, explain(
        "The grader sent requests that the contract answers with an error: some without any session, "
        f"and some with a bad body in {ada.user}'s live session.",
        "These answers were not the contract's:\n" + "\n".join(wrong),
        "401 means 'log in first' and must come whenever a request has no live session, before any "
        "data is touched; 400 means the request itself is wrong (no user name, an item that is not "
        "text), and such a request must change nothing. A client relies on the difference.",
        'Read the body with request.get_json(silent=True), check its fields and their types, and answer '
        '{"error": "..."} with 400 when they are wrong.'))


def _answer(response) -> str:
    """``returned 200 {"user":""}`` (or how the request failed)."""
    return response.describe().split(f" on {response.worker} ", 1)[-1]
