"""factor-six's grader: runs a learner's app the way a twelve-factor platform does, then says what broke.

Imports stay lazy so that ``python -m grader`` and the fork server start fast.
"""
from __future__ import annotations

__all__ = ["check", "assert_check", "launch", "start", "dashboard", "workspace", "Client"]


def check(exercise: str, path=".", *names: str, seed: int = 0, lang: str | None = None, **options):
    """Grade ``path`` (an app folder or a notebook) on some or all checks of ``exercise``; a Report.

    The report speaks ``lang`` ("en" or "el"; by default the language the locale variables name);
    ``report.to_text("el")`` renders the same results in another language without grading again.
    """
    from .grading import grade
    return grade(exercise, path, names or None, seed=seed, **options).in_language(lang)


def assert_check(exercise: str, name: str, path=".", seed: int = 0, lang: str | None = None, **options):
    """Run one check (for nbgrader test cells): raise AssertionError carrying its feedback if it fails."""
    from .grading import assert_passes
    return assert_passes(exercise, name, path, seed=seed, lang=lang, **options)


def launch(path=".", workers: int = 3, **options):
    """Run an app as a cluster for a live demo: ``with launch("app/") as cluster: cluster.post(...)``.

    ``workers`` is the number of web processes, or the count of every Procfile type:
    ``launch("app/", workers={"web": 2, "worker": 1})``.
    """
    from .live import launch as _launch
    return _launch(path, workers, **options)


def start(path=".", workers: int = 3, **options):
    """Start a cluster that runs until ``cluster.stop()`` (or the kernel ends): for playgrounds."""
    from .live import start as _start
    return _start(path, workers, **options)


def workspace():
    """Move into ``work/`` beside the notebook, where a lesson writes its apps; returns that folder."""
    from .live.workspace import workspace as _workspace
    return _workspace()


def dashboard(cluster, path: str = "/hits", key: str | None = None, **options):
    """Open the live dashboard widget on a running cluster (the same as ``cluster.dashboard(...)``)."""
    return cluster.dashboard(path, key, **options)


def __getattr__(name: str):
    """``grader.Client``: a user agent with its own cookie jar, for lessons that play two users."""
    if name == "Client":
        from .platform.http import Client
        return Client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
