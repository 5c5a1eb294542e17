"""Grading: an exercise's checks run against an app (``runner``), and the report of the results
(``report``: text, HTML and JSON from one set of frozen results)."""
from __future__ import annotations

from ..errors import CheckFailed
from .report import Report
from .runner import assert_passes, boot_feedback, grade

__all__ = ["CheckFailed", "Report", "assert_passes", "boot_feedback", "grade"]
