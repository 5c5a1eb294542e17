"""``grader autograde ASSIGNMENT``: grade every submission of an nbgrader assignment, in parallel.

Run in the course folder. Each submission becomes a :class:`~grader.classroom.job.Job`, graded on this
machine by :class:`~grader.classroom.local.LocalPool` (``--jobs N`` at a time) or on a Dask cluster by
:class:`~grader.classroom.remote.DaskPool` (``--scheduler``); as each one ends, the
:class:`~grader.classroom.record.Recorder` writes it into the gradebook, ``autograded/`` and
``feedback/``, the same files ``nbgrader autograde`` and ``nbgrader generate_feedback`` write.
"""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Iterator

from ..i18n import N_, _, choose
from ..platform import runs
from ..platform.forkserver import RUN_TAG
from ..errors import BadInput
from . import profile
from .course import Course, Submission
from .job import Job
from .local import LocalPool, remove
from .record import Recorded, Recorder
from .summary import Batch, progress

TIMEOUT = 300.0  # seconds one submission may take, verdicts and notebook together
CELL_SHARE = 3  # one notebook cell may take at most this fraction (1/3) of a submission's time
THIS_MACHINE = N_("this machine")  # where the jobs ran, without a scheduler


def autograde(assignment: str, root: Path | str = ".", *, jobs: int | None = None, student: str = "*",
              force: bool = False, scheduler: str | None = None, timeout: float = TIMEOUT,
              lang: str | None = None) -> Batch:
    """Grade ``assignment``'s submissions in the course at ``root``; raises BadInput for unusable input.
    The batch reports in ``lang`` (by default the one the locale variables name)."""
    lang = choose(lang)
    started = time.monotonic()
    course = Course(Path(root))
    recorder = Recorder(course, assignment)
    submissions = course.submissions(assignment, student)
    if not submissions:
        where = course.relative(course.coursedir.submitted_directory, student, assignment)
        raise BadInput(_("no submissions of {assignment} match {where}/ in {root}.", assignment=repr(assignment),
                         where=str(where), root=str(course.root)))
    todo = [item for item in submissions if course.should_grade(assignment, item, force)]
    done = [_skipped(recorder, item) for item in submissions if item not in todo]
    work = runs.create(os.environ.get(RUN_TAG, "") + "classroom-" + uuid.uuid4().hex[:12])
    startup = profile.since_start()  # start-up and imports, up to the first job
    try:
        pool, where, width = _pool(scheduler, work, jobs)
        try:
            done += _grade(recorder, pool, _jobs(course, recorder, assignment, todo, timeout), len(todo), lang)
        finally:
            if scheduler:
                pool.close()
    finally:
        runs.clean(work)
    done.sort(key=lambda item: item.student)
    own = os.times()
    return Batch(assignment, done, time.monotonic() - started, width, where, lang, startup, own.user + own.system)


def _pool(scheduler: str | None, work: Path, jobs: int | None):
    if scheduler:
        from .remote import DaskPool
        pool = DaskPool(scheduler, work)
        return pool, scheduler, pool.threads
    width = jobs or os.cpu_count() or 1
    return LocalPool(width, work), THIS_MACHINE, width


def _grade(recorder: Recorder, pool, jobs: Iterator[Job], total: int, lang: str = "en") -> list[Recorded]:
    recorded = []
    with progress(total, lang) as bar:
        for finished in pool.run(jobs):
            try:
                recorded.append(recorder.record(finished))
            except Exception as error:  # a grader bug costs this submission its record, never the batch
                recorded.append(_failed(recorder, finished.job.student, error))
            finally:
                remove(finished)
            bar.update(1)
    return recorded


def _jobs(course: Course, recorder: Recorder, assignment: str, todo: list[Submission],
          timeout: float) -> Iterator[Job]:
    """Jobs built one at a time, as slots free up, so a big class is never all in memory at once."""
    template = course.template_gradebook(assignment)
    configured = course.config.get("Execute", {}).get("timeout", 30)
    cell_timeout = min(configured or timeout, timeout / CELL_SHARE)
    coursedir = course.coursedir
    for item in todo:
        files, recorder.notes[item.student] = course.job_files(assignment, item, template)
        yield Job(assignment=assignment, student=item.student, course_id=course.course_id,
                  submitted=str(course.relative(coursedir.submitted_directory, item.student, assignment)),
                  autograded=str(course.relative(coursedir.autograded_directory, item.student, assignment)),
                  feedback=str(course.relative(coursedir.feedback_directory, item.student, assignment)),
                  files=files, marker=os.environ.get(RUN_TAG, "") + "job-" + uuid.uuid4().hex[:12],
                  timeout=timeout, cell_timeout=cell_timeout)


def _failed(recorder: Recorder, student: str, error: Exception) -> Recorded:
    try:
        score, max_score = recorder.score(student)
    except Exception:  # nothing recorded for this student at all
        score, max_score = 0.0, 0.0
    said = f"{type(error).__name__}: {error}"
    return Recorded(student, score, max_score, "error", 0.0,
                    [_("The grader failed while recording this submission ({error}). Grade it again with --student "
                       "and --force; if it fails again, please report it.", error=said)])


def _skipped(recorder: Recorder, item: Submission) -> Recorded:
    score, max_score = recorder.score(item.student)
    return Recorded(item.student, score, max_score, "skipped", 0.0,
                    [_("Graded before and not handed in again since: use --force to grade it again.")])
