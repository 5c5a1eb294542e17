"""The Procfile: which process types an app has and the command of each.

An app without a Procfile gets the conventional one, ``web: gunicorn app:app``.
"""
from __future__ import annotations

import re
import shlex

from ..i18n import _

DEFAULT = {"web": "gunicorn app:app"}
LINE = re.compile(r"^(?P<type>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")


class ProcfileError(ValueError):
    """A Procfile line that does not read as ``type: command``; the message (``args[0]``) is a
    :class:`~grader.i18n.Message`."""


def parse(text: str | None) -> dict[str, list[str]]:
    """Return process type → argv (no shell is involved, so pipes and ``&&`` are not supported)."""
    if text is None:
        return {kind: shlex.split(command) for kind, command in DEFAULT.items()}
    types: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if not match:
            raise ProcfileError(_("Procfile line {number} should read `type: command`, not {line}.", number=number,
                                  line=repr(line)))
        try:
            types[match["type"]] = shlex.split(match["command"])
        except ValueError as error:
            raise ProcfileError(_("Procfile line {number}: {error}.", number=number, error=str(error))) from None
    if not types:
        raise ProcfileError(_("the Procfile names no process type; add at least `web: gunicorn app:app`."))
    return types


PYTHONS = {"python", "python3"}


def python_script(argv: list[str]) -> str | None:
    """The script of a ``python SCRIPT.py [ARGS]`` command (no interpreter options), else None."""
    if len(argv) >= 2 and argv[0] in PYTHONS and argv[1].endswith(".py"):
        return argv[1]
    return None
