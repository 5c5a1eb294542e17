"""Rewrite the navigation of the course notebooks: run it after adding, renaming or editing a notebook.

Every ``NN.MM-Title.ipynb`` here gets two generated markdown cells with the same links (previous
notebook, contents, next notebook): one right after its H1 title cell, and one as its very last
cell, so that a reader who reaches the end never has to scroll back up. ``00.00-Introduction.ipynb``
also gets its list of contents, wherever that cell stands (before the bottom navigation if it is
new). Generated cells are recognised by their first line, a marker comment; only they are ever
written, moved or removed (a duplicate, or one that drifted away from its place, is put back), so
the diff of a run shows nothing but navigation.

The Greek edition in ``el/`` (the same file names) gets the same cells in Greek, and each edition's
list of contents links to the other's.

``--check`` changes nothing and exits 1 when a notebook's navigation is missing, stale or out of
place, naming the notebook (the test suite runs it). A notebook without an H1 first cell raises
ValueError.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parent
# Each edition: its folder, its word for "Contents", and the line of its contents that links to the
# other edition's (written only while that one exists).
EDITIONS = (
    (COURSE, "Contents", "el/00.00-Introduction.ipynb",
     "*The course in Greek: [Ελληνική έκδοση](el/00.00-Introduction.ipynb).*"),
    (COURSE / "el", "Περιεχόμενα", "../00.00-Introduction.ipynb",
     "*Το μάθημα στα αγγλικά: [English edition](../00.00-Introduction.ipynb).*"),
)
CONTENTS_NOTEBOOK = "00.00-Introduction.ipynb"
TOP_MARK = "<!--NAVIGATION-->"
BOTTOM_MARK = "<!--NAVIGATION-BOTTOM-->"
CONTENTS_MARK = "<!--CONTENTS-->"
NAME = re.compile(r"^\d\d\.\d\d-[A-Za-z0-9-]+\.ipynb$")


def notebooks(folder: Path = COURSE) -> list[Path]:
    return sorted(path for path in folder.glob("*.ipynb") if NAME.match(path.name))


def title(notebook) -> str:
    """The text of the H1 in the first cell (ValueError when there is none)."""
    first = notebook.cells[0].source if notebook.cells else ""
    if not first.startswith("# "):
        raise ValueError("the first cell must be a markdown H1 title")
    return first.splitlines()[0][2:].strip()


def navigation(names: list[str], titles: list[str], index: int, word: str = "Contents") -> str:
    """The links of the notebook at ``index``, without a marker: the same text at the top and bottom."""
    links = []
    if index > 0:
        links.append(f"< [{titles[index - 1]}]({names[index - 1]})")
    if names[index] != CONTENTS_NOTEBOOK:
        links.append(f"[{word}]({CONTENTS_NOTEBOOK}#{word})")
    if index + 1 < len(names):
        links.append(f"[{titles[index + 1]}]({names[index + 1]}) >")
    return " | ".join(links)


def contents(names: list[str], titles: list[str], word: str = "Contents", other: str = "") -> str:
    items = [f"- [{name[:5]} {text}]({name})" for name, text in zip(names, titles) if name != CONTENTS_NOTEBOOK]
    return CONTENTS_MARK + f"\n## {word}\n\n" + "\n".join(items) + (f"\n\n{other}" if other else "")


def generated(notebook, mark: str) -> list[int]:
    """Indices of the generated cells that start with ``mark``."""
    return [index for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "markdown" and cell.source.startswith(mark)]


def place(notebook, mark: str, text: str, at_end: bool, cell_id: str) -> None:
    """Make exactly one cell ``mark``-``text``, second in the notebook or last (``at_end``).

    The first existing cell with that mark is reused (it keeps its id); any others are removed.
    """
    found = generated(notebook, mark)
    cell = notebook.cells[found[0]] if found else nbformat.v4.new_markdown_cell(id=cell_id)
    for index in reversed(found):
        del notebook.cells[index]
    cell.source = text
    notebook.cells.insert(len(notebook.cells) if at_end else 1, cell)


def put(notebook, mark: str, text: str, cell_id: str) -> None:
    """Rewrite the cell that starts with ``mark`` where it stands, or add one before the bottom navigation."""
    found = generated(notebook, mark)
    if found:
        notebook.cells[found[0]].source = text
        return
    end = generated(notebook, BOTTOM_MARK)
    position = end[-1] if end else len(notebook.cells)
    notebook.cells.insert(position, nbformat.v4.new_markdown_cell(text, id=cell_id))


def update(notebook, names: list[str], titles: list[str], index: int, word: str = "Contents",
           other: str = "") -> None:
    """Bring every generated cell of the notebook at ``index`` up to date, in memory."""
    links = navigation(names, titles, index, word)
    if names[index] == CONTENTS_NOTEBOOK:
        put(notebook, CONTENTS_MARK, contents(names, titles, word, other), "contents")
    place(notebook, TOP_MARK, f"{TOP_MARK}\n{links}", False, "navigation")
    place(notebook, BOTTOM_MARK, f"{BOTTOM_MARK}\n{links}", True, "navigation-bottom")


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for folder, word, target, other in EDITIONS:
        paths = notebooks(folder)
        books = [nbformat.read(path, as_version=4) for path in paths]
        names = [path.name for path in paths]
        titles = [title(book) for book in books]
        for index, (path, book) in enumerate(zip(paths, books)):
            before = nbformat.writes(book)
            update(book, names, titles, index, word, other if (folder / target).is_file() else "")
            if nbformat.writes(book) != before:
                stale.append(str(path.relative_to(COURSE)))
                if not check:
                    nbformat.write(book, path)
    verb = "out of date" if check else "rewrote"
    for name in stale:
        print(f"{verb}: {name}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
