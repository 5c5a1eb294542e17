"""The languages the grader speaks: every sentence a person reads is a gettext message.

A check builds its feedback from :func:`_` messages with named placeholders, never from finished
strings, so that one grading run can be rendered in English or in Greek (``render(message, "el")``)
without grading twice. English, the language of the message ids, is the default.
"""
from .language import LANGUAGES, choose, from_environment
from .message import Message, N_, Text, _, _n, render, translate

__all__ = ["LANGUAGES", "Message", "N_", "Text", "_", "_n", "choose", "from_environment", "render", "translate"]
