"""The batch's warm fork server (grader.platform.template): each run gets a fork server of its own,
forked warm, that is marked, owned, limited and swept exactly like one started on its own."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import alive, children_of, grader_processes, sockets_of
from grader.platform import Platform, template
from grader.platform.forkserver import base_env, zygote_env
from grader.platform.processes import RUN_MARKER, marked_processes, stat_fields
from grader.platform.source import AppSource, load
from grader.platform.template import Forked

APPS = Path(__file__).parent / "apps"
ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 15.0  # seconds: bounds a hang only

FDS_APP = b'''
import os
from flask import Flask

app = Flask(__name__)


@app.get("/fds")
def fds():
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:
            pass
    return {"fds": found, "limit": __import__("resource").getrlimit(__import__("resource").RLIMIT_NOFILE)}
'''


def parent_of(pid: int) -> int:
    return int(stat_fields(pid)[1])


def wait_until(condition, what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < end, f"still not so after {DEADLINE:g} s: {what}"
        time.sleep(0.02)


def test_a_run_forked_by_the_template_is_marked_limited_and_swept_like_any_other():
    own_limit = resource.getrlimit(resource.RLIMIT_NOFILE)
    with template.serving(template.ZYGOTE, zygote_env(base_env(""))) as template_pid:
        assert template_pid and alive(template_pid)
        channel = sockets_of(template_pid)
        resource.setrlimit(resource.RLIMIT_NOFILE, (900, own_limit[1]))  # as a job lowers its limits
        try:
            seen = []
            for _run in range(2):
                with Platform(load(APPS / "platform" / "background_child")) as platform:
                    zygote = platform.forkserver.process
                    assert isinstance(zygote, Forked) and parent_of(zygote.pid) == template_pid
                    cluster = platform.cluster({"web": 2})
                    assert cluster.post("/hits").json() == {"hits": 1}
                    marked = marked_processes(platform.run_id)
                    # the fork server, two arbiters, two workers, and each worker's child and daemon
                    assert zygote.pid in marked and len(marked) >= 9, marked
                    assert sum("sleep 600" in cmd for _, cmd in grader_processes()) == 2
                    seen.append(zygote.pid)
                assert not marked_processes(platform.run_id)
                wait_until(lambda: not children_of(template_pid), "the template reaped its fork servers")
            assert seen[0] != seen[1]  # a fresh fork server for each run
            with Platform(AppSource("fds", {"app.py": FDS_APP})) as platform:
                answer = platform.cluster({"web": 1}).get("/fds").json()
            assert not channel & set(answer["fds"]), "a worker holds the template's channel"
            assert answer["limit"][0] == 900, "the asking process's limits did not reach the worker"
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, own_limit)
    wait_until(lambda: not alive(template_pid), "the template stopped with its batch")
    assert grader_processes() == []


def test_a_run_whose_template_is_gone_starts_its_own_fork_server():
    """Also in a process where SIGPIPE kills, as it does in a classroom job: asking a template
    that is gone must be an error the run recovers from, not a signal."""
    previous = signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        with template.serving(template.ZYGOTE, zygote_env(base_env(""))) as template_pid:
            os.kill(template_pid, signal.SIGKILL)
            wait_until(lambda: not alive(template_pid), "the template killed")
            with Platform(AppSource("fds", {"app.py": FDS_APP})) as platform:
                assert isinstance(platform.forkserver.process, subprocess.Popen)
                assert platform.cluster({"web": 1}).get("/fds").status == 200
    finally:
        signal.signal(signal.SIGPIPE, previous)
    assert grader_processes() == []


KILLED_BATCH = """
import json, sys
from grader.platform import Platform, template
from grader.platform.forkserver import base_env, zygote_env
from grader.platform.source import load
with template.serving(template.ZYGOTE, zygote_env(base_env(""))) as template_pid:
    with Platform(load(sys.argv[1])) as platform:
        platform.cluster({"web": 2}).post("/hits")
        print(json.dumps({"folder": str(platform.root), "template": template_pid,
                          "zygote": platform.forkserver.process.pid}), flush=True)
        sys.stdin.read()
"""


def test_a_batch_killed_outright_takes_its_template_runs_and_folders_with_it():
    process = subprocess.Popen([sys.executable, "-c", KILLED_BATCH, str(APPS / "platform" / "background_child")],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        started = json.loads(process.stdout.readline())
        assert parent_of(started["zygote"]) == started["template"]
        assert len(grader_processes()) >= 8
        process.kill()  # SIGKILL: none of the batch's own clean-up runs
    finally:
        process.kill()
        process.wait()
    wait_until(lambda: not grader_processes(), f"processes {grader_processes()}")
    wait_until(lambda: not Path(started["folder"]).exists(), "the run folder")


def test_the_blank_marker_is_written_over_where_proc_reads_it():
    """The fork server's only way to carry its run's marker without exec: /proc/PID/environ."""
    probe = ("import os, sys; from grader.platform import template; "
             "ok = template.write_marker('FACTOR_SIX_RUN=' + sys.argv[1]); "
             "entries = open('/proc/self/environ', 'rb').read().split(b'\\0'); "
             "print(ok, entries.count(b'FACTOR_SIX_RUN=' + sys.argv[1].encode()))")
    env = {**os.environ, RUN_MARKER: template.blank(), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-c", probe, "abc123"], env=env, capture_output=True, text=True, timeout=30)
    assert run.stdout.split() == ["True", "1"], run.stderr
    too_long = subprocess.run([sys.executable, "-c", probe, "x" * (len(template.blank()) + 1)], env=env,
                              capture_output=True, text=True, timeout=30)
    assert too_long.stdout.split() == ["False", "0"], too_long.stderr
