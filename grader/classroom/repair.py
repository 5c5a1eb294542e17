"""Reading a submitted notebook however damaged it is, and mending what nbgrader would choke on.

nbgrader stops grading a submission (or, for outdated metadata, the whole batch) on a notebook it
cannot read or validate. Here a damaged notebook is read as far as it can be, each repair is written
down as a note for the instructor, and only a file that is not a notebook at all is given up on:

- :func:`read_submission` (plain JSON, before nbgrader sees the file): invalid JSON, a file that is
  not a notebook, cells that are not cells, duplicated or missing cell ids;
- :class:`RepairCells` (an nbgrader preprocessor, first of the sanitizing steps): broken or outdated
  nbgrader metadata, a graded cell that appears twice, and graded cells that were deleted, which are
  put back from the gradebook as nbgrader's own ``OverwriteCells.add_missing_cells`` would.

The notes are messages (grader.i18n); in a notebook's metadata, which holds text, they are written in
the instructor's language (the locale variables').
"""
from __future__ import annotations

import json
import uuid
from pathlib import Path

from nbformat import from_dict
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells

from ..i18n import _, _n, choose, render

MAX_NOTEBOOK_BYTES = 256 * 2**20  # a bigger file is not read at all
CELL_TYPES = {"code", "markdown", "raw"}
NOTES = "factor_six_notes"  # notebook metadata key where repairs are written down


class Unreadable(Exception):
    """The file cannot be read as a notebook at all; the message (``args[0]``, a grader.i18n message)
    says why, for the instructor."""


def read_submission(path: Path) -> tuple[dict, list[str]]:
    """The notebook at ``path`` as a version 4 notebook dict, mended, and the notes on what was mended.

    Outputs are dropped (nbgrader's sanitizing clears them anyway), so a notebook made huge by its
    outputs costs nothing after this. Raises Unreadable for a file that is too big, not JSON, or
    JSON but not a notebook.
    """
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(_("{name} is {size:.0f} MiB; notebooks over {limit} MiB are not graded.", name=path.name,
                           size=size / 2**20, limit=MAX_NOTEBOOK_BYTES // 2**20))
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        why = str(getattr(error, "msg", error))
        if isinstance(error, json.JSONDecodeError):
            raise Unreadable(_("{name} is not valid JSON at line {line}, column {column} ({error}); it was "
                               "probably cut short while being saved or copied. Ask for it again.", name=path.name,
                               line=error.lineno, column=error.colno, error=why)) from None
        raise Unreadable(_("{name} is not valid JSON ({error}); it was probably cut short while being saved or "
                           "copied. Ask for it again.", name=path.name, error=why)) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise Unreadable(_("{name} is JSON but not a notebook: it has no list of cells.", name=path.name))
    if data.get("nbformat") != 4:
        return _upgraded(data, path), []
    notes: list[str] = []
    data["cells"] = _cells(data["cells"], notes)
    data["metadata"] = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    minor = data.get("nbformat_minor")
    data["nbformat_minor"] = max(minor, 5) if isinstance(minor, int) and not isinstance(minor, bool) else 5
    return data, notes


def _upgraded(data: dict, path: Path) -> dict:
    import nbformat
    try:
        return json.loads(nbformat.writes(nbformat.reads(json.dumps(data), as_version=4)))
    except Exception as error:  # nbformat raises many kinds of errors for old or odd files
        raise Unreadable(_("{name} is an old or unknown notebook format ({error}).", name=path.name,
                           error=str(error))) from None


def _cells(cells: list, notes: list) -> list[dict]:
    """Cells that nbformat accepts: known types, text sources, dict metadata, unique ids."""
    mended, seen, dropped, renamed = [], set(), 0, 0
    for cell in cells:
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str) \
                or cell["cell_type"] not in CELL_TYPES:
            dropped += 1
            continue
        source = cell.get("source", "")
        cell["source"] = "".join(map(str, source)) if isinstance(source, list) else str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None  # nbgrader clears them first thing too
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        identity = cell.get("id")
        if not isinstance(identity, str) or not identity or identity in seen:
            renamed += identity is not None
            identity = uuid.uuid4().hex[:8]
        cell["id"] = identity
        seen.add(identity)
        mended.append(cell)
    if dropped:
        notes.append(_n("{count} entry in the list of cells was not a cell and was left out.",
                        "{count} entries in the list of cells were not a cell and were left out.", dropped))
    if renamed:
        notes.append(_n("{count} cell repeated another cell's id and got a new one.",
                        "{count} cells repeated another cell's id and got a new one.", renamed))
    return mended


class RepairCells(NbGraderPreprocessor):
    """Mend nbgrader metadata so that the rest of the chain grades the notebook instead of failing.

    Notes land in the notebook's metadata (``factor_six_notes``), where ``grader autograde`` reads them.
    """

    def preprocess(self, nb, resources):
        notes = list(nb.metadata.get(NOTES, []))
        self._metadata(nb, notes)
        self._duplicates(nb, notes)
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            try:
                source = gradebook.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                source = None
            if source is not None:
                self._restore(nb, source, notes)
        if notes:
            nb.metadata[NOTES] = [render(note, choose(None)) for note in notes]  # text, for the instructor
        return nb, resources

    def _metadata(self, nb, notes: list[str]) -> None:
        validator = MetadataValidator()
        for cell in nb.cells:
            if "nbgrader" not in cell.metadata:
                continue
            meta = cell.metadata["nbgrader"]
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            try:
                if not isinstance(meta, dict) or not meta:
                    raise ValueError("empty")
                validator.upgrade_cell_metadata(cell)
                validator.validate_cell(cell)
            except Exception:  # jsonschema, nbgrader and plain errors alike mean: unusable metadata
                del cell.metadata["nbgrader"]
                notes.append(_("Cell {grade_id} had damaged nbgrader metadata; it was treated as a plain cell.",
                               grade_id=repr(grade_id)) if grade_id else
                             _("Cell with id {id} had damaged nbgrader metadata; it was treated as a plain cell.",
                               id=cell.get("id", "?")))

    def _duplicates(self, nb, notes: list[str]) -> None:
        """Keep nbgrader metadata on the last cell of each grade_id, as nbgrader does, but drop it
        from the others entirely (nbgrader leaves ``{}``, which then fails validation)."""
        last = {}
        for index, cell in enumerate(nb.cells):
            if _tracked(cell):
                last[cell.metadata["nbgrader"]["grade_id"]] = index
        for index, cell in enumerate(nb.cells):
            if _tracked(cell) and last[cell.metadata["nbgrader"]["grade_id"]] != index:
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                del cell.metadata["nbgrader"]
                notes.append(_("Cell {grade_id} appeared more than once; the last copy was graded.",
                               grade_id=repr(grade_id)))

    def _restore(self, nb, source, notes: list[str]) -> None:
        """Put back graded and task cells the submission lacks, after the nearest earlier cell it has."""
        present = {cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells if _tracked(cell)}
        order = [cell.name for cell in source.source_cells]
        points = {cell.name: cell.max_score for cell in list(source.grade_cells) + list(source.task_cells)}
        solutions = {cell.name for cell in source.solution_cells}
        tasks = {cell.name for cell in source.task_cells}
        transform = OverwriteCells(parent=self).missing_cell_transform
        for position, cell in enumerate(source.source_cells):
            if cell.name not in points or cell.name in present:
                continue
            restored = from_dict(transform(cell, points[cell.name], is_solution=cell.name in solutions,
                                           is_task=cell.name in tasks))
            earlier = [name for name in order[:position] if name in present]
            nb.cells.insert(_after(nb, earlier[-1]) if earlier else 0, restored)
            present.add(cell.name)
            notes.append(_("Cell {grade_id} was missing; it was put back from the assignment and graded.",
                           grade_id=repr(cell.name)))


def _tracked(cell) -> bool:
    """Whether nbgrader identifies this cell by its grade_id (see DeduplicateIds)."""
    meta = cell.metadata.get("nbgrader")
    return (isinstance(meta, dict) and bool(meta.get("grade_id"))
            and (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)
                 or meta.get("task", False)))


def _after(nb, grade_id: str) -> int:
    for index, cell in enumerate(nb.cells):
        if _tracked(cell) and cell.metadata["nbgrader"]["grade_id"] == grade_id:
            return index + 1
    return len(nb.cells)
