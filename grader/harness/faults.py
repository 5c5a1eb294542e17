"""Faults beyond single-worker supervision: concurrent bursts of traffic spread across workers.

Lessons call ``cluster.burst(...)``; the checks call :func:`burst` directly. Both are this code.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ..platform.cluster import Cluster
from ..platform.http import Client, Response

BURST_CONCURRENCY = 8  # clients sending at once: enough to overlap on every worker of a small cluster


def burst(cluster: Cluster, method: str, path: str, count: int, payload=None,
          concurrency: int = BURST_CONCURRENCY) -> list[Response]:
    """Send ``count`` identical requests from ``concurrency`` clients at once, routed as usual."""
    clients = [Client(f"burst-{index}") for index in range(concurrency)]
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="factor-six-burst") as pool:
        futures = [pool.submit(cluster.request, method, path, payload, client=clients[i % concurrency])
                   for i in range(count)]
        return [future.result() for future in futures]
