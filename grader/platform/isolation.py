"""A private ``/tmp`` for every worker, as each process on a real platform has a disk of its own.

Without this, every worker the grader starts shares this machine's ``/tmp``: a counter kept in
``/tmp/hits.txt`` would look shared and pass checks it fails everywhere else. Linux lets a process
take a mount namespace of its own (as root directly; otherwise inside a user namespace, where the
kernel and the container allow unprivileged ones) and bind one of the worker's sandbox folders over
``/tmp`` and ``/var/tmp`` there. Nothing changes for any other process.

Where namespaces are not allowed (many containers, Binder), :func:`make_private` says why and the
worker shares ``/tmp``; the audit record then catches state passed through it (see
:mod:`grader.harness.local_state`). This module runs in the forked child before the app is imported, so it
uses the standard library only.
"""
from __future__ import annotations

import ctypes
import os

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000
SHARED_SCRATCH = ("/tmp", "/var/tmp")  # where programs put files by habit; private on a platform
DISABLE = "FACTOR_SIX_PRIVATE_TMP"  # set to 0 to run workers without namespaces (the audited fallback)


class NotIsolated(Exception):
    """The kernel refused: the message says which step and why."""


def make_private(mounts: dict[str, str], keep: list[str]) -> None:
    """Enter a new mount namespace and bind each source folder over its target (``{"/tmp": src}``).

    ``keep`` lists folders that live under a target but must stay reachable at the same path
    (the run's own folder, with the event socket and the SQLite service). Raises NotIsolated.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    user_namespace = os.geteuid() != 0
    _check(libc.unshare(CLONE_NEWNS | (CLONE_NEWUSER if user_namespace else 0)), "unshare")
    if user_namespace:  # map our own ids onto themselves: the app runs as the same user as before
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    # Our binds must never propagate back to the machine's own mount table.
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    targets = {target: source for target, source in mounts.items() if os.path.isdir(target)}
    sources = {target: os.open(source, os.O_PATH) for target, source in targets.items()}
    kept = {path: os.open(path, os.O_PATH) for path in keep
            if any(_inside(path, target) for target in targets)}
    try:
        for target, fd in sources.items():
            _bind(libc, fd, target)
        for path, fd in kept.items():
            os.makedirs(path, exist_ok=True)
            _bind(libc, fd, path)
    finally:
        for fd in (*sources.values(), *kept.values()):
            os.close(fd)


def hidden_entries(target: str, keep: list[str]) -> set[str]:
    """Top-level names under ``target`` that :func:`make_private` created to re-attach ``keep``."""
    return {os.path.relpath(path, target).split(os.sep)[0] for path in keep if _inside(path, target)}


def _bind(libc, fd: int, target: str) -> None:
    _check(libc.mount(f"/proc/self/fd/{fd}".encode(), target.encode(), None, MS_BIND | MS_REC, None),
           f"bind over {target}")


def _check(result: int, step: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise NotIsolated(f"{step}: {os.strerror(error)}")


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")
