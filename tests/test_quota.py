"""Memory quotas: a worker past its hard limit is stopped alone, the others go on, and the check that
saw it says why (grader/platform/quota.py, grader/checks/guards.py)."""
from __future__ import annotations

import re
import subprocess
import sys
import time

from conftest import APPS

from grader.grading import grade
from grader.live import launch
from grader.platform.quota import MIB, Memory, MemoryWatch, tree_memory

LEAK = APPS / "platform" / "memory_leak"  # keeps 4 MiB from every POST /hits


def test_a_worker_past_its_hard_limit_is_stopped_and_the_others_go_on():
    with launch(LEAK, 2, memory_quota=32 * MIB, memory_limit=48 * MIB) as cluster:
        leaking = cluster.workers["web.1"].current
        deadline = time.monotonic() + 30
        while leaking.exit_code is None and time.monotonic() < deadline:
            cluster.post("/hits", worker="web.1")
        assert leaking.memory.killed and leaking.memory.peak > 48 * MIB
        assert leaking.memory.over_quota_at <= leaking.memory.killed_at
        cluster.bus.wait_for(lambda: leaking.exit_code is not None, 5)
        assert leaking.describe_exit() == "SIGKILL: stopped by the platform at its memory limit (48 MiB)"
        other = cluster.get("/hits", worker="web.2")
        assert other.status == 200 and other.json()["hits"] >= 4  # web.2 serves on, and counted every hit
        assert not cluster.workers["web.2"].current.memory.over_quota


def test_a_check_that_saw_a_worker_stopped_for_its_memory_fails_and_names_the_cause():
    report = grade("hits", LEAK, ["agreement", "burst"], memory_quota=32 * MIB, memory_limit=48 * MIB)
    agreement, burst = report.result("agreement"), report.result("burst")
    assert agreement.passed  # few requests: under the limit, and the run goes on after the stop below
    assert burst.status == "failed"
    assert re.search(r"web\.\d \(pid \d+\) reached \d+ MiB (while it was serving|just after it answered) POST /hits, "
                     r"past its hard "
                     r"limit of 48 MiB \(its quota is 32 MiB\), so the platform stopped it\.", burst.feedback), burst.feedback
    assert "a process's memory is a cache for a single transaction" in burst.feedback
    assert "R14 (memory quota exceeded)" in burst.feedback and "OOMKilled" in burst.feedback
    assert "a list or dict at module level that only grows" in burst.feedback


def test_going_past_the_quota_alone_is_a_note_on_a_check_that_passes():
    report = grade("hits", LEAK, ["agreement"], memory_quota=1 * MIB, memory_limit=512 * MIB)
    agreement = report.result("agreement")
    assert agreement.passed
    assert re.search(r"Note: web\.1 reached \d+ MiB \(quota 1 MiB\)", agreement.feedback), agreement.feedback
    assert "Heroku logs R14" in agreement.feedback


def test_a_correct_app_is_never_stopped_at_the_default_quota():
    report = grade("hits", APPS / "hits" / "redis_counter", ["burst"])
    assert report.result("burst").passed and "Note:" not in report.result("burst").feedback


def test_the_watch_counts_a_whole_tree_and_acts_on_the_hard_limit_only():
    """A real process that holds 64 MiB, watched with a fake kill: over the quota is recorded, the
    hard limit makes the watch kill it once, and a process that exits is forgotten."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; b = bytearray(64 * 2**20); "
                              "[b.__setitem__(i, 1) for i in range(0, len(b), 4096)]; print('held', flush=True); "
                              "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "held\n"
        assert tree_memory(child.pid) > 64 * MIB

        class Fake:
            token, pid, exit_code, memory = "web.1#1", child.pid, None, None

        killed = []
        watch = MemoryWatch(interval=0.01, kill=killed.append)
        try:
            soft = Fake()
            record = watch.watch(soft, quota=32 * MIB, limit=1024 * MIB)
            assert isinstance(record, Memory) and soft.memory is record
            deadline = time.monotonic() + 5
            while not record.over_quota and time.monotonic() < deadline:
                time.sleep(0.01)
            assert record.over_quota and not record.killed and killed == []
            hard = Fake()
            hard.token = "web.2#1"
            record = watch.watch(hard, quota=16 * MIB, limit=32 * MIB)
            while not record.killed and time.monotonic() < deadline:
                time.sleep(0.01)
            assert record.killed and killed == [child.pid]
        finally:
            watch.close()
    finally:
        child.kill()
        child.wait()


def test_pss_is_read_only_when_the_resident_set_could_pass_the_quota(monkeypatch):
    """Pss (a page-table walk) is read when the resident set is above the quota, and at every
    PSS_EVERY-th reading for the peak; a resident set within the quota skips it, and cannot hide a
    tree over its quota, since Pss never exceeds it."""
    from types import SimpleNamespace

    from grader.platform import quota
    sizes = {"resident": 10 * MIB, "pss": 8 * MIB}
    walked, killed = [], []
    monkeypatch.setattr(quota, "tree_resident", lambda pid: sizes["resident"])
    monkeypatch.setattr(quota, "tree_memory", lambda pid: walked.append(pid) or sizes["pss"])
    watch = MemoryWatch(interval=3600, kill=killed.append)
    try:
        incarnation = SimpleNamespace(token="t", pid=4242, exit_code=None)
        record = Memory(quota=32 * MIB, limit=48 * MIB)
        for _ in range(quota.PSS_EVERY - 1):
            watch._read(incarnation, record)
        assert walked == [] and record.peak == 0
        watch._read(incarnation, record)  # the tenth: Pss for the peak
        assert walked == [4242] and record.peak == 8 * MIB
        sizes.update(resident=60 * MIB, pss=50 * MIB)  # over the limit: read, and stopped at once
        watch._read(incarnation, record)
        assert len(walked) == 2 and record.over_quota and record.killed and killed == [4242]
    finally:
        watch.close()
