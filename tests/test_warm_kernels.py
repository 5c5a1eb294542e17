"""Kernels forked warm from a template (grader.classroom.kernels) are what a fresh kernel is: same
folder, path, argv, environment and limits, marked and swept, and nothing of one notebook reaches
the next."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import time
from pathlib import Path
from queue import Empty

import nbformat

from conftest import alive, children_of, grader_processes, sockets_of
from grader.classroom.execution import KERNEL_FAILED, ContainedExecute
from grader.classroom.kernels import KERNEL_PRELOAD, ReadyClient
from grader.platform import template

PROBE = """
import json, os, resource, sys
from ipykernel.kernelapp import IPKernelApp
fds = []
for name in os.listdir("/proc/self/fd"):
    try:
        fds.append(os.readlink(f"/proc/self/fd/{name}"))
    except OSError:
        pass
environ = open("/proc/self/environ", "rb").read().split(b"\\0")
facts = {"cwd": os.getcwd(), "path": sys.path, "argv0": sys.argv[0], "name": __name__,
         "env": sorted(k for k in os.environ if not k.startswith("JPY_")), "probe": os.environ.get("PROBE_VAR"),
         "parent_handle": IPKernelApp.instance().parent_handle, "jpy_parent": os.environ.get("JPY_PARENT_PID"),
         "marked": ("FACTOR_SIX_RUN=" + os.environ["FACTOR_SIX_RUN"]).encode() in environ,
         "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0], "session": os.getsid(0) == os.getpid(),
         "stdin": sys.stdin.read() if sys.stdin else None, "ppid": os.getppid(), "fds": fds,
         "graders": sorted(name for name in sys.modules if name.split(".")[0] == "grader")}
print(json.dumps(facts))
"""
LEAK = """
import os, sys, IPython, zmq
IPython.left_behind = "by the first notebook"
os.environ["LEFT_BEHIND"] = "1"
sys.modules["left_behind_module"] = IPython
print("left")
"""
LOOK = """
import os, sys, IPython
print(hasattr(IPython, "left_behind"), "LEFT_BEHIND" in os.environ, "left_behind_module" in sys.modules)
"""


def notebook(*sources: str):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])


def execute(nb, folder: Path):
    executor = ContainedExecute(timeout=60)
    done, _ = executor.preprocess(nb, {"metadata": {"path": str(folder)}})
    return done


def printed(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def probe(folder: Path) -> dict:
    return json.loads(printed(execute(notebook(PROBE), folder).cells[0]))


@contextlib.contextmanager
def kernel_template():
    with template.serving(template.PYTHON, dict(os.environ), KERNEL_PRELOAD) as pid:
        assert pid and alive(pid)
        yield pid
    assert not alive(pid)


def test_a_warm_kernel_is_what_a_cold_one_is(tmp_path, monkeypatch):
    monkeypatch.setenv("PROBE_VAR", "seen")
    cold = probe(tmp_path)
    own = resource.getrlimit(resource.RLIMIT_NOFILE)
    with kernel_template() as template_pid:
        channel = sockets_of(template_pid)
        resource.setrlimit(resource.RLIMIT_NOFILE, (1000, own[1]))  # as a job lowers its limits
        try:
            warm = probe(tmp_path)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, own)
    assert warm["ppid"] == template_pid and cold["ppid"] == os.getpid()
    for key in ("cwd", "path", "argv0", "name", "env", "probe", "session", "stdin", "marked", "graders"):
        assert warm[key] == cold[key], key
    assert warm["probe"] == "seen" and warm["cwd"] == str(tmp_path) and warm["marked"] and warm["session"]
    assert warm["parent_handle"] == int(warm["jpy_parent"]) == os.getpid() == cold["parent_handle"]
    assert warm["nofile"] == 1000 and cold["nofile"] == own[0]
    assert channel and not set(warm["fds"]) & channel, "the kernel holds the template's channel"


def test_nothing_one_warm_kernel_did_reaches_the_next(tmp_path):
    with kernel_template():
        first = execute(notebook(LEAK), tmp_path)
        assert printed(first.cells[0]).strip() == "left"
        second = execute(notebook(LOOK), tmp_path)
    assert printed(second.cells[0]).split() == ["False", "False", "False"]


def test_a_warm_kernel_that_dies_or_detaches_a_daemon_is_contained(tmp_path):
    with kernel_template() as template_pid:
        died = execute(notebook("print('before')", "import os; os._exit(3)", "print('never')"), tmp_path)
        assert printed(died.cells[0]).strip() == "before"
        assert any(output.get("ename") == KERNEL_FAILED for output in died.cells[1].outputs)
        assert not died.cells[2].outputs
        execute(notebook("import subprocess, sys\n"
                         "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'], "
                         "start_new_session=True)"), tmp_path)
        assert [pid for pid, _ in grader_processes() if pid != template_pid] == []
        end = time.monotonic() + 10
        while [pid for pid in children_of(template_pid)] and time.monotonic() < end:
            time.sleep(0.02)
        assert not children_of(template_pid), "the template did not reap its kernels"


class FakeChannel:
    """A kernel channel that hands out prepared messages and then has nothing (as after a timeout)."""

    def __init__(self, messages=()):
        self.messages, self.sent = list(messages), []

    async def get_msg(self, timeout=None):
        if not self.messages:
            raise Empty
        message = self.messages.pop(0)
        return message(self.sent[-1]["header"]["msg_id"]) if callable(message) else message

    def send(self, message):
        self.sent.append(message)


def status(state: str, parent: str) -> dict:
    return {"msg_type": "status", "content": {"execution_state": state}, "parent_header": {"msg_id": parent}}


def ready_client(shell=(), iopub=()):
    client = ReadyClient()
    client._shell_channel, client._iopub_channel = FakeChannel(shell), FakeChannel(iopub)
    return client


def test_a_kernel_is_ready_at_the_idle_status_of_the_answered_request_not_after_a_silence():
    client = ready_client()
    client._iopub_channel = FakeChannel([status("busy", "mine"), status("idle", "earlier"),
                                         {"msg_type": "stream", "content": {}, "parent_header": {}},
                                         status("idle", "mine"), status("idle", "never read")])
    assert asyncio.run(client._idle_after("mine")) is True
    assert len(client._iopub_channel.messages) == 1  # it stopped at the event
    welcomed = ready_client(iopub=[{"msg_type": "iopub_welcome", "content": {}, "parent_header": {}},
                                   status("idle", "mine")])
    assert asyncio.run(welcomed._idle_after("mine")) is False  # subscribed only now: ask again at once
    assert asyncio.run(ready_client()._idle_after("mine")) is False  # silence: ask again, as jupyter_client


def test_wait_for_ready_asks_again_until_one_request_is_answered_on_both_channels():
    def reply(to):
        return {"msg_type": "kernel_info_reply", "parent_header": {"msg_id": to},
                "content": {"protocol_version": "5.3"}}

    stale = {"msg_type": "kernel_info_reply", "parent_header": {"msg_id": "an earlier request"}, "content": {}}
    client = ready_client(shell=[stale, reply, reply],
                          iopub=[{"msg_type": "iopub_welcome", "content": {}, "parent_header": {}}])
    later = client._iopub_channel.messages
    original = client._idle_after

    async def idle_after(request):  # the second request's idle arrives once its subscription is live
        if not later:
            later.append(status("idle", request))
        return await original(request)

    client._idle_after = idle_after
    asyncio.run(client.wait_for_ready(timeout=5))
    assert len(client._shell_channel.sent) == 2 and all(m["msg_type"] == "kernel_info_request"
                                                        for m in (s["header"] for s in client._shell_channel.sent))
