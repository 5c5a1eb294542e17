"""The exercise contracts: every exercise of the course, once, in the course's order.

An entry says what the rest of the project needs to know about an exercise without importing its
checks: where the course teaches it, which files a learner's notebook writes, which process types
its app runs and which backing services the platform attaches to it. The checks themselves live in
the package ``grader.checks.<name>`` (its ``CHECKS``, in the order they run), loaded the first time
they are asked for. ``grader list``, ``grader demo``, the nbgrader configuration's ignore list, the
classroom grading and the tests all read this module, so adding an exercise is adding its folders
and one entry here (see grader/checks/README.md).

This module imports nothing of the grader: the nbgrader configuration reads it at start-up.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

DATABASE, REDIS, S3 = "DATABASE_URL", "REDIS_URL", "AWS_ENDPOINT_URL"


@dataclass(frozen=True)
class Exercise:
    name: str
    lesson: str  # the course notebook (in course/) that teaches it and links to it
    writes: tuple[str, ...]  # what the notebook's %%writefile cells write (a folder ends with "/")
    processes: tuple[str, ...] = ("web",)  # the process types its Procfile declares
    services: tuple[str, ...] = (DATABASE, REDIS)  # the backing services attached to it, by variable
    builds: tuple[str, ...] = ()  # what its build.py writes beside the app when run in place
    database: str = "sqlite"  # what DATABASE_URL is: a SQLite file, or "postgresql" (a database of its own)
    translated: tuple[tuple[str, str], ...] = ()  # (language, assignment) of each edition in another language

    @property
    def package(self) -> str:
        return f"{__package__}.{self.name}"

    @property
    def checks(self) -> list:
        """Its checks in the order they run (imports the exercise's package)."""
        return importlib.import_module(self.package).CHECKS

    @property
    def notebook(self) -> str:
        """The exercise notebook's file name, the same in source/, release/ and a learner's copy."""
        return f"{self.name}.ipynb"

    @property
    def editions(self) -> dict[str, str]:
        """Its editions in other languages, {language: assignment} (``{"el": "hits-el"}``): the same
        notebook, translated (``exercises/source/<assignment>/``), graded by these same checks and
        proven by these same wrong apps (``tests/apps/<assignment>`` is a link to this exercise's);
        the lesson of the same name in ``course/<language>/`` links to it."""
        return dict(self.translated)

    @property
    def top_level(self) -> tuple[str, ...]:
        """The names its notebook and build leave beside the notebook (``assets`` for ``assets/x.css``)."""
        return tuple(dict.fromkeys(name.split("/")[0] for name in (*self.writes, *self.builds)))


REGISTRY: tuple[Exercise, ...] = (
    Exercise("hits", "01.00-Stateful-Counter-Breaks.ipynb", ("app.py",), translated=(("el", "hits-el"),)),
    Exercise("sessions", "02.00-Sessions-Without-Stickiness.ipynb", ("app.py",),
             translated=(("el", "sessions-el"),)),
    Exercise("scratch", "03.00-Scratch-Space.ipynb", ("app.py",), translated=(("el", "scratch-el"),)),
    Exercise("assets", "04.00-Build-Then-Run.ipynb", ("app.py", "build.py", "assets/"), services=(),
             builds=("static/",), translated=(("el", "assets-el"),)),
    Exercise("jobs", "05.00-Process-Types-And-Jobs.ipynb", ("app.py", "worker.py", "primes.py", "Procfile"),
             processes=("web", "worker"), translated=(("el", "jobs-el"),)),
    Exercise("capstone", "06.00-Capstone.ipynb",
             ("tally.py", "Procfile", "assets/", "build.py", "store.py", "app.py", "worker.py", "clock.py"),
             processes=("web", "worker", "clock"), services=(DATABASE, REDIS, S3), builds=("static/",),
             database="postgresql", translated=(("el", "capstone-el"),)),
)


def edition_of(assignment: str) -> tuple[str, str] | None:
    """(exercise, language) when ``assignment`` is an exercise's edition in another language, else None."""
    for exercise in REGISTRY:
        for lang, name in exercise.editions.items():
            if name == assignment:
                return exercise.name, lang
    return None


def written_by_notebooks() -> list[str]:
    """Every name any exercise's notebook or build leaves beside it, except an exercise's own name
    (the assets exercise writes ``assets/``, and its folder in the course is called ``assets`` too)."""
    names = {exercise.name for exercise in REGISTRY}
    found = dict.fromkeys(name for exercise in REGISTRY for name in exercise.top_level)
    return [name for name in found if name not in names]
