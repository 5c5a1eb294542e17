"""Which language to speak: the one asked for, else the notebook's, else the one the usual locale
variables name.

gettext's order is followed: ``LANGUAGE`` (a colon-separated list of preferences), then ``LC_ALL``,
``LC_MESSAGES`` and ``LANG``. ``el_GR.UTF-8``, ``el`` and ``el_CY`` all mean Greek; a language the
grader does not speak falls through to the next preference, and finally to English.
"""
from __future__ import annotations

import os

LANGUAGES = ("en", "el")  # English first: the language of the message ids and the default
DEFAULT = "en"
VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def normalise(value: str | None) -> str | None:
    """``el_GR.UTF-8`` -> ``el``; None for an empty value, ``C`` or ``POSIX``."""
    if not value:
        return None
    code = value.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return None if code in ("", "c", "posix") else code


def from_environment(environ=None) -> str:
    """The first language the locale variables prefer that the grader speaks (English otherwise)."""
    environ = os.environ if environ is None else environ
    for variable in VARIABLES:
        value = environ.get(variable, "")
        if not value:
            continue
        for preference in value.split(":") if variable == "LANGUAGE" else [value]:
            code = normalise(preference)
            if code in LANGUAGES:
                return code
        if variable != "LANGUAGE":  # LC_ALL and friends name one locale: the first one set decides
            return DEFAULT
    return DEFAULT


def choose(lang: str | None = None) -> str:
    """``lang`` when given (ValueError if the grader does not speak it); else the language of the
    notebook this kernel runs, when its metadata names one; else the locale variables'."""
    if lang is None:
        from .notebook import this_notebook_language
        noted = normalise(this_notebook_language())
        return noted if noted in LANGUAGES else from_environment()
    code = normalise(lang)
    if code not in LANGUAGES:
        raise ValueError(f"The grader speaks {', '.join(LANGUAGES)}; there is no {lang!r}.")
    return code
