"""The language a notebook is written in, as its metadata says: ``{"factor_six": {"lang": "el"}}``.

A Greek lesson or exercise carries that line, so that what the grader shows inside it (reports,
feedback, the dashboard) is Greek whatever the learner's or the instructor's locale. A kernel that
JupyterLab started knows its notebook from ``JPY_SESSION_NAME`` (the notebook's path, which
jupyter_server sets); a kernel started otherwise (nbconvert, nbclient) sets it by hand or not at all.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

SESSION = "JPY_SESSION_NAME"


def language_of(notebook: dict) -> str | None:
    """The language a notebook's metadata names, or None."""
    value = (notebook.get("metadata") or {}).get("factor_six", {})
    lang = value.get("lang") if isinstance(value, dict) else None
    return lang if isinstance(lang, str) and lang else None


def this_notebook_language(environ=None) -> str | None:
    """The language of the notebook this kernel runs, when it can be known."""
    environ = os.environ if environ is None else environ
    path = Path(environ.get(SESSION, ""))
    if path.suffix != ".ipynb":
        return None
    try:
        return _read(str(path.resolve()), path.stat().st_mtime)
    except OSError:
        return None


@lru_cache(maxsize=8)
def _read(path: str, _mtime: float) -> str | None:
    try:
        return language_of(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        return None
