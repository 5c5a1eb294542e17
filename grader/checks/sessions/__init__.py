"""Checks for the ``sessions`` exercise: a login that any worker honours, that survives restarts,
that expires when idle, that logout really ends, and that no made-up cookie can fake.

The package holds the checks and their feedback (``checks`` names them, in the order they run) and the
fixtures only this exercise uses; its entry in :mod:`grader.checks.registry` says the rest.
"""
from .checks import CHECKS

__all__ = ["CHECKS"]
