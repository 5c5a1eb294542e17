"""Write the learner copies: what ``nbgrader generate_assignment`` releases, for every exercise, into
``practice/<exercise>/<exercise>.ipynb``, where the lessons link them. The Greek edition of an
exercise is the assignment ``<exercise>-el`` (the same notebook name, in Greek), released into
``practice/el/<exercise>/<exercise>.ipynb`` for the Greek lessons.

A self-study learner opens those and never runs an instructor's command; the solutions stay in
``exercises/source/``. Run this after changing an exercise's source notebook, from any folder::

    python3 exercises/make_learner_copies.py            # rewrite practice/
    python3 exercises/make_learner_copies.py --check    # exit 1, naming the copies that differ

nbgrader works on a temporary copy of the course, so the course folder (its gradebook, release/)
is left as it was. tests/test_practice.py checks the committed copies against a fresh generation.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "exercises"
PRACTICE = ROOT / "practice"
sys.path.insert(0, str(ROOT))

from grader.checks.registry import REGISTRY, written_by_notebooks  # noqa: E402

EDITIONS = (("", ""), ("el", "-el"))  # (folder under practice/, suffix of the assignment's name)


def assignments() -> list[tuple[str, str, Path]]:
    """(assignment, notebook, learner copy) for every exercise in every edition that has a source."""
    found = []
    for folder, suffix in EDITIONS:
        for exercise in REGISTRY:
            if (COURSE / "source" / f"{exercise.name}{suffix}" / exercise.notebook).is_file():
                found.append((f"{exercise.name}{suffix}", exercise.notebook,
                              PRACTICE / folder / exercise.name / exercise.notebook))
    return found


def generate(target: Path) -> dict[Path, bytes]:
    """Release every assignment in a copy of the course under ``target``; learner copy -> its bytes."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader
    course = target / "course"
    course.mkdir(parents=True)
    shutil.copy(COURSE / "nbgrader_config.py", course)
    shutil.copytree(COURSE / "source", course / "source",
                    ignore=shutil.ignore_patterns(*written_by_notebooks(), ".ipynb_checkpoints", "__pycache__"))
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(config=config)
    released = {}
    for assignment, notebook, copy in assignments():
        result = api.generate_assignment(assignment, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not release {assignment}: {result.get('error')}")
        released[copy] = (course / "release" / assignment / notebook).read_bytes()
    return released


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a copy is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="factor-six-release-") as folder:
        released = generate(Path(folder))
    stale = []
    for copy, data in released.items():
        if copy.is_file() and copy.read_bytes() == data:
            continue
        stale.append(str(copy.relative_to(ROOT)))
        if not args.check:
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(data)
    verb = "stale" if args.check else "written"
    print(f"{verb}: {', '.join(stale)}" if stale else "every learner copy is up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
