"""The errors a person sees, and how they show in a notebook.

Each of these carries a message written for a learner or an instructor, complete in itself. IPython
calls ``_render_traceback_`` when an exception has one, so in a notebook these show their message
alone: the grader's own stack frames say nothing a learner can act on. A message may be a
:class:`~grader.i18n.Message`: a notebook then shows it in the language the locale variables name.
This module imports nothing of the grader but its languages (``grader.i18n``), so every layer may
raise them.
"""
from __future__ import annotations

from .i18n import from_environment


class Readable:
    """Mixin: show only ``prefix`` + the message in a notebook, never a traceback."""

    prefix = ""

    def in_language(self, lang: str | None = None) -> str:
        """``prefix`` + the message, in ``lang`` (by default the one the locale variables name)."""
        message = self.args[0] if len(self.args) == 1 else None
        if hasattr(message, "render"):
            return f"{self.prefix}{message.render(lang or from_environment())}"
        return f"{self.prefix}{self}"

    def _render_traceback_(self) -> list[str]:
        return self.in_language().splitlines()


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


def rendered(error: BaseException, lang: str | None = None) -> list[str] | None:
    """The lines a notebook shows for ``error`` when it renders itself (in ``lang``, by default the
    one the locale variables name), else None."""
    if isinstance(error, Readable):
        return error.in_language(lang).splitlines()
    render = getattr(error, "_render_traceback_", None)
    return render() if callable(render) else None
