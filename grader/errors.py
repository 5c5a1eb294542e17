"""The errors a person sees, and how they show in a notebook.

Each of these carries a message written for a learner or an instructor, complete in itself. IPython
calls ``_render_traceback_`` when an exception has one, so in a notebook these show their message
alone: the grader's own stack frames say nothing a learner can act on. This module imports nothing
of the grader, so every layer may raise them.
"""
from __future__ import annotations


class Readable:
    """Mixin: show only ``prefix`` + the message in a notebook, never a traceback."""

    prefix = ""

    def _render_traceback_(self) -> list[str]:
        return f"{self.prefix}{self}".splitlines()


class BadInput(Readable, Exception):
    """The learner's input cannot be graded at all (missing file, no app cells, ...).

    The message is one line; the CLI prints it and exits with code 2.
    """

    prefix = "grader: "


class LearnerError(Readable, Exception):
    """An error whose message is all a learner needs (a stopped cluster, an unknown worker)."""


class CheckFailed(Readable, AssertionError):
    """A graded check did not pass (what ``grader.assert_check`` raises in an nbgrader test cell);
    the message is the check's feedback."""

    @property
    def prefix(self) -> str:
        return f"{type(self).__name__}: "


def rendered(error: BaseException) -> list[str] | None:
    """The lines a notebook shows for ``error`` when it renders itself, else None."""
    render = getattr(error, "_render_traceback_", None)
    return render() if callable(render) else None
