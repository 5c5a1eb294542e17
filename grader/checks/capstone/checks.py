"""Checks for the ``capstone`` exercise (docs/capstone.md): Tally, one app of three process types
and three backing services, graded part by part, then under every fault at once (:mod:`.chaos`).

The parts reuse the other exercises' mechanisms: sessions speak :mod:`..sessions.visit`, bursts
come from :mod:`...harness.faults`, the guards of :mod:`..guards` read every check's file and
network audit. Each part's check is here; the chaos run has modules of its own.
"""
from __future__ import annotations

import random
import time

from ...harness.faults import burst
from ...platform.http import Raw, form_file
from ..base import Check, Scenario, Verdict
from ..feedback import explain, listing
from ..sessions.visit import login, me, visitors
from . import storage
from .api import cleanups, delete, file_of, status, upload, visits
from .run import CONFIG as CHAOS_CONFIG
from .chaos import chaos
from .csvs import BROKEN, sheet
from .pages import FINGERPRINTED, stylesheet_of
from .waits import DONE_WITHIN, pause, settled

TTL = 2  # SESSION_TTL the session checks give the app
PERIOD = 1.0  # CLOCK_PERIOD the clock checks give the app
WORK_SECONDS = 0.3  # how long summarize takes (tally.py's WORK_SECONDS, part of the contract)
REMOVED_WITHIN = 2 * PERIOD + 3.0  # seconds a deleted upload's object may stay in the bucket
LONG_TTL = 60  # SESSION_TTL of the checks that restart processes, which takes seconds on a busy machine
SHORT = {"SESSION_TTL": str(TTL), "CLOCK_PERIOD": str(PERIOD)}
CONFIG = {"SESSION_TTL": str(LONG_TTL), "CLOCK_PERIOD": str(PERIOD)}
BAD_LOGINS = ({"user": ""}, {"user": "ada lovelace"}, {"user": 7}, {"user": "x" * 33}, {}, None)


def contract(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    wrong = []
    for body in BAD_LOGINS:
        response = cluster.post("/login", body)
        if response.status != 400:
            wrong.append(f"POST /login with {body!r} returned {response.status} (expected 400)")
    (stranger,) = visitors(scenario.seed, 1)
    one = sheet(random.Random(scenario.seed), "strangers")
    for method, path, payload in (("GET", "/me", None), ("GET", "/uploads", None),
                                  ("POST", "/uploads", form_file("file", one.name, one.data)),
                                  ("GET", "/uploads/1", None)):
        response = cluster.request(method, path, payload, client=stranger.client)
        if response.status != 401:
            wrong.append(f"{method} {path} without logging in returned {response.status} (expected 401)")
    login(scenario, stranger)
    record, response = status(scenario, stranger, "no-such-upload")
    if record is not None:
        wrong.append(f"GET /uploads/no-such-upload returned {response.status} (expected 404)")
    for label, payload in (("no file field", form_file("other", one.name, one.data)),
                           ("an empty file", form_file("file", "empty.csv", b""))):
        response = cluster.request("POST", "/uploads", payload, client=stranger.client)
        if response.status != 400:
            wrong.append(f"POST /uploads with {label} returned {response.status} (expected 400)")
    if not wrong:
        return _answers_at_once(scenario, stranger, one)
    return Verdict(False, explain(
        "The grader sent bad logins, used the login routes without a session, asked for an upload that "
        "does not exist and posted uploads without a file.",
        "These answers broke the contract:\n" + "\n".join("    " + line for line in wrong[:8]),
        "The web process is where bad input is refused, at once, before it reaches a queue or a bucket.",
        "docs/capstone.md's table of routes gives the status of each case; fix the routes listed."))


def _answers_at_once(scenario: Scenario, visitor, one) -> Verdict:
    """With no worker process running, an upload must stay queued: the web process does not compute it."""
    upload_id, response = upload(scenario, visitor, one)
    pause(2 * WORK_SECONDS)
    record, later = status(scenario, visitor, upload_id)
    if record is None or record["status"] != "queued":
        return Verdict(False, explain(
            f"The grader ran the app with no worker process and uploaded {one.name} (POST took "
            f"{response.latency:.2f} s), then read its status {2 * WORK_SECONDS:g} s later.",
            f"{later.describe()}: with no worker to run it, it should still say 'queued'.",
            "So the web process computed the totals itself, in the request or in a thread. A web process "
            "must answer at once; slow work there holds up every request behind it and dies with the "
            "process at the next deploy. Factor VI: each process type has one job.",
            "In POST /uploads, store the file and the record, queue the upload and answer 202; let "
            "worker.py compute summarize(data)."))
    return Verdict(True, "Bad logins got 400, every login route 401 without a session, an unknown upload "
                         "404, an upload without a file 400; with no worker, an upload stayed queued.")


def sessions(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    idle, busy = visitors(scenario.seed + 11, 2)
    login(scenario, busy, worker=webs[0])
    for web in webs[1:]:
        user, response = me(scenario, busy, worker=web)
        if user != busy.user:
            return Verdict(False, explain(
                f"The grader logged in as {busy.user} on {webs[0]} and asked GET /me on {web}.",
                f"{response.describe()}.",
                "A session kept in one web process's memory (or on its disk) is unknown to the others; "
                "the router sends each request wherever it likes, so the user is logged out at random.",
                "Keep the session in Redis (REDIS_URL), keyed by a random token in the cookie."))
    login(scenario, idle)
    idle_since = time.monotonic()
    while time.monotonic() < idle_since + TTL + 1.0:
        user, response = me(scenario, busy)
        if user != busy.user:
            return Verdict(False, explain(
                f"With SESSION_TTL={TTL}, the grader used {busy.user}'s session every 0.5 s.",
                f"After {time.monotonic() - idle_since:.1f} s: {response.describe()}.",
                "A session in use must be renewed at every request; it expires only once idle.",
                "Renew the session's expiry on every logged-in request (GETEX key EX ttl in Redis)."))
        pause(0.5)
    for web in webs:
        user, response = me(scenario, idle, worker=web)
        if user is not None:
            return Verdict(False, explain(
                f"With SESSION_TTL={TTL}, the grader left {idle.user}'s session unused for {TTL + 1} s, "
                f"then asked GET /me on {listing(webs)}.",
                f"{response.describe()}: the session was still alive.",
                "A session that never expires, or whose expiry is renewed before it is checked, lives "
                "on in the store with every copy of its cookie. Sessions belong in a store with "
                "time-expiration, which forgets them for you.",
                "Create the session with an expiry of SESSION_TTL seconds (SET key user EX ttl) and "
                "renew it only when it still exists (GETEX returns nothing for a key that expired)."))
    # A restart takes longer than a 2 s TTL on a busy machine: the rest runs with a long one, set as an
    # operator would (which restarts every process too), and the user logs in again under it.
    cluster.set_config(SESSION_TTL=LONG_TTL)
    login(scenario, busy)
    cluster.restart_all()
    user, response = me(scenario, busy)
    if user != busy.user:
        return Verdict(False, explain(
            f"With SESSION_TTL={LONG_TTL}, the grader logged in as {busy.user}, then restarted every web "
            "process, as a deploy does.",
            f"{response.describe()}.",
            "A restart wipes a process's memory and its private disk; sessions there are gone.",
            "Keep sessions in Redis, not in a dict or a file of the web process."))
    return Verdict(True, f"{busy.user}'s session worked on {listing(webs)} and outlived SESSION_TTL={TTL} while "
                         f"in use; {idle.user}'s idle one expired everywhere; a session survived a restart of "
                         "every process.")


def uploads(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    rng = random.Random(scenario.seed)
    ada, grace = visitors(scenario.seed + 3, 2)
    one = sheet(rng, "harvest")
    login(scenario, ada)
    login(scenario, grace)
    upload_id, _ = upload(scenario, ada, one, worker=webs[0])
    did = f"The grader logged in as {ada.user} and uploaded {one.name} ({len(one.data)} bytes) to {webs[0]}"
    served = file_of(scenario, ada, upload_id, worker=webs[-1])
    if served.status != 200 or served.content != one.data:
        return Verdict(False, explain(
            did + f", then asked GET /uploads/{upload_id}/file on {webs[-1]}.",
            f"{served.describe()}{'' if served.status != 200 else ' (not the bytes uploaded)'}.",
            "A file saved on the disk of the web process that received it exists on that process alone, "
            "and only until it restarts: the platform gives every process a disk of its own, and wipes it.",
            "Put the upload's bytes in the bucket (boto3: s3.put_object(Bucket=os.environ['S3_BUCKET'], "
            "Key=..., Body=data)) and read them back from there."))
    held = storage.holding(cluster.env, one.data)
    if len(held) != 1:
        return Verdict(False, explain(
            did + " and read the bucket S3_BUCKET.",
            f"{len(held)} objects in the bucket hold the file's bytes (expected exactly 1).",
            "Uploads live in object storage, once each: not on a disk, and not twice.",
            "Store each accepted upload as one object in the bucket named by S3_BUCKET."))
    record, seen = settled(scenario, ada, upload_id)
    if record is None or record["status"] != "done" or not one.matches(record.get("result")):
        shown = "it disappeared (404)" if record is None else f"it said {record['status']!r} with result {record.get('result')!r}"
        return Verdict(False, explain(
            did + f" and read its status for up to {DONE_WITHIN:g} s (one worker process runs).",
            f"Statuses seen: {' -> '.join(seen)}; in the end {shown}. Expected done with {one.expected}.",
            "The worker process takes the upload from the queue, computes summarize(data) and records "
            "the result in the database, where every web process can read it.",
            "Check that worker.py reads the upload from the bucket, runs summarize, and stores result "
            "and status 'done' in PostgreSQL."))
    cluster.restart_all()
    again, response = status(scenario, ada, upload_id)
    served = file_of(scenario, ada, upload_id)
    if again is None or again["status"] != "done" or served.content != one.data:
        return Verdict(False, explain(
            did + ", waited for its totals, then restarted every process.",
            f"Afterwards: {response.describe()}; GET /uploads/{upload_id}/file: {served.describe()[:160]}.",
            "What a process keeps in memory or on its disk is gone after a restart.",
            "Keep records in PostgreSQL (DATABASE_URL) and files in the bucket."))
    theirs, response = status(scenario, grace, upload_id)
    if theirs is not None:
        return Verdict(False, explain(
            did + f"; then {grace.user} asked GET /uploads/{upload_id}.",
            f"{response.describe()}: another user's upload was shown to them.",
            "", "Answer 404 unless the upload belongs to the logged-in user."))
    bad_id, _ = upload(scenario, ada, BROKEN)
    record, seen = settled(scenario, ada, bad_id)
    if record is None or record["status"] != "failed" or not isinstance(record.get("error"), str):
        return Verdict(False, explain(
            f"The grader uploaded {BROKEN.name}, whose second column holds the word 'three'.",
            f"Statuses seen: {' -> '.join(seen)}; in the end {record!r}.",
            "summarize raises ValueError for it; a job that raises must end failed with its error, "
            "and the worker must go on with the next job.",
            "Catch the exception in the worker and record status 'failed' with str(error)."))
    return Verdict(True, f"{one.name} uploaded to {webs[0]} was served by {webs[-1]}, stored once in the "
                         f"bucket, summed by the worker and still there after a restart; a bad CSV ended failed.")


def counter(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    count = 90
    base, response = visits(scenario)  # an external store may hold an earlier run's count
    if base is None:
        return Verdict(False, explain("The grader sent POST /visits.", f"{response.describe()}.", "",
                                      "POST /visits must answer 200 and {\"visits\": n}."))
    answers = burst(cluster, "POST", "/visits", count)
    failed = [response for response in answers if response.status != 200]
    if failed:
        return Verdict(False, explain(
            f"The grader sent {count} POST /visits, 8 at a time, to {listing(cluster.serving())}.",
            f"{len(failed)} did not get 200, the first: {failed[0].describe()}.", "",
            "POST /visits must answer 200 and {\"visits\": n}.",
            [scenario.incarnation_of(failed[0])] if scenario.incarnation_of(failed[0]) else []))
    final, response = visits(scenario)
    seen = [response.json().get("visits") for response in answers]
    repeats = len(seen) - len(set(seen))
    if final != base + count + 1:
        return Verdict(False, explain(
            f"The grader sent one POST /visits (it said {base}), then {count}, 8 at a time, to "
            f"{listing(cluster.serving())}, then one more.",
            f"The last said {final!r}; after {count + 1} more visits it should say {base + count + 1}. "
            f"{repeats} answers repeated a number another answer had given." if final is not None else response.describe(),
            "A count kept in each process's memory splits into one count per process; a count read, "
            "incremented and written back in two steps loses the updates that land in between.",
            "Count in the store, in one atomic step: INCR in Redis, or UPDATE ... SET n = n + 1 "
            "RETURNING n in PostgreSQL."))
    return Verdict(True, f"{count + 1} visits, {count} of them concurrent, over {len(cluster.serving())} web "
                         f"processes, took the count from {base} to {final}.")


def assets(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    hrefs = {}
    for web in webs:
        response = cluster.get("/", worker=web)
        hrefs[web] = stylesheet_of(response.body)
        if response.status != 200 or not hrefs[web] or not FINGERPRINTED.match(hrefs[web]):
            return Verdict(False, explain(
                f"The grader asked GET / on {web}.",
                f"{response.describe()}; the stylesheet it names: {hrefs[web]!r}.", "",
                "GET / must answer an HTML page whose <link rel=\"stylesheet\"> names "
                "/static/style.<fingerprint>.css (the fingerprint: hex digits of the file's hash)."))
    if len(set(hrefs.values())) != 1:
        return Verdict(False, explain(
            f"The grader asked GET / on {listing(webs)}.",
            "They named different stylesheets: " + ", ".join(f"{w}: {h}" for w, h in hrefs.items()) + ".",
            "Each process built its own assets when it started or at its first request, so one release "
            "serves several versions. Factor VI: compile assets at build time, once per release.",
            "Write static/style.<fingerprint>.css in build.py, and let the web processes only read it."))
    href = hrefs[webs[0]]
    built = scenario.platform.release.path / href.lstrip("/")
    if not built.is_file():
        return Verdict(False, explain(
            f"Every web process named {href}; the grader looked for that file in the release.",
            "The release, as build.py left it, holds no such file: the web processes made it themselves.",
            "A file made at run time costs the first request, exists only on that process's disk and "
            "is made again after every restart; the release must be complete when it is built.",
            "Make build.py write the fingerprinted stylesheet and a manifest; read the manifest in app.py."))
    for web in webs:
        response = cluster.request("GET", href, Raw(), worker=web)
        if response.status != 200 or response.content != built.read_bytes():
            return Verdict(False, explain(
                f"The grader asked GET {href} on {web}.", f"{response.describe()[:200]}.", "",
                "Serve the files build.py wrote, as they are (Flask serves static/ by itself)."))
    made_up = cluster.get("/static/style.0123456789ab.css")
    if made_up.status != 404:
        return Verdict(False, explain("The grader asked for /static/style.0123456789ab.css, which no build made.",
                                      f"{made_up.describe()}.", "", "Answer 404 for a file the build did not make."))
    return Verdict(True, f"Every web process ({listing(webs)}) named and served {href}, which build.py put in the release.")


def clock(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    span = 4 * PERIOD
    before = cleanups(scenario)
    started = time.monotonic()
    pause(span)
    runs = cleanups(scenario) - before
    elapsed = time.monotonic() - started
    periods = elapsed / PERIOD
    did = (f"The grader ran {listing(webs)} and one clock process with CLOCK_PERIOD={PERIOD:g}, and read "
           f"GET /cleanups {elapsed:.1f} s apart")
    if runs > periods + 2:
        return Verdict(False, explain(
            did + ".", f"The cleanup ran {runs} times, once per period would be about {periods:.0f}.",
            f"With {len(webs)} web processes, a timer started in every web process runs the job "
            f"{len(webs)} times per period. Scheduled work belongs to one process type of its own, "
            "the clock, which the platform runs exactly once.",
            "Remove the timer from app.py; run the schedule in clock.py only, and record each period's "
            "run under the period's number, so that a second clock could not run it twice."))
    if runs < periods / 2:
        return Verdict(False, explain(
            did + ".", f"The cleanup ran {runs} times; once per period would be about {periods:.0f}.",
            "The clock process must run the cleanup once every CLOCK_PERIOD seconds.",
            "Loop in clock.py: run the cleanup, record the run (GET /cleanups counts them), sleep to "
            "the next period.", [cluster.workers["clock.1"].current]))
    rng = random.Random(scenario.seed)
    (ada,) = visitors(scenario.seed + 5, 1)
    login(scenario, ada)
    doomed = sheet(rng, "old-harvest")
    upload_id, _ = upload(scenario, ada, doomed)
    delete(scenario, ada, upload_id)
    record, response = status(scenario, ada, upload_id)
    if record is not None:
        return Verdict(False, explain(f"The grader uploaded {doomed.name} and deleted it (202).",
                                      f"GET /uploads/{upload_id} then: {response.describe()}.", "",
                                      "A deleted upload is gone for its user at once: answer 404."))
    deadline = time.monotonic() + REMOVED_WITHIN
    while storage.holding(cluster.env, doomed.data) and time.monotonic() < deadline:
        pause(0.1)
    if storage.holding(cluster.env, doomed.data):
        return Verdict(False, explain(
            f"The grader uploaded {doomed.name}, deleted it, and watched the bucket for {REMOVED_WITHIN:g} s.",
            "Its object was still in the bucket.",
            "The clock's cleanup removes the objects of deleted uploads; files nobody can reach any more "
            "still cost storage.",
            "In the cleanup, delete from the bucket the object of every upload marked deleted, then its record."))
    cluster.scale("clock", 0)
    before = cleanups(scenario)
    pause(2 * PERIOD + 0.5)
    without = cleanups(scenario) - before
    if without:
        return Verdict(False, explain(
            f"The grader stopped the clock process (scale clock=0), kept {listing(webs)} running and "
            f"waited {2 * PERIOD + 0.5:g} s.",
            f"The cleanup still ran {without} times.",
            "So the web (or worker) processes run the schedule too: every one of them does, and scaling "
            "web up multiplies it.",
            "Run scheduled work in the clock process only."))
    return Verdict(True, f"The cleanup ran {runs} times in {elapsed:.1f} s with {len(webs)} web processes, "
                         f"removed a deleted upload's object, and stopped with the clock.")


CHECKS = [
    Check("contract", "Bad input gets 400, no session 401, unknown uploads 404", 1, contract,
          processes={"web": 1, "worker": 0, "clock": 0}, config=CONFIG),
    Check("sessions", "Logged in on every web process, through restarts, until idle past SESSION_TTL", 2,
          sessions, processes={"web": 3, "worker": 0, "clock": 0}, config=SHORT),
    Check("uploads", "An upload lives in the bucket and its totals in the database", 2, uploads,
          processes={"web": 2, "worker": 1, "clock": 0}, config=CONFIG),
    Check("counter", "No visit is lost under concurrent requests", 1, counter,
          processes={"web": 3, "worker": 0, "clock": 0}, config=CONFIG),
    Check("assets", "The stylesheet is built once, by build.py, and served the same everywhere", 1, assets,
          processes={"web": 2, "worker": 0, "clock": 0}, config=CONFIG),
    Check("clock", "The cleanup runs once per period, in the clock process alone", 2, clock,
          processes={"web": 3, "worker": 0, "clock": 1}, config=CONFIG),
    Check("chaos", "Every fault at once: nothing lost, nothing doubled, nobody logged out early", 4, chaos,
          hidden=True, processes={"web": 3, "worker": 2, "clock": 1}, config=CHAOS_CONFIG, alone=True),
]
