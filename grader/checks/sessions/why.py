"""Why a session went missing: the diagnoses the ``sessions`` checks share.

A worker answers 401 to a cookie for one of two reasons the grader can tell apart. When the cookie
carries the session data (see :mod:`.sessions_cookies`), the worker refused its signature: the
processes sign with different keys. When it carries only an id, the worker does not know the
session: it lives in the memory or on the disk of the process that created it, and the audit
record says which of the two.
"""
from __future__ import annotations

from ...harness.local_state import LASTING, recorded_findings
from ...i18n import Message, Text, _
from ..base import Scenario
from .cookies import Anatomy, session_cookies
from .visit import Visitor

STORE = _("Keep each session in the store at REDIS_URL (or DATABASE_URL) under a random id, put only "
          "that id in the cookie, and give the session an expiry of SESSION_TTL seconds.")
SECRET = _('Sign with the key the platform gives every process: app.secret_key = os.environ["SECRET_KEY"] '
           "(and SECRET_KEY must be the only secret your app uses).")
FACTOR_VI = _("Factor VI: processes share nothing, and a router may send any request to any of them; "
              "session state is exactly the kind of data that belongs in a backing service with "
              "time-expiration, such as Redis or Memcached.")
MAX_FILES_NAMED = 2


def cookies_of(visitor: Visitor) -> list[Anatomy]:
    return session_cookies(visitor.client.cookies, visitor.user)


def describe_cookies(visitor: Visitor) -> Message:
    cookies = cookies_of(visitor)
    if not cookies:
        return _("The client held no cookie at all.")
    described = cookies[0].describe()
    for cookie in cookies[1:]:
        described = _("{first}; and {second}", first=described, second=cookie.describe())
    return _("The cookie was {cookies}.", cookies=described)


def carries_data(visitor: Visitor) -> bool:
    return any(cookie.carries_data for cookie in cookies_of(visitor))


def where_kept(scenario: Scenario, worker: str) -> Message:
    """Where ``worker`` (any of its incarnations so far) kept state: its memory, or files it named."""
    found = [finding for finding in recorded_findings(scenario) if finding.worker == worker]
    found.sort(key=lambda finding: finding.kind != LASTING)  # files read back first: the sessions
    if not found:
        return _("in {worker}'s memory", worker=worker)
    paths = ", ".join(finding.path for finding in found[:MAX_FILES_NAMED])
    if len(found) > MAX_FILES_NAMED:
        return _("on {worker}'s own disk (it wrote {paths} and {count} more)", worker=worker, paths=paths,
                 count=len(found) - MAX_FILES_NAMED)
    return _("on {worker}'s own disk (it wrote {paths})", worker=worker, paths=paths)


def rejected_elsewhere(scenario: Scenario, visitor: Visitor, issuer: str, refuser: str) -> tuple[Text, Message]:
    """(why, fix) when ``refuser`` answered 401 to a cookie that ``issuer`` set and still accepts."""
    if carries_data(visitor):
        why = _("The cookie carries the session data itself, signed by {issuer}, and {refuser} refuses "
                "that signature: the two processes sign with different keys. A key made up when a "
                "process starts (os.urandom or secrets.token_hex at import) differs in every process "
                "and after every restart.", issuer=issuer, refuser=refuser)
        return Text((why, FACTOR_VI), " "), SECRET
    why = _("The cookie is only an id, and {refuser} has never heard of it: the session exists only "
            "{where}. Sticky routing would hide this until {issuer} restarts.",
            refuser=refuser, where=where_kept(scenario, issuer), issuer=issuer)
    return Text((why, FACTOR_VI), " "), STORE


def lost_in_restart(scenario: Scenario, visitor: Visitor, worker: str) -> tuple[Text, Message]:
    """(why, fix) when a fresh process answered 401 to a cookie its predecessor accepted."""
    if carries_data(visitor):
        why = _("The cookie carries the session data itself, signed, and the fresh process refuses the "
                "signature its predecessor made: the key changes whenever a process starts (os.urandom "
                "or secrets.token_hex at import). Every deploy would log every user out.")
        return Text((why, FACTOR_VI), " "), SECRET
    why = _("The cookie is only an id, and the session it names was kept {where}; a restarted process "
            "starts with empty memory and an empty disk. Every deploy, and the platform's daily restart, "
            "would log every user out.", where=where_kept(scenario, worker))
    return Text((why, FACTOR_VI), " "), STORE
