"""The live dashboard widget: ``cluster.dashboard()`` (or ``grader.dashboard(cluster)``) in a notebook.

``model`` turns the cluster's state and events into rows and log lines, ``view`` draws them as
widgets, ``controls`` holds the inputs and buttons, ``coalesce`` batches redraws, and ``dashboard``
ties them to one cluster. (The package is not called ``dashboard`` so that it can never shadow the
function ``grader.dashboard``.)
"""
from __future__ import annotations

from .dashboard import Dashboard

__all__ = ["Dashboard", "dashboard"]


def dashboard(cluster, path: str = "/hits", key: str | None = None, **options) -> Dashboard:
    """Open a live dashboard on a running cluster; see :class:`Dashboard` for the options."""
    return Dashboard(cluster, path, key, **options)
