"""A private PostgreSQL server on a free loopback port, one per platform, a database per cluster.

The data directory is made in the background (:mod:`.pgdata`: a copied template, or ``initdb``)
and the server started as soon as it is there, while the release builds; ``wait_ready`` then only
waits for what is left. Durability is traded for speed (``fsync=off`` and friends): a grading run's
data need only outlive the app's processes and a restart of the server, never a crash of the machine.

Like the Redis-compatible server, it dies with the grader even when the grader is killed outright
(a parent-death signal), and it overwrites its environment with its process title, so the platform
records its pid for the clean-up of dead runs. It is stopped with an immediate shutdown (SIGQUIT),
also when the grader dies, rather than SIGKILL: a server killed outright leaves its System V shared
memory segment behind, and a machine holds only 4096 of them.
"""
from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable

from ..ports import free_port
from ..processes import Spawner, die_with_parent, signal_group, tail_file
from . import ServiceError, pgdata
from ...i18n import _
from .pgwire import Connection, PgError

START_TIMEOUT = 15.0  # seconds for the data directory and the server together, on a loaded machine
STOP_TIMEOUT = 5.0  # seconds an immediate (or, to restart, a fast) shutdown may take before SIGKILL
PORT_ATTEMPTS = 3
NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
SETTINGS = {"listen_addresses": "127.0.0.1", "unix_socket_directories": "", "fsync": "off",
            "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200",
            # DSM segments as files in the data directory, which goes with the run, not in /dev/shm
            "dynamic_shared_memory_type": "mmap"}


class PostgresServer:
    """A PostgreSQL server process started for one platform, stopped with it."""

    def __init__(self, directory: Path, env: dict[str, str], on_start: Callable[[int], None] = lambda pid: None,
                 *, reachable_from: Path | None = None, cache: Path | None | str = "default"):
        """Start making the data directory in ``directory/data`` and then the server, in the
        background (``wait_ready`` waits for both). ``reachable_from`` is the outermost folder the
        grader may open for the server's user (a run's base folder); ``cache`` holds the template
        (by default the user's cache, :func:`.pgdata.default_cache`; None: initdb every time)."""
        if cache == "default":
            cache = pgdata.default_cache()
        self.directory, self.env, self._on_start = directory, env, on_start
        self.data, self.log = directory / "data", directory / "postgres.log"
        self.user = pgdata.account()
        self.binaries = pgdata.runnable_by(self.user, pgdata.find_binaries())
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.timings: dict[str, float] = {}  # seconds: "data" (and how: self.made), "ready", "create c3"...
        self.made = ""
        self._lock = threading.Lock()
        self._failure: BaseException | None = None
        self._started = time.monotonic()
        self.data.mkdir(mode=0o700)
        if self.user.uid is not None:
            pgdata.let_through(self.directory, reachable_from or self.directory)
        self._spawner = Spawner("factor-six-postgres")  # a restart from any thread outlives that thread
        self._prepared = threading.Thread(target=self._prepare, args=(cache,), name="factor-six-pgdata", daemon=True)
        self._prepared.start()

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def _prepare(self, cache: Path | None) -> None:
        try:
            self.made = pgdata.make(self.data, self.binaries, self.user, self.env, cache)
            self.timings["data"] = time.monotonic() - self._started
            self._start()
        except BaseException as error:  # told to whoever waits for the server
            self._failure = error

    def _start(self) -> None:
        argv = [str(self.binaries / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        for name, value in SETTINGS.items():
            argv += ["-c", f"{name}={value}"]

        def become_user_then_tie_to_parent() -> None:
            self.user.demote()  # first: a change of user clears the parent-death signal
            die_with_parent(signal.SIGQUIT)  # an immediate shutdown, which frees its shared memory

        with open(self.log, "ab") as log:
            self._log_from = log.tell()  # this start's own lines begin here
            self.process = self._spawner.popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                               stdin=subprocess.DEVNULL, start_new_session=True,
                                               cwd=self.directory, preexec_fn=become_user_then_tie_to_parent)
        self._on_start(self.process.pid)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait for the data directory and the server, or raise ServiceError with what went wrong.

        The server counts as ready when its own ``postmaster.pid`` says it accepts connections on
        its port and a session opens there: another run's server may have taken the port first, and
        then ours exits and starts again on a new one (the URLs of clusters made later name it).
        """
        deadline = time.monotonic() + timeout
        self._prepared.join(max(0.0, deadline - time.monotonic()))
        if self._prepared.is_alive():
            raise ServiceError(_("PostgreSQL's data directory was not ready within {seconds:g} s.", seconds=timeout))
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure if isinstance(failure, ServiceError) else ServiceError(
                _("PostgreSQL could not be set up: {error}", error=str(failure))) from failure
        self._wait_listening(deadline, timeout, move=True)
        self.timings.setdefault("ready", time.monotonic() - self._started)

    def _wait_listening(self, deadline: float, timeout: float, move: bool) -> None:
        for attempt in range(PORT_ATTEMPTS):
            while time.monotonic() < deadline and self.process.poll() is None:
                if self._is_ours() and self._answers():
                    return
                time.sleep(0.005)
            lost = "Address already in use" in self._own_log()
            if self.process.poll() is None or not lost or not move or attempt == PORT_ATTEMPTS - 1:
                break
            self.port = free_port()
            self._start()
        self.stop()
        raise ServiceError(_("PostgreSQL did not start within {seconds:g} s:\n{log}", seconds=timeout,
                             log=tail_file(self.log)))

    def _own_log(self) -> str:
        """What the server started last wrote (the log holds every start's, restarts included)."""
        try:
            with open(self.log, "rb") as log:
                log.seek(self._log_from)
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _is_ours(self) -> bool:
        """Whether our data directory's ``postmaster.pid`` says our process is ready on our port."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return (len(lines) >= 8 and lines[0] == str(self.process.pid) and lines[3] == str(self.port)
                and lines[7].strip() == "ready")

    def _answers(self) -> bool:
        try:
            with Connection(self.address, "postgres", timeout=1.0):
                return True
        except PgError:
            return False

    # -- what the platform and the checks use ----------------------------------------------
    def url_for(self, name: str) -> str:
        """A fresh, empty database ``name`` (``c3``) for one cluster, so no cluster sees another's
        rows; its URL. Raises ServiceError when it cannot be made."""
        if not NAME.fullmatch(name):
            raise ValueError(f"not a plain database name: {name!r}")
        started = time.monotonic()
        with self._lock:  # one CREATE DATABASE at a time: each copies template1
            try:
                with Connection(self.address, "postgres") as session:
                    session.query(f'CREATE DATABASE "{name}"')
            except PgError as error:
                raise ServiceError(_("PostgreSQL could not create the database {name}: {error}", name=name,
                                     error=_said(error))) from None
        self.timings[f"create {name}"] = time.monotonic() - started
        return f"postgresql://{pgdata.SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def query(self, database: str, sql: str) -> list[tuple[str | None, ...]]:
        """Rows (as text) of ``sql`` in ``database``, for a check that reads the store itself;
        raises PgError."""
        with Connection(self.address, database) as session:
            return session.query(sql)

    def restart(self, timeout: float = START_TIMEOUT) -> float:
        """A provider's maintenance restart: a fast shutdown (every session is ended, the data is
        written out), then the same server on the same port. Seconds it did not accept sessions."""
        assert self.process is not None, "wait_ready first"
        down = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._kill()
        self._start()
        self._wait_listening(time.monotonic() + timeout, timeout, move=False)
        return time.monotonic() - down

    def stop(self) -> None:
        """An immediate shutdown (SIGQUIT: no checkpoint; the server removes its shared memory),
        SIGKILL for its group if it takes too long, and the end of its spawner."""
        self._prepared.join(timeout=STOP_TIMEOUT)  # a server being started now is stopped too
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
        self._spawner.close()

    def _kill(self) -> None:
        signal_group(self.process.pid, signal.SIGKILL)  # backends a shutdown left, too
        self.process.wait()


def _said(error: PgError):
    """A PgError's message as it was raised (a Message when pgwire wrote it, the server's own text else)."""
    return error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
