"""Loopback ports, taken by binding port 0 and asking the kernel which one it gave."""
from __future__ import annotations

import os
import socket

LISTEN = "0A"  # a socket's state in /proc/net/tcp while it listens


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def refusing_port() -> socket.socket:
    """A socket bound to a loopback port that never listens: while it stays open, nothing else can
    take the port, and every connection to it is refused. Close it when done."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    return held


def listening_sockets(port: int) -> set[str] | None:
    """The sockets (as /proc/PID/fd shows them: ``socket:[INODE]``) listening on TCP ``port``, or
    None where /proc cannot tell (no procfs)."""
    found, readable = set(), False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        readable = True
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(f"socket:[{fields[9]}]")
    return found if readable else None


def held_by(pids, sockets: set[str]) -> bool | None:
    """Whether one of ``pids`` has one of ``sockets`` open; None when none of their open files could
    be read (another user's processes, say), so that nothing can be told."""
    readable = False
    for pid in pids:
        try:
            names = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        readable = True
        for name in names:
            try:
                if os.readlink(f"/proc/{pid}/fd/{name}") in sockets:
                    return True
            except OSError:
                continue
    return False if readable else None
