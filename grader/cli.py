"""``grader``: check an app, list the exercises, run an app as a cluster to poke at by hand, or
autograde a class of nbgrader submissions (:mod:`grader.classroom`).

Exit codes: 0 every check passed, 1 some check failed or could not be graded, 2 the input itself
was unusable (the message is one line, never a traceback), 128+N when stopped by signal N (SIGINT
from Ctrl+C, SIGTERM from a container or process manager, SIGHUP from a closed terminal): the run
then stops everything it started before exiting.
"""
from __future__ import annotations

import argparse
import signal
import sys

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade twelve-factor (factor VI) exercises.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run every check of an exercise against an app")
    check.add_argument("exercise")
    check.add_argument("path", help="an app folder (holding app.py) or an exercise notebook")
    check.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    check.add_argument("--seed", type=int, default=0, help="seed for random routing (default 0)")
    check.add_argument("--only", type=_names, help="run only these checks (comma-separated, e.g. agreement,burst)")
    check.add_argument("--database-url", help="attach this database instead of a private SQLite file")
    check.add_argument("--redis-url", help="attach this Redis instead of a private server")
    commands.add_parser("list", help="list the exercises and their checks")
    demo = commands.add_parser("demo", help="run an app as a cluster until interrupted")
    demo.add_argument("exercise")
    demo.add_argument("path")
    demo.add_argument("--workers", type=int, default=3)
    demo.add_argument("--policy", default="round_robin")
    demo.add_argument("--port", type=int, default=0, help="front door port (default: a free one)")
    autograde = commands.add_parser(
        "autograde", help="grade every submission of an nbgrader assignment (run in the course folder)",
        description="Grade every submitted notebook of ASSIGNMENT, several at a time, with scores from "
                    "checks run outside each learner's kernel; writes the gradebook, autograded/ and "
                    "feedback/ as nbgrader does. Exit 0 when every notebook ran and was scored, 1 when "
                    "some could only be scored from the grader's checks (see the notes), 2 on bad input.")
    autograde.add_argument("assignment")
    autograde.add_argument("--jobs", "-j", type=_positive, help="submissions graded at once (default: one per core)")
    autograde.add_argument("--student", default="*", help="grade only this student (a glob, as in nbgrader)")
    autograde.add_argument("--force", action="store_true", help="grade again submissions graded before")
    autograde.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    autograde.add_argument("--timeout", type=_positive, default=300,
                           help="seconds one submission may take (default 300; one cell gets a third of it)")
    autograde.add_argument("--scheduler", help="grade on a Dask cluster, e.g. tcp://HOST:8786")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as leaving:
        return EXIT_BAD_INPUT if leaving.code else EXIT_PASSED
    from .errors import BadInput
    if args.command == "list":
        return list_exercises()
    _stop_on_signals()
    try:
        if args.command == "autograde":
            return autograde(args)
        if args.command == "check":
            from .platform.forkserver import discard_warm, warm_up
            warm_up()
            try:
                return check(args)
            finally:
                discard_warm()
        return demo(args)
    except BadInput as error:
        print(f"grader: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Stopped as stop:
        print(f"grader: stopped by {stop.name}; everything it started has been stopped.", file=sys.stderr)
        # Being stopped is how a demo ends, wherever the signal lands; a check was cut short.
        return EXIT_PASSED if args.command == "demo" else 128 + stop.signum


class Stopped(KeyboardInterrupt):
    """A signal asked the command to stop. Raised in the main thread, it unwinds every ``with``
    block, so the platform stops its processes and removes its folder on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name


def _stop_on_signals() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Stopped` (the first one; later ones are ignored
    so that they cannot interrupt the clean-up the first one started)."""
    stopping = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def stop(signum, _frame):
        for other in stopping:
            signal.signal(other, signal.SIG_IGN)
        raise Stopped(signum)

    for signum in stopping:
        signal.signal(signum, stop)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one check")
    return names


def list_exercises() -> int:
    """Print every exercise's checks; a footnote says what "hidden" means when one is."""
    from .checks import EXERCISES
    for exercise, checks in EXERCISES.items():
        print(exercise)
        for item in checks:
            hidden = " (hidden*)" if item.hidden else ""
            points = f"{item.points} pt{'s' if item.points != 1 else ''}"
            print(f"  {item.name:<16} {points:<6} {item.title}{hidden}")
    if any(item.hidden for checks in EXERCISES.values() for item in checks):
        print("\n* hidden: in the learner's notebook this check's test cell is empty but for a comment\n"
              "  naming it; the check runs when the instructor grades the notebook. `grader check` and\n"
              "  grader.check run it too, so a learner can run it any time and it holds no surprise.")
    return EXIT_PASSED


def check(args) -> int:
    from .grading import grade
    report = grade(args.exercise, args.path, args.only, seed=args.seed, database_url=args.database_url,
                   redis_url=args.redis_url)
    print(report.to_json() if args.json else report.to_text(), end="\n" if args.json else "")
    return EXIT_PASSED if report.passed else EXIT_FAILED


def autograde(args) -> int:
    from .classroom.autograde import autograde as grade_class
    batch = grade_class(args.assignment, ".", jobs=args.jobs, student=args.student, force=args.force,
                        scheduler=args.scheduler, timeout=args.timeout)
    print(batch.to_json() if args.json else batch.to_text(), end="\n" if args.json else "")
    return EXIT_PASSED if batch.clean else EXIT_FAILED


def demo(args) -> int:
    from .live.serve import serve_forever
    return serve_forever(args.exercise, args.path, args.workers, args.policy, args.port)
