"""The grader's layers, bottom to top: a module may import its own layer and the layers below it,
never one above, lazily or not (tests/test_layers.py reads every import with ``ast`` and holds the
package to this).

Each entry names packages or modules; a module belongs to the longest name that prefixes it.
"""
from __future__ import annotations

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # what every layer may raise, the languages it speaks, and this declaration
    ("foundation", ("grader.errors", "grader.layers", "grader.i18n")),
    # the platform a learner's app runs on: source, release, services, fork server, workers,
    # cluster, routing, and the events its processes report
    ("platform", ("grader.platform",)),
    # what a check does to a running platform beyond it (bursts) and what it observes there
    ("harness", ("grader.harness",)),
    # what a check is, the guards every check obeys, and one package per exercise
    ("checks", ("grader.checks",)),
    # running an exercise's checks against an app, and the report
    ("grading", ("grader.grading",)),
    # what people use: the public API, live clusters for lessons, the dashboard, the CLI, classrooms
    ("people", ("grader", "grader.__main__", "grader.live", "grader.board", "grader.cli", "grader.classroom")),
)


def layer_of(module: str) -> int | None:
    """The index in LAYERS of ``module``'s layer (0 is the bottom), or None if none declares it."""
    best, found = -1, None
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, found = len(name), index
    return found
