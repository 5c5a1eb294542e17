"""Warm starts for a whole batch of grading runs: a preloaded process that forks, for each run, the
process that run would otherwise have started from scratch.

Grading one classroom submission starts two Pythons that spend most of their first 0.2 s importing
the same modules every time: the run's fork server (:mod:`grader.platform.zygote`: gunicorn, Flask,
redis) and the learner's Jupyter kernel (ipykernel, IPython, zmq). A batch (``grader autograde``)
starts one template of each kind instead. A template imports those modules once, and then, asked
for a process, forks a child that becomes it, just as if it had been started with ``exec``:

* its own session, standard streams, working directory, resource limits (those of the process that
  asked, which a job lowers) and environment;
* the run's marker where :func:`grader.platform.processes.sweep` reads it, in ``/proc/PID/environ``.
  That file shows the environment the process was exec'd with, which a fork inherits, so a template
  is started with a blank marker of fixed width, and each child writes its run's marker over the
  blank, in its own memory, before it runs anything;

A template never runs a request's code itself and never sees a learner's: each child starts from
the same untouched copy, so nothing of one submission reaches the next. The channel to a template
is a socket pair made before the batch forks its jobs; its ends are close-on-exec, so no exec'd
process (a kernel, a learner's subprocess) holds one, and a child closes the template's end before
anything else, so no worker or kernel forked from it does either. The template reaps its children
and tells the asking process how each ended and how much CPU it used (``os.wait4``), which is what
that process would have counted for a child of its own. Whatever goes wrong on the way (no template,
a marker too long, no pidfds), :func:`start` returns None and the caller starts the process itself.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

BLANK_WIDTH = 160  # characters the blank marker leaves for "<tag><run id>"
REPLY_TIMEOUT = 5.0  # seconds to wait for a forked child to say it is set up
STOP_TIMEOUT = 3.0
LIMITS = ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CORE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CPU",
          "RLIMIT_DATA", "RLIMIT_STACK")  # handed on from the asking process, as exec keeps them
STREAMS = 3  # stdin, stdout, stderr; then the reply pipe
ZYGOTE, PYTHON = "zygote", "python"  # the kinds: a run's fork server, `python -m MODULE ARGS`
# Variables Python reads only when it starts: a child whose environment differs in them is not
# what the template became, so it is started from scratch instead.
STARTUP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYTHONOPTIMIZE",
           "PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONHASHSEED", "PYTHONMALLOC",
           "PYTHONFAULTHANDLER", "PYTHONTRACEMALLOC", "PYTHONINTMAXSTRDIGITS", "PYTHONPLATLIBDIR", "PYTHONSTARTUP",
           "PYTHONVERBOSE", "PYTHONINSPECT", "PYTHONDEBUG", "PYTHONNODEBUGRANGES", "PYTHONEXECUTABLE",
           "LC_ALL", "LC_CTYPE", "LANG")

_channels: dict[str, tuple[socket.socket, dict[str, str]]] = {}  # kind -> our end, its start-up env
_foreign_cpu = 0.0


def foreign_cpu() -> float:
    """CPU seconds used by the processes templates forked for this process (their descendants
    included), counted once each has ended. They are a template's children, not ours, so
    ``os.times`` of this process does not count them, as it would count children of its own."""
    return _foreign_cpu


class Forked:
    """A process a template forked for us: the ``subprocess.Popen`` members its users need.

    It is the template's child, not ours: its end is seen through a pidfd, and its exit status and
    CPU time arrive on the reply pipe once the template has reaped it."""

    def __init__(self, pid: int, pidfd: int, reply: int, stdin=None):
        self.pid, self._pidfd, self._reply, self.stdin = pid, pidfd, reply, stdin
        self.stdout = self.stderr = None
        self.returncode: int | None = None

    def poll(self) -> int | None:
        try:
            return self.wait(0)
        except subprocess.TimeoutExpired:
            return None

    def wait(self, timeout: float | None = None) -> int:
        global _foreign_cpu
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            os.close(self._pidfd)
            said = _read_lines(self._reply, "exit", STOP_TIMEOUT)
            os.close(self._reply)
            fields = said.get("exit", "-9 0").split()
            self.returncode = int(fields[0])
            _foreign_cpu += float(fields[1])
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def serves(kind: str) -> bool:
    """Whether a template of ``kind`` serves this process (one forked from it, under a batch)."""
    return kind in _channels


def start(kind: str, request: dict, streams: tuple[int, int, int], stdin=None) -> Forked | None:
    """Ask this process's template of ``kind`` for a child (None: no template, or it could not).

    ``request`` holds what the child becomes (``env``, ``cwd`` and the kind's own keys); ``streams``
    are its stdin, stdout and stderr, which stay ours to close; ``stdin`` is kept on the result (the
    other end of a stdin pipe, as Popen keeps it)."""
    from .processes import RUN_MARKER
    channel, started_with = _channels.get(kind, (None, {}))
    env = request["env"]
    if (channel is None or len(env.get(RUN_MARKER, "").encode()) > BLANK_WIDTH
            or any(env.get(name) != started_with.get(name) for name in STARTUP)):
        return None
    limits = {name: resource.getrlimit(getattr(resource, name)) for name in LIMITS if hasattr(resource, name)}
    reply_read, reply_write = os.pipe()
    message = json.dumps({**request, "limits": limits}).encode()
    try:
        try:
            socket.send_fds(channel, [message], [*streams, reply_write], socket.MSG_NOSIGNAL)  # a job dies of SIGPIPE
        finally:
            os.close(reply_write)
        said = _read_lines(reply_read, "ready", REPLY_TIMEOUT)
        pid = int(said.get("pid", "0"))
        pidfd = os.pidfd_open(pid) if pid and "ready" in said else -1
    except (OSError, ValueError):
        pidfd = -1
    if pidfd < 0:
        os.close(reply_read)
        return None
    return Forked(pid, pidfd, reply_read, stdin)


def _read_lines(fd: int, until: str, timeout: float) -> dict[str, str]:
    """Lines "word rest" from the reply pipe, read one byte at a time (the pipe stays open for
    what comes later) until a line starting with ``until``, end of file or ``timeout``."""
    said: dict[str, str] = {}
    line = b""
    while until not in said and select.select([fd], [], [], timeout)[0]:
        byte = os.read(fd, 1)
        if not byte:
            break
        if byte != b"\n":
            line += byte
            continue
        word, _space, rest = line.decode().partition(" ")
        said[word], line = rest, b""
    return said


@contextlib.contextmanager
def serving(kind: str, env: dict[str, str], preload: tuple[str, ...] = ()) -> Iterator[int | None]:
    """Start a template of ``kind`` for this process and every process forked from it while the
    block runs; yields its pid (None when it could not start: everyone then starts their own).
    ``env`` is its start-up environment; a zygote template preloads what a fork server does,
    a python one the modules in ``preload``."""
    from .processes import RUN_MARKER, die_with_parent, signal_group
    if not hasattr(os, "pidfd_open") or not hasattr(socket, "send_fds") or kind in _channels:
        yield None
        return
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    env = {**env, RUN_MARKER: blank()}
    try:
        process = subprocess.Popen([sys.executable, "-m", "grader.platform.template", str(theirs.fileno()), kind,
                                    *preload], pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, env=env, cwd="/", start_new_session=True,
                                   preexec_fn=die_with_parent)
    except OSError:
        process = None
    theirs.close()
    if process is None:
        ours.close()
        yield None
        return
    _channels[kind] = (ours, env)
    try:
        yield process.pid
    finally:
        del _channels[kind]
        ours.close()  # the template's end then reads end-of-file, and it leaves
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
            process.wait()


def blank() -> str:
    """The marker value a template is started with: as wide as any marker written over it, and
    carrying the run tag (if any), so that whoever looks for the tag's processes finds it too."""
    from .processes import RUN_TAG
    return (os.environ.get(RUN_TAG, "") + "template-").ljust(BLANK_WIDTH, "-")


# -- the template process ---------------------------------------------------------------------
def serve(channel: socket.socket, kind: str) -> None:
    """Fork a child for each request until the channel closes; reap them as they end."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    replies: dict[int, int] = {}  # child pid -> its reply pipe
    while True:
        readable = select.select([channel, wake_read], [], [])[0]
        if wake_read in readable:
            os.read(wake_read, 4096)
            _reap(replies)
        if channel in readable:
            try:
                message, fds, _flags, _address = socket.recv_fds(channel, 1 << 20, STREAMS + 1)
            except OSError:
                break
            if not message:
                break
            if len(fds) == STREAMS + 1:
                _fork_one(kind, json.loads(message), fds, channel, (wake_read, wake_write), replies)
            else:
                for fd in fds:
                    os.close(fd)
    _reap(replies)


def _reap(replies: dict[int, int]) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        reply = replies.pop(pid, None)
        if reply is not None:
            cpu = usage.ru_utime + usage.ru_stime
            try:
                os.write(reply, b"exit %d %.4f\n" % (os.waitstatus_to_exitcode(status), cpu))
            except OSError:
                pass
            os.close(reply)


def _fork_one(kind: str, request: dict, fds: list[int], channel: socket.socket, wake: tuple[int, int],
              replies: dict[int, int]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        for fd in fds[:STREAMS]:
            os.close(fd)
        replies[pid] = fds[STREAMS]
        try:
            os.write(fds[STREAMS], b"pid %d\n" % pid)
        except OSError:
            pass
        return
    from .zygote import run_child

    def child() -> int:
        channel.close()  # before anything else: no child, and none of its descendants, holds the channel
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in (*wake, *replies.values()):
            os.close(fd)
        return _become(kind, request, fds)

    run_child(child)


def _become(kind: str, request: dict, fds: list[int]) -> int:
    """Turn this fresh fork into the process the request describes, as ``exec`` would have."""
    from .processes import RUN_MARKER
    *streams, reply = fds
    os.setsid()
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
    for fd in set(streams):
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    env = request["env"]
    if not write_marker(f"{RUN_MARKER}={env[RUN_MARKER]}"):
        return 3  # unmarked, it could escape the sweep: the asker, told nothing, starts its own
    os.environ.clear()
    os.environ.update(env)
    for name, (soft, hard) in request["limits"].items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if kind == ZYGOTE:
        from . import zygote
        zygote.become_subreaper()
        _ready(reply)
        zygote.Zygote(request["events"], request["root"]).serve()
        return 0
    return _run_module(request["module"], request["argv"], reply)


def _ready(reply: int) -> None:
    os.write(reply, b"ready\n")
    os.close(reply)


def _run_module(module: str, argv: list[str], reply: int) -> int:
    """``python -m MODULE ARGV``, here: its folder (the working directory) first on sys.path, as
    -m puts it, and what the interpreter does at the end (threads joined, atexit run)."""
    import runpy

    from .zygote import end_like_the_interpreter
    ours = __package__.split(".")[0]  # the grader itself: the module runs as a fresh process would import it
    for name in [name for name in sys.modules if name == ours or name.startswith(ours + ".")]:
        del sys.modules[name]
    if not getattr(sys.flags, "safe_path", False) and sys.path and sys.path[0] == "/":
        sys.path[0] = os.getcwd()  # -m put the template's working directory ("/") first; ours goes there
    sys.argv = [module, *argv]
    sys.dont_write_bytecode = bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    _ready(reply)
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        end_like_the_interpreter()
    return 0


def write_marker(entry: str) -> bool:
    """Write ``entry`` ("FACTOR_SIX_RUN=<id>") over the blank marker in this process's exec-time
    environment, where ``/proc/self/environ`` reads it; whether it is there now. Call it before
    ``os.environ`` changes: the blank is the marker this process was started with."""
    from .processes import RUN_MARKER, stat_fields
    fields = stat_fields(os.getpid())
    if fields is None or len(fields) < 49 or RUN_MARKER not in os.environ:
        return False
    start, end = int(fields[47]), int(fields[48])  # env_start, env_end (fields 50 and 51 of stat)
    blank_entry = f"{RUN_MARKER}={os.environ[RUN_MARKER]}".encode()
    new = entry.encode()
    if not start or end <= start or len(new) > len(blank_entry):
        return False
    offset = ctypes.string_at(start, end - start).find(blank_entry + b"\0")
    if offset < 0:
        return False
    ctypes.memmove(start + offset, new.ljust(len(blank_entry), b"\0"), len(blank_entry))
    with open("/proc/self/environ", "rb") as handle:
        return new in handle.read().split(b"\0")


def main() -> None:
    import importlib
    fd, kind, *preload = sys.argv[1:]
    channel = socket.socket(fileno=int(fd))
    if kind == ZYGOTE:
        from . import zygote
        zygote.preload()
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # not installed here: its users import it themselves
            pass
    serve(channel, kind)
    os._exit(0)


if __name__ == "__main__":
    main()
