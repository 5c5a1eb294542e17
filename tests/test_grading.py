"""How the runner turns a check's outcome into a result, whatever the check raised."""
from __future__ import annotations

from grader.checks.base import NOT_GRADED, Check, Scenario
from grader.checks.sessions.expiry import FellBehind
from grader.grading.runner import _run_one


class _Cluster:
    """As much of a cluster as the runner touches when the check itself never sends a request."""

    deadline = None
    closed = False
    env: dict = {}
    workers: dict = {}  # no process ran, so none was stopped for its memory
    retired: list = []

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


def test_a_non_web_process_that_fails_at_once_is_reported_as_that_process_not_as_the_web(tmp_path):
    from grader.grading import boot_feedback
    from grader.platform.sandbox import Sandbox
    from grader.platform.worker import BootFailed, Incarnation

    sandbox = Sandbox(tmp_path / "worker.1")
    stderr, stdout = tmp_path / "worker.1.stderr", tmp_path / "worker.1.stdout"
    stdout.write_text("")
    stderr.write_text(f'Traceback (most recent call last):\n  File "{sandbox.app}/worker.py", line 3, in <module>\n'
                      f'    os.environ["SETTING"]\nKeyError: \'SETTING\'\n')
    worker = Incarnation("worker.1", 1, "worker", sandbox, stdout, stderr, None, mode="python", pid=42, exit_code=1)
    text = boot_feedback(BootFailed(worker, "exited with exit code 1 as soon as it started", timed_out=False))
    assert ("worker.1 (pid 42) exited with exit code 1 as soon as it started. Nothing could be graded, because "
            "every check needs the app's `worker` processes running, as the Procfile declares them.") in text
    assert "fix the code the Procfile's `worker` line runs" in text and "KeyError: 'SETTING'" in text
    assert "request" not in text and "app.py" not in text  # the web process was fine

    late = boot_feedback(BootFailed(worker, "was not ready within 10 s", timed_out=True))
    assert "worker.1 was not ready within 10 s: the platform could not start it in time" in late
    assert "importing app.py" not in late and "run the check again" in late
