"""A process tree read from /proc: its descendants and their CPU time, by either way of reading it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from grader.platform import proctree

# A shell whose grandchild burns CPU in a process group of its own (as RQ's job children do), with a
# sleeping child beside it.
BURN = ("import time; end = time.process_time() + 0.3; "
        "[None for _ in iter(lambda: time.process_time() < end, False)]; time.sleep(30)")
TREE = f"sleep 30 & setsid {sys.executable} -c '{BURN}' & wait"


@pytest.fixture
def tree():
    shell = subprocess.Popen(["bash", "-c", TREE], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while len(proctree.descendants(shell.pid)) < 2 or proctree.cpu_seconds([shell.pid])[shell.pid] < 0.25:
            assert time.monotonic() < deadline, "the tree never started or never burned its CPU"
            time.sleep(0.05)
        yield shell
    finally:
        for pid in [*proctree.descendants(shell.pid), shell.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shell.wait()


@pytest.fixture(params=["children files", "whole /proc"])
def reading(request, monkeypatch):
    """Each test runs both ways: reading only the tree, and the fallback pass over all of /proc."""
    if request.param == "whole /proc":
        monkeypatch.setattr(proctree, "_children", lambda pid: None)
    return request.param


def test_descendants_are_found_even_in_another_process_group(tree, reading):
    found = proctree.descendants(tree.pid)
    assert len(found) >= 2  # sleep and the CPU burner (setsid may fork once more on the way)
    assert sorted(found) == sorted(proctree._tree(proctree._snapshot(), tree.pid))


def test_cpu_time_adds_up_the_whole_tree_and_a_gone_pid_counts_nothing(tree, reading):
    used = proctree.cpu_seconds([tree.pid, None, 2**22 + 12345])
    assert used[tree.pid] >= 0.25
    assert used[None] == 0.0 and used[2**22 + 12345] == 0.0


def test_the_tree_alone_is_read_where_the_kernel_offers_children_files(tree, monkeypatch):
    if proctree._children(os.getpid()) is not None:  # Linux 3.5+ with CONFIG_PROC_CHILDREN, as here
        monkeypatch.setattr(proctree, "_snapshot", lambda: pytest.fail("read every process in /proc"))
    assert proctree.cpu_seconds([tree.pid])[tree.pid] >= 0.25
    assert len(proctree.descendants(tree.pid)) >= 2
