"""The chaos check: three users' traffic while the platform does everything of :mod:`.schedule` to
the app, then a judgement of what must hold whatever happened (docs/capstone.md, "The chaos check").

Traffic and faults run on threads of their own; every request and every fault is recorded with its
moment. A request that fails while a fault is happening (or within :data:`AFTERMATH` of its end) is
the fault's doing; one that fails at any other moment is the app's. Invariants are judged on the
records, not on steps, and each broken one names the fault nearest to where it broke.
"""
from __future__ import annotations

import random
import threading
import time

from ...platform.http import Raw, form_file
from ...platform.worker import BootFailed
from ..base import Scenario, Verdict
from ..sessions.visit import Visitor, login, visitors
from ..feedback import explain
from .barrier import SchemaBarrier
from .csvs import Sheet, sheet
from .judge import cleanups_now, judge
from .pages import stylesheet_of
from .run import THINK, Accepted, Event, Run
from .schedule import SPAN, Planned, plan
from .waits import pause
from ...i18n import _

def _faults(run: Run, schedule: list[Planned]) -> None:
    cluster, platform = run.cluster, run.scenario.platform
    for planned in schedule:
        while run.now() < planned.at and not run.stop.is_set():
            pause(0.02)
        if run.stop.is_set():
            return
        event = Event(run.now(), run.now(), planned.kind, planned.what)
        with run.lock:
            run.events.append(event)
        try:
            _apply(run, planned, cluster, platform)
        except BootFailed as failure:
            event.error = _("{name} did not start again: {reason}", name=failure.incarnation.name,
                            reason=failure.reason)
            run.boot_failures.append(failure)
        except Exception as error:  # a fault that could not be applied is recorded, the run goes on
            event.error = f"{type(error).__name__}: {error}"
        event.end = run.now()


def _pick(cluster, kind: str, index: int) -> str:
    names = cluster.serving(kind) or [name for name, worker in cluster.workers.items() if worker.kind == kind]
    return names[index % len(names)]


def _apply(run: Run, planned: Planned, cluster, platform) -> None:
    kind = planned.kind
    if kind == "restart_web":
        cluster.restart(_pick(cluster, "web", planned.target))
    elif kind == "crash_web":
        cluster.crash(_pick(cluster, "web", planned.target))
    elif kind == "crash_worker":
        _kill_busy_workers(run)
    elif kind == "crash_clock":
        cluster.crash("clock.1")
    elif kind == "deploy":
        style = run.scenario.platform.source.files.get("assets/style.css", b"")
        cluster.deploy({"assets/style.css": style + f"\n/* release {planned.target} */\n".encode()})
    elif kind == "config":
        cluster.set_config(CHAOS_EPOCH=str(planned.target))
    elif kind == "scale_down":
        cluster.scale("web", 2)
        cluster.scale("worker", 1)
    elif kind == "scale_up":
        cluster.scale("web", 3)
        cluster.scale("worker", 2)
    elif kind == "slow_store":
        platform.set_store_latency(0.02)
        try:
            pause(2.0)
        finally:
            platform.set_store_latency(0.0)
    elif kind == "restart_redis":
        platform.restart_redis()


def _kill_busy_workers(run: Run) -> None:
    """Upload, give a worker a moment to take it, then SIGKILL every worker process at the same
    moment: whichever took the upload dies in the middle of it (``summarize`` takes 0.3 s)."""
    with run.lock:
        users = list(run.users)
    if users:
        _upload(run, users[0], sheet(run.rng_for("crash"), f"crash-{len(run.accepted)}"))
        pause(0.15)
    cluster = run.cluster
    names = [name for name, worker in list(cluster.workers.items()) if worker.kind == "worker"]
    threads = [threading.Thread(target=cluster.crash, args=(name,), daemon=True) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=cluster.boot_timeout + 5)


def _upload(run: Run, user: Visitor, one: Sheet) -> None:
    at = run.now()
    response = run.cluster.request("POST", "/uploads", form_file("file", one.name, one.data), client=user.client)
    run.record(at, user.user, "upload", response)
    data = response.json()
    if response.status == 202 and isinstance(data, dict) and data.get("id") not in (None, ""):
        with run.lock:
            run.accepted.append(Accepted(user, data["id"], one))


def _traffic(run: Run, user: Visitor, rng: random.Random) -> None:
    cluster = run.cluster
    last_ok = run.now()
    count = 0
    while not run.stop.is_set():
        roll = rng.random()
        at = run.now()
        try:
            if roll < 0.4:
                response = cluster.post("/visits", client=user.client)
                run.record(at, user.user, "visit", response)
                with run.lock:
                    if response.status == 200:
                        run.visits_ok += 1
                    elif response.status is None or response.status >= 500:
                        run.visits_unsure += 1
            elif roll < 0.65:
                response = cluster.get("/me", client=user.client)
                run.record(at, user.user, "me", response)
                if response.status == 401:
                    with run.lock:
                        run.logged_out.append((at, user.user, response, at - last_ok))
                    login(run.scenario, user)
                elif response.status == 200:
                    last_ok = at
            elif roll < 0.8:
                count += 1
                _upload(run, user, sheet(rng, f"{user.user}-{count}"))
            elif roll < 0.9:
                _page(run, user, at)
            else:
                _status(run, user, rng, at)
        except Exception:  # a lost connection, a contract broken mid-fault: the record says what happened
            pass
        pause(THINK)


def _page(run: Run, user: Visitor, at: float) -> None:
    response = run.cluster.get("/", client=user.client)
    run.record(at, user.user, "page", response)
    href = stylesheet_of(response.body)
    if response.status != 200 or not href:
        return
    # From the process that served the page, so from the same release: during a rolling deploy the
    # router may well send the next request to a process of the other release, as on any platform.
    try:
        styles = run.cluster.request("GET", href, Raw(), worker=response.worker, client=user.client)
    except LookupError:  # scaled away meanwhile
        return
    run.record(run.now(), user.user, "stylesheet", styles)
    if styles.pid == response.pid:  # not restarted in between
        with run.lock:
            run.pages.append((at, href, styles))


def _status(run: Run, user: Visitor, rng: random.Random, at: float) -> None:
    mine = [item for item in run.accepted if item.user is user]
    if not mine:
        return
    item = rng.choice(mine)
    response = run.cluster.get(f"/uploads/{item.upload_id}", client=user.client)
    run.record(at, user.user, "status", response)
    data = response.json()
    if response.status == 200 and isinstance(data, dict):
        item.statuses.append((at, data.get("status")))


RACE_SIGNS = ("pg_type_typname_nsp_index", "already exists", "UniqueViolation", "unique constraint")


def _start_together(run: Run) -> Verdict | None:
    """Move the app onto an empty database and restart every process at once, their first CREATE
    TABLEs let go together (:mod:`.barrier`): the start of every deploy, with its race made certain."""
    cluster, postgres = run.cluster, run.scenario.platform.postgres
    if postgres is None:  # an external database given by URL: not ours to fill with triggers
        return None
    expected = len(cluster.workers)
    barrier = SchemaBarrier(postgres, f"c{cluster.number}_fresh", expected)
    try:
        cluster.set_config(DATABASE_URL=barrier.url)
    except BootFailed as failure:
        incarnation = failure.incarnation
        _label, printed = incarnation.stderr_excerpt()
        if not any(sign in (printed or "") for sign in RACE_SIGNS):
            return Verdict(False, explain(
                _("The grader moved the app onto an empty database and restarted its {count} processes "
                  "at once, as every deploy starts them.", count=expected),
                _("{name} did not start: {reason}", name=incarnation.name, reason=failure.reason), "",
                _("A process must start on an empty database as well as on a full one: read its error below."),
                [incarnation]))
        return Verdict(False, explain(
            _("The grader moved the app onto an empty database and restarted its {count} processes at "
              "once, as every deploy starts them; their first CREATE TABLE statements ran at the same moment "
              "({waiting} of them were waiting to).", count=expected, waiting=barrier.arrived),
            _("{name} did not start: {reason}", name=incarnation.name, reason=failure.reason),
            _("Every process created the tables when it started, and two of them did it at once: both saw no "
              "table and both created it, so one failed (PostgreSQL reports a duplicate key in its catalog, "
              "pg_type_typname_nsp_index, or 'already exists'). A platform starts all of a formation's "
              "processes together after every deploy; on a laptop, with one process, this never shows."),
            _("Serialise the schema's creation: in one transaction, take SELECT pg_advisory_xact_lock(<a "
              "number of your own>) first, then CREATE TABLE IF NOT EXISTS ...; the lock is released when "
              "the transaction ends."),
            [incarnation]))
    finally:
        barrier.close()
    return None


def _visits_now(run: Run) -> int | None:
    """The count before the traffic (POST /visits adds one: it is counted as the base)."""
    response = run.cluster.post("/visits")
    data = response.json()
    count = data.get("visits") if response.status == 200 and isinstance(data, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def chaos(scenario: Scenario) -> Verdict:
    run = Run(scenario)
    seed = scenario.seed
    raced = _start_together(run)
    if raced is not None:
        return raced
    people = visitors(seed + 29, 4)
    active, idle = people[:3], people[3]
    for person in people:
        login(scenario, person)
    run.users = active
    run.visits_base = _visits_now(run)
    runs_before = cleanups_now(run)
    run.start = time.monotonic()  # the run's time, the faults' schedule and the clock's periods start here
    idle_since = run.now()
    schedule = plan(seed)
    threads = [threading.Thread(target=_faults, args=(run, schedule), name="factor-six-chaos-faults", daemon=True)]
    threads += [threading.Thread(target=_traffic, args=(run, person, random.Random(f"{seed}-{index}")),
                                 name=f"factor-six-chaos-{index}", daemon=True) for index, person in enumerate(active)]
    for thread in threads:
        thread.start()
    pause(SPAN - run.now())
    threads[0].join(timeout=30)  # the last fault may still be booting processes
    run.stop.set()
    for thread in threads[1:]:
        thread.join(timeout=15)
    return judge(run, idle, idle_since, runs_before)


