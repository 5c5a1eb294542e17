"""What "the same lesson in another language" means, cell by cell.

Two editions of a notebook are twins when they have the same cells in the same order, with the same
kinds and tags, and every code cell holds the same code once comments and string literals are set
aside: the prose, the comments and what a cell prints may be translated; the code may not drift.
"""
from __future__ import annotations

import io
import tokenize

import nbformat

IGNORED = {tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.ENCODING}


def code_tokens(source: str) -> list[str]:
    """The code of a cell without its comments and strings; IPython magics compare as text.

    A ``%%writefile`` cell holding CSS or a Procfile is not Python: such lines compare verbatim.
    """
    lines = source.splitlines()
    if lines and lines[0].startswith("%%") and not lines[0].startswith("%%writefile") or \
            lines and lines[0].startswith("%%writefile") and not lines[0].rstrip().endswith(".py"):
        return [line.rstrip() for line in lines]
    python = "\n".join("pass  # " + line if line.lstrip().startswith(("%", "!")) else line for line in lines)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(python + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [line.rstrip() for line in lines]
    magics = [line.strip() for line in lines if line.lstrip().startswith(("%", "!"))]
    return magics + [token.string for token in tokens if token.type not in IGNORED]


def differences(english_path, other_path) -> list[str]:
    """Why two notebooks are not twins, one sentence per difference (empty when they are)."""
    english = nbformat.read(english_path, as_version=4).cells
    other = nbformat.read(other_path, as_version=4).cells
    found = []
    if len(english) != len(other):
        found.append(f"{len(english)} cells in English, {len(other)} in the translation")
    for index, (a, b) in enumerate(zip(english, other)):
        where = f"cell {index} ({a.get('id', '?')})"
        if a.cell_type != b.cell_type:
            found.append(f"{where}: a {a.cell_type} cell in English, a {b.cell_type} cell in the translation")
        elif sorted(a.metadata.get("tags", [])) != sorted(b.metadata.get("tags", [])):
            found.append(f"{where}: tags {a.metadata.get('tags', [])} in English, {b.metadata.get('tags', [])} here")
        elif a.cell_type == "code" and code_tokens(a.source) != code_tokens(b.source):
            found.append(f"{where}: its code differs from the English cell once comments and strings are set aside")
    return found
