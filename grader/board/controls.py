"""The dashboard's inputs and buttons, laid out in rows; what each button does is the dashboard's."""
from __future__ import annotations

import ipywidgets as widgets

from ..harness.faults import BURST_CONCURRENCY
from ..platform.routing import POLICIES

METHODS = ("GET", "POST", "PUT", "DELETE")
MAX_WEB = 8
BURST_SIZE = 40
MAX_BURST = 200
NARROW = widgets.Layout(width="7em")
SHORT_LABEL = {"description_width": "3em"}  # ipywidgets' default label width leaves a number box no room


def _button(description: str, tooltip: str) -> widgets.Button:
    return widgets.Button(description=description, tooltip=tooltip, layout=widgets.Layout(width="auto"))


class Controls:
    """Every input and button; ``sync`` follows the cluster (its worker names, web count, routing)."""

    def __init__(self, cluster, path: str, key: str | None, method: str):
        self.method = widgets.Dropdown(options=METHODS, value=method, layout=NARROW)
        self.path = widgets.Text(value=path, description="path", layout=widgets.Layout(width="16em"))
        self.key = widgets.Text(value=key or "", description="chart key", placeholder="whole answer",
                                layout=widgets.Layout(width="16em"))
        self.send = _button("send", "send one request to the worker the router picks")
        self.worker = widgets.Dropdown(options=list(cluster.workers), layout=NARROW)
        self.restart = _button("restart", "SIGTERM this worker, as a deploy does, and boot a fresh one")
        self.crash = _button("crash", "SIGKILL this worker, as running out of memory does")
        self.restart_all = _button("restart all", "restart every worker at once, as a new release does")
        self.web_count = widgets.BoundedIntText(value=len(cluster.serving()), min=0, max=MAX_WEB,
                                                description="web", style=SHORT_LABEL,
                                                layout=widgets.Layout(width="9em"))
        self.scale = _button("scale", "start or stop web workers until this many run")
        self.burst_size = widgets.BoundedIntText(value=BURST_SIZE, min=1, max=MAX_BURST,
                                                 description="burst", style=SHORT_LABEL,
                                                 layout=widgets.Layout(width="9em"))
        self.burst = _button("send burst", f"send this many requests at once, from {BURST_CONCURRENCY} clients")
        self.policy = widgets.Dropdown(options=POLICIES, value=cluster.router.policy,
                                       description="routing", layout=widgets.Layout(width="16em"))
        self.following = False  # True while sync sets values, so observers can tell it from a person

    @property
    def buttons(self) -> dict[str, widgets.Button]:
        return {"send": self.send, "restart": self.restart, "crash": self.crash,
                "restart all": self.restart_all, "scale": self.scale, "burst": self.burst}

    def rows(self) -> list[widgets.HBox]:
        return [widgets.HBox([self.method, self.path, self.send, self.policy]),
                widgets.HBox([self.worker, self.restart, self.crash, self.restart_all]),
                widgets.HBox([self.web_count, self.scale, self.burst_size, self.burst])]

    def sync(self, cluster) -> None:
        """Follow changes made outside the widget, without firing the widget's own handlers."""
        names = list(cluster.workers)
        self.following = True
        try:
            if list(self.worker.options) != names:
                chosen = self.worker.value
                self.worker.options = names
                self.worker.value = chosen if chosen in names else (names[0] if names else None)
            if self.policy.value != cluster.router.policy:
                self.policy.value = cluster.router.policy
        finally:
            self.following = False
