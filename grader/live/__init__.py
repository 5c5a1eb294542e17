"""The people-facing clusters: what lessons (``grader.launch``, ``grader.start``) and ``grader demo`` run.

``launch`` starts a :class:`LiveCluster` (the platform's cluster plus the verbs of a notebook),
``frontdoor`` puts one HTTP address in front of it, and ``serve`` is ``grader demo``.
"""
from __future__ import annotations

from .cluster import LiveCluster
from .launch import launch, start

__all__ = ["LiveCluster", "launch", "start"]
