"""Turning the audit hook's file records into findings: what a worker kept on its local disk, and how.

Where a file is decides whether it is allowed: the worker's TMPDIR (and its private /tmp, when it has
one) is scratch space, fine while a request uses it and wrong once the request is over; the attached
SQLite database is the backing service; anything else the app's own code wrote (its working
directory, its HOME, or a place on the machine such as a shared /tmp) is state a real platform would
lose or never share.

How a file is used decides the advice: a file the app reads back (or a SQLite database) is lasting
state, which belongs in the backing store; a log nobody reads belongs on stdout; a scratch file left
behind needs cleaning up in the request that made it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..i18n import N_, Message, Text, _
from ..platform.events import FileAccess

MAX_LISTED = 4  # local files named in feedback; the rest are counted

SCRATCH, PRIVATE_TMP, WORKDIR, HOME, SHARED = "scratch", "private /tmp", "workdir", "home", "shared"
WHERE = {
    SCRATCH: N_("its scratch space"),
    PRIVATE_TMP: N_("its own /tmp, private to this process and emptied at every restart, as on a real platform"),
    WORKDIR: N_("its working directory, which is private to this process and reset on every restart"),
    HOME: N_("its HOME directory, which is private to this process and reset on every restart"),
    SHARED: N_("this machine's disk, which every worker here happens to share; on a real platform each "
               "process has a disk of its own, wiped at every restart"),
}
LOG_SUFFIXES = (".log", ".out", ".err")
DATABASE, LASTING, LOG, LEFTOVER, WRITTEN = "database", "lasting", "log", "leftover", "written"


@dataclass(frozen=True)
class Finding:
    """One file one worker kept: ``kind`` is database, lasting, log, leftover or written."""

    worker: str
    path: str
    place: str
    kind: str

    def describe(self) -> Message:
        where, worker, path = _(WHERE[self.place]), self.worker, self.path
        if self.kind == DATABASE:
            return _("{worker} opened a SQLite database {path} ({where})", worker=worker, path=path, where=where)
        if self.kind == LASTING:
            return _("{worker} kept state in {path}, writing it and reading it back ({where})",
                     worker=worker, path=path, where=where)
        if self.kind == LOG:
            return _("{worker} wrote the log file {path} ({where})", worker=worker, path=path, where=where)
        if self.kind == LEFTOVER:
            return _("{worker} left {path} behind after the request ended ({where})", worker=worker, path=path,
                     where=where)
        return _("{worker} wrote {path} ({where})", worker=worker, path=path, where=where)


@dataclass(frozen=True)
class SharedState:
    """A file on the shared machine disk that one process wrote and another read: state that only
    looked shared because the grader's workers happen to run on one machine."""

    path: str
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    not_private_why: str = ""  # why the workers had no private /tmp, when that was the reason


@dataclass
class _Use:
    """Everything the cluster's workers did to one real file."""

    shown: dict[str, str]  # worker name -> the path as that worker saw it
    place: str
    accesses: list[tuple[object, FileAccess]]  # (incarnation, access)

    def kind(self) -> str:
        if any(access.op == "sqlite3.connect" for _, access in self.accesses):
            return DATABASE
        writes = [access.at for _, access in self.accesses if access.writes]
        first = min(writes, default=None)
        later_reads = [a for _, a in self.accesses if a.reads and first is not None and a.at > first]
        if later_reads and len(writes) + len(later_reads) >= 3:  # read back across requests
            return LASTING
        if later_reads and self.place not in (SCRATCH, PRIVATE_TMP):
            return LASTING
        if Path(next(iter(self.shown.values()))).name.endswith(LOG_SUFFIXES):
            return LOG
        return WRITTEN


def findings(cluster, accesses: list[FileAccess], service_paths: list[Path]) -> list[Finding]:
    """Every file this cluster's workers kept locally, one finding per worker and file, in order."""
    uses = _uses(cluster, accesses, service_paths)
    leftover = _leftover(cluster)
    found: dict[tuple[str, str], Finding] = {}
    for real, use in uses.items():
        if real not in leftover and not any(access.writes or access.op == "sqlite3.connect"
                                            for _, access in use.accesses):
            continue  # only read (a file of the release, or one that was not there): nothing kept
        kind = use.kind()
        scratch = use.place in (SCRATCH, PRIVATE_TMP)
        if scratch and kind != DATABASE and real not in leftover:
            continue  # scratch space used and cleaned up within the request: exactly right
        if scratch and kind == WRITTEN:
            kind = LEFTOVER
        for worker, shown in use.shown.items():
            found.setdefault((worker, shown), Finding(worker, shown, use.place, kind))
    for real, (worker, shown, place) in leftover.items():
        if real not in uses:  # made by a child process or a library call the hook did not attribute
            found.setdefault((worker, shown), Finding(worker, shown, place, LEFTOVER))
    return list(found.values())


def recorded_findings(scenario) -> list[Finding]:
    """The findings of a check's whole scenario so far: every file its app's code opened, read
    from the audit record once every worker's last report has arrived."""
    platform = scenario.platform
    return findings(scenario.cluster, platform.bus.recorded(FileAccess), platform.service_paths())


def listed(found: list[Finding], limit: int = MAX_LISTED) -> Text:
    """The findings as indented feedback lines: the first ``limit`` described, the rest counted."""
    lines = [finding.describe() for finding in found[:limit]]
    if len(found) > limit:
        lines.append(_("... and {count} more", count=len(found) - limit))
    return Text([Text(("    ", line), "") for line in lines])


def shared_state(cluster, accesses: list[FileAccess], service_paths: list[Path]) -> list[SharedState]:
    """Files on the shared machine disk that a process of this cluster read after another process had
    written them: another of this cluster, or a worker of a check running beside it. Both happen only
    because the grader's processes share this machine's disk."""
    shared = []
    everyone = cluster.platform.incarnations  # token -> incarnation, every cluster of the run
    for real, use in _uses(cluster, accesses, service_paths, lookup=everyone.get).items():
        if use.place != SHARED:
            continue
        writers, readers, last_writer = [], [], None
        for incarnation, access in sorted(use.accesses, key=lambda pair: pair[1].at):
            if access.reads and last_writer not in (None, incarnation) \
                    and cluster.incarnation(incarnation.token) is incarnation:
                writers.append(last_writer)
                readers.append(incarnation)
            if access.writes:
                last_writer = incarnation
        if readers:
            why = next((inc.not_private_why for inc in writers if inc.private_tmp is False), "")
            ours = [writer for writer in writers if cluster.incarnation(writer.token) is writer]
            names = _names(ours) + ((_("workers of other checks running at the same time"),)
                                    if len(ours) < len(writers) else ())
            shared.append(SharedState(real, names, _names(readers), why))
    return shared


def _uses(cluster, accesses: list[FileAccess], service_paths: list[Path], lookup=None) -> dict[str, _Use]:
    """What the processes did to each real file: this cluster's (or, with ``lookup``, any the
    platform knows by token)."""
    uses: dict[str, _Use] = {}
    for access in accesses:
        incarnation = (lookup or cluster.incarnation)(access.token)
        if incarnation is None or any(_inside(access.path, str(path)) for path in service_paths):
            continue
        place, real, shown = _locate(incarnation, access.path, cluster.platform.root)
        use = uses.setdefault(real, _Use({}, place, []))
        use.shown.setdefault(incarnation.name, shown)
        use.accesses.append((incarnation, access))
    return uses


def where(incarnation, path: str, run_folder: Path) -> tuple[str, str]:
    """(place, the path as shown to the learner) of a file a worker used: ``static/x.css`` in its
    copy of the release (WORKDIR), ``$TMPDIR/x`` (SCRATCH), ``~/x`` (HOME), or a path elsewhere."""
    place, _real, shown = _locate(incarnation, path, run_folder)
    return place, shown


def _locate(incarnation, path: str, run_folder: Path) -> tuple[str, str, str]:
    """(place, real path, path as shown to the learner) of a path the worker used."""
    sandbox = incarnation.sandbox
    if _inside(path, str(sandbox.tmp)):
        return SCRATCH, path, "$TMPDIR/" + Path(path).relative_to(sandbox.tmp).as_posix()
    if _inside(path, str(sandbox.app)):
        return WORKDIR, path, Path(path).relative_to(sandbox.app).as_posix()
    if _inside(path, str(sandbox.home)):
        return HOME, path, "~/" + Path(path).relative_to(sandbox.home).as_posix()
    # The run's own folder stays visible at its real path inside a private /tmp (grader.platform.isolation),
    # so anything else in it (another worker's sandbox, say) is shared, not private.
    if incarnation.private_tmp and not _inside(path, str(run_folder)):
        real = sandbox.real_path(path)
        if real is not None:
            return PRIVATE_TMP, str(real), path
    return SHARED, path, path


def _leftover(cluster) -> dict[str, tuple[str, str, str]]:
    """Files still in the scratch space of a live process of any type: real path -> (name, shown, place)."""
    found = {}
    for name, worker in list(cluster.workers.items()):
        incarnation = worker.current if worker.incarnations else None
        if incarnation is None or incarnation.exited:  # its sandbox is wiped with it
            continue
        for shown, real in incarnation.sandbox.leftover_files(bool(incarnation.private_tmp)):
            found[str(real)] = (name, shown, SCRATCH if shown.startswith("$TMPDIR/") else PRIVATE_TMP)
    return found


def _names(incarnations) -> tuple[str, ...]:
    return tuple(dict.fromkeys(incarnation.name for incarnation in incarnations))


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")
