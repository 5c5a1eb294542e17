"""Learners' kernels forked warm from the batch's kernel template (:mod:`grader.platform.template`).

A fresh ``python -m ipykernel_launcher`` spends about 0.2 s of CPU importing ipykernel, IPython and
zmq before it can run a cell, in every submission. Under ``grader autograde`` a template has
imported them once, and each kernel is a fork of it that then runs ``ipykernel_launcher`` as that
command would: the kernel's own working directory, environment, standard streams, session, resource
limits and run marker, and a new kernel application, shell and sockets. Only the imported modules
come from the template, which never ran anyone's cells. When there is no template, or the command
is not that module on this interpreter, the kernel starts the ordinary way.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from queue import Empty

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type, default

from ..platform import template

IOPUB_WAIT = 0.2  # seconds to wait for a kernel_info request's idle status before asking again (as jupyter_client)
RECONNECT_MS = 5  # how often the client's sockets retry connecting to a kernel still starting (zmq: 100)

# What ipykernel_launcher imports before the first cell can run (the rest of its 600 modules follow),
# except ipykernel.kernelapp itself (2 ms): its class reads JPY_PARENT_PID from the environment when it
# is defined, so it must be imported in the kernel, with the kernel's environment.
KERNEL_PRELOAD = ("ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.iostream", "ipykernel.heartbeat",
                  "ipykernel.parentpoller", "ipykernel.connect", "ipykernel.control", "ipykernel.shellchannel",
                  "IPython.core.application", "IPython.core.profiledir", "IPython.core.shellapp",
                  "jupyter_client.session", "jupyter_client.connect", "zmq.eventloop.zmqstream", "tornado.ioloop")


class ReadyClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel has answered on both channels.

    jupyter_client's ``wait_for_ready`` sends kernel_info until a reply comes back and an IOPub
    message shows that channel connected, then drains IOPub until it has been silent for 0.2 s: a
    fixed wait in every kernel start. Here the wait ends on an event instead: the IOPub ``idle``
    status of the very kernel_info request that was answered. The kernel publishes that status after
    everything else for that request, and the earlier requests' messages before it, so nothing
    the client could mistake for a cell's output is still on its way.
    """

    @default("context")
    def _quickly_reconnecting_context(self) -> zmq.asyncio.Context:
        """A context whose sockets retry a connection every few milliseconds, not every 100: the
        client connects before the kernel has bound its sockets, and waits for the next retry."""
        self._created_context = True  # so that the client destroys it, as it does its own
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        return context

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            request = self.kernel_info()
            reply = await self._reply_to(request, min(1.0, max(0.0, deadline - time.monotonic())))
            if reply is not None and await self._idle_after(request):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    async def _reply_to(self, request: str, timeout: float):
        """The kernel_info reply to ``request`` (earlier requests' replies are passed over), or None."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                reply = await self.shell_channel.get_msg(timeout=left)
            except Empty:
                return None
            if reply["msg_type"] == "kernel_info_reply" and reply["parent_header"].get("msg_id") == request:
                return reply
        return None

    async def _idle_after(self, request: str) -> bool:
        """Read IOPub until the idle status of ``request``: True. False, to ask again, when the
        kernel says our subscription has just arrived (``iopub_welcome``, JEP 65: whatever it
        published before was not delivered, and what it publishes from now on will be), or when
        IOPub stays silent IOPUB_WAIT seconds (a kernel that sends no welcome; jupyter_client's wait)."""
        while True:
            try:
                message = await self.iopub_channel.get_msg(timeout=IOPUB_WAIT)
            except Empty:
                return False
            if message["msg_type"] == "iopub_welcome":
                return False
            if (message["msg_type"] == "status" and message["content"].get("execution_state") == "idle"
                    and message["parent_header"].get("msg_id") == request):
                return True

    wait_for_ready = _async_wait_for_ready  # jupyter_client binds the name to its own function


class WarmKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, whose kernel is forked warm when a template can give one,
    whose client is ready on an event (:class:`ReadyClient`), and whose kernel's end is seen on a
    pidfd rather than polled for every 0.1 s."""

    client_class = DottedObjectName("grader.classroom.kernels.ReadyClient")
    client_factory = Type(ReadyClient, klass=AsyncKernelClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        pid = getattr(self.provisioner, "pid", None)
        try:
            pidfd = os.pidfd_open(pid) if pid and hasattr(os, "pidfd_open") else -1
        except OSError:  # gone already
            pidfd = -1
        if pidfd >= 0:
            loop = asyncio.get_running_loop()
            ended = loop.create_future()
            loop.add_reader(pidfd, lambda: ended.done() or ended.set_result(None))
            try:
                await ended
            finally:
                loop.remove_reader(pidfd)
                os.close(pidfd)
        await super()._async_wait(pollinterval)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        forked = launch(kernel_cmd, kw)
        if forked is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        provisioner = self.provisioner  # a LocalProvisioner: it signals and polls what we give it
        provisioner.process, provisioner.pid, provisioner.pgid = forked, forked.pid, forked.pid
        provisioner.cwd = kw.get("cwd") or os.getcwd()
        self._reconcile_connection_info(provisioner.connection_info)


def launch(cmd: list[str], kw: dict) -> template.Forked | None:
    """Start ``cmd`` as jupyter_client's ``launch_kernel`` would (a session of its own, stdin at end of
    file, the parent's pid in JPY_PARENT_PID), forked by the template; None when it cannot be."""
    cmd = [os.path.expanduser(part) for part in cmd]
    if not template.serves(template.PYTHON) or cmd[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
        return None
    streams = [kw.get("stdout"), kw.get("stderr")]
    if kw.get("stdin") is not None or any(stream is not None and not isinstance(stream, int) for stream in streams):
        return None  # pipes asked for: the ordinary way
    env = {**(kw.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}
    stdin_read, stdin_write = os.pipe()
    os.close(stdin_write)  # as launch_kernel closes the pipe it makes: the kernel reads end of file
    try:
        return template.start(template.PYTHON, {"env": env, "cwd": kw.get("cwd") or os.getcwd(),
                                                "module": cmd[2], "argv": cmd[3:]},
                              (stdin_read, streams[0] if streams[0] is not None else 1,
                               streams[1] if streams[1] is not None else 2))
    finally:
        os.close(stdin_read)
