"""Loopback ports, taken by binding port 0 and asking the kernel which one it gave."""
from __future__ import annotations

import socket


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
