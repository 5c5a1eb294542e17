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
from .cookies import cleared
from .expiry import TTL, idle_expiry
from .forged import edge_cases, forged_cookies
from .visit import Visitor, cart, login, logout, me, shopping, shown, visitors
from .why import (FACTOR_VI, STORE, carries_data, describe_cookies, lost_in_restart, rejected_elsewhere, where_kept)


def _wrong_cart(response, visitor: Visitor) -> str:
    return (f"{response.describe()}, but {visitor.user}'s cart holds {shown(visitor.items)} (every item added "
            "in this session, in the order it was added).")


def across_workers(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    ada, = visitors(scenario.seed, 1)
    issuer = login(scenario, ada).worker
    did = (f"The grader logged in as {ada.user} (POST /login on {issuer}), then sent the same client's "
           "next requests, with the cookie it was given, to one worker after another (as a router "
           "may: never the same worker twice in a row).")
    added_on: dict[str, list[str]] = {}  # worker -> the items it was sent
    for item in [None, *shopping(scenario.seed, 3)]:
        value, response = me(scenario, ada) if item is None else cart(scenario, ada, add=item)
        if value is None:
            return _refused(scenario, ada, did, issuer, response)
        if item is None and value != ada.user:
            return Verdict(False, explain(did, f"{response.describe()}: another user's name.",
                                          f"The session started by {ada.user}'s login must answer for "
                                          f"{ada.user}, on every worker.", STORE))
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
    return Verdict(True, f"{ada.user} logged in on {issuer}; /me and the cart then worked on every worker "
                         f"({listing(cluster.serving())}), with the items in order.")


def _refused(scenario: Scenario, ada: Visitor, did: str, issuer: str, response) -> Verdict:
    saw = f"{response.describe()}. {describe_cookies(ada)}"
    again, accepted = me(scenario, ada, worker=issuer)
    if again is None or response.worker == issuer:
        return Verdict(False, explain(
            did, saw + f" Even {issuer}, which set that cookie, answers 401 to it.",
            "The login did not create a session that a later request can find, on any worker.",
            STORE + " POST /login must create it and set the cookie that names it."))
    why, fix = rejected_elsewhere(scenario, ada, issuer, response.worker)
    return Verdict(False, explain(did, saw + f" Yet {issuer}, which set it, still accepts it: "
                                  f"{accepted.describe()}.", why, fix))


def _cart_split(did: str, ada: Visitor, response, per_process: bool) -> Verdict:
    """A cart that differs from what was added; ``per_process``: it holds exactly what was sent to
    the worker that answered, so each process keeps a cart of its own."""
    if not per_process:
        return Verdict(False, explain(did, _wrong_cart(response, ada), "",
                                      "Answer every item added in this session, in the order it was added."))
    return Verdict(False, explain(
        did, _wrong_cart(response, ada) + f" That is exactly what was sent to {response.worker} itself.",
        "The user is the same everywhere, but each worker keeps a cart of its own, in its memory or on "
        "its disk. " + FACTOR_VI,
        "Keep the cart with the session in the store (a Redis list RPUSHed per session, or rows "
        "keyed by the session id), never in a process."))


def restart_all(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    ada, = visitors(scenario.seed + 1, 1)
    login(scenario, ada, worker="web.1")
    for item in shopping(scenario.seed, 2):
        cart(scenario, ada, worker="web.1", add=item)
    user, response = me(scenario, ada, worker="web.1")
    if user != ada.user:
        return Verdict(False, explain(
            f"The grader logged in as {ada.user} on web.1 and sent GET /me to web.1 as well.",
            f"{response.describe()}. {describe_cookies(ada)}",
            "Not even the worker that created the session finds it again.", STORE))
    cluster.restart_all()
    did = (f"The grader logged in as {ada.user} on web.1 and added {shown(ada.items)} to the cart there, then "
           "restarted every worker (SIGTERM, as every deploy does) and sent GET /me and GET /cart, with "
           "the same cookie, to each fresh worker.")
    for name in cluster.serving():
        user, response = me(scenario, ada, worker=name)
        if user is None:
            why, fix = lost_in_restart(scenario, ada, "web.1")
            return Verdict(False, explain(did, f"{response.describe()}. {describe_cookies(ada)}", why, fix))
        items, response = cart(scenario, ada, worker=name)
        if items != ada.items:
            return Verdict(False, explain(
                did, _wrong_cart(response, ada) + " The login survived the restart; the cart did not.",
                "So the cart was kept in the process, whose memory and disk a restart wipes. " + FACTOR_VI,
                "Keep the cart with the session in the store, never in a process."))
    return Verdict(True, f"{ada.user}'s session and cart survived a restart of every worker.")


def two_users(scenario: Scenario) -> Verdict:
    people = visitors(scenario.seed, 3, same_name=True)
    namesake = people[2]
    goods = shopping(scenario.seed + 3, 6)
    for person in people:
        login(scenario, person, worker="web.1")
    did = (f"The grader logged in three clients on web.1, one after the other: {people[0].user}, "
           f"{people[1].user}, and {namesake.user} again from a second client (another device), then "
           "let them add items to their carts in turn and asked each for /me and /cart.")
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
    return Verdict(True, f"Three clients ({people[0].user}, and {people[1].user} twice) kept their own "
                         "sessions and carts.")


def _mixed(did: str, people: list[Visitor], person: Visitor, response, got) -> Verdict:
    client = "the second client of " + person.user if person is people[2] else person.user
    saw = f"For {client}: {response.describe()}"
    if got is None:
        return Verdict(False, explain(
            did, saw + ". That session had been logged in, and no other client logged it out.",
            "Logging another client in ended this one's session: the app keeps one session for everyone "
            "(one user, one key) instead of one per client.",
            STORE + " Each POST /login creates a new session with its own id."))
    if isinstance(got, str):
        return Verdict(False, explain(
            did, saw + f", which is another client's user: {person.user} logged in from this client.",
            "The app keeps one 'current user' for everybody (a global variable, or a single key in the "
            "store) rather than one session per client, so the last login wins for all.",
            STORE + " Each POST /login creates a new session with its own id, and the cookie names it."))
    if person is people[2] and any(item in people[1].items for item in got):
        why = (f"Two clients logged in under the same name share one cart: it is kept under the user's "
               f"name ({person.user}), not under the session. Two devices, or two people, logging in "
               "with one name would see and change each other's carts.")
        return Verdict(False, explain(did, saw + f"; this client added only {shown(person.items)}.", why,
                                      "Key the cart by the session's id, not by the user's name."))
    return Verdict(False, explain(
        did, saw + f"; this client added {shown(person.items)}.",
        "A client sees items that another client added: the cart is not kept per session.",
        "Keep each cart with its own session in the store, under the session's id."))


def logout_everywhere(scenario: Scenario) -> Verdict:
    ada, = visitors(scenario.seed + 2, 1)
    login(scenario, ada, worker="web.1")
    cart(scenario, ada, worker="web.1", add=shopping(scenario.seed, 1)[0])
    before, _ = me(scenario, ada, worker="web.2")
    copy = ada.copy_as("copied-cookie")
    copied = describe_cookies(copy)
    answer = logout(scenario, ada, worker="web.2")
    replays = [me(scenario, copy, worker="web.1"), cart(scenario, copy, worker="web.1"),
               cart(scenario, copy, worker="web.2", add="after logout")]
    own, own_response = me(scenario, ada, worker="web.1")
    alive = [response for value, response in replays if value is not None]
    if not alive and own is None:
        return Verdict(True, f"After logout on web.2, {ada.user}'s copied cookie got 401 on both workers.")
    did = (f"The grader logged in as {ada.user} on web.1, kept a copy of the cookie (as another tab, a "
           "proxy log or a stolen laptop would), logged out on web.2 (POST /logout returned 200), then "
           "replayed the copied cookie on both workers.")
    saw = "After the logout:\n" + "\n".join("    " + response.describe() for response in alive or [own_response])
    forgot = any(cleared(answer, name) for name, morsel in copy.client.cookies.items() if morsel.value)
    why, fix = _still_logged_in(scenario, copy, before is not None, forgot)
    return Verdict(False, explain(did, saw + "\n" + copied, why, fix))


def _still_logged_in(scenario: Scenario, copy: Visitor, reached: bool, forgot: bool) -> tuple[str, str]:
    """(why, fix) for a session that outlived its logout; ``reached``: web.2 knew it before the
    logout; ``forgot``: the logout's answer told the client to drop the cookie."""
    if carries_data(copy):
        why = ("The cookie carries the whole session, signed. Logout can only ask the browser to drop "
               f"it ({'as your answer did' if forgot else 'your answer did not even do that'}); a copy is "
               "still validly signed, and no process can tell that it was revoked.")
        fix = ("Keep sessions on the server with only a random id in the cookie, and delete the session "
               "from the store at logout: the copied id then leads nowhere.")
        if not reached:
            why += (" Besides, web.2 had refused this cookie even before the logout (GET /me there returned "
                    "401): it signs with another key than web.1.")
            fix += " And sign with one key in every process: the SECRET_KEY in the environment."
        return why, fix
    if not reached:
        why = (f"Before logging out, GET /me on web.2 had already returned 401: web.2 never knew this "
               f"session, which exists only {where_kept(scenario, 'web.1')}. So logout on web.2 could not "
               "end it, and web.1 still honours the cookie. " + FACTOR_VI)
        return why, STORE + " Logout then deletes it there, for every worker at once."
    why = ("The session itself still exists: logout " + ("told the client to forget the cookie, but "
           if forgot else "") + "did not delete the session on the server, so anyone holding the "
           "cookie is still logged in.")
    return why, "At logout, delete the session from the store (DEL in Redis, DELETE in SQL) before answering."


ADVICE = {  # in the order findings are listed: the likeliest cause first
    LASTING: "Keep sessions in the store at REDIS_URL or DATABASE_URL. A session file on a process's own "
             "disk (PHP-style session files, Flask-Session's 'filesystem' type) is seen by no other "
             "process and is gone at the next restart.",
    DATABASE: "Use the database at DATABASE_URL (or Redis at REDIS_URL); don't open a database file of your own.",
    LOG: "Write log lines to stdout or stderr: the platform collects every process's output.",
    LEFTOVER: "Scratch files belong to the request that made them: delete them before responding "
              "(`with tempfile.TemporaryDirectory() as scratch:` does it for you).",
    WRITTEN: "If the data must outlive the request, keep it in the store at REDIS_URL or DATABASE_URL.",
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
        return Verdict(True, "No worker kept anything on its local disk.")
    return Verdict(False, explain(
        "The grader logged two users in, used their sessions and carts, logged one out, and recorded "
        "every file the app's code opened.",
        "The app kept data on local disk:\n" + listed(found),
        "Local disk is only scratch space for a single request: on a real platform it is private to one "
        "process and wiped whenever the process restarts, so other workers never see it. " + FACTOR_VI,
        "\n".join(ADVICE[kind] for kind in dict.fromkeys(finding.kind for finding in found))))


CHECKS = [
    Check("across_workers", "A login works on every worker", 2, across_workers, policy="never_same"),
    Check("idle_expiry", "An idle session expires; a used one lives on", 2, idle_expiry, workers=1,
          config={"SESSION_TTL": str(TTL)}),
    Check("restart_all", "A session survives a restart of every worker", 2, restart_all, workers=2),
    Check("two_users", "Two users at once never see each other's data", 2, two_users, workers=1),
    Check("logout", "Logout ends the session on every worker", 2, logout_everywhere, workers=2),
    Check("no_local_disk", "Nothing is kept on local disk", 1, no_local_disk, workers=2),
    Check("forged_cookies", "Made-up and altered cookies get 401", 2, forged_cookies, hidden=True, workers=1),
    Check("edge_cases", "Bad requests get 400, requests without a session 401", 1, edge_cases,
          hidden=True, workers=1),
]
