"""A rehearsal in the autograde process, so that every forked job starts warm.

A job is forked from the autograde process and inherits what that process has already done. Done
for the first time, nbgrader's steps, the gradebook's database layer, the notebook format's schema
validation and the HTML export of the feedback page cost about half a CPU second on top of their
steady cost (imports made on first use, templates compiled, schemas built); forked from a process
that has done them once, every job skips that.

So before the first fork, :func:`rehearse` grades the first submission of the batch in this process
with nothing of the learner's run: the notebook is mended, sanitized and recorded in a scratch copy
of its private course, and its feedback page made, with no kernel and no check (those steps are
left out of the chain). Nothing it does is kept: the folder is removed, and the job itself is then
graded like any other. It starts no thread and no process, so forking afterwards stays safe.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from . import chains
from .job import COURSE, Job, _config, _feedback, _mend

# The autograde chain without the steps that grade, run the kernel, or need what those made.
LEFT_OUT = ("grader.classroom.steps.GradeOutsideKernel", "grader.classroom.execution.ContainedExecute",
            "grader.classroom.steps.ApplyVerdicts")
QUIET = logging.getLogger("grader.classroom.warmup")
QUIET.propagate = False
QUIET.addHandler(logging.NullHandler())


def rehearse(job: Job, work: Path) -> bool:
    """Grade ``job`` once without its kernel or its checks, in a scratch folder under ``work``, to warm
    this process; True if it went through. Never raises: a rehearsal that fails only costs its time."""
    folder = Path(tempfile.mkdtemp(prefix="rehearsal-", dir=work))
    try:
        job.write(folder)
        root = folder / COURSE
        config = _config(job, root)
        config.Autograde.autograde_preprocessors = [step for step in chains.AUTOGRADE if step not in LEFT_OUT]
        _mend(root / job.submitted)
        if not any(path.suffix == ".ipynb" for path in (root / job.submitted).iterdir()):
            return False
        from nbgrader.converters import Autograde
        from nbgrader.coursedir import CourseDirectory
        converter = Autograde(coursedir=CourseDirectory(config=config), config=config, log=QUIET)
        converter.force = True
        converter.start()
        _feedback(job, root, config, log=QUIET)
        return True
    except Exception as error:  # noqa: BLE001 - a rehearsal is an optimisation, never a failure
        QUIET.debug("rehearsal failed: %s", error)
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)
