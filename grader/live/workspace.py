"""Where the lessons write their apps: one folder, ``work/``, beside the lesson notebooks.

Each lesson writes a few small apps (``%%writefile naive_likes/app.py``) and runs them. Written next
to the notebooks they would fill the course folder; in ``course/work/`` they are one entry in the
file browser, which git ignores and a learner may delete at any time.
"""
from __future__ import annotations

import os
from pathlib import Path

FOLDER = "work"
_home: Path | None = None  # where the kernel started (the notebook's folder), remembered once


def workspace() -> Path:
    """Move this process into ``work/`` beside the notebook (made if missing) and return it.

    Running the cell again stays there, and a restarted kernel starts over in the notebook's
    folder, so the apps always land in the same place.
    """
    global _home
    if _home is None:
        _home = Path.cwd()
    folder = _home / FOLDER
    folder.mkdir(exist_ok=True)
    os.chdir(folder)
    return folder
