"""Reading a learner's app: either a directory of files or the ``%%writefile`` cells of a notebook.

The notebook is read as plain JSON on purpose: importing nbformat costs about two seconds, and all we
need is the source of the code cells.
"""
from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..i18n import _

APP_ENTRY = "app.py"
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".git"}
MAX_FILES = 200
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class AppSource:
    """The files of a learner's app, relative path → bytes, plus where they came from."""

    origin: str
    files: dict[str, bytes]
    notes: tuple[str, ...] = ()  # warnings about the input, e.g. an app.py older than its notebook cell

    def write_to(self, directory: Path) -> None:
        for name, data in self.files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def load(path: str | Path) -> AppSource:
    """Load an app from a directory or a notebook; raise BadInput with a clear message otherwise."""
    path = Path(path)
    if not path.exists():
        raise BadInput(_("{path} does not exist. Give the folder that holds app.py, or your exercise notebook.",
                         path=str(path)))
    if path.is_dir():
        source = _from_directory(path)
    elif path.suffix == ".ipynb":
        source = _from_notebook(path)
    else:
        raise BadInput(_("{path} is neither a folder nor a notebook (.ipynb).", path=str(path)))
    if APP_ENTRY not in source.files:
        if path.is_dir():
            _raise_unrun_cell(path)
        shown = str(path.resolve() if path.is_dir() else path)  # "." says nothing in a notebook
        if path.suffix == ".ipynb":
            raise BadInput(_("{path} has no %%writefile app.py cell. Write your app in app.py (a WSGI callable "
                             "named `app`).", path=shown))
        raise BadInput(_("{path} has no app.py. Write your app in app.py (a WSGI callable named `app`).",
                         path=shown))
    return source


def _raise_unrun_cell(directory: Path) -> None:
    """The clearer message for a learner who wrote the %%writefile cell but never ran it."""
    for notebook, cells in _notebooks_in(directory):
        if APP_ENTRY in cells:
            raise BadInput(_("there is no app.py next to {notebook} yet: run its `%%writefile app.py` cell "
                             "(Shift+Enter), which saves your app to app.py, then run this cell again.",
                             notebook=notebook.name))


def _stale_files(directory: Path, files: dict[str, bytes]) -> list[str]:
    """Warnings for files older than, and different from, a notebook's %%writefile cell beside them."""
    notes = []
    for notebook, cells in _notebooks_in(directory):
        saved = notebook.stat().st_mtime
        for name, body in cells.items():
            written = (directory / name).stat().st_mtime if name in files else None
            if written is None:
                notes.append(_("{notebook} has a `%%writefile {name}` cell that was never run, so {name} was "
                               "not graded: run that cell, then grade again.", notebook=notebook.name, name=name))
            elif saved > written and body.rstrip(b"\n") != files[name].rstrip(b"\n"):
                notes.append(_("{name} was written at {written}, but {notebook} was saved later, at {saved}, "
                               "with a different `%%writefile {name}` cell. The grader ran the older {name}: run "
                               "that cell (Shift+Enter) to save your latest code, then grade again.",
                               name=name, written=_clock(written), notebook=notebook.name, saved=_clock(saved)))
    return notes


def _notebooks_in(directory: Path):
    """(notebook, {file name: body}) for each readable notebook in ``directory`` with %%writefile cells."""
    for notebook in sorted(directory.glob("*.ipynb")):
        try:
            cells = _from_notebook(notebook).files
        except BadInput:
            continue
        if cells:
            yield notebook, cells


def _clock(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _from_directory(directory: Path) -> AppSource:
    files: dict[str, bytes] = {}
    total = 0
    for item in sorted(directory.rglob("*")):
        relative = item.relative_to(directory)
        if any(part in IGNORED_NAMES or part.startswith(".") for part in relative.parts):
            continue
        if not item.is_file() or item.suffix in {".ipynb", ".db", ".sqlite", ".pyc"}:
            continue
        total += item.stat().st_size
        if len(files) >= MAX_FILES or total > MAX_BYTES:
            raise BadInput(_("{directory} holds more than {count} files or {mib} MiB; give the app's own folder.",
                             directory=str(directory), count=MAX_FILES, mib=MAX_BYTES // 2**20))
        files[relative.as_posix()] = item.read_bytes()
    origin = str(directory)
    if APP_ENTRY in files:
        origin = _("{path}, written {time}", path=str(directory / APP_ENTRY),
                   time=_clock((directory / APP_ENTRY).stat().st_mtime))
    return AppSource(origin=origin, files=files, notes=tuple(_stale_files(directory, files)))


def _from_notebook(notebook: Path) -> AppSource:
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise BadInput(_("{notebook} is not a readable notebook ({error}).", notebook=str(notebook),
                         error=str(error))) from None
    if not isinstance(cells, list):
        raise BadInput(_("{notebook} is not a readable notebook (its cells are not a list).",
                         notebook=str(notebook)))
    return AppSource(origin=str(notebook), files=files_from_cells(cells))


def files_from_cells(cells: list) -> dict[str, bytes]:
    """The files a notebook's ``%%writefile`` cells write, in cell order; nothing is executed.

    Cells that are not code cells, or not dictionaries at all (a damaged notebook), are passed over.
    """
    files: dict[str, bytes] = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        written = writefile_cell("".join(map(str, text)) if isinstance(text, list) else str(text))
        if written is None:
            continue
        name, append, body = written
        data = body.encode("utf-8")
        files[name] = files.get(name, b"") + data if append else data
    return files


def writefile_cell(text: str) -> tuple[str, bool, str] | None:
    """Parse a ``%%writefile [-a] NAME`` cell into (name, append, body), or None for other cells."""
    first, _newline, body = text.partition("\n")
    if not first.startswith("%%writefile"):
        return None
    try:
        words = shlex.split(first[len("%%writefile"):])
    except ValueError:
        return None
    append = "-a" in words or "--append" in words
    names = [word for word in words if not word.startswith("-")]
    if len(names) != 1:
        return None
    name = Path(names[0])
    if name.is_absolute() or ".." in name.parts:
        raise BadInput(_("%%writefile {name}: write your app's files next to the notebook (a relative path).",
                         name=names[0]))
    return name.as_posix(), append, body if body.endswith("\n") or not body else body + "\n"
