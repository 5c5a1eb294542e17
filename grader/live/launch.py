"""Running an app as a live cluster for people: ``grader.launch`` and ``grader.start`` in notebooks.

Both return a :class:`~grader.live.cluster.LiveCluster`, so a lesson only ever calls public methods
(``cluster.read_all()``, ``cluster.burst(...)``, ``cluster.store_latency(...)``,
``cluster.dashboard()``) and never reaches into the platform behind it.
"""
from __future__ import annotations

import contextlib

from ..platform.platform import Platform
from ..platform.source import load
from .cluster import LiveCluster


def formation(workers) -> dict[str, int]:
    """Processes per Procfile type: ``3`` means three web processes, ``{"web": 2, "worker": 1}``
    says it for every type."""
    return dict(workers) if isinstance(workers, dict) else {"web": workers}


@contextlib.contextmanager
def launch(path=".", workers: int = 3, *, policy: str = "round_robin", seed: int = 0, **options):
    """Yield a started cluster of ``workers`` web processes; everything stops when the block ends.

    ``workers`` may also give the count of every process type: ``{"web": 2, "worker": 1}``.
    ``options`` go to :class:`grader.platform.platform.Platform` (``database_url``, ``redis_url``, ...).
    """
    with Platform(load(path), **options) as platform:
        cluster = platform.cluster(formation(workers), policy=policy, seed=seed, kind=LiveCluster)
        yield cluster


def start(path=".", workers: int = 3, *, policy: str = "round_robin", seed: int = 0, **options):
    """Start a cluster that keeps running until ``cluster.stop()`` or the end of the Python process.

    For notebook playgrounds, where a ``with`` block would stop the cluster at the end of its cell.
    Everything it started is stopped at interpreter exit (or kernel shutdown) if nobody stops it.
    """
    platform = Platform(load(path), **options).__enter__()
    try:
        return platform.cluster(formation(workers), policy=policy, seed=seed, kind=LiveCluster)
    except BaseException:
        platform.close()
        raise
