"""A process and everything it started: signalled together, and its CPU time added up.

A platform treats a dyno (a container) as one unit: a crash or a deploy signals every process in
it, not only the one the Procfile named. Programs such as RQ fork a child per job and move it to a
process group of its own, so signalling the worker's group alone would leave the job running after
its worker was "killed". :func:`signal_tree` reaches the group and every descendant, wherever it
moved. :func:`cpu_seconds` adds up the CPU time of a process and its descendants, which is how a
check tells which process really did a piece of work, whatever the load on the machine.

Both read ``/proc`` (Linux): only the tree in question where the kernel offers each thread's list of
children (``/proc/PID/task/TID/children``), else one pass over every process; without ``/proc`` they
fall back to the process group alone and to zero.
"""
from __future__ import annotations

import os

from .processes import signal_group, stat_fields

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _ticks(pid: int) -> int | None:
    """CPU ticks used by ``pid`` and its waited-for children (utime, stime, cutime, cstime: fields
    14-17 of stat), or None if it is gone."""
    fields = stat_fields(pid)
    return sum(int(value) for value in fields[11:15]) if fields is not None else None


def _snapshot() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks used by it and its waited-for children) for every process."""
    found = {}
    try:
        entries = os.scandir("/proc")
    except OSError:
        return found
    with entries:
        for entry in entries:
            if entry.name.isdigit():
                fields = stat_fields(int(entry.name))
                if fields is not None:  # the parent is field 4; the CPU ticks as in _ticks
                    found[int(entry.name)] = (int(fields[1]), sum(int(value) for value in fields[11:15]))
    return found


def _tree(snapshot: dict[int, tuple[int, int]], pid: int) -> list[int]:
    """``pid``'s live descendants in the snapshot, parents first."""
    children: dict[int, list[int]] = {}
    for child, (parent, _) in snapshot.items():
        children.setdefault(parent, []).append(child)
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found += frontier
    return found


def _children(pid: int) -> list[int] | None:
    """``pid``'s children, from /proc/PID/task/*/children (a child belongs to the thread that forked
    it); [] when ``pid`` is gone, None when the kernel does not offer those files."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found += [int(child) for child in handle.read().split()]
        except FileNotFoundError:
            if os.path.isdir(f"/proc/{pid}/task/{task}"):
                return None  # the thread is there but its children file is not: not offered here
        except OSError:  # the thread ended as we looked
            continue
    return found


def _walk(pid: int) -> list[int] | None:
    """``pid``'s live descendants, parents first, reading only that process tree (a pass over all of
    /proc costs a millisecond or two, and checks that follow CPU time ask several times a second).
    None when the kernel does not offer the children files."""
    found, frontier = [], [pid]
    while frontier:
        level = []
        for parent in frontier:
            children = _children(parent)
            if children is None:
                return None
            level += children
        found += level
        frontier = level
    return found


def descendants(pid: int) -> list[int]:
    """Every live process started by ``pid``, directly or not (not ``pid`` itself), parents first."""
    walked = _walk(pid)
    return walked if walked is not None else _tree(_snapshot(), pid)


def signal_tree(pgid: int, signum: int) -> bool:
    """Signal a process group and every descendant of its leader, as a platform signals every
    process of a dyno. The descendants are listed before any signal is sent, so none is missed by
    being reparented when its parent dies. A group that is already gone is not an error."""
    others = descendants(pgid)
    sent = signal_group(pgid, signum)
    for pid in others:
        try:
            os.kill(pid, signum)
        except OSError:  # gone already, or never ours to signal
            pass
    return sent


def cpu_seconds(pids) -> dict[int, float]:
    """CPU time (user + system, in seconds) used so far by each of ``pids`` together with its live
    descendants and every descendant that ended and was waited for; a pid that is gone (or None)
    counts 0.0. Where the children files are missing, one pass over /proc serves every pid."""
    totals, snapshot = {}, None
    for pid in pids:
        own = _ticks(pid) if pid is not None else None
        if own is None:
            totals[pid] = 0.0
            continue
        members = _walk(pid)
        if members is None:
            snapshot = snapshot if snapshot is not None else _snapshot()
            members = _tree(snapshot, pid)
        totals[pid] = (own + sum(_ticks(member) or 0 for member in members)) / TICKS_PER_SECOND
    return totals
