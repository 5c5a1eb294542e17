"""Turning the audit hook's write records into findings: state a worker kept on its local disk.

Writes into the worker's own TMPDIR are scratch space and fine, as long as nothing is left there when
the request ends. Writes to the attached SQLite database are the backing service. Everything else the
app's code wrote (its working directory, its HOME, or anywhere on the machine such as ``/tmp``) is
state that a real platform would lose or never share.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .events import LocalWrite


@dataclass(frozen=True)
class Finding:
    worker: str
    path: str
    where: str
    op: str

    def describe(self) -> str:
        verb = "opened a SQLite database" if self.op == "sqlite3.connect" else "wrote"
        return f"{self.worker} {verb} {self.path} ({self.where})"


def findings(cluster, writes: list[LocalWrite], service_dirs: list[Path]) -> list[Finding]:
    """Every local write by this cluster's workers that is not scratch space or a backing service."""
    found: dict[tuple[str, str], Finding] = {}
    for write in writes:
        incarnation = cluster.incarnation(write.token)
        if incarnation is None or _inside_any(write.path, service_dirs):
            continue
        sandbox = incarnation.sandbox
        if _inside(write.path, sandbox.tmp):
            continue
        if _inside(write.path, sandbox.app):
            where = "its working directory, which is private to this process and reset on every restart"
            shown = Path(write.path).relative_to(sandbox.app).as_posix()
        elif _inside(write.path, sandbox.home):
            where = "its HOME directory, which is private to this process and reset on every restart"
            shown = "~/" + Path(write.path).relative_to(sandbox.home).as_posix()
        else:
            where = "the machine's own disk, which on a real platform is private to each process and wiped on restart"
            shown = write.path
        found.setdefault((incarnation.name, shown), Finding(incarnation.name, shown, where, write.op))
    return list(found.values())


def leftover_scratch(cluster) -> list[Finding]:
    """Files still in a serving worker's TMPDIR after its requests finished."""
    found = []
    for name in cluster.serving():
        sandbox = cluster.workers[name].current.sandbox
        for path in sandbox.leftover_scratch():
            shown = "$TMPDIR/" + path.relative_to(sandbox.tmp).as_posix()
            found.append(Finding(name, shown, "left in its scratch space after the request ended", "open"))
    return found


def _inside(path: str, directory: Path) -> bool:
    return path == str(directory) or path.startswith(str(directory) + "/")


def _inside_any(path: str, directories: list[Path]) -> bool:
    return any(_inside(path, directory) for directory in directories)
