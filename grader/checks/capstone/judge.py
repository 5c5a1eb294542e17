"""Judging a chaos run (:mod:`.chaos`) on its records: what must hold whatever the faults did.

Each broken invariant becomes one paragraph of feedback: what broke, when, the fault nearest to it
(the one that exposed it), the factor VI rule behind it, and what to change. The timeline of faults
and failed requests follows.
"""
from __future__ import annotations

import time

from ..base import Verdict
from ..feedback import STDERR_HEADINGS, ContractError
from ..sessions.visit import login, me
from . import picture, storage
from .run import AFTERMATH, PERIOD, TTL, Run
from .api import clipped
from .waits import DONE_WITHIN, pause, settled
from ...i18n import Text, _, _n

MAX_LISTED = 8


def judge(run: Run, idle, idle_since: float, runs_before) -> Verdict:
    broken: list = []
    for failure in run.boot_failures:
        incarnation = failure.incarnation
        broken.append(Text((
            _("{name} did not start again after a fault ({reason}). Every process must be able to start at any "
              "moment, beside others starting at the same moment: creating tables at boot must not race (take a "
              "lock first, such as pg_advisory_xact_lock).", name=incarnation.name, reason=failure.reason),
            _stderr(incarnation)), ""))
    broken += _failures(run)
    broken += _uploads(run)
    broken += _sessions(run, idle, idle_since)
    broken += _visits(run)
    broken += _assets(run)
    broken += _clock(run, runs_before)
    timeline = _timeline(run)
    summary = _("The grader ran 3 users' traffic for {seconds:.0f} s ({requests} requests, {uploads} uploads "
                "accepted) while these faults happened:\n{timeline}", seconds=run.now(), requests=len(run.calls),
                uploads=len(run.accepted), timeline=timeline)
    figure = picture.timeline(run)
    if not broken:
        return Verdict(True, _("Every invariant held through {faults} faults: {requests} requests, {uploads} "
                               "uploads, {visits} visits.", faults=len(run.events), requests=len(run.calls),
                               uploads=len(run.accepted), visits=run.visits_ok), figure)
    rules = Text([Text((f"{index}. ", text), "") for index, text in enumerate(broken, 1)])
    return Verdict(False, Text((summary, Text((_("What broke:"), rules))), "\n\n"), figure)


def _stderr(incarnation) -> Text | str:
    label, text = incarnation.stderr_excerpt()
    if not text:
        return ""
    lines = "\n".join("        " + line for line in text.splitlines()[-8:])
    who = incarnation.name
    heading = _(STDERR_HEADINGS[label], who=who) if label in STDERR_HEADINGS else \
        _("{label} (stderr of {who}):", label=label.capitalize(), who=who)
    return Text(("\n    ", heading, "\n" + lines), "")


def _fault_name(event):
    return _("{fault} at {at:.1f} s", fault=event.what, at=event.at) if event else \
        _("no fault (the app's own doing)")


def _failures(run: Run) -> list:
    outside = [call for call in run.calls
               if (call.response.status is None or call.response.status >= 500) and not run.during_fault(call.at)]
    if not outside:
        return []
    shown = _indented([_("at {at:.1f} s, {user}: {response}", at=call.at, user=call.user,
                         response=clipped(call.response.describe(), 140)) for call in outside[:MAX_LISTED]])
    first = outside[0]
    return [Text((
        _n("{count} request failed while no fault was happening (the nearest before: {fault}):",
           "{count} requests failed while no fault was happening (the nearest before: {fault}):", len(outside),
           fault=_fault_name(run.nearest(first.at))),
        shown,
        _indented([_("After a fault is over the app must answer again by itself: reconnect to a service that "
                     "restarted (a connection per request, or a client that retries), and keep nothing a request "
                     "needs in a process that may be gone.")])))]


def _indented(lines: list) -> Text:
    """Feedback lines, each indented by four spaces."""
    return Text([Text(("    ", line), "") for line in lines])


def _uploads(run: Run) -> list:
    problems = []
    deadline = time.monotonic() + DONE_WITHIN
    try:
        held = storage.objects(run.cluster.env)
    except storage.StoreUnreadable as error:
        said = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
        return [_("The grader could not read the bucket: {error}.", error=said)]
    for item in run.accepted:
        left = max(0.5, deadline - time.monotonic())
        record, seen = _settled(run, item, left)
        copies = [key for key, body in held.items() if body == item.sheet.data]
        upload, name = repr(item.upload_id), item.sheet.name
        if record is None:
            problems.append(_("upload {upload} ({name}, accepted with 202) is gone: 404.", upload=upload, name=name))
        elif record["status"] != "done" or not item.sheet.matches(record.get("result")):
            fault = _worker_fault(run)
            problems.append(_(
                "upload {upload} ({name}) ended {status} with result {result} (statuses seen: {statuses}); "
                "expected done with {expected}. Nearest fault: {fault}. A job must stay in the store until its "
                "result is recorded, so that a worker that dies leaves it to another: take it with a lease or "
                "into a processing list, and acknowledge it only after the result is stored.",
                upload=upload, name=name, status=repr(record["status"]), result=repr(record.get("result")),
                statuses=" -> ".join(seen), expected=item.sheet.expected, fault=_fault_name(fault)))
        if len(copies) != 1:
            problems.append(_("upload {upload} ({name}) is {count} objects in the bucket; each accepted upload must "
                              "be exactly one object.", upload=upload, name=name, count=len(copies)))
        done_then = [at for at, state in item.statuses if state == "done"]
        if done_then and any(state != "done" for at, state in item.statuses if at > done_then[0]):
            problems.append(_("upload {upload} was done, then changed status again: {statuses}. A result is "
                              "recorded once: a second run of the same job must change nothing.", upload=upload,
                              statuses=" -> ".join(state for _at, state in item.statuses)))
        if len(problems) >= MAX_LISTED:
            break
    if not problems:
        return []
    return [Text((_n("{count} problem with the uploads:", "{count} problems with the uploads:", len(problems)),
                  _indented(problems)))]


def _settled(run: Run, item, within: float):
    """The upload's last record, as :func:`.waits.settled`; a user whose session lapsed while the
    grader waited (SESSION_TTL is short here) logs in again, as a person would."""
    try:
        return settled(run.scenario, item.user, item.upload_id, within=within)
    except ContractError as broken:
        if broken.response.status != 401:
            raise
        login(run.scenario, item.user)
        return settled(run.scenario, item.user, item.upload_id, within=max(within, 0.5))


def _worker_fault(run: Run):
    """The fault most likely to have left an upload unfinished: a worker killed outright first (a
    worker asked to stop can finish or give back its upload), then the ones that stop workers."""
    for kind in ("crash_worker", "scale_down", "config", "deploy", "restart_redis"):
        for event in run.events:
            if event.kind == kind:
                return event
    return None


def _sessions(run: Run, idle, idle_since: float) -> list:
    problems = []
    early = [(at, user, response, gap) for at, user, response, gap in run.logged_out if gap < TTL - 0.5]
    if early:
        at, user, response, gap = early[0]
        problems.append(_(
            "{user} was logged out at {at:.1f} s, {gap:.1f} s after their last answered request "
            "(SESSION_TTL={ttl}): {response}. Nearest fault: {fault}. A session must live in a shared store with "
            "time-expiration and survive every restart, deploy and re-routing.", user=user, at=at, gap=gap,
            ttl=TTL, response=clipped(response.describe(), 120), fault=_fault_name(run.nearest(at))))
    wait = idle_since + TTL + 1.0 - run.now()
    pause(wait)
    user, response = me(run.scenario, idle)
    if user is not None:
        problems.append(_("{user} logged in at {since:.1f} s and made no request after that; at {now:.1f} s "
                          "GET /me still said {body} (SESSION_TTL={ttl}). An idle session must expire, and must "
                          "not be renewed once expired.", user=idle.user, since=idle_since, now=run.now(),
                          body=response.body.strip()[:80], ttl=TTL))
    return problems


def _visits(run: Run) -> list:
    response = run.cluster.post("/visits")
    data = response.json()
    final = data.get("visits") if response.status == 200 and isinstance(data, dict) else None
    base = run.visits_base or 0
    low, high = base + run.visits_ok + 1, base + run.visits_ok + run.visits_unsure + 1
    if isinstance(final, int) and low <= final <= high:
        return []
    return [_("after {answered} answered POST /visits ({count} more failed during faults) and one more, the "
              "counter said {final}; it should be between {low} and {high}. Counts must live in the store and "
              "change in one atomic step (INCR), never in a process's memory.", count=run.visits_unsure,
              answered=run.visits_ok, final=repr(final), low=low, high=high)]


def _assets(run: Run) -> list:
    bad = [(at, href, styles) for at, href, styles in run.pages if styles.status != 200]
    bad = [(at, href, styles) for at, href, styles in bad
           if not (styles.status is None and run.during_fault(at))]
    if not bad:
        return []
    at, href, styles = bad[0]
    return [_n("{count} page named a stylesheet that their own process did not serve, the first at {at:.1f} s: "
               "{href} -> {response} (nearest fault: {fault}). The process that served the page did not serve "
               "the stylesheet it named: each release must carry its assets, built once by build.py, not made "
               "or renamed while it runs.",
               "{count} pages named a stylesheet that their own process did not serve, the first at {at:.1f} s: "
               "{href} -> {response} (nearest fault: {fault}). The process that served the page did not serve "
               "the stylesheet it named: each release must carry its assets, built once by build.py, not made "
               "or renamed while it runs.", len(bad), at=at, href=href,
               response=clipped(styles.describe(), 120), fault=_fault_name(run.nearest(at)))]


def _clock(run: Run, runs_before) -> list:
    after = cleanups_now(run)
    if not isinstance(runs_before, int) or not isinstance(after, int):
        return [_("GET /cleanups did not answer {answer} (before: {before}, after: {after}).", answer='{"runs": n}',
                  before=repr(runs_before), after=repr(after))]
    periods = run.now() / PERIOD
    runs = after - runs_before
    # Never much more than once per period; fewer only by the periods a fresh clock spends starting
    # after each of its restarts, which a busy machine makes several.
    if periods / 2 <= runs <= periods + 2:
        return []
    said = dict(seconds=run.now(), period=PERIOD, periods=periods)
    if runs > periods + 2:
        return [_("the cleanup ran {runs} times in {seconds:.0f} s with CLOCK_PERIOD={period:g} (about {periods:.0f} "
                  "expected). Once per web process: a timer in the web processes multiplies with every web "
                  "process the platform runs. Run scheduled work in the clock process alone, recording each "
                  "period once.", runs=runs, **said)]
    return [_n("the cleanup ran {count} times in {seconds:.0f} s with CLOCK_PERIOD={period:g} (about {periods:.0f} "
               "expected). The clock stopped keeping time after a fault: after a restart it must go on within one "
               "period.",
               "the cleanup ran {count} times in {seconds:.0f} s with CLOCK_PERIOD={period:g} (about {periods:.0f} "
               "expected). The clock stopped keeping time after a fault: after a restart it must go on within one "
               "period.", runs, **said)]


def _timeline(run: Run) -> Text:
    lines = []
    for event in run.events:
        failed = [call for call in run.calls if call.response.status is None or (call.response.status or 0) >= 500]
        during = [call for call in failed if event.at - 0.2 <= call.at <= event.end + AFTERMATH]
        span = f"{event.at:5.1f}-{event.end:5.1f} s"
        fault = Text((event.what, " [", event.error, "]"), "") if event.error else event.what
        if during:
            fault = _n("{fault}; {count} request failed meanwhile", "{fault}; {count} requests failed meanwhile",
                       len(during), fault=fault)
        lines.append(Text(("    ", span, "  ", fault), ""))
    return Text(lines)


def cleanups_now(run: Run) -> int | None:
    """GET /cleanups's count, or None when the answer is not the contract's."""
    response = run.cluster.get("/cleanups")
    data = response.json()
    return data.get("runs") if response.status == 200 and isinstance(data, dict) else None
