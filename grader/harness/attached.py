"""Which addresses are the services attached to an app, and which connections went somewhere else.

A twelve-factor app finds its backing services only through the URLs in its environment. An app that
connects to an address of its own choosing (``redis://localhost:6379`` written into the code) works
on a laptop that happens to run Redis there and fails on every platform, so the worker's connections
(reported by the audit hook) are compared with the addresses in the cluster's ``*_URL`` settings.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..i18n import _
from ..platform.events import Connection

STORE_PORTS = {6379: "REDIS_URL", 6380: "REDIS_URL", 5432: "DATABASE_URL", 3306: "DATABASE_URL"}


@dataclass(frozen=True)
class StrayConnection:
    """A worker connected to an address that no attached service has."""

    worker: str
    host: str
    port: int

    @property
    def variable(self) -> str:
        """The setting the app should have read instead (a guess from the port)."""
        return STORE_PORTS.get(self.port) or _("REDIS_URL or DATABASE_URL")


def endpoints(env: dict[str, str]) -> set[tuple[str, int]]:
    """(ip, port) of every service named by a URL in ``env``, host names resolved."""
    found = set()
    for name, value in env.items():
        if not name.endswith("_URL"):
            continue
        try:
            parts = urlsplit(value)
            host, port = parts.hostname, parts.port
        except ValueError:
            continue
        if host and port:
            found.update((_normal(ip), port) for ip in _resolve(host, port))
    return found


def stray_connections(cluster, connections: list[Connection]) -> list[StrayConnection]:
    """Connections by this cluster's workers to anything but an attached service, a worker, or a
    server the grader runs for a check (``cluster.grader_endpoints``, such as a file server)."""
    allowed = endpoints(cluster.env)
    allowed |= {(_normal(host), port) for host, port in getattr(cluster, "grader_endpoints", ())}
    worker_ports = {incarnation.port for worker in cluster.workers.values()
                    for incarnation in worker.incarnations if incarnation.port}
    found: dict[tuple[str, str, int], StrayConnection] = {}
    for connection in connections:
        incarnation = cluster.incarnation(connection.token)
        if incarnation is None:
            continue
        address = (_normal(connection.host), connection.port)
        if address in allowed or (_is_loopback(connection.host) and connection.port in worker_ports):
            continue
        key = (incarnation.name, *address)
        found.setdefault(key, StrayConnection(incarnation.name, connection.host, connection.port))
    return list(found.values())


def _resolve(host: str, port: int) -> set[str]:
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except OSError:
        return {host}


def _normal(host: str) -> str:
    """Every loopback address is one place: 127.0.0.1, ::1 and localhost reach the same server."""
    return "loopback" if _is_loopback(host) else host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)
