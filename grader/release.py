"""Building a release: the learner's files, built once, then frozen read-only.

Every worker later starts from a private copy of this directory, so nothing a worker writes can reach
another worker or the next incarnation of itself.
"""
from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from . import procfile
from .processes import run_bounded
from .source import AppSource, BadInput

BUILD_SCRIPT = "build.py"
BUILD_TIMEOUT = 60.0


@dataclass(frozen=True)
class Release:
    """A built, read-only copy of the app and the process types it declares."""

    path: Path
    process_types: dict[str, list[str]]


class BuildFailed(Exception):
    """The app's build command failed; the message carries its exit code and the end of its output."""


def build(source: AppSource, directory: Path, env: dict[str, str]) -> Release:
    """Write the files to ``directory``, run ``build.py`` once if present, then make it read-only."""
    directory.mkdir(parents=True)
    source.write_to(directory)
    text = source.files.get("Procfile")
    try:
        types = procfile.parse(text.decode("utf-8", "replace") if text is not None else None)
    except procfile.ProcfileError as error:
        raise BadInput(str(error)) from None
    if BUILD_SCRIPT in source.files:
        result = run_bounded([sys.executable, BUILD_SCRIPT], cwd=directory, env=env, timeout=BUILD_TIMEOUT)
        if result.returncode != 0:
            raise BuildFailed(
                f"The grader built a release of your app, which runs `python {BUILD_SCRIPT}` once, "
                f"before any worker starts. It {result.describe()}, so no worker could be started. "
                f"Fix {BUILD_SCRIPT} and run the check again. Its last lines of output:\n"
                + "\n".join("    " + line for line in result.tail().splitlines()))
    _freeze(directory)
    return Release(path=directory, process_types=types)


def _freeze(directory: Path) -> None:
    read_only = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    for root, dirs, files in os.walk(directory):
        for name in files + dirs:
            item = Path(root, name)
            item.chmod(item.stat().st_mode & read_only)
    directory.chmod(directory.stat().st_mode & read_only)
