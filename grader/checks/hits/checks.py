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

SHAPE = 'a 200 response with JSON like {"hits": 3}'
STORE = "Keep the count in the backing store at REDIS_URL (INCR) or DATABASE_URL."
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


def _spread(workers: list[str]) -> str:
    counts: dict[str, int] = {}
    for name in workers:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} to {name}" for name, n in counts.items())


def _handled(took: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in took:
        counts[name] = counts.get(name, 0) + 1
    return counts


def _said(seen: dict[str, int]) -> str:
    return ", ".join(f"{name} said {value}" for name, value in seen.items())


def _per_process(seen: dict[str, int], base: int, took: list[str]) -> bool:
    """True when each worker's answer is exactly the hits it handled itself: a count per process."""
    handled = _handled(took)
    return len(seen) > 1 and all(value == base + handled.get(name, 0) for name, value in seen.items())


def _diagnose(seen: dict[str, int], expected: int, base: int, took: list[str]) -> tuple[str, str]:
    """(what the grader saw, why that breaks factor VI) for counts that are not all ``expected``."""
    values = set(seen.values())
    if _per_process(seen, base, took):
        handled = _handled(took)
        tally = ", ".join(f"{name} took {handled.get(name, 0)}" for name in seen)
        saw = (f"{_said(seen)}, although {len(took)} hits were acknowledged: every worker should have said "
               f"{expected}. Each worker's answer is exactly the number of hits it handled itself ({tally}).")
        why = ("So each worker keeps a count of its own, in its memory or on its private disk, and never "
               "sees the others' hits. Factor VI: processes share nothing, and anything that must be "
               "shared lives in a backing service.")
        return saw, why
    if len(values) == 1:
        value = values.pop()
        saw = (f"Every worker said {value}, so they do share one count, but {len(took)} hits were "
               f"acknowledged and it should have said {expected}.")
        why = ("Some acknowledged hits never reached the shared count, or it was reset. Every POST "
               "must add exactly one to the count in the store, and nothing may reset it when a process starts.")
        return saw, why
    saw = f"The workers disagree: {_said(seen)} (expected {expected} everywhere)."
    why = ("Their answers depend on which worker you ask, so part of the count lives inside each "
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
        return Verdict(True, f"{len(took)} POST /hits spread over {len(seen)} workers; every worker then counted {expected}.")
    saw, why = _diagnose(seen, expected, base, took)
    return Verdict(False, explain(
        f"The grader sent {len(took)} POST /hits requests ({_spread(took)}), then GET /hits to every worker.",
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
    note = (f"\nNote: {', '.join(slow)} ignored SIGTERM and had to be killed; a process should exit "
            "promptly when the platform asks it to.") if slow else ""
    if all(value == expected for value in seen.values()):
        return Verdict(True, f"5 hits, then every worker restarted; all {len(seen)} fresh workers counted {expected}.{note}")
    values = set(seen.values())
    saw = (f"Every fresh worker said {values.pop()}" if len(values) == 1 else f"The fresh workers said: {_said(seen)}")
    return Verdict(False, explain(
        f"The grader sent 5 POST /hits requests ({_spread(took)}), restarted every worker (SIGTERM, "
        "as a deploy or the daily restart does), then sent GET /hits to each fresh worker.",
        f"{saw}, although {len(took)} hits had been acknowledged before the restart: every worker should "
        f"still have said {expected}. The count did not survive the restart.",
        "A restarted process starts with empty memory and an empty private disk, so a count kept "
        "there is gone; and a count in the store is lost too if the app resets it when it starts. "
        "Factor VI: a process may be replaced at any moment, so nothing it keeps locally can be relied on.",
        STORE + " Never overwrite it at start-up.") + note)


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
        return Verdict(True, f"{victim_name} was killed right after acknowledging a hit; every worker still counted {expected}.")
    did = (f"The grader sent 5 POST /hits requests (the last to {victim_name}), killed {victim_name} (pid {victim.pid}) "
           "with SIGKILL straight after it answered, let it start again, then read GET /hits everywhere.")
    if len(set(seen.values())) == 1 and len(seen) > 1:
        return Verdict(False, explain(
            did, f"Every worker said {next(iter(seen.values()))} (expected {expected}): they share one count, "
            f"but it went back when the new {victim_name} started.",
            "Starting a process must never change shared state: the platform starts processes at "
            "any moment, and each start here wiped the hits every worker had acknowledged.",
            STORE + " Never overwrite it at start-up."))
    return Verdict(False, explain(
        did, f"Hits were lost: {_said(seen)} (expected {expected} everywhere).",
        "SIGKILL gives a process no chance to save anything, and a crash can happen at any moment. "
        "Factor VI: a hit is only safe once it is in the backing service, before the response is sent.",
        STORE))


def random_routing(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    expected = hits_of(scenario, cluster.get("/hits"))
    trail = []
    mix = random.Random(scenario.seed)
    for _ in range(24):
        if mix.random() < 2 / 3:
            response = _checked_post(scenario)
            expected += 1
        else:
            response = cluster.get("/hits")
        got = hits_of(scenario, response)
        trail.append(response.describe())
        if got != expected:
            return Verdict(False, explain(
                f"The grader sent a seeded random mix of POST and GET /hits, each to a randomly chosen worker (seed {scenario.seed}).",
                "Request by request:\n" + "\n".join("    " + line for line in trail[-6:])
                + f"\nThe last one should have said {expected}.",
                "A router may send any request to any worker; a count that depends on which worker "
                "answers is kept in that worker, not shared.",
                STORE))
    return Verdict(True, f"24 randomly routed requests (seed {scenario.seed}) all saw the right count.")


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
        return Verdict(True, f"{BURST_SIZE} concurrent hits across {len(seen)} workers; none was lost.")
    did = (f"The grader sent {BURST_SIZE} POST /hits at once from {BURST_CONCURRENCY} clients, spread over "
           f"{len(seen)} workers (with {STORE_LATENCY * 1000:g} ms of network latency to the store, as "
           "between real hosts), then GET /hits to every worker.")
    took = [reply.worker for reply in replies]
    if len(set(seen.values())) > 1 or _per_process(seen, base, took):
        saw, why = _diagnose(seen, expected, base, took)
        return Verdict(False, explain(did, "After the burst: " + saw, why, STORE))
    final = next(iter(seen.values()))
    values = [reply.json()["hits"] for reply in replies]
    repeats = len(values) - len(set(values))
    return Verdict(False, explain(
        did,
        f"All {BURST_SIZE} were acknowledged and every worker agrees, but the count grew from {base} to "
        f"{final}: {expected - final} hits were lost"
        + (f", and {repeats} responses repeated a number another request had already returned." if repeats else "."),
        "Two requests read the same value, each added one, and the second write overwrote the first "
        "(a lost update). Many processes share the store at once; that is the point of factor VI, so "
        "every change must be atomic in the store itself.",
        "Let the store do the increment: INCR in Redis, or UPDATE ... SET hits = hits + 1 (in one "
        "transaction) in SQL, and return the value it gives back."))


ADVICE = {
    DATABASE: STORE + " Use the exact URL from the environment; don't open a database file of your own.",
    LASTING: STORE + " A file on a process's own disk is seen by no other process and is gone at the next restart.",
    LOG: "Write log lines to stdout or stderr (print, or the logging module's default handler): the "
         "platform collects every process's output, while a log file vanishes with the process's disk.",
    LEFTOVER: "Scratch files belong to the request that made them: delete them before responding, "
              "whatever happens. `with tempfile.TemporaryDirectory() as scratch:` (or "
              "`tempfile.NamedTemporaryFile()`) cleans up for you, even when an exception is raised.",
    WRITTEN: "If the data must outlive the request, keep it in the backing store (REDIS_URL or "
             "DATABASE_URL); if it is scratch, write it under TMPDIR and delete it before responding.",
}


def no_local_disk(scenario: Scenario) -> Verdict:
    post(scenario, 6)
    read_everywhere(scenario)
    found = recorded_findings(scenario)
    if not found:
        return Verdict(True, "No worker kept anything on its local disk.")
    kinds = list(dict.fromkeys(finding.kind for finding in found))
    return Verdict(False, explain(
        "The grader sent 6 POST /hits and a GET /hits to every worker, and recorded every file the app's code opened.",
        "The app kept data on local disk:\n" + listed(found),
        "Local disk is only scratch space for a single request: on a real platform it is private to one "
        "process and wiped whenever the process restarts, so other workers never see it. Factor VI: "
        "anything that must persist lives in a backing service.",
        "\n".join(ADVICE[kind] for kind in kinds)))


CHECKS = [
    Check("agreement", "Every worker sees the same count", 2, agreement),
    Check("restart_all", "The count survives a restart of every worker", 2, restart_all, workers=2),
    Check("no_local_disk", "Nothing is kept on local disk", 1, no_local_disk, workers=2),
    Check("random_routing", "Randomly routed requests see one count", 1, random_routing, hidden=True,
          policy="random"),
    Check("crash", "A crash (SIGKILL) loses no acknowledged hit", 2, crash, hidden=True, workers=2),
    Check("burst", "No lost updates under a concurrent burst", 2, burst, hidden=True, workers=4),
]
