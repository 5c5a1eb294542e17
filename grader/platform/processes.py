"""Starting, signalling and sweeping OS processes, bounded in time.

Every process the grader starts carries the environment variable ``FACTOR_SIX_RUN`` set to its run's
id. Environment is inherited by every descendant, so a learner's app that forks a daemon (even one
that calls ``setsid``) is still found and killed by :func:`sweep` when its run ends.
"""
from __future__ import annotations

import ctypes
import errno
import os
import queue
import signal
import subprocess
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from ..i18n import _

RUN_MARKER = "FACTOR_SIX_RUN"
RUN_TAG = "FACTOR_SIX_RUN_TAG"  # optional prefix for run ids, e.g. to tell one test session's runs apart
PR_SET_PDEATHSIG = 1
TAIL_LINES = 15
TRACEBACK_LINES = 40


@dataclass(frozen=True)
class Completed:
    """The outcome of a bounded command: exit code (None if it timed out) and combined output."""

    argv: list[str]
    returncode: int | None
    output: str
    timeout: float

    def describe(self) -> str:
        if self.returncode is None:
            return _("did not finish within {timeout:g} s and was killed", timeout=self.timeout)
        return _("exited with {status}", status=describe_status(self.returncode))

    def tail(self, lines: int = TAIL_LINES) -> str:
        return tail_text(self.output, lines)


def run_bounded(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float,
                preexec_fn=None) -> Completed:
    """Run a command in its own session; kill its whole group at the deadline. ``preexec_fn`` runs
    in the child before the command (a service's ``initdb`` drops root's privileges there)."""
    with subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, start_new_session=True,
                          preexec_fn=preexec_fn) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
            code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
            try:  # a child that left the group may still hold the pipe open: do not wait on it
                output, _ = process.communicate(timeout=1)
            except subprocess.TimeoutExpired:
                process.kill()
                process.stdout.close()
                process.wait()
                output = b""
            code = None
    return Completed(argv, code, output.decode("utf-8", "replace"), timeout)


def die_with_parent(signum: int = signal.SIGKILL) -> None:
    """For ``preexec_fn``: have the kernel SIGKILL this child when the process that started it dies
    (or send ``signum``: a server that must clean up after itself may be told to shut down instead).

    Strictly, when the *thread* that started it ends: start such children from a thread that lives
    as long as they should (the main thread, as a notebook and the command line do, or a
    :class:`Spawner`). A change of user clears the setting: drop privileges first, then call this.
    """
    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


class Spawner:
    """Starts processes from one thread of its own, which lives until :meth:`close`.

    A child started with :func:`die_with_parent` dies when the *thread* that started it ends. A
    backing service restarted from a check's thread (a chaos schedule, a pool that is shut down
    after each run) must not die with that thread, so every service process is started here instead.
    """

    def __init__(self, name: str = "factor-six-spawner"):
        self._orders: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # an order is never queued behind the end of the queue
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def popen(self, *args, **kwargs) -> subprocess.Popen:
        """``subprocess.Popen(*args, **kwargs)``, run on the spawner's thread; raises what it raises,
        and RuntimeError once the spawner is closed."""
        if threading.current_thread() is self._thread:
            return subprocess.Popen(*args, **kwargs)
        done: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the spawner is closed: no process can be started any more")
            self._orders.put((args, kwargs, done))
        return done.result()

    def _serve(self) -> None:
        while (order := self._orders.get()) is not None:
            args, kwargs, done = order
            try:
                done.set_result(subprocess.Popen(*args, **kwargs))
            except BaseException as error:  # handed to the caller, whose order it was
                done.set_exception(error)

    def close(self) -> None:
        """End the thread; call it after the processes it started are stopped (they die with it)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._orders.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


def signal_group(pgid: int, signum: int) -> bool:
    """Send a signal to a whole process group; a group that is already gone is not an error."""
    try:
        os.killpg(pgid, signum)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return False


def describe_status(code: int) -> str:
    """Words for an exit code as subprocess reports it (negative = killed by that signal)."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            return _("signal {number}", number=-code)
        return _("{signal} (perhaps out of memory?)", signal=name) if -code == signal.SIGKILL else name
    return _("exit code {code}", code=code)


def tail_text(text: str, lines: int = TAIL_LINES) -> str:
    kept = [line for line in text.rstrip().splitlines()][-lines:]
    return "\n".join(kept)


def tail_file(path: Path, lines: int = TAIL_LINES, max_bytes: int = 16384) -> str:
    """The last lines of a log file, read from its end so a huge log costs nothing."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except OSError:
        return ""
    return tail_text(data.decode("utf-8", "replace"), lines)


def app_traceback(text: str, app_dir: str) -> str | None:
    """The last Python traceback in ``text``, keeping only the frames in the learner's own files.

    Frames of gunicorn, Flask and importlib say nothing a learner can act on; paths inside the
    worker's copy of the app are shown relative to it (``app.py``). None when there is no traceback.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if not starts:
        return None
    prefix = app_dir.rstrip("/") + "/"
    kept, keep = [lines[starts[-1]]], False
    for line in lines[starts[-1] + 1:]:
        if line.startswith('  File "'):
            keep = prefix in line
        elif not line.startswith("    "):
            if line.startswith("[") and "] [" in line:  # gunicorn's own log resumes
                break
            keep = True  # the exception itself, and any chained header
        if keep:
            kept.append(line.replace(prefix, ""))
    return "\n".join(kept[:TRACEBACK_LINES])


def marked_processes(run_id: str) -> list[int]:
    """Pids of every live process whose environment carries this run's marker."""
    needle = f"{RUN_MARKER}={run_id}".encode()
    found = []
    if not os.path.isdir("/proc"):  # no procfs (macOS): only the process-group kills apply
        return found
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                environ = handle.read()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return [pid for pid in found if pid != os.getpid() and not _is_zombie(pid)]


def stat_fields(pid: int) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None if it is gone.

    The name is cut at the *last* ``)``: a process may call itself anything, parentheses included.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _is_zombie(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is None or fields[0] == b"Z"


def sweep(run_id: str, deadline: float = 3.0) -> list[int]:
    """SIGKILL every process left from a run and wait (bounded) until each is dead or a zombie.

    Zombies are left for their parents to reap: reaping other people's children here would steal
    exit statuses from ``subprocess`` (and from a Jupyter kernel's own children).
    """
    killed: list[int] = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        pids = marked_processes(run_id)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                if pid not in killed:
                    killed.append(pid)
            except OSError as error:
                if error.errno not in (errno.ESRCH, errno.EPERM):
                    raise
        time.sleep(0.005)
    return killed
