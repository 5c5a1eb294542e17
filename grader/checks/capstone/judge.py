"""Judging a chaos run (:mod:`.chaos`) on its records: what must hold whatever the faults did.

Each broken invariant becomes one paragraph of feedback: what broke, when, the fault nearest to it
(the one that exposed it), the factor VI rule behind it, and what to change. The timeline of faults
and failed requests follows.
"""
from __future__ import annotations

import time

from ..base import Verdict
from ..feedback import ContractError
from ..sessions.visit import login, me
from . import picture, storage
from .run import AFTERMATH, PERIOD, TTL, Run
from .waits import DONE_WITHIN, pause, settled

MAX_LISTED = 8


def judge(run: Run, idle, idle_since: float, runs_before) -> Verdict:
    broken: list[str] = []
    for failure in run.boot_failures:
        incarnation = failure.incarnation
        broken.append(
            f"{incarnation.name} did not start again after a fault ({failure.reason}). Every process must be "
            "able to start at any moment, beside others starting at the same moment: creating tables "
            "at boot must not race (take a lock first, such as pg_advisory_xact_lock)."
            + _stderr(incarnation))
    broken += _failures(run)
    broken += _uploads(run)
    broken += _sessions(run, idle, idle_since)
    broken += _visits(run)
    broken += _assets(run)
    broken += _clock(run, runs_before)
    timeline = _timeline(run)
    summary = (f"The grader ran 3 users' traffic for {run.now():.0f} s ({len(run.calls)} requests, "
               f"{len(run.accepted)} uploads accepted) while these faults happened:\n{timeline}")
    figure = picture.timeline(run)
    if not broken:
        return Verdict(True, f"Every invariant held through {len(run.events)} faults: {len(run.calls)} "
                             f"requests, {len(run.accepted)} uploads, {run.visits_ok} visits.", figure)
    rules = "\n".join(f"{index}. {text}" for index, text in enumerate(broken, 1))
    return Verdict(False, f"{summary}\n\nWhat broke:\n{rules}", figure)


def _stderr(incarnation) -> str:
    label, text = incarnation.stderr_excerpt()
    if not text:
        return ""
    lines = "\n".join("        " + line for line in text.splitlines()[-8:])
    return f"\n    {label.capitalize()} (stderr of {incarnation.name}):\n{lines}"


def _fault_name(event) -> str:
    return f"{event.what} at {event.at:.1f} s" if event else "no fault (the app's own doing)"


def _failures(run: Run) -> list[str]:
    outside = [call for call in run.calls
               if (call.response.status is None or call.response.status >= 500) and not run.during_fault(call.at)]
    if not outside:
        return []
    shown = "\n".join(f"    at {call.at:.1f} s, {call.user}: {call.response.describe()[:140]}"
                      for call in outside[:MAX_LISTED])
    first = outside[0]
    return [f"{plural(len(outside), 'request')} failed while no fault was happening (the nearest before: "
            f"{_fault_name(run.nearest(first.at))}):\n{shown}\n    After a fault is over the app must "
            "answer again by itself: reconnect to a service that restarted (a connection per request, "
            "or a client that retries), and keep nothing a request needs in a process that may be gone."]


def _uploads(run: Run) -> list[str]:
    problems = []
    deadline = time.monotonic() + DONE_WITHIN
    try:
        held = storage.objects(run.cluster.env)
    except storage.StoreUnreadable as error:
        return [f"The grader could not read the bucket: {error}."]
    for item in run.accepted:
        left = max(0.5, deadline - time.monotonic())
        record, seen = _settled(run, item, left)
        copies = [key for key, body in held.items() if body == item.sheet.data]
        if record is None:
            problems.append(f"upload {item.upload_id!r} ({item.sheet.name}, accepted with 202) is gone: 404.")
        elif record["status"] != "done" or not item.sheet.matches(record.get("result")):
            fault = _worker_fault(run)
            problems.append(
                f"upload {item.upload_id!r} ({item.sheet.name}) ended {record['status']!r} with result "
                f"{record.get('result')!r} (statuses seen: {' -> '.join(seen)}); expected done with "
                f"{item.sheet.expected}. Nearest fault: {_fault_name(fault)}. A job must stay in the store "
                "until its result is recorded, so that a worker that dies leaves it to another: take it "
                "with a lease or into a processing list, and acknowledge it only after the result is stored.")
        if len(copies) != 1:
            problems.append(f"upload {item.upload_id!r} ({item.sheet.name}) is {len(copies)} objects in the "
                            "bucket; each accepted upload must be exactly one object.")
        done_then = [at for at, state in item.statuses if state == "done"]
        if done_then and any(state != "done" for at, state in item.statuses if at > done_then[0]):
            problems.append(f"upload {item.upload_id!r} was done, then changed status again: "
                            + " -> ".join(state for _, state in item.statuses)
                            + ". A result is recorded once: a second run of the same job must change nothing.")
        if len(problems) >= MAX_LISTED:
            break
    if not problems:
        return []
    return [f"{plural(len(problems), 'problem')} with the uploads:\n" + "\n".join("    " + text for text in problems)]


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


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _sessions(run: Run, idle, idle_since: float) -> list[str]:
    problems = []
    early = [(at, user, response, gap) for at, user, response, gap in run.logged_out if gap < TTL - 0.5]
    if early:
        at, user, response, gap = early[0]
        problems.append(
            f"{user} was logged out at {at:.1f} s, {gap:.1f} s after their last answered request "
            f"(SESSION_TTL={TTL}): {response.describe()[:120]}. Nearest fault: {_fault_name(run.nearest(at))}. "
            "A session must live in a shared store with time-expiration and survive every restart, "
            "deploy and re-routing.")
    wait = idle_since + TTL + 1.0 - run.now()
    pause(wait)
    user, response = me(run.scenario, idle)
    if user is not None:
        problems.append(f"{idle.user} logged in at {idle_since:.1f} s and made no request after that; at "
                        f"{run.now():.1f} s GET /me still said {response.body.strip()[:80]} (SESSION_TTL={TTL}). "
                        "An idle session must expire, and must not be renewed once expired.")
    return problems


def _visits(run: Run) -> list[str]:
    response = run.cluster.post("/visits")
    data = response.json()
    final = data.get("visits") if response.status == 200 and isinstance(data, dict) else None
    base = run.visits_base or 0
    low, high = base + run.visits_ok + 1, base + run.visits_ok + run.visits_unsure + 1
    if isinstance(final, int) and low <= final <= high:
        return []
    return [f"after {run.visits_ok} answered POST /visits ({run.visits_unsure} more failed during faults) "
            f"and one more, the counter said {final!r}; it should be between {low} and {high}. Counts must "
            "live in the store and change in one atomic step (INCR), never in a process's memory."]


def _assets(run: Run) -> list[str]:
    bad = [(at, href, styles) for at, href, styles in run.pages if styles.status != 200]
    bad = [(at, href, styles) for at, href, styles in bad
           if not (styles.status is None and run.during_fault(at))]
    if not bad:
        return []
    at, href, styles = bad[0]
    return [f"{plural(len(bad), 'page')} named a stylesheet that their own process did not serve, the first at {at:.1f} s: {href} "
            f"-> {styles.describe()[:120]} (nearest fault: {_fault_name(run.nearest(at))}). The process that "
            "served the page did not serve the stylesheet it named: each release must carry its assets, "
            "built once by build.py, not made or renamed while it runs."]


def _clock(run: Run, runs_before) -> list[str]:
    after = cleanups_now(run)
    if not isinstance(runs_before, int) or not isinstance(after, int):
        return [f"GET /cleanups did not answer {{\"runs\": n}} (before: {runs_before!r}, after: {after!r})."]
    periods = run.now() / PERIOD
    runs = after - runs_before
    # Never much more than once per period; fewer only by the periods a fresh clock spends starting
    # after each of its restarts, which a busy machine makes several.
    if periods / 2 <= runs <= periods + 2:
        return []
    many = runs > periods + 2
    return [f"the cleanup ran {runs} times in {run.now():.0f} s with CLOCK_PERIOD={PERIOD:g} (about "
            f"{periods:.0f} expected). " + (
                "Once per web process: a timer in the web processes multiplies with every web process "
                "the platform runs. Run scheduled work in the clock process alone, recording each period "
                "once." if many else
                "The clock stopped keeping time after a fault: after a restart it must go on within one period.")]


def _timeline(run: Run) -> str:
    lines = []
    for event in run.events:
        failed = [call for call in run.calls if call.response.status is None or (call.response.status or 0) >= 500]
        during = [call for call in failed if event.at - 0.2 <= call.at <= event.end + AFTERMATH]
        note = f"; {plural(len(during), 'request')} failed meanwhile" if during else ""
        error = f" [{event.error}]" if event.error else ""
        lines.append(f"    {event.at:5.1f}-{event.end:5.1f} s  {event.what}{error}{note}")
    return "\n".join(lines)


def cleanups_now(run: Run) -> int | None:
    """GET /cleanups's count, or None when the answer is not the contract's."""
    response = run.cluster.get("/cleanups")
    data = response.json()
    return data.get("runs") if response.status == 200 and isinstance(data, dict) else None
