"""Running jobs on this machine: each in a forked process, a few at a time, each within its limit.

The autograde process has already imported nbgrader, nbconvert and the grader (about 2.5 s of CPU),
so a forked child starts grading at once. Each child leads a session of its own; its verdicts come
back through a pipe opened before the fork (close-on-exec, so the learner's kernel never holds it),
and its exit is seen through a pidfd. At its deadline a child's group is killed, and so is every
process that carries its run marker (the kernel, anything the kernel detached). One job that hangs
or crashes costs its own slot until its own deadline, never anyone else's.

Forking is only safe from a process with a single thread; :class:`LocalPool` checks that before
every fork and otherwise runs the job as a fresh ``python -m grader.classroom.job`` process.

For the whole batch the pool also keeps two templates (:mod:`grader.platform.template`): one forks
each grading run its fork server with gunicorn and Flask imported, the other each learner's kernel
with ipykernel imported (:mod:`grader.classroom.kernels`). Forked jobs inherit the channels to them.
"""
from __future__ import annotations

import contextlib
import gc
import itertools
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from ..i18n import _
from ..platform import runs, template
from ..platform.forkserver import base_env, zygote_env
from ..platform.processes import RUN_MARKER, die_with_parent, signal_group, sweep
from .execution import JOB_FOLDER, JOB_MARKER
from .job import LOG_FILE, Job, log_tail, log_to, pipe_sender, read_verdicts, run
from .kernels import KERNEL_PRELOAD
from .warmup import rehearse

MAX_FILE_BYTES = 512 * 2**20  # a job (its kernel included) that writes a bigger file gets SIGXFSZ
MAX_MEMORY_BYTES = 8 * 2**30  # address space of each process of a job: a runaway kernel stops here
CHILD_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE)


@dataclass
class Finished:
    """A job's end as the pool saw it: the verdicts it sent, its folder, and how it ended."""

    job: Job
    folder: Path
    verdicts: dict
    ended: str  # "done", "timed out", "crashed"
    detail: str  # how, for the instructor's notes: a message (grader.i18n), "" when done
    seconds: float
    log_tail: str = ""  # the last lines of its log when it did not end well: what an instructor reads first


@dataclass
class _Running:
    job: Job
    folder: Path
    pid: int
    process: subprocess.Popen | None
    waiter: int  # a pidfd, or -1 where there are none
    pipe: int | None
    started: float
    deadline: float
    received: bytearray = field(default_factory=bytearray)


class LocalPool:
    """Run jobs ``jobs`` at a time in ``work`` (a folder of per-job folders, removed afterwards)."""

    def __init__(self, jobs: int, work: Path, fork: bool | None = None, warm: bool = True):
        """``fork``: None forks when this process has a single thread, True always, False never.
        ``warm``: rehearse the first job in this process first (:mod:`grader.classroom.warmup`)."""
        self.warm = warm
        self.jobs = max(1, jobs)
        self.work = work
        self.fork = fork
        self.running: dict[int, _Running] = {}

    def run(self, jobs: Iterable[Job]) -> Iterator[Finished]:
        """Yield each job's :class:`Finished` as it ends (not in the order given). Jobs are taken
        from ``jobs`` only as slots free up."""
        with contextlib.ExitStack() as stack:
            if self.fork is not False:  # forked jobs fork their fork servers and kernels from these
                stack.enter_context(template.serving(template.ZYGOTE, zygote_env(base_env(""))))
                stack.enter_context(template.serving(template.PYTHON, dict(os.environ), KERNEL_PRELOAD))
            yield from self._run(jobs)

    def _run(self, jobs: Iterable[Job]) -> Iterator[Finished]:
        pending = iter(jobs)
        if self.warm and self.fork is not False:
            first = next(pending, None)
            if first is not None:
                rehearse(first, self.work)  # every job forked afterwards starts warm
                pending = itertools.chain([first], pending)
            # What this process holds now, jobs share with it page for page until they write to it; a
            # job's garbage collections would write to every object (and copy every page) were the
            # objects not frozen out of their reach first (and collectable again once the batch is done).
            gc.collect()
            gc.freeze()
        try:
            self._fill(pending)
            while self.running:
                ended = self._wait()
                self._fill(pending)  # free slots start their next job before anyone records
                yield from ended
        finally:
            for entry in list(self.running.values()):
                self._kill(entry)
                self._join(entry)
                self._reap(entry, "crashed", _("grading was interrupted"))
            gc.unfreeze()

    # -- starting ------------------------------------------------------------------------------
    def _fill(self, pending: Iterator[Job]) -> None:
        while len(self.running) < self.jobs:
            job = next(pending, None)
            if job is None:
                return
            self._start(job)

    def _start(self, job: Job) -> None:
        folder = Path(tempfile.mkdtemp(prefix=f"{job.student[:20]}-", dir=self.work))
        read, write = os.pipe()  # both ends close-on-exec: a kernel or app never inherits them
        if self.fork or (self.fork is None and threading.active_count() == 1):
            pid = os.fork()
            if pid == 0:
                _child(job, folder, read, write)  # never returns
            process = None
        else:
            job.write(folder)
            process = subprocess.Popen([sys.executable, "-m", "grader.classroom.job", str(folder), str(write)],
                                       pass_fds=[write], start_new_session=True, stdin=subprocess.DEVNULL,
                                       env={**os.environ, RUN_MARKER: job.marker, JOB_MARKER: job.marker,
                                            JOB_FOLDER: str(folder)},
                                       preexec_fn=_bounded)
            pid = process.pid
        os.close(write)
        os.set_blocking(read, False)
        now = time.monotonic()
        self.running[pid] = _Running(job, folder, pid, process, _pidfd(pid), read, now, now + job.timeout)

    # -- waiting -------------------------------------------------------------------------------
    def _wait(self) -> list[Finished]:
        """Wait until a job ends or reaches its deadline; the jobs that ended."""
        ended = []
        now = time.monotonic()
        entries = list(self.running.values())
        watched = [entry.pipe for entry in entries if entry.pipe is not None]
        watched += [entry.waiter for entry in entries if entry.waiter >= 0]
        timeout = max(0.0, min(entry.deadline for entry in entries) - now)
        if any(entry.waiter < 0 for entry in entries):
            timeout = min(timeout, 0.05)
        readable = set(select.select(watched, [], [], timeout)[0]) if watched else set()
        for entry in entries:
            if entry.pipe in readable:
                self._drain(entry)
            code = self._poll(entry) if entry.waiter in readable or entry.waiter < 0 else None
            if code is not None:
                ended.append(self._reap(entry, *_ending(code)))
            elif time.monotonic() >= entry.deadline:
                self._kill(entry)
                self._join(entry)
                ended.append(self._reap(entry, "timed out", _("it was stopped after {seconds:g} s",
                                                              seconds=entry.job.timeout)))
        return ended

    def _drain(self, entry: _Running) -> None:
        while entry.pipe is not None:
            try:
                chunk = os.read(entry.pipe, 65536)
            except BlockingIOError:
                return
            if not chunk:
                os.close(entry.pipe)
                entry.pipe = None
                return
            entry.received += chunk

    def _poll(self, entry: _Running) -> int | None:
        """The job's exit code if it has ended (and it is reaped), else None."""
        if entry.process is not None:
            return entry.process.poll()
        pid, raw = os.waitpid(entry.pid, os.WNOHANG)
        return None if pid == 0 else os.waitstatus_to_exitcode(raw)

    def _join(self, entry: _Running) -> None:
        if entry.process is not None:
            entry.process.wait()
            return
        try:
            os.waitpid(entry.pid, 0)
        except ChildProcessError:
            pass

    def _kill(self, entry: _Running) -> None:
        signal_group(entry.pid, signal.SIGKILL)

    def _reap(self, entry: _Running, ended: str, detail: str) -> Finished:
        """Collect a job that ended: its verdicts, its exit, and every process it left."""
        if entry.pipe is not None:
            self._drain(entry)
            if entry.pipe is not None:
                os.close(entry.pipe)
        if entry.waiter >= 0:
            os.close(entry.waiter)
        sweep(entry.job.marker)
        if ended != "done":
            runs.remove_dead()  # grader runs of a killed job: their owner is gone now
        del self.running[entry.pid]
        tail = log_tail(entry.folder / LOG_FILE) if ended != "done" else ""
        return Finished(entry.job, entry.folder, read_verdicts(bytes(entry.received)), ended, detail,
                        time.monotonic() - entry.started, tail)


def _ending(code: int) -> tuple[str, str]:
    if code == 0:
        return "done", ""
    from ..platform.processes import describe_status
    return "crashed", _("its grading process ended with {status}", status=describe_status(code))


def remove(finished: Finished) -> None:
    shutil.rmtree(finished.folder, ignore_errors=True)


def _pidfd(pid: int) -> int:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return -1


def _limits() -> None:
    """Bounds for every process of a job (inherited by its kernel and its apps)."""
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY_BYTES, MAX_MEMORY_BYTES))


def _bounded() -> None:
    """For a job started with Popen: dies with the grader, as a forked one does, within the limits."""
    die_with_parent()
    _limits()


def _child(job: Job, folder: Path, read: int, write: int) -> None:
    """The forked child: a session of its own, dies with its parent, grades the job, exits."""
    code = 1
    try:
        os.close(read)
        os.setsid()
        die_with_parent()
        for signum in CHILD_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        _limits()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        log_to(folder / LOG_FILE)
        os.environ[JOB_MARKER] = job.marker
        os.environ[JOB_FOLDER] = str(folder)
        job.write(folder)
        run(job, folder, pipe_sender(write))
        code = 0
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        os._exit(code)
