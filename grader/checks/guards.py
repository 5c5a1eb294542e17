"""Rules every check of every exercise is held to: no verdict a real platform would not give.

The grader's workers all run on one machine. A check can therefore pass for reasons that hold
nowhere else: state handed from one worker to another through a file on the shared disk (where the
OS would not give each worker a private /tmp, or outside /tmp altogether), or a store reached at an
address the app chose itself (``localhost:6379``) instead of the one it was given. After a check has
run, :func:`review` looks at the audit record of its cluster and fails the check when either
happened, with feedback that says so; the check's own feedback follows when it had failed anyway.

The platform also bounds each process's memory (:mod:`grader.platform.quota`): a check during which
a worker had to be stopped at its hard limit fails with :func:`memory_feedback`, whatever else it
saw, and one that went past its quota only carries a note, as Heroku's R14 is a warning.
"""
from __future__ import annotations

from dataclasses import replace

from ..platform.events import Connection, FileAccess
from ..harness.local_state import SharedState, shared_state
from ..harness.attached import StrayConnection, stray_connections
from .base import Scenario, Verdict
from .feedback import explain, listing
from ..i18n import Message, Text, _

STORE = _("Keep that state in the backing store whose URL the platform gives you: REDIS_URL or DATABASE_URL.")


def review(scenario: Scenario, verdict: Verdict) -> Verdict:
    """The verdict, failed with an explanation when it rests on what only this machine provides."""
    platform, cluster = scenario.platform, scenario.cluster
    platform.bus.flush()  # once: every record a worker sent before this moment, of both kinds
    shared = shared_state(cluster, platform.bus.events(FileAccess), platform.service_paths())
    stray = stray_connections(cluster, platform.bus.events(Connection))
    if verdict.passed:
        problems = [stray_feedback(stray, cluster.env)] if stray else []
        problems += [shared_disk_feedback(found) for found in shared]
        if problems:
            return replace(verdict, passed=False, feedback=Text(problems, "\n\n"))
        over = over_quota(cluster)
        return replace(verdict, feedback=Text((verdict.feedback, quota_note(over)), "\n\n")) if over else verdict
    # A failed check keeps its own feedback; a stray address comes first, as the likelier cause
    # (a refused connection shows up as a 500), and shared files the feedback does not name follow.
    parts = [stray_feedback(stray, cluster.env)] if stray else []
    parts.append(verdict.feedback)
    parts += [shared_disk_feedback(found) for found in shared if found.path not in verdict.feedback]
    return replace(verdict, passed=False, feedback=Text(parts, "\n\n"))


def shared_disk_feedback(found: SharedState) -> Text:
    saw = _("Workers read a file that another worker had written: {path}, written by {writers} and read by "
            "{readers}. They passed state to each other through this machine's disk.",
            path=found.path, writers=listing(found.writers), readers=listing(found.readers))
    if found.not_private_why:
        saw = Text((saw, _("On this machine the grader could not give each worker a /tmp of its own ({why}), "
                           "so they all share one.", why=found.not_private_why)), " ")
    return explain(
        _("The grader recorded every file your app's code opened while this check ran."),
        saw,
        _("That only works because the grader's workers happen to run on one machine. On a real "
          "platform each process has a disk of its own, wiped at every restart, so no other process "
          "would ever see that file and this check would fail. Factor VI: processes share nothing; "
          "what must be shared lives in a backing service."),
        STORE)


def stray_feedback(stray: list[StrayConnection], env: dict[str, str]) -> Text:
    addresses = [(item.worker, f"{item.host}:{item.port}") for item in stray[:6]]
    lines = Text([_("{worker} connected to {address}", worker=worker, address=address)
                  for worker, address in addresses], "\n    ")
    variables = dict.fromkeys(item.variable for item in stray)
    given = "; ".join(f"{name}={env[name]}" for name in ("REDIS_URL", "DATABASE_URL") if name in env)
    return explain(
        _("The grader recorded every network connection your app's workers opened."),
        _("Your app connected to an address that is not one of the services the platform attached:\n"
          "    {connections}\nThe services attached to this run were: {given}.", connections=lines, given=given),
        _("An address written into the code works only on a machine that happens to run a server "
          "there, such as a laptop with Redis on its default port; on a platform nothing listens "
          "there, or worse, another app's data does. Factors IV and III: a backing service is an "
          "attached resource, and its address is config, found in the environment."),
        _("Read the address from {variables} (for example redis.Redis.from_url(os.environ[\"REDIS_URL\"])) "
          "instead of writing one into the code.", variables=" / ".join(variables)))


def _incarnations(cluster) -> list:
    return [incarnation for worker in [*cluster.workers.values(), *cluster.retired]
            for incarnation in worker.incarnations]


def stopped_for_memory(cluster) -> list:
    """The processes of this check's cluster that the platform stopped at their hard memory limit."""
    return [each for each in _incarnations(cluster) if each.memory is not None and each.memory.killed]


def over_quota(cluster) -> list:
    """The processes that went past their memory quota but were not stopped."""
    return [each for each in _incarnations(cluster)
            if each.memory is not None and each.memory.over_quota and not each.memory.killed]


def mib(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"


def memory_feedback(stopped: list) -> Text:
    lines = []
    for each in stopped:
        memory = each.memory
        doing = (_("while it was serving {requests}", requests=listing(memory.serving)) if memory.serving
                 else _("just after it answered {request}", request=memory.last) if memory.last
                 else _("before it answered any request"))
        lines.append(_("{name} (pid {pid}) reached {peak} {doing}, past its hard limit of {limit} (its quota is "
                       "{quota}), so the platform stopped it.", name=each.name, pid=each.pid, peak=mib(memory.peak),
                       doing=doing, limit=mib(memory.limit), quota=mib(memory.quota)))
    return explain(
        _("The platform gave every process of your app a memory quota, as a dyno or a container has, and "
          "watched how much memory each one held."),
        Text(lines, " "),
        _("Memory that grows with every request is state the process keeps for itself: it is lost at the "
          "next restart, and it is not what any other worker sees. Factor VI: a process's memory is a cache "
          "for a single transaction; nothing a request leaves behind should stay there. On Heroku this "
          "process would have been logged with R14 (memory quota exceeded) and then stopped with R15; on "
          "Kubernetes it would have been OOMKilled."),
        _("Look for what your app keeps from one request to the next, such as a list or dict at module "
          "level that only grows or a cache without a bound. Keep what must last in the backing store "
          "(REDIS_URL or DATABASE_URL) and let go of what a request needed once it has answered."),
        stopped)


def quota_note(over: list) -> Message:
    said = Text([_("{name} reached {peak} (quota {quota})", name=each.name, peak=mib(each.memory.peak),
                   quota=mib(each.memory.quota)) for each in over], "; ")
    return _("Note: {said}. The check still passes, as a platform keeps such a process running (Heroku "
             "logs R14, memory quota exceeded), but memory that keeps growing will get it stopped.", said=said)
