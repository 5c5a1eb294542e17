"""Running an app as a cluster for people: ``grader demo`` and ``grader.launch`` in notebooks."""
from __future__ import annotations

import contextlib
import threading

from .frontdoor import FrontDoor
from .platform import Platform
from .source import load


@contextlib.contextmanager
def launch(path=".", workers: int = 3, *, policy: str = "round_robin", seed: int = 0, **options):
    """Yield a started cluster of ``workers`` web processes; everything stops when the block ends."""
    with Platform(load(path), **options) as platform:
        cluster = platform.cluster({"web": workers}, policy=policy, seed=seed)
        yield cluster


def serve_forever(exercise: str, path: str, workers: int, policy: str, port: int) -> int:
    from .checks import select
    select(exercise)  # an unknown exercise is bad input, said before anything starts
    with launch(path, workers, policy=policy) as cluster:
        door = FrontDoor(cluster, port)
        print(f"{exercise}: {workers} workers behind {door.url} ({policy} routing). Press Ctrl+C to stop.",
              flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
        finally:
            door.close()
    return 0
