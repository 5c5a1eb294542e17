"""How the runner turns a check's outcome into a result, whatever the check raised."""
from __future__ import annotations

from grader.checks.base import NOT_GRADED, Check, Scenario
from grader.checks.sessions_expiry import FellBehind
from grader.grading import _run_one


class _Cluster:
    """As much of a cluster as the runner touches when the check itself never sends a request."""

    deadline = None
    closed = False
    env: dict = {}

    def close(self):
        self.closed = True


def test_a_grader_that_fell_behind_could_not_grade_and_says_it_is_not_the_apps_fault():
    def check(scenario):
        raise FellBehind("The grader fell behind on this busy machine. This says nothing about your app; "
                         "run the check again.")

    cluster = _Cluster()
    result = _run_one(Check("idle_expiry", "Idle sessions expire", 2, check), Scenario(None, cluster, 0), 60)
    assert result.status == NOT_GRADED and result.points == 0
    assert "This says nothing about your app; run the check again." in result.feedback
    assert "The grader itself failed" not in result.feedback
    assert cluster.closed
