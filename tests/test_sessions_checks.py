"""The sessions checks against purpose-built apps: right apps pass on every seed, and each wrong app
fails exactly the checks its bug breaks, with feedback that names that bug.

Every app is graded once, all of them side by side (GRADING_AT_ONCE runs at a time), in one
module-scoped fixture: the runs overlap their deliberate waiting (the expiry check waits about three
seconds) and load the machine, which is what a timing-dependent check must survive.
"""
from __future__ import annotations

import random
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask, session

from grader.checks.sessions import cookies
from grader.checks.sessions.expiry import GRACE, TTL
from settled import grade_settled
from grader.platform.platform import SESSION_TTL, Platform
from grader.platform.source import load

APPS = Path(__file__).parent / "apps" / "sessions"
REFERENCE = "redis_sessions"
SEEDS = range(20)
GRADING_AT_ONCE = 4
RIGHT = ("flask_session_redis", "sqlite_signed_id")
CHECKS = ("across_workers", "idle_expiry", "restart_all", "two_users", "logout", "no_local_disk",
          "forged_cookies", "edge_cases")
FAILS = {  # each wrong app: the checks it must fail, and only those
    "process_dict": {"across_workers", "restart_all", "logout"},
    "pickled_files": {"across_workers", "restart_all", "logout", "no_local_disk"},
    "per_process_secret": {"across_workers", "restart_all", "logout"},
    "cart_in_memory": {"across_workers", "restart_all"},
    "flask_cookie_session": {"logout"},
    "hardcoded_dev_key": {"logout", "forged_cookies"},
    "logout_keeps_session": {"logout"},
    "no_expiry": {"idle_expiry"},
    "expiry_not_renewed": {"idle_expiry"},
    "cart_not_renewed": {"idle_expiry"},
    "unsigned_user_cookie": {"two_users", "forged_cookies"},
    "cart_by_name": {"two_users"},
    "accepts_empty_user": {"edge_cases"},
}


@pytest.fixture(scope="module")
def reports():
    """{(app, seed): Report} for the reference on every seed and every other app on seed 0."""
    runs = [(REFERENCE, seed) for seed in SEEDS] + [(app, 0) for app in (*RIGHT, *FAILS)]
    with ThreadPoolExecutor(GRADING_AT_ONCE) as pool:
        graded = pool.map(lambda run: grade_settled("sessions", APPS / run[0], seed=run[1]), runs)
        return dict(zip(runs, graded))


def failed(report) -> set[str]:
    return {result.name for result in report.results if not result.passed}


def feedback(reports, app: str, check: str) -> str:
    return reports[(app, 0)].result(check).feedback


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_gets_full_marks_on_every_seed(reports, seed):
    report = reports[(REFERENCE, seed)]
    assert [result.name for result in report.results] == list(CHECKS)
    assert report.score == report.max_score == 14, report.to_text()


@pytest.mark.parametrize("app", RIGHT)
def test_other_right_apps_get_full_marks(reports, app):
    """Flask-Session in Redis, and SQL sessions behind a signed id with a whole-second clock."""
    report = reports[(app, 0)]
    assert report.score == report.max_score, report.to_text()


@pytest.mark.parametrize("app", sorted(FAILS))
def test_each_wrong_app_fails_exactly_the_checks_its_bug_breaks(reports, app):
    report = reports[(app, 0)]
    assert failed(report) == FAILS[app], report.to_text()
    assert all(result.status != "could not grade" for result in report.results), report.to_text()


def test_sessions_in_a_dict_are_found_only_on_the_worker_that_made_them(reports):
    across = feedback(reports, "process_dict", "across_workers")
    assert "GET /me on web.2 returned 401" in across
    assert "which reads as a random id" in across and "Yet web.1, which set it, still accepts it" in across
    assert "the session exists only in web.1's memory" in across
    assert "Sticky routing would hide this until web.1 restarts" in across and "REDIS_URL" in across
    restart = feedback(reports, "process_dict", "restart_all")
    assert "restarted every worker (SIGTERM" in restart and "GET /me on web.1 returned 401" in restart
    assert "was kept in web.1's memory; a restarted process starts with empty memory" in restart
    logout = feedback(reports, "process_dict", "logout")
    assert "Before logging out, GET /me on web.2 had already returned 401" in logout
    assert "logout on web.2 could not end it, and web.1 still honours the cookie" in logout


def test_a_cart_kept_per_process_is_told_apart_from_a_lost_login(reports):
    across = feedback(reports, "cart_in_memory", "across_workers")
    assert "That is exactly what was sent to web." in across
    assert "each worker keeps a cart of its own" in across and "returned 401" not in across
    restart = feedback(reports, "cart_in_memory", "restart_all")
    assert 'returned 200 {"items":[]}' in restart and "The login survived the restart; the cart did not" in restart


def test_pickled_session_files_are_named_with_their_path(reports):
    across = feedback(reports, "pickled_files", "across_workers")
    assert "the session exists only on web.1's own disk (it wrote flask_session/" in across
    disk = feedback(reports, "pickled_files", "no_local_disk")
    assert "web.1 kept state in flask_session/" in disk and "writing it and reading it back" in disk
    assert "Flask-Session's 'filesystem' type" in disk


def test_a_key_made_at_import_is_named_as_keys_that_differ_per_process(reports):
    across = feedback(reports, "per_process_secret", "across_workers")
    assert "whose first part decodes to {" in across and "signed session data" in across
    assert "web.2 refuses that signature: the two processes sign with different keys" in across
    assert 'app.secret_key = os.environ["SECRET_KEY"]' in across
    assert "memory" not in across  # the data is in the cookie: no process kept anything
    restart = feedback(reports, "per_process_secret", "restart_all")
    assert "the fresh process refuses the signature its predecessor made" in restart


def test_flask_cookie_session_cannot_revoke_a_copied_cookie(reports):
    logout = feedback(reports, "flask_cookie_session", "logout")
    assert "GET /me on web.1 returned 200" in logout
    assert "The cookie carries the whole session, signed. Logout can only ask the browser to drop it" in logout
    assert "delete the session from the store at logout" in logout
    assert "signs with another key" not in logout


def test_logout_that_only_drops_the_cookie_is_told_to_delete_the_session(reports):
    logout = feedback(reports, "logout_keeps_session", "logout")
    assert "told the client to forget the cookie, but did not delete the session on the server" in logout
    assert "DEL in Redis" in logout


def test_a_guessable_signing_key_lets_anyone_sign_a_session_for_another_user(reports):
    forged = feedback(reports, "hardcoded_dev_key", "forged_cookies")
    assert "1 did not get 401" in forged
    assert "signed as Flask signs its sessions but with the key 'dev'" in forged
    assert "a key anyone can guess ('dev')" in forged and "SECRET_KEY" in forged


def test_a_cookie_naming_the_user_lets_anyone_become_another_logged_in_user(reports):
    forged = feedback(reports, "unsigned_user_cookie", "forged_cookies")
    assert "with the name" in forged and "returned 200 {\"user\":" in forged
    assert "who is logged in right now, by editing their own cookie" in forged
    two = feedback(reports, "unsigned_user_cookie", "two_users")
    assert "Two clients logged in under the same name share one cart" in two


def test_a_cart_kept_under_the_name_is_shared_by_two_logins_of_that_name(reports):
    two = feedback(reports, "cart_by_name", "two_users")
    assert "For the second client of" in two and "this client added only" in two
    assert "Key the cart by the session's id, not by the user's name" in two


def test_sessions_that_never_expire_are_still_alive_after_the_ttl(reports):
    idle = feedback(reports, "no_expiry", "idle_expiry")
    assert "The grader set SESSION_TTL=2" in idle and "unused for 3 s" in idle
    assert "session was still alive after 3." in idle and "with SESSION_TTL=2" in idle
    assert "GETEX key EX ttl" in idle


def test_expiry_set_once_at_login_logs_out_a_busy_user(reports):
    idle = feedback(reports, "expiry_not_renewed", "idle_expiry")
    assert "returned 401" in idle and "although the previous request of that session" in idle
    # the session died SESSION_TTL seconds after login, as the app's one expiry said
    died = re.search(r" (\d+\.\d) s after \S+ logged in", idle)
    assert died and TTL <= float(died[1]) < TTL + GRACE, idle
    assert "not a fixed time after login: every request made with it renews it" in idle


def test_a_cart_that_outlives_its_expiry_less_than_its_session_is_named(reports):
    idle = feedback(reports, "cart_not_renewed", "idle_expiry")
    assert 'GET /cart on web.1 returned 200 {"items":[]}' in idle
    assert "the session is alive, but its cart is not" in idle
    assert "the cart's expiry was not renewed along with the session's" in idle


def test_bad_requests_are_listed_with_what_was_expected(reports):
    edges = feedback(reports, "accepts_empty_user", "edge_cases")
    assert 'POST /login {"user": ""}, on web.1: returned 200 {"user":""} (expected 400)' in edges
    assert "POST /login with no body, on web.1: returned 200" in edges
    assert "POST /cart" not in edges  # every other answer was right


# -- the platform's config and the cookie tools, without processes ------------------------------
def test_every_run_gets_its_own_secret_key_and_a_default_session_ttl():
    source = load(APPS / REFERENCE)
    first, second = Platform(source).extra_env, Platform(source).extra_env
    assert first["SECRET_KEY"] != second["SECRET_KEY"] and len(first["SECRET_KEY"]) >= 32
    assert first["SESSION_TTL"] == str(SESSION_TTL)
    assert Platform(source, env={"SESSION_TTL": "5"}).extra_env["SESSION_TTL"] == "5"


def _flask_cookie(key: str, user: str) -> str:
    app = Flask("forgery-test")
    app.secret_key = key

    @app.post("/login")
    def login():
        session["user"] = user
        return {}

    header = app.test_client().post("/login").headers["Set-Cookie"]
    return header.split(";")[0].split("=", 1)[1]


def _me(key: str, value: str):
    app = Flask("forgery-test")
    app.secret_key = key

    @app.get("/me")
    def me():
        return {"user": session.get("user")}

    client = app.test_client()
    client.set_cookie("session", value)
    return client.get("/me").json["user"]


def test_a_flask_session_cookie_is_read_as_signed_data_and_an_id_as_opaque():
    flask_cookie = cookies.anatomy("session", _flask_cookie("k" * 32, "ada_lovelace"), "ada_lovelace")
    assert flask_cookie.kind == cookies.SIGNED_DATA and '"user":"ada_lovelace"' in flask_cookie.payload
    assert cookies.anatomy("sid", "Zm9vYmFyYmF6cXV4cXV1eA", "ada_lovelace").kind == cookies.OPAQUE
    assert cookies.anatomy("user", "ada_lovelace", "ada_lovelace").kind == cookies.PLAIN


def test_only_the_guessable_key_forgery_fools_an_app_that_signs_with_that_key():
    value = _flask_cookie("dev", "ada_lovelace")
    made = cookies.forgeries(cookies.anatomy("session", value, "ada_lovelace"), "ada_lovelace",
                             "grace_hopper", random.Random(0))
    fooled = [forgery.how for forgery in made if _me("dev", forgery.value) is not None]
    assert fooled == ["session data naming grace_hopper, signed as Flask signs its sessions but with the key 'dev'"]
    assert all(_me("an-unguessable-key", forgery.value) is None for forgery in made)


@pytest.mark.parametrize("seed", range(5))
def test_one_changed_character_is_inside_a_run_and_never_its_last(seed):
    value = "abc.defghijklmnop.qr"
    changed, position, old, new = cookies._one_changed(value, random.Random(seed))
    assert value[position] == old != new and changed[position] == new and len(changed) == len(value)
    assert 4 <= position < 16  # inside the longest run "defghijklmnop", before its last character
