"""Building a release: the learner's files, built once, then frozen read-only.

Every worker later starts from a private copy of this directory, so nothing a worker writes can reach
another worker or the next incarnation of itself. The platform keeps a record of each build (its
output, how long it took, which of the release's files it wrote), as a real platform keeps a build
log per release; a new release of changed files is another call to :func:`build`.
"""
from __future__ import annotations

import os
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import procfile
from .processes import run_bounded
from .source import AppSource
from ..errors import BadInput
from ..i18n import _

BUILD_SCRIPT = "build.py"
BUILD_TIMEOUT = 60.0


@dataclass(frozen=True)
class BuildRecord:
    """What the platform saw of one run of ``build.py``.

    ``token`` marks the build's own audit records on the event bus (every file it opened, inside the
    release or elsewhere); ``written`` lists the release's files (relative paths) that the build
    created or changed; ``seconds`` is how long it ran; ``home`` and ``tmp`` are the build's own
    HOME and TMPDIR, which do not ship with the release.
    """

    token: str
    output: str
    seconds: float
    written: tuple[str, ...]
    home: str = ""
    tmp: str = ""


@dataclass(frozen=True)
class Release:
    """A built, read-only copy of the app and the process types it declares.

    ``version`` counts the releases of one platform (1, 2, ...); ``source`` is what it was built
    from, so a new release can be built from it with a few files changed; ``build`` is None when the
    app has no ``build.py``.
    """

    path: Path
    process_types: dict[str, list[str]]
    source: AppSource
    version: int = 1
    build: BuildRecord | None = None


class BuildFailed(Exception):
    """The app's build command failed; the message (a :class:`~grader.i18n.Message`, ``args[0]``)
    carries its exit code and the end of its output."""


def build(source: AppSource, directory: Path, env: dict[str, str], *, version: int = 1,
          token: str = "") -> Release:
    """Write the files to ``directory``, run ``build.py`` once if present, then make it read-only.

    ``env`` is the build's whole environment; ``token`` names the build in the audit records its
    environment may ask for. Raises BadInput for a broken Procfile, BuildFailed when build.py fails.
    """
    directory.mkdir(parents=True)
    source.write_to(directory)
    text = source.files.get("Procfile")
    try:
        types = procfile.parse(text.decode("utf-8", "replace") if text is not None else None)
    except procfile.ProcfileError as error:
        raise BadInput(error.args[0]) from None
    record = None
    if BUILD_SCRIPT in source.files:
        before = _snapshot(directory)
        started = time.monotonic()
        result = run_bounded([sys.executable, BUILD_SCRIPT], cwd=directory, env=env, timeout=BUILD_TIMEOUT)
        seconds = time.monotonic() - started
        if result.returncode != 0:
            output = "\n".join("    " + line for line in result.tail().splitlines())
            raise BuildFailed(_(
                "The grader built a release of your app, which runs `python build.py` once, before any "
                "worker starts. It {outcome}, so no worker could be started. Fix build.py and run the check "
                "again. Its last lines of output:\n{output}", outcome=result.describe(), output=output))
        after = _snapshot(directory)
        written = tuple(name for name, state in after.items() if before.get(name) != state)
        record = BuildRecord(token, result.output, seconds, written, env.get("HOME", ""), env.get("TMPDIR", ""))
    _freeze(directory)
    return Release(directory, types, source, version, record)


def _snapshot(directory: Path) -> dict[str, tuple[int, int, int]]:
    """relative path -> (inode, size, mtime in ns) of every file: what a build changed shows as a difference."""
    found = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            path = Path(root, name)
            info = path.lstat()
            found[path.relative_to(directory).as_posix()] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return found


def _freeze(directory: Path) -> None:
    read_only = ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    for root, dirs, files in os.walk(directory):
        for name in files + dirs:
            item = Path(root, name)
            item.chmod(item.stat().st_mode & read_only)
    directory.chmod(directory.stat().st_mode & read_only)
