"""``grader demo EXERCISE PATH``: an app run as the exercise runs it, behind one front door, until Ctrl+C."""
from __future__ import annotations

import threading

from ..checks import exercise as contract_of
from ..i18n import Text, _, _n, choose
from .address import public_url
from .frontdoor import FrontDoor
from .launch import launch


def serve_forever(exercise: str, path: str, workers: int, policy: str, port: int, lang: str | None = None) -> int:
    """Run ``workers`` web processes and one process of every other type the exercise declares
    (``jobs``: a ``worker``), with the backing services the exercise attaches; print the front
    door's URL and serve until interrupted. Raises BadInput for an unknown exercise (before anything
    starts) or an app whose Procfile lacks a process type the exercise needs. What it prints, and
    what its front door says itself, is in ``lang`` (by default the one the locale variables name)."""
    lang = choose(lang)
    contract = contract_of(exercise)
    counts = {"web": workers, **{kind: 1 for kind in contract.processes if kind != "web"}}
    with launch(path, counts, policy=policy, services=contract.services, database=contract.database) as cluster:
        door = FrontDoor(cluster, port, lang)
        url = public_url(door.port, "")
        also = Text([_("and 1 {kind} process", kind=kind) for kind in counts if kind != "web"], " ")
        attached = ", ".join(contract.services) or _("no backing service")
        # The English says "workers" whatever the count; other languages may choose the form.
        if also:
            banner = _n("{exercise}: {count} workers behind {url} ({policy} routing) {also}; attached: {attached}. "
                        "Press Ctrl+C to stop.",
                        "{exercise}: {count} workers behind {url} ({policy} routing) {also}; attached: {attached}. "
                        "Press Ctrl+C to stop.", workers, exercise=exercise, url=url, policy=policy, also=also,
                        attached=attached)
        else:
            banner = _n("{exercise}: {count} workers behind {url} ({policy} routing); attached: {attached}. "
                        "Press Ctrl+C to stop.",
                        "{exercise}: {count} workers behind {url} ({policy} routing); attached: {attached}. "
                        "Press Ctrl+C to stop.", workers, exercise=exercise, url=url, policy=policy,
                        attached=attached)
        print(banner.render(lang), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("\n" + _("stopping").render(lang), flush=True)
        finally:
            door.close()
    return 0
