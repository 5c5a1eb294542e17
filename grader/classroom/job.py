"""One submission's grading, in a private copy of the course: the unit that runs in parallel.

A :class:`Job` is plain data (it travels to Dask workers). :func:`run` lays out its course in a folder,
mends the submitted notebooks, and runs nbgrader's own Autograde converter there with the factor-six
chains (:mod:`grader.classroom.chains`). Each verdict is handed to ``send`` as soon as it exists,
before the learner's kernel starts; the caller passes it on through a pipe the kernel never inherits,
so whatever the kernel does later cannot change a score. Once every process of the kernel is dead,
the job makes the feedback page from a fresh copy of the gradebook template (the one the kernel
could reach is discarded). The recorder (:mod:`grader.classroom.record`) writes the real gradebook,
alone.

Run as ``python -m grader.classroom.job FOLDER FD`` (how a Dask worker runs it), it reads the job
that :meth:`Job.write` left in FOLDER and writes verdicts as JSON lines to file descriptor FD.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import profile
from .course import GRADEBOOK
from .repair import Unreadable, read_submission
from .verdicts import Verdicts, as_data

COURSE = "course"  # the job's private course, inside its folder
JOB_FILE = "job.json"
OUTCOME_FILE = "outcome.json"
LOG_FILE = "job.log"
STARTUP_TIMEOUT = 60  # seconds a kernel may take to answer at most (nbclient's own default)


@dataclass(frozen=True)
class Job:
    """One student's submission of one assignment, with everything needed to grade it anywhere."""

    assignment: str
    student: str
    course_id: str
    submitted: str  # the submission's folder, relative to the course root
    autograded: str  # where nbgrader writes it, relative to the course root
    feedback: str  # where its feedback page goes, relative to the course root
    files: dict[str, bytes] = field(repr=False)  # the private course: relative path -> content
    marker: str  # run marker every process of the job carries (grader.platform.processes.RUN_MARKER)
    timeout: float  # seconds the whole job may take
    cell_timeout: float  # seconds one notebook cell may run

    def write(self, folder: Path) -> None:
        """Lay the private course out in ``folder`` and describe the job beside it."""
        root = folder / COURSE
        for name, data in self.files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        meta = {key: getattr(self, key) for key in ("assignment", "student", "course_id", "submitted",
                                                     "autograded", "feedback", "marker", "timeout", "cell_timeout")}
        (folder / JOB_FILE).write_text(json.dumps(meta))

    @classmethod
    def read(cls, folder: Path) -> "Job":
        """The job :meth:`write` left in ``folder`` (of its files, only the gradebook template)."""
        template = (folder / COURSE / GRADEBOOK).read_bytes()
        return cls(files={GRADEBOOK: template}, **json.loads((folder / JOB_FILE).read_text()))


def run(job: Job, folder: Path, send: Callable[[str, Verdicts], None]) -> dict:
    """Grade the job laid out in ``folder``; returns (and writes to outcome.json) the notes per notebook.

    Everything read after the learner's kernel has run is either written by this process after
    every process of the kernel was killed, or was read before the kernel started (the settings,
    the gradebook template): the feedback page starts from a fresh gradebook.
    """
    root = folder / COURSE
    timings = profile.current = profile.Profile()
    try:
        with timings.stage(profile.READ):
            config = _config(job, root)
            notes = _mend(root / job.submitted)
        outcome = {"notes": notes, "error": None}
        if any(path.suffix == ".ipynb" for path in (root / job.submitted).iterdir()):
            errors = _Errors()
            try:
                _autograde(config, send, errors, job.student, timings)
            except Exception as error:  # whatever failed, the recorder still grades from the verdicts it has
                traceback.print_exc()
                outcome["error"] = errors.cause() or f"{type(error).__name__}: {error}"
            else:
                try:
                    with timings.stage(profile.FEEDBACK):
                        _feedback(job, root, config)
                except Exception:  # the notebook ran; the recorder makes the feedback page itself
                    traceback.print_exc()
    finally:
        profile.current = None
    outcome["profile"] = timings.to_dict()
    (folder / OUTCOME_FILE).write_text(json.dumps(outcome))
    return outcome


def _mend(submitted: Path) -> dict[str, list[str]]:
    """Rewrite each submitted notebook as valid JSON nbformat reads; drop the unreadable ones (the
    recorder reports them). Returns the repairs made, per notebook name, as plain data (messages as
    :func:`~grader.classroom.verdicts.as_data` gives them, for the recorder to say in its language)."""
    notes = {}
    for path in sorted(submitted.glob("*.ipynb")):
        try:
            data, fixes = read_submission(path)
        except Unreadable as error:
            path.unlink()
            notes[path.stem] = [as_data(error.args[0]) if error.args else str(error)]
            continue
        path.write_text(json.dumps(data), encoding="utf-8")
        notes[path.stem] = [as_data(note) for note in fixes]
    return notes


class _Errors(logging.Handler):
    """Collects what nbgrader logs as errors: it logs a submission's real failure, then raises a
    generic exception."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def cause(self) -> str | None:
        """The last line of the first traceback nbgrader logged (the exception itself)."""
        for message in self.messages:
            if message.startswith("Traceback"):
                return message.strip().splitlines()[-1]
        return None


def _config(job: Job, root: Path):
    """The course's settings, pointed at the private copy, with the factor-six chains."""
    from traitlets.config.loader import PyFileConfigLoader

    from . import chains
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / GRADEBOOK}"
    config.CourseDirectory.course_id = job.course_id
    config.CourseDirectory.assignment_id = job.assignment
    config.CourseDirectory.student_id = job.student
    config.Execute.timeout = int(max(1, job.cell_timeout))
    # A kernel gets no longer to start than a cell gets to run: one that never answers is then a
    # note in the notebook, and the job ends well within its own time limit.
    config.Execute.startup_timeout = int(max(1, min(STARTUP_TIMEOUT, job.cell_timeout)))
    chains.configure(config)
    return config


def _autograde(config, send: Callable[[str, Verdicts], None], errors: logging.Handler, student: str,
               timings: profile.Profile) -> None:
    """nbgrader's Autograde on the private course; its steps are timed into ``timings``, and what is
    left of its time (finding files, its own gradebook rows) is the set-up stage."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    from . import steps
    log = logging.getLogger(f"grader.classroom.job.{student}")
    log.addHandler(errors)
    steps.verdict_sink = send
    before = {name: list(entry) for name, entry in timings.stages.items()}
    wall, cpu = time.monotonic(), profile.cpu_seconds()
    try:
        with profile.timing_steps(timings):
            converter = Autograde(coursedir=CourseDirectory(config=config), config=config, log=log)
            converter.force = True
            converter.start()
    finally:
        inside = [sum(entry[i] - before.get(name, [0.0, 0.0])[i] for name, entry in timings.stages.items())
                  for i in (0, 1)]
        timings.add(profile.SETUP, time.monotonic() - wall - inside[0], profile.cpu_seconds() - cpu - inside[1])
        steps.verdict_sink = None
        log.removeHandler(errors)


def _feedback(job: Job, root: Path, config, log=None) -> None:
    """The feedback page, from a fresh copy of the gradebook template and the autograded notebooks."""
    import nbformat
    from nbgrader.coursedir import CourseDirectory

    from . import gradebook
    (root / GRADEBOOK).write_bytes(job.files[GRADEBOOK])
    notebooks = {path.stem: nbformat.read(path, as_version=4) for path in sorted((root / job.autograded).glob("*.ipynb"))}
    coursedir = CourseDirectory(config=config)
    gradebook.save(config, coursedir.db_url, job.course_id, job.assignment, job.student,
                   gradebook.timestamp(coursedir, root / job.submitted), notebooks)
    gradebook.feedback(config, job.student, job.assignment, log=log)


def pipe_sender(fd: int) -> Callable[[str, Verdicts], None]:
    """A ``send`` that writes one JSON line per verdict to ``fd`` (which must not be inheritable)."""
    def send(notebook: str, verdicts: Verdicts) -> None:
        line = json.dumps({"notebook": notebook, "verdicts": verdicts.to_dict()}) + "\n"
        data = line.encode()
        while data:
            data = data[os.write(fd, data):]
    return send


def read_verdicts(data: bytes) -> dict[str, Verdicts]:
    """Parse what a job sent through its pipe; a line cut short (the job was killed) is ignored."""
    found = {}
    for line in data.splitlines():
        try:
            message = json.loads(line)
            found[message["notebook"]] = Verdicts.from_dict(message["verdicts"])
        except (ValueError, KeyError, TypeError):
            continue
    return found


def log_to(path: Path) -> None:
    """Send this process's nbgrader log and its stdout and stderr to ``path``."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(handle, 1)
    os.dup2(handle, 2)
    os.close(handle)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def log_tail(path: Path, lines: int = 6, limit: int = 4096) -> str:
    """The last ``lines`` lines of a job's log (read from its last ``limit`` bytes), or ""."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - limit))
            data = handle.read()
    except OSError:
        return ""
    return "\n".join(data.decode("utf-8", "replace").rstrip().splitlines()[-lines:])


def main(argv: list[str]) -> int:
    folder, fd = Path(argv[0]), int(argv[1])
    os.set_inheritable(fd, False)
    log_to(folder / LOG_FILE)
    try:
        run(Job.read(folder), folder, pipe_sender(fd))
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
