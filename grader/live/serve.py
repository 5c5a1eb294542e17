"""``grader demo EXERCISE PATH``: an app run as the exercise runs it, behind one front door, until Ctrl+C."""
from __future__ import annotations

import threading

from ..checks import exercise as contract_of
from .address import public_url
from .frontdoor import FrontDoor
from .launch import launch


def serve_forever(exercise: str, path: str, workers: int, policy: str, port: int) -> int:
    """Run ``workers`` web processes and one process of every other type the exercise declares
    (``jobs``: a ``worker``), with the backing services the exercise attaches; print the front
    door's URL and serve until interrupted. Raises BadInput for an unknown exercise (before anything
    starts) or an app whose Procfile lacks a process type the exercise needs."""
    contract = contract_of(exercise)
    counts = {"web": workers, **{kind: 1 for kind in contract.processes if kind != "web"}}
    with launch(path, counts, policy=policy, services=contract.services, database=contract.database) as cluster:
        door = FrontDoor(cluster, port)
        also = "".join(f" and 1 {kind} process" for kind in counts if kind != "web")
        attached = ", ".join(contract.services) or "no backing service"
        print(f"{exercise}: {workers} workers behind {public_url(door.port, '')} ({policy} routing){also}; "
              f"attached: {attached}. "
              "Press Ctrl+C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\nstopping", flush=True)
        finally:
            door.close()
    return 0
