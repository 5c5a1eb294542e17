"""Process types beyond web: worker processes run from the Procfile, scale per type, are audited,
and a crash or a stop reaches every process they started, as on a platform that runs each process
in a container of its own."""
from __future__ import annotations

import os
import re
import shutil
import signal
import time

import pytest

from conftest import APPS, alive
from grader.platform.cluster import MissingProcessType
from grader.platform.events import FileAccess
from grader.harness.local_state import LEFTOVER, findings
from grader.platform.procfile import python_script
from grader.platform.proctree import cpu_seconds, descendants
from grader.errors import BadInput

DEADLINE = 10.0  # seconds any condition below may take on a busy machine
FORKING = "jobs/forking_worker"


def eventually(condition, timeout: float = DEADLINE) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (a bounded probe)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def helper_of(incarnation) -> int:
    """The pid of the helper a forking_worker incarnation printed it started."""
    found = []

    def printed() -> bool:
        found[:] = re.findall(r"started helper (\d+)", incarnation.stdout.read_text() if incarnation.stdout.exists() else "")
        return bool(found)

    assert eventually(printed), f"{incarnation.name} never printed its helper's pid"
    return int(found[0])


def test_python_script_commands_are_recognised():
    assert python_script(["python", "worker.py"]) == "worker.py"
    assert python_script(["python3", "jobs.py", "--fast"]) == "jobs.py"
    assert python_script(["python", "-m", "rq"]) is None
    assert python_script(["rq", "worker"]) is None


def test_worker_processes_are_named_per_type_run_in_the_fork_server_and_are_audited(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 2})
    assert list(cluster.workers) == ["web.1", "worker.1", "worker.2"]
    assert cluster.serving() == ["web.1"] and cluster.serving("worker") == ["worker.1", "worker.2"]
    for name in ("worker.1", "worker.2"):
        incarnation = cluster.workers[name].current
        assert incarnation.mode == "python" and incarnation.kind == "worker"
        helper_of(incarnation)
        assert f"{name} started helper" in incarnation.stdout.read_text()  # DYNO is the process's name
    bus = cluster.platform.bus
    tokens = {cluster.workers[name].current.token for name in ("worker.1", "worker.2")}
    assert eventually(lambda: tokens <= {event.token for event in bus.events(FileAccess)
                                         if event.path.endswith("/note.txt")})


def test_scaling_one_type_leaves_the_others_alone(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 1})
    web = cluster.workers["web.1"].current
    cluster.scale("worker", 3)
    assert cluster.serving("worker") == ["worker.1", "worker.2", "worker.3"]
    cluster.scale("worker", 1)
    assert cluster.serving("worker") == ["worker.1"]
    assert cluster.workers["web.1"].current is web and not web.exited


def test_a_crash_kills_everything_the_worker_started_even_in_another_process_group(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 1})
    old = cluster.workers["worker.1"].current
    helper = helper_of(old)
    assert os.getpgid(helper) != old.pid and helper in descendants(old.pid)
    cluster.crash("worker.1")
    assert old.describe_exit() == "SIGKILL (perhaps out of memory?)"
    assert eventually(lambda: not alive(helper)), "the helper outlived its crashed worker"
    assert alive(helper_of(cluster.workers["worker.1"].current))


def test_sigterm_reaches_everything_the_worker_started(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 1})
    old = cluster.workers["worker.1"].current
    helper = helper_of(old)
    cluster.restart("worker.1")
    cluster.settle()
    assert old.describe_exit() == "SIGTERM" and not old.killed_after_term
    assert eventually(lambda: not alive(helper)), "the helper outlived its stopped worker"


def ignores(pid: int, signum: int) -> bool:
    """Whether the process ignores ``signum`` now (the SigIgn mask of /proc/PID/status)."""
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        return False
    mask = int(re.search(r"^SigIgn:\s*([0-9a-f]+)$", status, re.M)[1], 16)
    return bool(mask >> (signum - 1) & 1)


def ignoring_sigterm(launched):
    """A cluster whose worker.1 ignores SIGTERM, once the process itself has set it to be ignored."""
    cluster = launched("jobs/ignores_sigterm", workers={"web": 1, "worker": 1})
    old = cluster.workers["worker.1"].current
    assert eventually(lambda: ignores(old.pid, signal.SIGTERM)), "worker.1 never came to ignore SIGTERM"
    return cluster, old


def test_a_restart_waits_by_default_for_a_non_web_process_to_be_gone(launched):
    cluster, old = ignoring_sigterm(launched)
    fresh = cluster.restart("worker.1")
    assert old.exited and old.killed_after_term  # it ignored SIGTERM, so the successor waited for the SIGKILL
    assert fresh.pid is not None and not fresh.exited


def test_a_restart_with_overlap_runs_two_processes_under_one_name_until_the_old_one_is_gone(launched):
    cluster, old = ignoring_sigterm(launched)
    fresh = cluster.restart("worker.1", overlap=True)
    assert not old.exited and not fresh.exited and fresh.pid != old.pid
    assert old.name == fresh.name == "worker.1"  # the DYNO both were given
    assert cluster.workers["worker.1"].current is fresh
    cluster.settle()
    assert old.killed_after_term and not fresh.exited


def test_cpu_time_of_a_worker_includes_its_helper(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 1})
    worker = cluster.workers["worker.1"].current
    helper = helper_of(worker)
    assert eventually(lambda: cpu_seconds([helper])[helper] >= 0.25)  # the helper burns 0.3 s (ticks round down)
    used = cpu_seconds([worker.pid, cluster.workers["web.1"].current.pid, None])
    assert used[worker.pid] >= 0.25 and used[None] == 0.0
    assert used[cluster.workers["web.1"].current.pid] < 0.25


def test_a_process_type_the_procfile_lacks_is_bad_input_and_a_value_error(launched):
    cluster = launched("hits/redis_counter", workers=1)
    with pytest.raises(MissingProcessType) as raised:
        cluster.scale("worker", 1)
    assert isinstance(raised.value, BadInput) and isinstance(raised.value, ValueError)
    assert str(raised.value) == ("this needs worker processes, but the app's Procfile declares only web. Add a "
                                 "line for them to the Procfile, such as `worker: python worker.py`.")


def test_closing_a_cluster_kills_a_workers_helper_in_another_process_group(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 1})
    helper = helper_of(cluster.workers["worker.1"].current)
    cluster.close()
    assert eventually(lambda: not alive(helper)), "the helper outlived its closed cluster"


def test_a_file_a_worker_process_leaves_in_its_scratch_space_is_a_finding(launched):
    cluster = launched(FORKING, workers={"web": 1, "worker": 1})
    helper_of(cluster.workers["worker.1"].current)  # it has written its files by then
    found = findings(cluster, cluster.platform.bus.recorded(FileAccess), cluster.platform.service_paths())
    assert any(item.worker == "worker.1" and item.path == "$TMPDIR/left.txt" and item.kind == LEFTOVER
               for item in found), found


THREADED_WORKER = """import atexit, threading, time
atexit.register(lambda: print("atexit ran", flush=True))
def work():
    time.sleep(1.0)  # long enough for the whole cluster to be ready first, on a busy machine too
    print("thread finished", flush=True)
threading.Thread(target=work).start()
print("main code over", flush=True)
"""


def test_a_python_worker_ends_as_the_interpreter_would_its_threads_and_atexit_first(launched, tmp_path):
    app = tmp_path / "threaded"
    shutil.copytree(APPS / FORKING, app)
    (app / "worker.py").write_text(THREADED_WORKER)
    cluster = launched(app, workers={"web": 1, "worker": 1})
    first = cluster.workers["worker.1"].incarnations[0]
    assert eventually(lambda: first.exited), "the worker never ended"
    assert first.stdout.read_text().splitlines() == ["main code over", "thread finished", "atexit ran"]
    assert first.describe_exit() == "exit code 0"
