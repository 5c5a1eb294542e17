"""Rewrite the navigation of the course notebooks: run it after adding or renaming a notebook.

Every ``NN.MM-Title.ipynb`` here gets, right after its H1 title cell, one markdown cell of links to
the previous notebook, the contents and the next notebook; ``00.00-Introduction.ipynb`` also gets its
list of contents. Only those generated cells (recognised by their first line) are ever rewritten, so
the diff of a run shows nothing but navigation. ``--check`` changes nothing and exits 1 when a
notebook's navigation is out of date (the test suite runs it).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parent
CONTENTS_NOTEBOOK = "00.00-Introduction.ipynb"
NAV_MARK = "<!--NAVIGATION-->"
CONTENTS_MARK = "<!--CONTENTS-->"
NAME = re.compile(r"^\d\d\.\d\d-[A-Za-z0-9-]+\.ipynb$")


def notebooks() -> list[Path]:
    return sorted(path for path in COURSE.glob("*.ipynb") if NAME.match(path.name))


def title(notebook) -> str:
    """The text of the H1 in the first cell (ValueError when there is none)."""
    first = notebook.cells[0].source if notebook.cells else ""
    if not first.startswith("# "):
        raise ValueError("the first cell must be a markdown H1 title")
    return first.splitlines()[0][2:].strip()


def navigation(names: list[str], titles: list[str], index: int) -> str:
    links = []
    if index > 0:
        links.append(f"< [{titles[index - 1]}]({names[index - 1]})")
    if names[index] != CONTENTS_NOTEBOOK:
        links.append(f"[Contents]({CONTENTS_NOTEBOOK}#Contents)")
    if index + 1 < len(names):
        links.append(f"[{titles[index + 1]}]({names[index + 1]}) >")
    return NAV_MARK + "\n" + " | ".join(links)


def contents(names: list[str], titles: list[str]) -> str:
    items = [f"- [{name[:5]} {text}]({name})" for name, text in zip(names, titles) if name != CONTENTS_NOTEBOOK]
    return CONTENTS_MARK + "\n## Contents\n\n" + "\n".join(items)


def put(notebook, mark: str, text: str, position: int, cell_id: str) -> None:
    """Replace the cell that starts with ``mark``, or insert one at ``position``."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith(mark):
            cell.source = text
            return
    notebook.cells.insert(position, nbformat.v4.new_markdown_cell(text, id=cell_id))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = notebooks()
    books = [nbformat.read(path, as_version=4) for path in paths]
    names = [path.name for path in paths]
    titles = [title(book) for book in books]
    stale = []
    for index, (path, book) in enumerate(zip(paths, books)):
        before = nbformat.writes(book)
        put(book, NAV_MARK, navigation(names, titles, index), 1, "navigation")
        if path.name == CONTENTS_NOTEBOOK:
            put(book, CONTENTS_MARK, contents(names, titles), len(book.cells), "contents")
        if nbformat.writes(book) != before:
            stale.append(path.name)
            if not check:
                nbformat.write(book, path)
    verb = "out of date" if check else "rewrote"
    for name in stale:
        print(f"{verb}: {name}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
