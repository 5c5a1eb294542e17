"""Checks for the ``assets`` exercise: build once, then run.

The package holds the checks and their feedback (``checks`` names them, in the order they run) and the
fixtures only this exercise uses; its entry in :mod:`grader.checks.registry` says the rest.
"""
from .checks import CHECKS

__all__ = ["CHECKS"]
