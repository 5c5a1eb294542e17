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
from .api import cleanups, clipped, delete, file_of, status, upload, visits
from .run import CONFIG as CHAOS_CONFIG
from .chaos import chaos
from .csvs import BROKEN, sheet
from .pages import FINGERPRINTED, stylesheet_of
from .waits import DONE_WITHIN, POLL, pause, settled
from ...i18n import N_, Text, _, _n

TTL = 2  # SESSION_TTL the session checks give the app
PERIOD = 1.0  # CLOCK_PERIOD the clock checks give the app
WORK_SECONDS = 0.3  # how long summarize takes (tally.py's WORK_SECONDS, part of the contract)
REMOVED_WITHIN = 2 * PERIOD + 3.0  # seconds a deleted upload's object may stay in the bucket
FIRST_RUN_WITHIN = 10.0  # seconds the clock check waits for the first cleanup once the formation runs
LONG_TTL = 60  # SESSION_TTL of the checks that restart processes, which takes seconds on a busy machine
SHORT = {"SESSION_TTL": str(TTL), "CLOCK_PERIOD": str(PERIOD)}
CONFIG = {"SESSION_TTL": str(LONG_TTL), "CLOCK_PERIOD": str(PERIOD)}
BAD_LOGINS = ({"user": ""}, {"user": "ada lovelace"}, {"user": 7}, {"user": "x" * 33}, {}, None)
VISITS_ANSWER = '{"visits": n}'  # what POST /visits must answer, in feedback


def contract(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    wrong = []
    for body in BAD_LOGINS:
        response = cluster.post("/login", body)
        if response.status != 400:
            wrong.append(_("POST /login with {body} returned {status} (expected 400)", body=repr(body),
                           status=response.status))
    (stranger,) = visitors(scenario.seed, 1)
    one = sheet(random.Random(scenario.seed), "strangers")
    for method, path, payload in (("GET", "/me", None), ("GET", "/uploads", None),
                                  ("POST", "/uploads", form_file("file", one.name, one.data)),
                                  ("GET", "/uploads/1", None)):
        response = cluster.request(method, path, payload, client=stranger.client)
        if response.status != 401:
            wrong.append(_("{method} {path} without logging in returned {status} (expected 401)", method=method,
                           path=path, status=response.status))
    login(scenario, stranger)
    record, response = status(scenario, stranger, "no-such-upload")
    if record is not None:
        wrong.append(_("GET /uploads/no-such-upload returned {status} (expected 404)", status=response.status))
    for said, payload in ((N_("POST /uploads with no file field returned {status} (expected 400)"),
                           form_file("other", one.name, one.data)),
                          (N_("POST /uploads with an empty file returned {status} (expected 400)"),
                           form_file("file", "empty.csv", b""))):
        response = cluster.request("POST", "/uploads", payload, client=stranger.client)
        if response.status != 400:
            wrong.append(_(said, status=response.status))
    if not wrong:
        return _answers_at_once(scenario, stranger, one)
    return Verdict(False, explain(
        _("The grader sent bad logins, used the login routes without a session, asked for an upload that "
          "does not exist and posted uploads without a file."),
        Text((_("These answers broke the contract:"), _indented(wrong[:8]))),
        _("The web process is where bad input is refused, at once, before it reaches a queue or a bucket."),
        _("docs/capstone.md's table of routes gives the status of each case; fix the routes listed.")))


def _indented(lines: list) -> Text:
    """Feedback lines, each indented by four spaces."""
    return Text([Text(("    ", line), "") for line in lines])


def _answers_at_once(scenario: Scenario, visitor, one) -> Verdict:
    """With no worker process running, an upload must stay queued: the web process does not compute it."""
    upload_id, response = upload(scenario, visitor, one)
    pause(2 * WORK_SECONDS)
    record, later = status(scenario, visitor, upload_id)
    if record is None or record["status"] != "queued":
        return Verdict(False, explain(
            _("The grader ran the app with no worker process and uploaded {name} (POST took {latency:.2f} s), "
              "then read its status {wait:g} s later.", name=one.name, latency=response.latency,
              wait=2 * WORK_SECONDS),
            _("{response}: with no worker to run it, it should still say 'queued'.", response=later.describe()),
            _("So the web process computed the totals itself, in the request or in a thread. A web process "
              "must answer at once; slow work there holds up every request behind it and dies with the "
              "process at the next deploy. Factor VI: each process type has one job."),
            _("In POST /uploads, store the file and the record, queue the upload and answer 202; let "
              "worker.py compute summarize(data).")))
    return Verdict(True, _("Bad logins got 400, every login route 401 without a session, an unknown upload "
                           "404, an upload without a file 400; with no worker, an upload stayed queued."))


def sessions(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    idle, busy = visitors(scenario.seed + 11, 2)
    login(scenario, busy, worker=webs[0])
    for web in webs[1:]:
        user, response = me(scenario, busy, worker=web)
        if user != busy.user:
            return Verdict(False, explain(
                _("The grader logged in as {user} on {first} and asked GET /me on {web}.", user=busy.user,
                  first=webs[0], web=web),
                _("{response}.", response=response.describe()),
                _("A session kept in one web process's memory (or on its disk) is unknown to the others; "
                  "the router sends each request wherever it likes, so the user is logged out at random."),
                _("Keep the session in Redis (REDIS_URL), keyed by a random token in the cookie.")))
    login(scenario, idle)
    idle_since = time.monotonic()
    while time.monotonic() < idle_since + TTL + 1.0:
        user, response = me(scenario, busy)
        if user != busy.user:
            return Verdict(False, explain(
                _("With SESSION_TTL={ttl}, the grader used {user}'s session every 0.5 s.", ttl=TTL,
                  user=busy.user),
                _("After {seconds:.1f} s: {response}.", seconds=time.monotonic() - idle_since,
                  response=response.describe()),
                _("A session in use must be renewed at every request; it expires only once idle."),
                _("Renew the session's expiry on every logged-in request (GETEX key EX ttl in Redis).")))
        pause(0.5)
    for web in webs:
        user, response = me(scenario, idle, worker=web)
        if user is not None:
            return Verdict(False, explain(
                _("With SESSION_TTL={ttl}, the grader left {user}'s session unused for {unused} s, then asked "
                  "GET /me on {webs}.", ttl=TTL, user=idle.user, unused=TTL + 1, webs=listing(webs)),
                _("{response}: the session was still alive.", response=response.describe()),
                _("A session that never expires, or whose expiry is renewed before it is checked, lives "
                  "on in the store with every copy of its cookie. Sessions belong in a store with "
                  "time-expiration, which forgets them for you."),
                _("Create the session with an expiry of SESSION_TTL seconds (SET key user EX ttl) and "
                  "renew it only when it still exists (GETEX returns nothing for a key that expired).")))
    # A restart takes longer than a 2 s TTL on a busy machine: the rest runs with a long one, set as an
    # operator would (which restarts every process too), and the user logs in again under it.
    cluster.set_config(SESSION_TTL=LONG_TTL)
    login(scenario, busy)
    cluster.restart_all()
    user, response = me(scenario, busy)
    if user != busy.user:
        return Verdict(False, explain(
            _("With SESSION_TTL={ttl}, the grader logged in as {user}, then restarted every web process, as a "
              "deploy does.", ttl=LONG_TTL, user=busy.user),
            _("{response}.", response=response.describe()),
            _("A restart wipes a process's memory and its private disk; sessions there are gone."),
            _("Keep sessions in Redis, not in a dict or a file of the web process.")))
    return Verdict(True, _("{user}'s session worked on {webs} and outlived SESSION_TTL={ttl} while in use; "
                           "{idle}'s idle one expired everywhere; a session survived a restart of every process.",
                           user=busy.user, webs=listing(webs), ttl=TTL, idle=idle.user))


def uploads(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    rng = random.Random(scenario.seed)
    ada, grace = visitors(scenario.seed + 3, 2)
    one = sheet(rng, "harvest")
    login(scenario, ada)
    login(scenario, grace)
    upload_id, _response = upload(scenario, ada, one, worker=webs[0])
    # What the grader did first, told at the start of each failure's feedback.
    did = dict(user=ada.user, name=one.name, size=len(one.data), web=webs[0])
    served = file_of(scenario, ada, upload_id, worker=webs[-1])
    if served.status != 200 or served.content != one.data:
        return Verdict(False, explain(
            _("The grader logged in as {user} and uploaded {name} ({size} bytes) to {web}, then asked "
              "GET /uploads/{upload_id}/file on {other}.", **did, upload_id=upload_id, other=webs[-1]),
            _("{response}.", response=served.describe()) if served.status != 200 else
            _("{response} (not the bytes uploaded).", response=served.describe()),
            _("A file saved on the disk of the web process that received it exists on that process alone, "
              "and only until it restarts: the platform gives every process a disk of its own, and wipes it."),
            _("Put the upload's bytes in the bucket (boto3: s3.put_object(Bucket=os.environ['S3_BUCKET'], "
              "Key=..., Body=data)) and read them back from there.")))
    held = storage.holding(cluster.env, one.data)
    if len(held) != 1:
        return Verdict(False, explain(
            _("The grader logged in as {user} and uploaded {name} ({size} bytes) to {web} and read the bucket "
              "S3_BUCKET.", **did),
            _("{count} objects in the bucket hold the file's bytes (expected exactly 1).", count=len(held)),
            _("Uploads live in object storage, once each: not on a disk, and not twice."),
            _("Store each accepted upload as one object in the bucket named by S3_BUCKET.")))
    record, seen = settled(scenario, ada, upload_id)
    if record is None or record["status"] != "done" or not one.matches(record.get("result")):
        statuses = " -> ".join(seen)
        saw = (_("Statuses seen: {statuses}; in the end it disappeared (404). Expected done with {expected}.",
                 statuses=statuses, expected=one.expected) if record is None else
               _("Statuses seen: {statuses}; in the end it said {status} with result {result}. Expected done "
                 "with {expected}.", statuses=statuses, status=repr(record["status"]),
                 result=repr(record.get("result")), expected=one.expected))
        return Verdict(False, explain(
            _("The grader logged in as {user} and uploaded {name} ({size} bytes) to {web} and read its status "
              "for up to {within:g} s (one worker process runs).", **did, within=DONE_WITHIN),
            saw,
            _("The worker process takes the upload from the queue, computes summarize(data) and records "
              "the result in the database, where every web process can read it."),
            _("Check that worker.py reads the upload from the bucket, runs summarize, and stores result "
              "and status 'done' in PostgreSQL.")))
    cluster.restart_all()
    again, response = status(scenario, ada, upload_id)
    served = file_of(scenario, ada, upload_id)
    if again is None or again["status"] != "done" or served.content != one.data:
        return Verdict(False, explain(
            _("The grader logged in as {user} and uploaded {name} ({size} bytes) to {web}, waited for its "
              "totals, then restarted every process.", **did),
            _("Afterwards: {response}; GET /uploads/{upload_id}/file: {file}.", response=response.describe(),
              upload_id=upload_id, file=clipped(served.describe(), 160)),
            _("What a process keeps in memory or on its disk is gone after a restart."),
            _("Keep records in PostgreSQL (DATABASE_URL) and files in the bucket.")))
    theirs, response = status(scenario, grace, upload_id)
    if theirs is not None:
        return Verdict(False, explain(
            _("The grader logged in as {user} and uploaded {name} ({size} bytes) to {web}; then {other_user} "
              "asked GET /uploads/{upload_id}.", **did, other_user=grace.user, upload_id=upload_id),
            _("{response}: another user's upload was shown to them.", response=response.describe()),
            "", _("Answer 404 unless the upload belongs to the logged-in user.")))
    bad_id, _response = upload(scenario, ada, BROKEN)
    record, seen = settled(scenario, ada, bad_id)
    if record is None or record["status"] != "failed" or not isinstance(record.get("error"), str):
        return Verdict(False, explain(
            _("The grader uploaded {name}, whose second column holds the word 'three'.", name=BROKEN.name),
            _("Statuses seen: {statuses}; in the end {record}.", statuses=" -> ".join(seen), record=repr(record)),
            _("summarize raises ValueError for it; a job that raises must end failed with its error, "
              "and the worker must go on with the next job."),
            _("Catch the exception in the worker and record status 'failed' with str(error).")))
    return Verdict(True, _("{name} uploaded to {first} was served by {last}, stored once in the bucket, summed by "
                           "the worker and still there after a restart; a bad CSV ended failed.",
                           name=one.name, first=webs[0], last=webs[-1]))


def counter(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    count = 90
    base, response = visits(scenario)  # an external store may hold an earlier run's count
    if base is None:
        return Verdict(False, explain(_("The grader sent POST /visits."),
                                      _("{response}.", response=response.describe()), "",
                                      _("POST /visits must answer 200 and {answer}.", answer=VISITS_ANSWER)))
    answers = burst(cluster, "POST", "/visits", count)
    failed = [response for response in answers if response.status != 200]
    if failed:
        return Verdict(False, explain(
            _("The grader sent {count} POST /visits, 8 at a time, to {webs}.", count=count,
              webs=listing(cluster.serving())),
            _n("{count} did not get 200, the first: {response}.", "{count} did not get 200, the first: {response}.",
               len(failed), response=failed[0].describe()), "",
            _("POST /visits must answer 200 and {answer}.", answer=VISITS_ANSWER),
            [scenario.incarnation_of(failed[0])] if scenario.incarnation_of(failed[0]) else []))
    final, response = visits(scenario)
    seen = [response.json().get("visits") for response in answers]
    repeats = len(seen) - len(set(seen))
    if final != base + count + 1:
        return Verdict(False, explain(
            _("The grader sent one POST /visits (it said {base}), then {count}, 8 at a time, to {webs}, then one "
              "more.", base=base, count=count, webs=listing(cluster.serving())),
            _n("The last said {final}; after {visits} more visits it should say {expected}. {count} answers "
               "repeated a number another answer had given.",
               "The last said {final}; after {visits} more visits it should say {expected}. {count} answers "
               "repeated a number another answer had given.", repeats, final=repr(final), visits=count + 1,
               expected=base + count + 1) if final is not None else response.describe(),
            _("A count kept in each process's memory splits into one count per process; a count read, "
              "incremented and written back in two steps loses the updates that land in between."),
            _("Count in the store, in one atomic step: INCR in Redis, or UPDATE ... SET n = n + 1 "
              "RETURNING n in PostgreSQL.")))
    return Verdict(True, _("{visits} visits, {count} of them concurrent, over {webs} web processes, took the count "
                           "from {base} to {final}.", visits=count + 1, count=count, webs=len(cluster.serving()),
                           base=base, final=final))


def assets(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    hrefs = {}
    for web in webs:
        response = cluster.get("/", worker=web)
        hrefs[web] = stylesheet_of(response.body)
        if response.status != 200 or not hrefs[web] or not FINGERPRINTED.match(hrefs[web]):
            return Verdict(False, explain(
                _("The grader asked GET / on {web}.", web=web),
                _("{response}; the stylesheet it names: {href}.", response=response.describe(),
                  href=repr(hrefs[web])), "",
                _("GET / must answer an HTML page whose <link rel=\"stylesheet\"> names "
                  "/static/style.<fingerprint>.css (the fingerprint: hex digits of the file's hash).")))
    if len(set(hrefs.values())) != 1:
        named = ", ".join(f"{w}: {h}" for w, h in hrefs.items())
        return Verdict(False, explain(
            _("The grader asked GET / on {webs}.", webs=listing(webs)),
            _("They named different stylesheets: {named}.", named=named),
            _("Each process built its own assets when it started or at its first request, so one release "
              "serves several versions. Factor VI: compile assets at build time, once per release."),
            _("Write static/style.<fingerprint>.css in build.py, and let the web processes only read it.")))
    href = hrefs[webs[0]]
    built = scenario.platform.release.path / href.lstrip("/")
    if not built.is_file():
        return Verdict(False, explain(
            _("Every web process named {href}; the grader looked for that file in the release.", href=href),
            _("The release, as build.py left it, holds no such file: the web processes made it themselves."),
            _("A file made at run time costs the first request, exists only on that process's disk and "
              "is made again after every restart; the release must be complete when it is built."),
            _("Make build.py write the fingerprinted stylesheet and a manifest; read the manifest in app.py.")))
    for web in webs:
        response = cluster.request("GET", href, Raw(), worker=web)
        if response.status != 200 or response.content != built.read_bytes():
            return Verdict(False, explain(
                _("The grader asked GET {href} on {web}.", href=href, web=web),
                _("{response}.", response=clipped(response.describe(), 200)), "",
                _("Serve the files build.py wrote, as they are (Flask serves static/ by itself).")))
    made_up = cluster.get("/static/style.0123456789ab.css")
    if made_up.status != 404:
        return Verdict(False, explain(_("The grader asked for /static/style.0123456789ab.css, which no build made."),
                                      _("{response}.", response=made_up.describe()), "",
                                      _("Answer 404 for a file the build did not make.")))
    return Verdict(True, _("Every web process ({webs}) named and served {href}, which build.py put in the release.",
                           webs=listing(webs), href=href))


def first_run(scenario: Scenario, within: float) -> int | None:
    """The count of cleanups once the first has run (each check's database starts empty), read every
    POLL seconds for at most ``within`` seconds; None if none runs.

    A process without a port is running, not ready: the clock still imports its libraries and
    connects, which takes seconds on a loaded machine. Its rate is measured from its first run."""
    deadline, start = time.monotonic() + within, cleanups(scenario)
    if start:
        return start
    while time.monotonic() < deadline:
        time.sleep(POLL)
        now = cleanups(scenario)
        if now > start:
            return now
    return None


def too_few(did, saw, why, clock_process) -> Verdict:
    """The clock ran the cleanup too seldom: if its process exited unasked, that is the cause to
    name (a loop that crashed, not one that is missing), with its error below."""
    if not clock_process.exited or clock_process.stop_requested:
        return Verdict(False, explain(
            did, saw, why, _("Loop in clock.py: run the cleanup, record the run (GET /cleanups counts them), "
                             "sleep to the next period."), [clock_process]))
    died = _("Meanwhile {said}, although the platform had not asked it to stop.",
             said=_("{name} (pid {pid}) exited with {exit}", name=clock_process.name, pid=clock_process.pid,
                    exit=clock_process.describe_exit()))
    return Verdict(False, explain(
        did, Text((saw, died), sep=" "),
        _("A clock that exits stops the schedule: no cleanup runs until the platform starts the process "
          "again, and most platforms wait longer after each crash before they do."),
        _("Read the error below and fix it in clock.py. An error in one period's cleanup must not end the "
          "loop: catch it and try again at the next period."), [clock_process]))


def clock(scenario: Scenario) -> Verdict:
    cluster = scenario.cluster
    webs = cluster.serving()
    span = 4 * PERIOD
    before = first_run(scenario, FIRST_RUN_WITHIN)
    if before is None:
        return too_few(
            _("The grader ran {webs} and one clock process with CLOCK_PERIOD={period:g}, and read GET /cleanups "
              "for {within:g} s.", webs=listing(webs), period=PERIOD, within=FIRST_RUN_WITHIN),
            _("GET /cleanups answered the same count every time: the cleanup did not run once."),
            _("The clock process must run the cleanup as soon as it starts, then once every CLOCK_PERIOD "
              "seconds."), cluster.workers["clock.1"].current)
    started = time.monotonic()
    pause(span)
    runs = cleanups(scenario) - before
    elapsed = time.monotonic() - started
    periods = elapsed / PERIOD
    did = _("The grader ran {webs} and one clock process with CLOCK_PERIOD={period:g}, waited for the first "
            "cleanup, then read GET /cleanups {elapsed:.1f} s apart.", webs=listing(webs), period=PERIOD,
            elapsed=elapsed)
    if runs > periods + 2:
        return Verdict(False, explain(
            did, _("The cleanup ran {runs} times, once per period would be about {periods:.0f}.", runs=runs,
                   periods=periods),
            _("With {count} web processes, a timer started in every web process runs the job {count} times per "
              "period. Scheduled work belongs to one process type of its own, the clock, which the platform "
              "runs exactly once.", count=len(webs)),
            _("Remove the timer from app.py; run the schedule in clock.py only, and record each period's "
              "run under the period's number, so that a second clock could not run it twice.")))
    if runs < periods / 2:
        return too_few(
            did, _n("The cleanup ran {count} times; once per period would be about {periods:.0f}.",
                    "The cleanup ran {count} times; once per period would be about {periods:.0f}.", runs,
                    periods=periods),
            _("The clock process must run the cleanup once every CLOCK_PERIOD seconds."),
            cluster.workers["clock.1"].current)
    rng = random.Random(scenario.seed)
    (ada,) = visitors(scenario.seed + 5, 1)
    login(scenario, ada)
    doomed = sheet(rng, "old-harvest")
    upload_id, _response = upload(scenario, ada, doomed)
    delete(scenario, ada, upload_id)
    record, response = status(scenario, ada, upload_id)
    if record is not None:
        return Verdict(False, explain(_("The grader uploaded {name} and deleted it (202).", name=doomed.name),
                                      _("GET /uploads/{upload_id} then: {response}.", upload_id=upload_id,
                                        response=response.describe()), "",
                                      _("A deleted upload is gone for its user at once: answer 404.")))
    deadline = time.monotonic() + REMOVED_WITHIN
    while storage.holding(cluster.env, doomed.data) and time.monotonic() < deadline:
        pause(0.1)
    if storage.holding(cluster.env, doomed.data):
        return Verdict(False, explain(
            _("The grader uploaded {name}, deleted it, and watched the bucket for {within:g} s.", name=doomed.name,
              within=REMOVED_WITHIN),
            _("Its object was still in the bucket."),
            _("The clock's cleanup removes the objects of deleted uploads; files nobody can reach any more "
              "still cost storage."),
            _("In the cleanup, delete from the bucket the object of every upload marked deleted, then its record.")))
    cluster.scale("clock", 0)
    before = cleanups(scenario)
    pause(2 * PERIOD + 0.5)
    without = cleanups(scenario) - before
    if without:
        return Verdict(False, explain(
            _("The grader stopped the clock process (scale clock=0), kept {webs} running and waited {wait:g} s.",
              webs=listing(webs), wait=2 * PERIOD + 0.5),
            _n("The cleanup still ran {count} times.", "The cleanup still ran {count} times.", without),
            _("So the web (or worker) processes run the schedule too: every one of them does, and scaling "
              "web up multiplies it."),
            _("Run scheduled work in the clock process only.")))
    return Verdict(True, _("The cleanup ran {runs} times in {elapsed:.1f} s with {webs} web processes, removed a "
                           "deleted upload's object, and stopped with the clock.", runs=runs, elapsed=elapsed,
                           webs=len(webs)))


CHECKS = [
    Check("contract", N_("Bad input gets 400, no session 401, unknown uploads 404"), 1, contract,
          processes={"web": 1, "worker": 0, "clock": 0}, config=CONFIG),
    Check("sessions", N_("Logged in on every web process, through restarts, until idle past SESSION_TTL"), 2,
          sessions, processes={"web": 3, "worker": 0, "clock": 0}, config=SHORT),
    Check("uploads", N_("An upload lives in the bucket and its totals in the database"), 2, uploads,
          processes={"web": 2, "worker": 1, "clock": 0}, config=CONFIG),
    Check("counter", N_("No visit is lost under concurrent requests"), 1, counter,
          processes={"web": 3, "worker": 0, "clock": 0}, config=CONFIG),
    Check("assets", N_("The stylesheet is built once, by build.py, and served the same everywhere"), 1, assets,
          processes={"web": 2, "worker": 0, "clock": 0}, config=CONFIG),
    Check("clock", N_("The cleanup runs once per period, in the clock process alone"), 2, clock,
          processes={"web": 3, "worker": 0, "clock": 1}, config=CONFIG),
    Check("chaos", N_("Every fault at once: nothing lost, nothing doubled, nobody logged out early"), 4, chaos,
          hidden=True, processes={"web": 3, "worker": 2, "clock": 1}, config=CHAOS_CONFIG, alone=True),
]
