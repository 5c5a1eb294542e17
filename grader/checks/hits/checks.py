"""Checks for the ``hits`` exercise: one counter, shared by every worker, that survives anything.

Each check counts from a baseline it reads first, so an app that starts from another number is not
penalised; what matters is that every acknowledged hit is counted exactly once, everywhere.
"""
from __future__ import annotations

import random

from ...harness.faults import burst as send_burst
from ...harness.local_state import DATABASE, LASTING, LEFTOVER, LOG, WRITTEN, listed, recorded_findings
from ..base import Check, Scenario, Verdict
from ..feedback import ContractError, explain
from ...i18n import N_, Text, _

SHAPE = _('a 200 response with JSON like {example}', example='{"hits": 3}')
STORE = _("Keep the count in the backing store at REDIS_URL (INCR) or DATABASE_URL.")
NEVER_RESET = _("Keep the count in the backing store at REDIS_URL (INCR) or DATABASE_URL. Never overwrite it "
                "at start-up.")
BURST_SIZE = 40
BURST_CONCURRENCY = 8
STORE_LATENCY = 0.002  # seconds each way, like a store on another host


def hits_of(scenario: Scenario, response) -> int:
    data = response.json()
    value = data.get("hits") if isinstance(data, dict) else None
    if response.status != 200 or not isinstance(value, int) or isinstance(value, bool):
        incarnation = scenario.cluster.workers[response.worker].current
        raise ContractError(response, SHAPE, incarnation)
    return value


def read_everywhere(scenario: Scenario) -> dict[str, int]:
    cluster = scenario.cluster
    return {name: hits_of(scenario, cluster.get("/hits", worker=name)) for name in cluster.serving()}


def post(scenario: Scenario, count: int) -> list[str]:
    """POST /hits ``count`` times as routed; return the workers that took them."""
    return [_checked_post(scenario).worker for _ in range(count)]


def _checked_post(scenario: Scenario, **options):
    response = scenario.cluster.post("/hits", **options)
    hits_of(scenario, response)
    return response


def _spread(workers: list[str]) -> Text:
    counts: dict[str, int] = {}
    for name in workers:
        counts[name] = counts.get(name, 0) + 1
    return Text([_("{count} to {worker}", count=n, worker=name) for name, n in counts.items()], ", ")


def _handled(took: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in took:
        counts[name] = counts.get(name, 0) + 1
    return counts


def _said(seen: dict[str, int]) -> Text:
    return Text([_("{worker} said {value}", worker=name, value=value) for name, value in seen.items()], ", ")


def _per_process(seen: dict[str, int], base: int, took: list[str]) -> bool:
    """True when each worker's answer is exactly the hits it handled itself: a count per process."""
    handled = _handled(took)
    return len(seen) > 1 and all(value == base + handled.get(name, 0) for name, value in seen.items())


def _diagnose(seen: dict[str, int], expected: int, base: int, took: list[str]) -> tuple[str, str]:
    """(what the grader saw, why that breaks factor VI) for counts that are not all ``expected``."""
    values = set(seen.values())
    if _per_process(seen, base, took):
        handled = _handled(took)
        tally = Text([_("{worker} took {count}", worker=name, count=handled.get(name, 0)) for name in seen], ", ")
        saw = _("{said}, although {acknowledged} hits were acknowledged: every worker should have said "
                "{expected}. Each worker's answer is exactly the number of hits it handled itself ({tally}).",
                said=_said(seen), acknowledged=len(took), expected=expected, tally=tally)
        why = _("So each worker keeps a count of its own, in its memory or on its private disk, and never "
                "sees the others' hits. Factor VI: processes share nothing, and anything that must be "
                "shared lives in a backing service.")
        return saw, why
    if len(values) == 1:
        value = values.pop()
        saw = _("Every worker said {value}, so they do share one count, but {acknowledged} hits were "
                "acknowledged and it should have said {expected}.", value=value, acknowledged=len(took),
                expected=expected)
        why = _("Some acknowledged hits never reached the shared count, or it was reset. Every POST "
                "must add exactly one to the count in the store, and nothing may reset it when a process starts.")
        return saw, why
    saw = _("The workers disagree: {said} (expected {expected} everywhere).", said=_said(seen), expected=expected)
    why = _("Their answers depend on which worker you ask, so part of the count lives inside each "
            "process. Factor VI: processes share nothing, and anything that must be shared lives in a "
            "backing service.")
    return saw, why


def agreement(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    base = hits_of(scenario, cluster.get("/hits", worker="web.1"))
    took = post(scenario, 2 * len(cluster.serving()))
    seen = read_everywhere(scenario)
    expected = base + len(took)
    if all(value == expected for value in seen.values()):
        return Verdict(True, _("{posts} POST /hits spread over {workers} workers; every worker then counted "
                               "{expected}.", posts=len(took), workers=len(seen), expected=expected))
    saw, why = _diagnose(seen, expected, base, took)
    return Verdict(False, explain(
        _("The grader sent {posts} POST /hits requests ({spread}), then GET /hits to every worker.",
          posts=len(took), spread=_spread(took)),
        saw, why, STORE))


def restart_all(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    base = hits_of(scenario, cluster.get("/hits", worker="web.1"))
    took = post(scenario, 5)
    cluster.restart_all()
    seen = read_everywhere(scenario)
    expected = base + len(took)
    cluster.settle()
    slow = [i.name for w in cluster.workers.values() for i in w.incarnations if i.killed_after_term]
    note = _("Note: {workers} ignored SIGTERM and had to be killed; a process should exit promptly when the "
             "platform asks it to.", workers=", ".join(slow)) if slow else ""
    if all(value == expected for value in seen.values()):
        passed = _("5 hits, then every worker restarted; all {workers} fresh workers counted {expected}.",
                   workers=len(seen), expected=expected)
        return Verdict(True, Text((passed, note)))
    values = set(seen.values())
    saw = (_("Every fresh worker said {value}", value=values.pop()) if len(values) == 1
           else _("The fresh workers said: {said}", said=_said(seen)))
    return Verdict(False, Text((explain(
        _("The grader sent 5 POST /hits requests ({spread}), restarted every worker (SIGTERM, as a deploy or "
          "the daily restart does), then sent GET /hits to each fresh worker.", spread=_spread(took)),
        _("{saw}, although {acknowledged} hits had been acknowledged before the restart: every worker should "
          "still have said {expected}. The count did not survive the restart.", saw=saw, acknowledged=len(took),
          expected=expected),
        _("A restarted process starts with empty memory and an empty private disk, so a count kept "
          "there is gone; and a count in the store is lost too if the app resets it when it starts. "
          "Factor VI: a process may be replaced at any moment, so nothing it keeps locally can be relied on."),
        NEVER_RESET), note)))


def crash(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    names = cluster.serving()
    victim_name = names[scenario.seed % len(names)]
    base = hits_of(scenario, cluster.get("/hits", worker=names[0]))
    took = post(scenario, 4)
    _checked_post(scenario, worker=victim_name)
    victim = cluster.workers[victim_name].current
    cluster.crash(victim_name)
    seen = read_everywhere(scenario)
    expected = base + len(took) + 1
    if all(value == expected for value in seen.values()):
        return Verdict(True, _("{victim} was killed right after acknowledging a hit; every worker still counted "
                               "{expected}.", victim=victim_name, expected=expected))
    did = _("The grader sent 5 POST /hits requests (the last to {victim}), killed {victim} (pid {pid}) with "
            "SIGKILL straight after it answered, let it start again, then read GET /hits everywhere.",
            victim=victim_name, pid=victim.pid)
    if len(set(seen.values())) == 1 and len(seen) > 1:
        return Verdict(False, explain(
            did, _("Every worker said {value} (expected {expected}): they share one count, but it went back "
                   "when the new {victim} started.", value=next(iter(seen.values())), expected=expected,
                   victim=victim_name),
            _("Starting a process must never change shared state: the platform starts processes at "
              "any moment, and each start here wiped the hits every worker had acknowledged."),
            NEVER_RESET))
    return Verdict(False, explain(
        did, _("Hits were lost: {said} (expected {expected} everywhere).", said=_said(seen), expected=expected),
        _("SIGKILL gives a process no chance to save anything, and a crash can happen at any moment. "
          "Factor VI: a hit is only safe once it is in the backing service, before the response is sent."),
        STORE))


def random_routing(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    expected = hits_of(scenario, cluster.get("/hits"))
    trail = []
    mix = random.Random(scenario.seed)
    for _step in range(24):
        if mix.random() < 2 / 3:
            response = _checked_post(scenario)
            expected += 1
        else:
            response = cluster.get("/hits")
        got = hits_of(scenario, response)
        trail.append(response.describe())
        if got != expected:
            return Verdict(False, explain(
                _("The grader sent a seeded random mix of POST and GET /hits, each to a randomly chosen worker "
                  "(seed {seed}).", seed=scenario.seed),
                _("Request by request:\n    {requests}\nThe last one should have said {expected}.",
                  requests=Text(trail[-6:], "\n    "), expected=expected),
                _("A router may send any request to any worker; a count that depends on which worker "
                  "answers is kept in that worker, not shared."),
                STORE))
    return Verdict(True, _("24 randomly routed requests (seed {seed}) all saw the right count.", seed=scenario.seed))


def burst(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    base = hits_of(scenario, cluster.get("/hits", worker="web.1"))
    scenario.platform.set_store_latency(STORE_LATENCY)
    try:
        replies = send_burst(cluster, "POST", "/hits", BURST_SIZE, concurrency=BURST_CONCURRENCY)
    finally:
        scenario.platform.set_store_latency(0.0)
    for reply in replies:
        hits_of(scenario, reply)
    seen = read_everywhere(scenario)
    expected = base + BURST_SIZE
    if all(value == expected for value in seen.values()):
        return Verdict(True, _("{size} concurrent hits across {workers} workers; none was lost.", size=BURST_SIZE,
                               workers=len(seen)))
    did = _("The grader sent {size} POST /hits at once from {clients} clients, spread over {workers} workers "
            "(with {latency:g} ms of network latency to the store, as between real hosts), then GET /hits to "
            "every worker.", size=BURST_SIZE, clients=BURST_CONCURRENCY, workers=len(seen),
            latency=STORE_LATENCY * 1000)
    took = [reply.worker for reply in replies]
    if len(set(seen.values())) > 1 or _per_process(seen, base, took):
        saw, why = _diagnose(seen, expected, base, took)
        return Verdict(False, explain(did, _("After the burst: {saw}", saw=saw), why, STORE))
    final = next(iter(seen.values()))
    values = [reply.json()["hits"] for reply in replies]
    repeats = len(values) - len(set(values))
    lost = dict(size=BURST_SIZE, base=base, final=final, lost=expected - final, repeats=repeats)
    return Verdict(False, explain(
        did,
        _("All {size} were acknowledged and every worker agrees, but the count grew from {base} to {final}: "
          "{lost} hits were lost, and {repeats} responses repeated a number another request had already "
          "returned.", **lost) if repeats else
        _("All {size} were acknowledged and every worker agrees, but the count grew from {base} to {final}: "
          "{lost} hits were lost.", **lost),
        _("Two requests read the same value, each added one, and the second write overwrote the first "
          "(a lost update). Many processes share the store at once; that is the point of factor VI, so "
          "every change must be atomic in the store itself."),
        _("Let the store do the increment: INCR in Redis, or UPDATE ... SET hits = hits + 1 (in one "
          "transaction) in SQL, and return the value it gives back.")))


ADVICE = {
    DATABASE: N_("Keep the count in the backing store at REDIS_URL (INCR) or DATABASE_URL. Use the exact URL "
                 "from the environment; don't open a database file of your own."),
    LASTING: N_("Keep the count in the backing store at REDIS_URL (INCR) or DATABASE_URL. A file on a "
                "process's own disk is seen by no other process and is gone at the next restart."),
    LOG: N_("Write log lines to stdout or stderr (print, or the logging module's default handler): the "
            "platform collects every process's output, while a log file vanishes with the process's disk."),
    LEFTOVER: N_("Scratch files belong to the request that made them: delete them before responding, "
                 "whatever happens. `with tempfile.TemporaryDirectory() as scratch:` (or "
                 "`tempfile.NamedTemporaryFile()`) cleans up for you, even when an exception is raised."),
    WRITTEN: N_("If the data must outlive the request, keep it in the backing store (REDIS_URL or "
                "DATABASE_URL); if it is scratch, write it under TMPDIR and delete it before responding."),
}


def no_local_disk(scenario: Scenario) -> Verdict:
    post(scenario, 6)
    read_everywhere(scenario)
    found = recorded_findings(scenario)
    if not found:
        return Verdict(True, _("No worker kept anything on its local disk."))
    kinds = list(dict.fromkeys(finding.kind for finding in found))
    return Verdict(False, explain(
        _("The grader sent 6 POST /hits and a GET /hits to every worker, and recorded every file the app's "
          "code opened."),
        Text((_("The app kept data on local disk:"), listed(found))),
        _("Local disk is only scratch space for a single request: on a real platform it is private to one "
          "process and wiped whenever the process restarts, so other workers never see it. Factor VI: "
          "anything that must persist lives in a backing service."),
        Text([_(ADVICE[kind]) for kind in kinds])))


CHECKS = [
    Check("agreement", N_("Every worker sees the same count"), 2, agreement),
    Check("restart_all", N_("The count survives a restart of every worker"), 2, restart_all, workers=2),
    Check("no_local_disk", N_("Nothing is kept on local disk"), 1, no_local_disk, workers=2),
    Check("random_routing", N_("Randomly routed requests see one count"), 1, random_routing, hidden=True,
          policy="random"),
    Check("crash", N_("A crash (SIGKILL) loses no acknowledged hit"), 2, crash, hidden=True, workers=2),
    Check("burst", N_("No lost updates under a concurrent burst"), 2, burst, hidden=True, workers=4),
]
