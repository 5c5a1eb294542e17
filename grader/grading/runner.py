"""Running an exercise's checks against a learner's app and collecting the results.

One platform (release, services, fork server) serves the whole run; every check gets a fresh cluster
with empty service namespaces, so one check's traffic never changes another's outcome. When the app
cannot boot at all, the remaining checks are marked "could not grade" without booting it again.
"""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from .. import checks as registry
from ..checks import guards
from ..checks.base import FAILED, NOT_GRADED, PASSED, CheckResult, Check, Inconclusive, Scenario, Verdict
from ..checks.feedback import ContractError, explain
from ..i18n import Text, _, render, translate
from ..platform.cluster import OutOfTime
from ..platform.platform import Platform
from ..platform.ports import listening_sockets
from ..platform.release import BuildFailed
from .report import STATUSES, Report
from ..platform.services.redis import ServiceError
from ..platform.source import AppSource, load
from ..errors import BadInput, CheckFailed
from ..platform.worker import BootFailed


GUNICORN_LOG = re.compile(r"^\[[^]]+\] \[\d+\] \[[A-Z]+\] ")  # "[time] [pid] [INFO] ..."
CHECK_BUDGET = 60.0  # seconds of traffic one check may take before it is abandoned
PARALLEL_CHECKS = 2  # checks wait on HTTP and on the workers, so two share these 2-core machines well


def grade(exercise: str, path: str | Path | AppSource, names=None, *, seed: int = 0,
          database_url: str | None = None, redis_url: str | None = None,
          boot_timeout: float | None = None, env: dict[str, str] | None = None,
          check_budget: float = CHECK_BUDGET, private_tmp: bool | None = None,
          memory_quota: int | None = None, memory_limit: int | None = None) -> Report:
    """Grade an app on an exercise; raises BadInput for input that cannot be graded at all.

    ``private_tmp=False`` runs the workers without a /tmp of their own (as where the OS refuses
    namespaces); None asks for one unless FACTOR_SIX_PRIVATE_TMP=0. ``memory_quota`` and
    ``memory_limit`` (bytes) bound each worker's memory (default: 512 MiB, stopped at twice that).
    """
    checks = registry.select(exercise, names)
    contract = registry.exercise(exercise)
    source = path if isinstance(path, AppSource) else load(path)
    options = {"database_url": database_url, "redis_url": redis_url, "env": env, "private_tmp": private_tmp,
               "services": contract.services, "database": contract.database}
    if boot_timeout is not None:
        options["boot_timeout"] = boot_timeout
    if memory_quota is not None:
        options.update(memory_quota=memory_quota, memory_limit=memory_limit)
    results: list[CheckResult] = []
    try:
        with Platform(source, **options) as platform:
            _run_all(platform, checks, seed, check_budget, results)
    except BadInput:
        raise
    except (BuildFailed, ServiceError) as failure:
        _not_graded(checks, results, failure.args[0] if failure.args and isinstance(failure.args[0], str) else str(failure))
    except Exception as error:  # a grader bug must not cost the learner a traceback
        _not_graded(checks, results, internal_error(error))
    return Report(exercise, source.origin, seed, results, source.notes)


def _not_graded(checks: list[Check], results: list[CheckResult], why: str) -> None:
    done = {result.name for result in results}
    results += [_result(check, NOT_GRADED, 0, why) for check in checks if check.name not in done]


def _run_all(platform: Platform, checks: list[Check], seed: int, budget: float,
             results: list[CheckResult]) -> None:
    """Run the checks, PARALLEL_CHECKS at a time (one at a time with an external store), in order.

    The first check's workers boot alone: an app that cannot start at all is reported once, and no
    other check boots it again. Every later check has a cluster of its own, so checks that run side
    by side never see each other's traffic; each boots while another check runs.
    """
    first = _order(platform, checks[0], seed)
    try:
        first.wait_ready()
    except BootFailed as failure:
        blocked = boot_feedback(failure)
        results += [_result(check, NOT_GRADED, 0, blocked) for check in checks]
        return
    # Side by side only when each check's cluster has services of its own: checks sharing an external
    # store would change each other's data.
    slots = PARALLEL_CHECKS if platform.namespaced else 1
    pool = ThreadPoolExecutor(slots, thread_name_prefix="factor-six-check")
    try:
        futures = [pool.submit(_run_one, checks[0], Scenario(platform, first, seed), budget)]
        for check in checks[1:]:
            if check.alone:  # its faults reach the services the others share: let them finish first
                wait(futures)
            futures.append(pool.submit(_boot_and_run, platform, check, seed, budget))
        results += [future.result() for future in futures]
    finally:
        # On an interruption the platform is about to stop every process; checks still running then
        # fail fast, and nobody waits for them.
        pool.shutdown(wait=False, cancel_futures=True)


def _order(platform: Platform, check: Check, seed: int):
    """Start the cluster a check asks for (its formation, routing, config and server options)."""
    return platform.cluster(check.formation, policy=check.policy, seed=seed, env=check.config,
                            gunicorn_args=check.gunicorn_args, wait=False)


def _boot_and_run(platform: Platform, check: Check, seed: int, budget: float) -> CheckResult:
    cluster = _order(platform, check, seed)
    try:
        cluster.wait_ready()
    except BootFailed as failure:
        cluster.close()
        return _result(check, NOT_GRADED, 0, boot_feedback(failure))
    except Exception as error:  # a grader bug must not cost the learner a traceback
        cluster.close()
        return _result(check, NOT_GRADED, 0, internal_error(error))
    return _run_one(check, Scenario(platform, cluster, seed), budget)


def _run_one(check: Check, scenario: Scenario, budget: float) -> CheckResult:
    """One check on its own started cluster; the guards of :mod:`grader.checks.guards` apply to all."""
    cluster = scenario.cluster
    cluster.deadline = time.monotonic() + budget
    verdict, not_graded = None, None
    try:
        verdict = check.run(scenario)
    except OutOfTime:
        not_graded = too_slow(cluster, budget)
    except Inconclusive as unsure:
        not_graded = unsure.args[0] if unsure.args and isinstance(unsure.args[0], str) else str(unsure)
    except ContractError as broken:
        verdict = Verdict(False, broken.feedback)
    except BootFailed as failure:
        verdict = Verdict(False, boot_feedback(failure))
    except Exception as error:  # a grader bug must not cost the learner a traceback
        not_graded = internal_error(error)
    finally:
        cluster.close()
    stopped = guards.stopped_for_memory(cluster)
    if stopped:  # whatever else happened, the platform stopped a process for its memory: that is the cause
        told = verdict.feedback if verdict is not None and not verdict.passed else None
        return _result(check, FAILED, 0, Text(tuple(filter(None, [guards.memory_feedback(stopped), told])), "\n\n"))
    if not_graded is not None:
        return _result(check, NOT_GRADED, 0, not_graded)
    verdict = guards.review(scenario, verdict)
    return _result(check, PASSED if verdict.passed else FAILED, check.points if verdict.passed else 0,
                   verdict.feedback, verdict.figure)


def _result(check: Check, status: str, points: float, feedback: str, figure: str = "") -> CheckResult:
    """The frozen result; ``feedback`` is kept in English and, when it is a message, as the message
    too, for reports in other languages."""
    message = feedback if hasattr(feedback, "render") else None
    english = message.render("en") if message is not None else str(feedback)
    return CheckResult(check.name, check.title, status, points, check.points, english, check.hidden, figure, message)


def too_slow(cluster, budget: float) -> str:
    slowest = max(cluster.log, key=lambda response: response.latency, default=None)
    if slowest:
        saw = _("The check's {budget:g} s ran out after {count} requests; the slowest was {slowest} after "
                "{latency:.1f} s.", budget=budget, count=len(cluster.log), slowest=slowest.describe(),
                latency=slowest.latency)
    else:
        saw = _("The check's {budget:g} s ran out after {count} requests.", budget=budget, count=len(cluster.log))
    return explain(_("The grader sent the requests this check needs, one after another."), saw, "",
                   _("Each request here should take milliseconds: look for sleeps, slow loops or calls "
                     "that wait on something outside the app, and run the check again."))


def internal_error(error: Exception) -> str:
    said = f"{type(error).__name__}: {error}"
    return _("The grader itself failed while running this check ({error}). This is not your app's fault: "
             "please report it to your instructor with this message.", error=said)


def boot_feedback(failure: BootFailed) -> Text:
    incarnation = failure.incarnation
    web = incarnation.kind == "web"
    name, pid, reason, port = incarnation.name, incarnation.pid, failure.reason, incarnation.port
    needs = _("Nothing could be graded, because no request could be answered.") if web else \
        _("Nothing could be graded, because every check needs the app's `{kind}` processes running, as "
          "the Procfile declares them.", kind=incarnation.kind)
    if not failure.timed_out and web and _port_taken(incarnation):
        saw = _("{name} (pid {pid}) {reason}: port {port}, the port the platform gave it in $PORT, was taken "
                "by another process on this machine before the app could listen on it.",
                name=name, pid=pid, reason=reason, port=port)
        fix = _("This is not your app's fault: the platform chose a free port, and something else took it in "
                "the moment before your app bound it. Run the check again.")
    elif not failure.timed_out:
        stderr = incarnation.stderr_excerpt()[1]  # read once: it is a file on disk
        printed = [line for line in (incarnation.stdout_tail() + "\n" + stderr).splitlines()
                   if line.strip() and not GUNICORN_LOG.match(line)]
        saw = _("{name} (pid {pid}) {reason}.", name=name, pid=pid, reason=reason)
        if not printed:
            saw = Text((saw, _("Your app printed nothing of its own (the lines below are gunicorn's).")
                        if stderr.strip() else _("It printed nothing, on stdout or on stderr.")), " ")
        fix = _fix_boot(incarnation.kind, silent=not printed)
    elif not web:
        saw = _("{name} {reason}: the platform could not start it in time.", name=name, reason=reason)
        fix = _("This is rarely the app's fault (the machine may be very busy): run the check again, and tell "
                "your instructor if it happens again.")
    elif incarnation.mode == "exec":
        saw = _("{name} (pid {pid}) {reason}: it never answered HTTP on port {port}, the port the platform "
                "gave it in $PORT, so it was killed.", name=name, pid=pid, reason=reason, port=port)
        fix = _("A web process must listen on 127.0.0.1:$PORT. The simplest way is the Procfile line "
                "`web: gunicorn app:app`, which the grader runs on the right port for you.")
    else:
        saw = _("{name} (pid {pid}) {reason}: importing app.py never finished, so it was killed.",
                name=name, pid=pid, reason=reason)
        fix = _("Make sure importing app.py returns quickly: no input(), no endless loop, no server "
                "started by hand (gunicorn serves the `app` object for you).")
    return explain(
        _("The grader built a release of your app and started its processes as its Procfile says (by "
          "default `web: gunicorn app:app`)."),
        Text((saw, needs), " "), "", fix, [incarnation])


def _fix_boot(kind: str, silent: bool):
    """What to do about a process that exited while it started."""
    environment = _("a fresh process that has only what the platform gives it: the release's files and "
                    "the environment (PORT, DATABASE_URL, REDIS_URL).")
    if kind == "web":
        if silent:
            return _("Look for code that exits without a word (sys.exit, os._exit) or a process killed from "
                     "outside, fix app.py, and run the check again. The app must import cleanly in "
                     "{environment}", environment=environment)
        return _("Read the error below, fix app.py, and run the check again. The app must import cleanly in "
                 "{environment}", environment=environment)
    if silent:
        return _("Look for code that exits without a word (sys.exit, os._exit) or a process killed from "
                 "outside, fix the code the Procfile's `{kind}` line runs, and run the check again. It must "
                 "start in {environment}", kind=kind, environment=environment)
    return _("Read the error below, fix the code the Procfile's `{kind}` line runs, and run the check again. "
             "It must start in {environment}", kind=kind, environment=environment)


def _port_taken(incarnation) -> bool:
    """Whether a web process that was given a port in $PORT died while another process listens there
    (its own sockets died with it, so any listener left is someone else's)."""
    return incarnation.mode == "exec" and incarnation.port is not None \
        and bool(listening_sockets(incarnation.port))


def assert_passes(exercise: str, name: str, path=".", *, seed: int = 0, lang: str | None = None, **options) -> None:
    """Run one check; raise AssertionError whose message is the learner's feedback if it fails.

    This is what an nbgrader test cell calls: the cell passes (and earns its points) exactly when
    the check passes, and a failing cell shows the feedback instead of a bare assertion.
    """
    report = grade(exercise, path, [name], seed=seed, **options).in_language(lang)
    lang, result = report.lang, report.results[0]
    notes = "".join(render(note, lang) + "\n" for note in report.notes)
    said = _("{title}: {status}.", title=result.title_in(lang), status=translate(STATUSES[result.status], lang))
    if not result.passed:
        raise CheckFailed(f"{notes}{said.render(lang)}\n{result.feedback_in(lang)}")
    print(f"{notes}{said.render(lang)} {result.feedback_in(lang)}")
