"""The dashboard's inputs and buttons, laid out in rows; what each button does is the dashboard's."""
from __future__ import annotations

import ipywidgets as widgets

from ..harness.faults import BURST_CONCURRENCY
from ..i18n import N_, _, translate
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
    """Every input and button, labelled in ``lang``; ``sync`` follows the cluster (its worker names,
    web count, routing)."""

    def __init__(self, cluster, path: str, key: str | None, method: str, lang: str = "en"):
        def say(text: str) -> str:
            return translate(text, lang)

        self.method = widgets.Dropdown(options=METHODS, value=method, layout=NARROW)
        self.path = widgets.Text(value=path, description=say(N_("path")), layout=widgets.Layout(width="16em"))
        self.key = widgets.Text(value=key or "", description=say(N_("chart key")),
                                placeholder=say(N_("whole answer")), layout=widgets.Layout(width="16em"))
        self.send = _button(say(N_("send")), say(N_("send one request to the worker the router picks")))
        self.worker = widgets.Dropdown(options=list(cluster.workers), layout=NARROW)
        self.restart = _button(say(N_("restart")),
                               say(N_("SIGTERM this worker, as a deploy does, and boot a fresh one")))
        self.crash = _button(say(N_("crash")), say(N_("SIGKILL this worker, as running out of memory does")))
        self.restart_all = _button(say(N_("restart all")),
                                   say(N_("restart every worker at once, as a new release does")))
        self.web_count = widgets.BoundedIntText(value=len(cluster.serving()), min=0, max=MAX_WEB,
                                                description="web", style=SHORT_LABEL,
                                                layout=widgets.Layout(width="9em"))
        self.scale = _button(say(N_("scale")), say(N_("start or stop web workers until this many run")))
        self.burst_size = widgets.BoundedIntText(value=BURST_SIZE, min=1, max=MAX_BURST,
                                                 description=say(N_("burst")), style=SHORT_LABEL,
                                                 layout=widgets.Layout(width="9em"))
        self.burst = _button(say(N_("send burst")),
                             _("send this many requests at once, from {clients} clients",
                               clients=BURST_CONCURRENCY).render(lang))
        self.policy = widgets.Dropdown(options=POLICIES, value=cluster.router.policy,
                                       description=say(N_("routing")), layout=widgets.Layout(width="16em"))
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
