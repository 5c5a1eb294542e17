"""Files of a folder taken up to a size cap, the notebooks first.

A submission, the files a kernel wrote, or an autograded folder sent back from a Dask worker can
hold anything a learner put there. Each is copied only up to a limit, so one huge file cannot fill
the grading machine. Which files fit must not depend on their names: a big ``data.csv`` sorting
before ``hits.ipynb`` must never push the notebook, the thing being graded, out. So notebooks come
first, then the other files smallest first, and a file that does not fit leaves room for smaller ones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable


def capped(folder: Path, limit: int, skip: Callable[[Path], bool] = lambda path: False) -> tuple[list[Path], list[Path]]:
    """The regular files under ``folder`` (symlinks never) that fit in ``limit`` bytes together, and
    those left out; ``skip`` names files to ignore altogether. Both lists are in path order."""
    files = []
    for path in folder.rglob("*") if folder.is_dir() else []:
        if not path.is_symlink() and path.is_file() and not skip(path):
            try:
                files.append((path.suffix != ".ipynb", path.stat().st_size, path))
            except OSError:
                continue
    kept, left, total = [], [], 0
    for _, size, path in sorted(files):
        if total + size <= limit:
            total += size
            kept.append(path)
        else:
            left.append(path)
    return sorted(kept), sorted(left)
