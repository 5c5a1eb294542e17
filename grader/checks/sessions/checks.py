"""Checks for the ``sessions`` exercise: a login that any worker honours, that survives restarts,
that expires when idle, that logout really ends, and that no made-up cookie can fake.

Each check drives one or more visitors (user agents with their own cookie jars, see
:mod:`.sessions_visit`). Checks that are about processes spread a visitor's requests over several
workers; checks that are about something else (two users apart, expiry, forgery) talk to one
worker, so that an app that keeps sessions in a process fails the process checks, not those.
"""
from __future__ import annotations

from ...harness.local_state import DATABASE, LASTING, LEFTOVER, LOG, WRITTEN, listed, recorded_findings
from ..base import Check, Scenario, Verdict
from ..feedback import explain, listing
from ...i18n import N_, Message, Text, _
from .cookies import cleared
from .expiry import TTL, idle_expiry
from .forged import edge_cases, forged_cookies
from .visit import Visitor, cart, login, logout, me, shopping, shown, visitors
from .why import (FACTOR_VI, STORE, carries_data, describe_cookies, lost_in_restart, rejected_elsewhere, where_kept)


def _wrong_cart(response, visitor: Visitor) -> Message:
    return _("{response}, but {user}'s cart holds {items} (every item added in this session, in the order it "
             "was added).", response=response.describe(), user=visitor.user, items=shown(visitor.items))


def _answered(response, visitor: Visitor) -> Message:
    """``GET /me on web.2 returned 401. The cookie was ...``"""
    return _("{response}. {cookies}", response=response.describe(), cookies=describe_cookies(visitor))


def across_workers(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    ada, = visitors(scenario.seed, 1)
    issuer = login(scenario, ada).worker
    did = _("The grader logged in as {user} (POST /login on {issuer}), then sent the same client's next "
            "requests, with the cookie it was given, to one worker after another (as a router may: never the "
            "same worker twice in a row).", user=ada.user, issuer=issuer)
    added_on: dict[str, list[str]] = {}  # worker -> the items it was sent
    for item in [None, *shopping(scenario.seed, 3)]:
        value, response = me(scenario, ada) if item is None else cart(scenario, ada, add=item)
        if value is None:
            return _refused(scenario, ada, did, issuer, response)
        if item is None and value != ada.user:
            return Verdict(False, explain(did, _("{response}: another user's name.", response=response.describe()),
                                          _("The session started by {user}'s login must answer for {user}, on "
                                            "every worker.", user=ada.user), STORE))
        added_on.setdefault(response.worker, []).extend([item] if item else [])
        if item is not None and value != ada.items:
            return _cart_split(did, ada, response, value == added_on[response.worker])
    for name in cluster.serving():
        user, response = me(scenario, ada, worker=name)
        if user is None:
            return _refused(scenario, ada, did, issuer, response)
        items, response = cart(scenario, ada, worker=name)
        if items != ada.items:
            return _cart_split(did, ada, response, items == added_on.get(name, []))
    return Verdict(True, _("{user} logged in on {issuer}; /me and the cart then worked on every worker "
                           "({workers}), with the items in order.", user=ada.user, issuer=issuer,
                           workers=listing(cluster.serving())))


def _refused(scenario: Scenario, ada: Visitor, did: Message, issuer: str, response) -> Verdict:
    saw = _answered(response, ada)
    again, accepted = me(scenario, ada, worker=issuer)
    if again is None or response.worker == issuer:
        return Verdict(False, explain(
            did, Text((saw, _("Even {issuer}, which set that cookie, answers 401 to it.", issuer=issuer)), " "),
            _("The login did not create a session that a later request can find, on any worker."),
            Text((STORE, _("POST /login must create it and set the cookie that names it.")), " ")))
    why, fix = rejected_elsewhere(scenario, ada, issuer, response.worker)
    return Verdict(False, explain(did, Text((saw, _("Yet {issuer}, which set it, still accepts it: {response}.",
                                                    issuer=issuer, response=accepted.describe())), " "),
                                  why, fix))


def _cart_split(did: Message, ada: Visitor, response, per_process: bool) -> Verdict:
    """A cart that differs from what was added; ``per_process``: it holds exactly what was sent to
    the worker that answered, so each process keeps a cart of its own."""
    if not per_process:
        return Verdict(False, explain(did, _wrong_cart(response, ada), "",
                                      _("Answer every item added in this session, in the order it was added.")))
    return Verdict(False, explain(
        did, Text((_wrong_cart(response, ada), _("That is exactly what was sent to {worker} itself.",
                                                 worker=response.worker)), " "),
        Text((_("The user is the same everywhere, but each worker keeps a cart of its own, in its memory or on "
                "its disk."), FACTOR_VI), " "),
        _("Keep the cart with the session in the store (a Redis list RPUSHed per session, or rows "
          "keyed by the session id), never in a process.")))


def restart_all(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    ada, = visitors(scenario.seed + 1, 1)
    login(scenario, ada, worker="web.1")
    for item in shopping(scenario.seed, 2):
        cart(scenario, ada, worker="web.1", add=item)
    user, response = me(scenario, ada, worker="web.1")
    if user != ada.user:
        return Verdict(False, explain(
            _("The grader logged in as {user} on web.1 and sent GET /me to web.1 as well.", user=ada.user),
            _answered(response, ada),
            _("Not even the worker that created the session finds it again."), STORE))
    cluster.restart_all()
    did = _("The grader logged in as {user} on web.1 and added {items} to the cart there, then restarted every "
            "worker (SIGTERM, as every deploy does) and sent GET /me and GET /cart, with the same cookie, to "
            "each fresh worker.", user=ada.user, items=shown(ada.items))
    for name in cluster.serving():
        user, response = me(scenario, ada, worker=name)
        if user is None:
            why, fix = lost_in_restart(scenario, ada, "web.1")
            return Verdict(False, explain(did, _answered(response, ada), why, fix))
        items, response = cart(scenario, ada, worker=name)
        if items != ada.items:
            return Verdict(False, explain(
                did, Text((_wrong_cart(response, ada), _("The login survived the restart; the cart did not.")), " "),
                Text((_("So the cart was kept in the process, whose memory and disk a restart wipes."), FACTOR_VI),
                     " "),
                _("Keep the cart with the session in the store, never in a process.")))
    return Verdict(True, _("{user}'s session and cart survived a restart of every worker.", user=ada.user))


def two_users(scenario: Scenario) -> Verdict:
    people = visitors(scenario.seed, 3, same_name=True)
    namesake = people[2]
    goods = shopping(scenario.seed + 3, 6)
    for person in people:
        login(scenario, person, worker="web.1")
    did = _("The grader logged in three clients on web.1, one after the other: {first}, {second}, and {third} "
            "again from a second client (another device), then let them add items to their carts in turn and "
            "asked each for /me and /cart.", first=people[0].user, second=people[1].user, third=namesake.user)
    for index, item in enumerate(goods):
        person = people[index % 3]
        items, response = cart(scenario, person, worker="web.1", add=item)
        if items != person.items:
            return _mixed(did, people, person, response, items)
    for person in people:
        user, response = me(scenario, person, worker="web.1")
        if user != person.user:
            return _mixed(did, people, person, response, user)
        items, response = cart(scenario, person, worker="web.1")
        if items != person.items:
            return _mixed(did, people, person, response, items)
    return Verdict(True, _("Three clients ({first}, and {second} twice) kept their own sessions and carts.",
                           first=people[0].user, second=people[1].user))


def _mixed(did: Message, people: list[Visitor], person: Visitor, response, got) -> Verdict:
    client = _("the second client of {user}", user=person.user) if person is people[2] else person.user
    seen = dict(client=client, response=response.describe())
    if got is None:
        return Verdict(False, explain(
            did, _("For {client}: {response}. That session had been logged in, and no other client logged it "
                   "out.", **seen),
            _("Logging another client in ended this one's session: the app keeps one session for everyone "
              "(one user, one key) instead of one per client."),
            Text((STORE, _("Each POST /login creates a new session with its own id.")), " ")))
    if isinstance(got, str):
        return Verdict(False, explain(
            did, _("For {client}: {response}, which is another client's user: {user} logged in from this "
                   "client.", user=person.user, **seen),
            _("The app keeps one 'current user' for everybody (a global variable, or a single key in the "
              "store) rather than one session per client, so the last login wins for all."),
            Text((STORE, _("Each POST /login creates a new session with its own id, and the cookie names it.")),
                 " ")))
    if person is people[2] and any(item in people[1].items for item in got):
        why = _("Two clients logged in under the same name share one cart: it is kept under the user's name "
                "({user}), not under the session. Two devices, or two people, logging in with one name would "
                "see and change each other's carts.", user=person.user)
        return Verdict(False, explain(did, _("For {client}: {response}; this client added only {items}.",
                                             items=shown(person.items), **seen), why,
                                      _("Key the cart by the session's id, not by the user's name.")))
    return Verdict(False, explain(
        did, _("For {client}: {response}; this client added {items}.", items=shown(person.items), **seen),
        _("A client sees items that another client added: the cart is not kept per session."),
        _("Keep each cart with its own session in the store, under the session's id.")))


def logout_everywhere(scenario: Scenario) -> Verdict:
    ada, = visitors(scenario.seed + 2, 1)
    login(scenario, ada, worker="web.1")
    cart(scenario, ada, worker="web.1", add=shopping(scenario.seed, 1)[0])
    before, _before_response = me(scenario, ada, worker="web.2")
    copy = ada.copy_as("copied-cookie")
    copied = describe_cookies(copy)
    answer = logout(scenario, ada, worker="web.2")
    replays = [me(scenario, copy, worker="web.1"), cart(scenario, copy, worker="web.1"),
               cart(scenario, copy, worker="web.2", add="after logout")]
    own, own_response = me(scenario, ada, worker="web.1")
    alive = [response for value, response in replays if value is not None]
    if not alive and own is None:
        return Verdict(True, _("After logout on web.2, {user}'s copied cookie got 401 on both workers.",
                               user=ada.user))
    did = _("The grader logged in as {user} on web.1, kept a copy of the cookie (as another tab, a proxy log or "
            "a stolen laptop would), logged out on web.2 (POST /logout returned 200), then replayed the copied "
            "cookie on both workers.", user=ada.user)
    saw = Text((_("After the logout:"),
                *(Text(("    ", response.describe()), "") for response in alive or [own_response]), copied))
    forgot = any(cleared(answer, name) for name, morsel in copy.client.cookies.items() if morsel.value)
    why, fix = _still_logged_in(scenario, copy, before is not None, forgot)
    return Verdict(False, explain(did, saw, why, fix))


def _still_logged_in(scenario: Scenario, copy: Visitor, reached: bool, forgot: bool) -> tuple[Message | Text,
                                                                                               Message | Text]:
    """(why, fix) for a session that outlived its logout; ``reached``: web.2 knew it before the
    logout; ``forgot``: the logout's answer told the client to drop the cookie."""
    if carries_data(copy):
        why = (_("The cookie carries the whole session, signed. Logout can only ask the browser to drop it (as "
                 "your answer did); a copy is still validly signed, and no process can tell that it was "
                 "revoked.") if forgot else
               _("The cookie carries the whole session, signed. Logout can only ask the browser to drop it (your "
                 "answer did not even do that); a copy is still validly signed, and no process can tell that it "
                 "was revoked."))
        fix = _("Keep sessions on the server with only a random id in the cookie, and delete the session "
                "from the store at logout: the copied id then leads nowhere.")
        if not reached:
            why = Text((why, _("Besides, web.2 had refused this cookie even before the logout (GET /me there "
                               "returned 401): it signs with another key than web.1.")), " ")
            fix = Text((fix, _("And sign with one key in every process: the SECRET_KEY in the environment.")), " ")
        return why, fix
    if not reached:
        why = _("Before logging out, GET /me on web.2 had already returned 401: web.2 never knew this session, "
                "which exists only {where}. So logout on web.2 could not end it, and web.1 still honours the "
                "cookie.", where=where_kept(scenario, "web.1"))
        return Text((why, FACTOR_VI), " "), Text((STORE, _("Logout then deletes it there, for every worker at "
                                                           "once.")), " ")
    why = (_("The session itself still exists: logout told the client to forget the cookie, but did not delete "
             "the session on the server, so anyone holding the cookie is still logged in.") if forgot else
           _("The session itself still exists: logout did not delete the session on the server, so anyone "
             "holding the cookie is still logged in."))
    return why, _("At logout, delete the session from the store (DEL in Redis, DELETE in SQL) before answering.")


ADVICE = {  # in the order findings are listed: the likeliest cause first
    LASTING: N_("Keep sessions in the store at REDIS_URL or DATABASE_URL. A session file on a process's own "
                "disk (PHP-style session files, Flask-Session's 'filesystem' type) is seen by no other "
                "process and is gone at the next restart."),
    DATABASE: N_("Use the database at DATABASE_URL (or Redis at REDIS_URL); don't open a database file of your "
                 "own."),
    LOG: N_("Write log lines to stdout or stderr: the platform collects every process's output."),
    LEFTOVER: N_("Scratch files belong to the request that made them: delete them before responding "
                 "(`with tempfile.TemporaryDirectory() as scratch:` does it for you)."),
    WRITTEN: N_("If the data must outlive the request, keep it in the store at REDIS_URL or DATABASE_URL."),
}


def no_local_disk(scenario: Scenario) -> Verdict:
    people = visitors(scenario.seed, 2)
    for person in people:
        login(scenario, person)
        cart(scenario, person, add=shopping(scenario.seed, 1)[0])
        me(scenario, person)
        cart(scenario, person)
    logout(scenario, people[0])
    found = sorted(recorded_findings(scenario),
                   key=lambda finding: list(ADVICE).index(finding.kind))
    if not found:
        return Verdict(True, _("No worker kept anything on its local disk."))
    return Verdict(False, explain(
        _("The grader logged two users in, used their sessions and carts, logged one out, and recorded "
          "every file the app's code opened."),
        Text((_("The app kept data on local disk:"), listed(found))),
        Text((_("Local disk is only scratch space for a single request: on a real platform it is private to one "
                "process and wiped whenever the process restarts, so other workers never see it."), FACTOR_VI),
             " "),
        Text([_(ADVICE[kind]) for kind in dict.fromkeys(finding.kind for finding in found)])))


CHECKS = [
    Check("across_workers", N_("A login works on every worker"), 2, across_workers, policy="never_same"),
    Check("idle_expiry", N_("An idle session expires; a used one lives on"), 2, idle_expiry, workers=1,
          config={"SESSION_TTL": str(TTL)}),
    Check("restart_all", N_("A session survives a restart of every worker"), 2, restart_all, workers=2),
    Check("two_users", N_("Two users at once never see each other's data"), 2, two_users, workers=1),
    Check("logout", N_("Logout ends the session on every worker"), 2, logout_everywhere, workers=2),
    Check("no_local_disk", N_("Nothing is kept on local disk"), 1, no_local_disk, workers=2),
    Check("forged_cookies", N_("Made-up and altered cookies get 401"), 2, forged_cookies, hidden=True, workers=1),
    Check("edge_cases", N_("Bad requests get 400, requests without a session 401"), 1, edge_cases,
          hidden=True, workers=1),
]
