"""The platform the grader simulates, the bottom layer: it reads the learner's app (``source``),
builds a read-only release (``release``, ``procfile``), attaches backing services (``services/``),
runs workers from a fork server (``forkserver``, ``zygote``, ``template``, ``worker``, ``sandbox``, ``isolation``,
``processes``, ``proctree``, ``runs``), routes requests among them (``cluster``, ``routing``,
``http``) and hears what they report (``events``, ``audit_hook``, ``worker_hooks``). ``platform``
ties one run together.

``from grader.platform import Platform`` works, but lazily: every worker imports
``grader.platform.audit_hook`` before the learner's app, and must not pay for the whole platform.
"""
from __future__ import annotations

__all__ = ["Platform"]


def __getattr__(name: str):
    if name == "Platform":
        from .platform import Platform
        return Platform
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
