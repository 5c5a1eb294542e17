"""The fork server: one pre-imported Python process that forks every worker.

Importing gunicorn and Flask costs about 200 ms; a forked child gets them for free and still imports
the learner's app itself, so each worker starts with the memory of a fresh process. Run as
``python -m grader.platform.zygote EVENT_SOCKET RUN_FOLDER``; commands arrive as JSON lines on stdin, and births
and deaths are reported as JSON datagrams on the event socket. The zygote is a child subreaper, so
anything a worker leaves behind is reparented here and reaped; when stdin closes it kills every group
it started. Stdin also closes when the grader dies without warning (SIGKILL, a restarted Jupyter
kernel): a grader that closes the run on purpose first leaves a ``closing`` file in the run's folder,
so a zygote that finds none knows its grader is gone, and removes the whole run, processes and
folder. (Asking whether its parent changed would race with the grader's exit, and a fork server
forked by :mod:`grader.platform.template` has another parent anyway.)
"""
from __future__ import annotations

import ctypes
import importlib
import json
import os
import resource
import select
import signal
import socket
import sys
import traceback
from typing import Callable, NoReturn

from .isolation import NotIsolated, make_private

PRELOAD = ("gunicorn.app.wsgiapp", "gunicorn.arbiter", "gunicorn.workers.sync", "gunicorn.glogging",
           "gunicorn.config", "flask", "werkzeug.serving", "jinja2", "redis", "sqlite3", "json",
           "http.client", "urllib.request", "csv", "tempfile", "uuid", "hashlib", "hmac", "secrets",
           # the grader's own modules every worker imports before the app (importing installs nothing)
           "grader.platform.audit_hook", "grader.platform.worker_hooks")
PR_SET_CHILD_SUBREAPER = 36
GUNICORN_USAGE = "%(prog)s [OPTIONS] [APP_MODULE]"  # as gunicorn's own command line gives it
MAX_FILE_BYTES = 256 * 2**20  # a worker that writes a larger file (or log) gets SIGXFSZ
CLOSING = "closing"  # left in the run's folder by a grader that closes the run on purpose


class Zygote:
    def __init__(self, event_socket: str, run_folder: str):
        self.event_socket = event_socket
        self.run_folder = run_folder
        self.channel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.children: dict[int, str] = {}  # pid -> token

    def report(self, **message) -> None:
        try:
            self.channel.sendto(json.dumps(message).encode(), self.event_socket)
        except OSError:
            pass

    def serve(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        buffer = b""
        while True:
            readable, _, _ = select.select([sys.stdin.fileno(), wake_read], [], [])
            if wake_read in readable:
                os.read(wake_read, 4096)
                self.reap()
            if sys.stdin.fileno() in readable:
                chunk = os.read(sys.stdin.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self.spawn(json.loads(line), (wake_read, wake_write))
        self.kill_all()
        if self.orphaned():  # the grader died without closing the run: do it for it
            from pathlib import Path

            from . import runs
            runs.clean(Path(self.run_folder))

    def orphaned(self) -> bool:
        """Whether the grader that owns this run is gone: it closed our stdin without saying so."""
        return not os.path.exists(os.path.join(self.run_folder, CLOSING))

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            token = self.children.pop(pid, None)
            if token is not None:
                self.report(event="exited", token=token, pid=pid, code=os.waitstatus_to_exitcode(status))

    def spawn(self, spec: dict, wake_fds: tuple[int, int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            self.children[pid] = spec["token"]
            self.report(event="spawned", token=spec["token"], pid=pid)
            return

        def worker() -> int:
            signal.set_wakeup_fd(-1)
            for fd in wake_fds:
                os.close(fd)
            return become_worker(spec)

        run_child(worker)

    def kill_all(self) -> None:
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def run_child(body: Callable[[], int]) -> NoReturn:
    """End a freshly forked child with what ``body`` returns, or the code its SystemExit carries
    (1 and a traceback on stderr for any other exception), its output flushed: a fork must never
    return into its parent's loop."""
    code = 1
    try:
        code = body()
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else (0 if leaving.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def become_worker(spec: dict) -> int:
    """Turn this freshly forked child into the worker the spec describes; return its exit code."""
    os.setsid()
    _isolate(spec)
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, spec["stdout"]), (2, spec["stderr"])):
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, fd)
        os.close(log)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    os.chdir(spec["cwd"])
    os.environ.clear()
    os.environ.update(spec["env"])
    import tempfile
    tempfile.tempdir = None
    sys.dont_write_bytecode = True
    argv = spec["argv"]
    if spec["mode"] == "exec":
        os.execvpe(argv[0], argv, spec["env"])
    from . import audit_hook, worker_hooks
    if spec["mode"] == "python":  # `python worker.py`: run here, where the libraries are imported already
        audit_hook.install(spec["events"], spec["token"], spec["cwd"])
        return _run_script(argv[1:], spec["cwd"])
    listener = _listen_on_free_port()
    os.environ["PORT"] = str(listener.getsockname()[1])
    audit_hook.install(spec["events"], spec["token"], spec["cwd"])
    worker_hooks.CHANNEL = (spec["events"], spec["token"])
    sys.path.insert(0, spec["cwd"])
    from gunicorn.app.wsgiapp import WSGIApplication
    sys.argv = ["gunicorn", *argv[1:], "--bind", f"fd://{listener.fileno()}", "--chdir", spec["cwd"],
                "--config", "python:grader.platform.worker_hooks"]
    WSGIApplication(GUNICORN_USAGE, prog="gunicorn").run()
    return 0


def _run_script(argv: list[str], cwd: str) -> int:
    """Run a Python script as ``python SCRIPT ARGS`` would: as ``__main__``, its folder first on
    sys.path. A SystemExit or an exception ends the worker as it would end that command; either way,
    as the interpreter does, its non-daemon threads are waited for and its atexit functions run."""
    import runpy
    script = os.path.join(cwd, argv[0])  # absolute, as __file__ is
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        end_like_the_interpreter()
    return 0


def end_like_the_interpreter() -> None:
    """What Python does once a script's main code is over, before it exits (the fork server's
    children leave with os._exit, which would skip both): wait for every non-daemon thread, then
    run the atexit functions."""
    import atexit
    import threading
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()


def _isolate(spec: dict) -> None:
    """Give the worker its private /tmp when the spec asks for it, and report whether that worked."""
    settings = spec.get("isolation")
    if not settings:
        return
    private, why = True, ""
    try:
        make_private(settings["mounts"], settings["keep"])
    except (NotIsolated, OSError) as error:
        private, why = False, str(error)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as channel:
        message = {"event": "isolation", "token": spec["token"], "pid": os.getpid(), "private": private, "why": why}
        try:
            channel.sendto(json.dumps(message).encode(), spec["events"])
        except OSError:
            pass


def _listen_on_free_port() -> socket.socket:
    """Bind port 0 here and hand gunicorn the socket itself, so no other process can take the port
    between choosing it and listening on it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


def preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # an optional framework that is missing is simply not preloaded
            pass
    try:
        _build_gunicorn_parser_once()
    except Exception:  # another gunicorn version: each worker builds its own parser, as usual
        pass


def _build_gunicorn_parser_once() -> None:
    """Build gunicorn's command-line parser here, once, for every worker forked later.

    gunicorn builds an argparse parser of all its ~100 settings in every process it starts (a few
    milliseconds, the largest part of its start-up); it depends only on the settings, which are the
    same for every worker, and parsing does not change it. Workers fork with this one built already.
    """
    from gunicorn.app.wsgiapp import WSGIApplication  # noqa: F401 (its settings are registered)
    from gunicorn.config import Config

    build, built = Config.parser, {}

    def parser(config):
        key = (config.usage, config.prog, tuple(sorted(config.settings)))
        if key not in built:
            built[key] = build(config)
        return built[key]

    Config.parser = parser
    parser(Config(GUNICORN_USAGE, prog="gunicorn"))


def become_subreaper() -> None:
    """Have orphans of this process's descendants reparented here (and reaped), not to init.
    A fork does not inherit this: a fork server forked by the template calls it itself."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def main() -> None:
    become_subreaper()
    preload()
    Zygote(sys.argv[1], sys.argv[2]).serve()
    sys.stdout.flush()
    os._exit(0)  # skip tearing down every preloaded module: nothing here needs cleaning up


if __name__ == "__main__":
    main()
