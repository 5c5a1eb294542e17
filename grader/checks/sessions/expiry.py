"""The expiry check: an idle session ends after SESSION_TTL seconds, a session in use does not.

The check's workers start with a short TTL (its Check declares the config) and it waits on
purpose: one session is left idle for TTL + 1 seconds, measured from the moment its last answer
arrived, so an app that counts whole seconds still has to have expired it; the other is used every
PING seconds, far more often than the TTL, so no honest renewal can miss. This waiting is the
check's whole cost, about three seconds.
"""
from __future__ import annotations

import time

from ..base import Inconclusive, Scenario, Verdict
from ..feedback import explain
from ...i18n import Message, Text, _
from .visit import Visitor, cart, login, me, shopping, shown, visitors

TTL = 2  # seconds: the SESSION_TTL this check gives the app
GRACE = 1.0  # seconds of idleness past the TTL before the idle session must be gone (whole-second clocks)
PING = 0.5  # seconds between two requests of the session kept in use
TIMELY = TTL - 0.25  # seconds: a longer gap between two uses means the grader itself fell behind
EXPIRE = _("Give each session an expiry of SESSION_TTL seconds when it is created (SET key value EX ttl in "
           "Redis, or an 'expires' column in SQL) and push it back at every request made with it "
           "(EXPIRE key ttl, or GETEX key EX ttl, which reads and renews in one step).")


class FellBehind(Inconclusive):
    """The grader's own requests came too far apart to judge renewal (an overloaded machine)."""


def idle_expiry(scenario: Scenario) -> Verdict:
    idle, busy = visitors(scenario.seed + 4, 2)
    goods = shopping(scenario.seed, 2)
    login(scenario, idle)
    cart(scenario, idle, add=goods[0])
    idle_since = time.monotonic()
    login(scenario, busy)
    did = _("The grader set SESSION_TTL={ttl} (restarting the app, as a config change does) and logged in "
            "two users. It left {idle}'s session unused for {idle_for:g} s, while {busy} used theirs every "
            "{ping:g} s (GET /me and GET /cart in turn).", ttl=TTL, idle=idle.user, idle_for=TTL + GRACE,
            busy=busy.user, ping=PING)
    broken = _keep_using(scenario, busy, goods[1], until=idle_since + TTL + GRACE)
    if broken:
        return Verdict(False, explain(did, *broken, EXPIRE))
    idle_me, idle_response = me(scenario, idle)
    idle_cart, cart_response = cart(scenario, idle)
    if idle_me is not None or idle_cart is not None:
        alive = idle_response if idle_me is not None else cart_response
        waited = time.monotonic() - idle_since
        saw = _("{response}: {user}'s session was still alive after {seconds:.1f} s unused, with "
                "SESSION_TTL={ttl}.", response=alive.describe(), user=idle.user, seconds=waited, ttl=TTL)
        return Verdict(False, explain(
            did,
            Text((saw, _cookie_note(idle)), " "),
            _("The session outlived SESSION_TTL seconds of idleness: either it never expires, or its "
              "lifetime is not the one SESSION_TTL sets (a TTL written into the code, or the framework's "
              "default). A session the server does not forget lives on in the store, and so does every "
              "copy of its cookie. Factor VI names a store with time-expiration (Redis, Memcached) as the place "
              "for sessions: the server must forget them once they are idle."),
            EXPIRE))
    return Verdict(True, _("With SESSION_TTL={ttl}: the session left idle for {idle_for:g} s got 401; the one "
                           "used every {ping:g} s stayed logged in throughout, its cart intact.",
                           ttl=TTL, idle_for=TTL + GRACE, ping=PING))


def _keep_using(scenario: Scenario, busy: Visitor, item: str, until: float) -> tuple[Message, Message] | None:
    """Use ``busy``'s session every PING seconds until ``until``; (what was seen, why it is wrong) at
    the first use that finds the session gone or its cart changed, None when every use worked.

    Raises FellBehind when the grader's own uses came too far apart to hold the app to account.
    """
    logged_in = time.monotonic()
    previous = time.monotonic()  # when the last use (here, adding the first item) was sent
    cart(scenario, busy, add=item)
    uses = 0
    while time.monotonic() < until:
        _pause_until(min(previous + PING, until))
        started = time.monotonic()
        value, response = me(scenario, busy) if uses % 2 == 0 else cart(scenario, busy)
        uses += 1
        if value is None and time.monotonic() - previous > TIMELY:
            raise FellBehind(_("The grader fell behind on this busy machine: two of its own requests came "
                               "{gap:.2f} s apart, too long to judge a {ttl} s expiry. This says nothing about "
                               "your app; run the check again.", gap=time.monotonic() - previous, ttl=TTL))
        if value is None:
            return (_("{response}, {after:.1f} s after {user} logged in, although the previous request of that "
                      "session, {gap:.1f} s earlier, had worked.", response=response.describe(),
                      after=started - logged_in, user=busy.user, gap=started - previous),
                    _("A session must expire when it is idle, not a fixed time after login: every request "
                      "made with it renews it. Otherwise a busy user is logged out in the middle of what "
                      "they are doing."))
        if response.path == "/cart" and value != busy.items:
            return (_("{response}, {after:.1f} s after {user} logged in and added {items}: the session is "
                      "alive, but its cart is not.", response=response.describe(), after=started - logged_in,
                      user=busy.user, items=shown(busy.items)),
                    _("Everything that belongs to a session must live as long as the session: the cart's "
                      "expiry was not renewed along with the session's."))
        previous = started
    return None


def _pause_until(moment: float) -> None:
    """Wait until time.monotonic() reaches ``moment``: the passing of time is what this check tests."""
    remaining = moment - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def _cookie_note(visitor) -> Message | str:
    """A remark for apps that only let the cookie expire in the browser."""
    if visitor.login is None:
        return ""
    headers = " ".join(visitor.login.header("Set-Cookie")).lower()
    if "max-age" in headers or "expires" in headers:
        return _("The login's cookie carries an expiry (Max-Age or Expires), but that only asks a browser "
                 "to forget it; a client that keeps it, or a copy of it, still gets in.")
    return ""
