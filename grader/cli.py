"""``grader``: check an app, list the exercises, run an app as a cluster to poke at by hand, or
autograde a class of nbgrader submissions (:mod:`grader.classroom`).

Exit codes: 0 every check passed, 1 some check failed or could not be graded, 2 the input itself
was unusable (the message is one line, never a traceback), 128+N when stopped by signal N (SIGINT
from Ctrl+C, SIGTERM from a container or process manager, SIGHUP from a closed terminal): the run
then stops everything it started before exiting.

It speaks the language ``--lang`` names (``check``), else the one the locale variables name
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English: its help, its reports and its
error lines, argparse's own words ("usage:", "options") included (:mod:`grader.i18n.argparse_words`).
"""
from __future__ import annotations

import argparse
import signal
import sys

from .i18n import LANGUAGES, N_, Message, Text, _, _n, choose, translate
from .i18n.argparse_words import argparse_in

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def build_parser(lang: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser, its help in ``lang`` (by default the locale variables' language)."""
    lang = choose(lang)

    def say(text: str) -> str:
        return translate(text, lang)

    def parser_of(add, *args, **options) -> argparse.ArgumentParser:
        made = add(*args, add_help=False, **options)
        made.add_argument("-h", "--help", action="help", help=say(N_("show this help message and exit")))
        return made

    parser = parser_of(argparse.ArgumentParser, prog="grader",
                       description=say(N_("Grade twelve-factor (factor VI) exercises.")))
    commands = parser.add_subparsers(dest="command", required=True)
    check = parser_of(commands.add_parser, "check", help=say(N_("run every check of an exercise against an app")))
    check.add_argument("exercise")
    check.add_argument("path", help=say(N_("an app folder (holding app.py) or an exercise notebook")))
    check.add_argument("--json", action="store_true", help=say(N_("print one JSON object instead of text")))
    check.add_argument("--seed", type=int, default=0, help=say(N_("seed for random routing (default 0)")))
    check.add_argument("--only", type=_in_language(_names, lang),
                       help=say(N_("run only these checks (comma-separated, e.g. agreement,burst)")))
    check.add_argument("--database-url", help=say(N_("attach this database instead of a private SQLite file")))
    check.add_argument("--redis-url", help=say(N_("attach this Redis instead of a private server")))
    check.add_argument("--lang", choices=LANGUAGES,
                       help=say(N_("the language of the report (default: the one LANGUAGE, LC_ALL or LANG names, "
                                   "else en)")))
    parser_of(commands.add_parser, "list", help=say(N_("list the exercises and their checks")))
    demo = parser_of(commands.add_parser, "demo", help=say(N_("run an app as a cluster until interrupted")))
    demo.add_argument("exercise")
    demo.add_argument("path")
    demo.add_argument("--workers", type=int, default=3)
    demo.add_argument("--policy", default="round_robin")
    demo.add_argument("--port", type=int, default=0, help=say(N_("front door port (default: a free one)")))
    autograde = parser_of(
        commands.add_parser, "autograde",
        help=say(N_("grade every submission of an nbgrader assignment (run in the course folder)")),
        description=say(N_("Grade every submitted notebook of ASSIGNMENT, several at a time, with scores from "
                           "checks run outside each learner's kernel; writes the gradebook, autograded/ and "
                           "feedback/ as nbgrader does. Exit 0 when every notebook ran and was scored, 1 when "
                           "some could only be scored from the grader's checks (see the notes), 2 on bad input.")))
    autograde.add_argument("assignment")
    autograde.add_argument("--jobs", "-j", type=_in_language(_positive, lang),
                           help=say(N_("submissions graded at once (default: one per core)")))
    autograde.add_argument("--student", default="*",
                           help=say(N_("grade only this student (a glob, as in nbgrader)")))
    autograde.add_argument("--force", action="store_true", help=say(N_("grade again submissions graded before")))
    autograde.add_argument("--json", action="store_true", help=say(N_("print one JSON object instead of a table")))
    autograde.add_argument("--timeout", type=_in_language(_positive, lang), default=300,
                           help=say(N_("seconds one submission may take (default 300; one cell gets a third of it)")))
    autograde.add_argument("--scheduler", help=say(N_("grade on a Dask cluster, e.g. tcp://HOST:8786")))
    return parser


def language_of(argv: list[str] | None) -> str:
    """The language the command line asks for (``--lang``), else the locale variables' one."""
    argv = sys.argv[1:] if argv is None else argv
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[index + 1] if arg == "--lang" and index + 1 < len(argv) else \
            arg.partition("=")[2] if arg.startswith("--lang=") else None
        if value in LANGUAGES:
            return value
    return choose(None)


def main(argv: list[str] | None = None) -> int:
    lang = language_of(argv)
    try:
        with argparse_in(lang):
            args = build_parser(lang).parse_args(argv)
    except SystemExit as leaving:
        return EXIT_BAD_INPUT if leaving.code else EXIT_PASSED
    from .errors import BadInput
    if args.command == "list":
        return list_exercises(lang)
    _stop_on_signals()
    try:
        if args.command == "autograde":
            return autograde(args, lang)
        if args.command == "check":
            from .platform.forkserver import discard_warm, warm_up
            warm_up()
            try:
                return check(args)
            finally:
                discard_warm()
        return demo(args, lang)
    except BadInput as error:
        print(f"grader: {_said(error, lang)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Stopped as stop:
        said = _("stopped by {signal}; everything it started has been stopped.", signal=stop.name)
        print(f"grader: {said.render(lang)}", file=sys.stderr)
        # Being stopped is how a demo ends, wherever the signal lands; a check was cut short.
        return EXIT_PASSED if args.command == "demo" else 128 + stop.signum


def _said(error: Exception, lang: str) -> str:
    """An error's own message in ``lang`` (when it is a grader.i18n message), else its text."""
    if len(error.args) == 1 and isinstance(error.args[0], (Message, Text)):
        return error.args[0].render(lang)
    return str(error)


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
        raise argparse.ArgumentTypeError(_("must be 1 or more"))
    return value


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(_("name at least one check"))
    return names


def _in_language(kind, lang: str):
    """``kind`` (an argparse type) whose complaints argparse prints in ``lang``."""
    def parse(text: str):
        try:
            return kind(text)
        except argparse.ArgumentTypeError as error:
            raise argparse.ArgumentTypeError(_said(error, lang)) from None

    parse.__name__ = kind.__name__  # argparse names the type in "invalid _positive value: 'x'"
    return parse


def list_exercises(lang: str = "en") -> int:
    """Print every exercise's checks, in ``lang``; a footnote says what "hidden" means when one is."""
    from .checks import EXERCISES
    hidden = " " + translate(N_("(hidden*)"), lang)
    points = {count: _n("{count} pt", "{count} pts", count).render(lang)
              for count in sorted({item.points for checks in EXERCISES.values() for item in checks})}
    width = max([6, *(len(text) for text in points.values())])
    for exercise, checks in EXERCISES.items():
        print(exercise)
        for item in checks:
            title = translate(item.title, lang)
            print(f"  {item.name:<16} {points[item.points]:<{width}} {title}{hidden if item.hidden else ''}")
    if any(item.hidden for checks in EXERCISES.values() for item in checks):
        print()
        print(translate(N_("* hidden: in the learner's notebook this check's test cell is empty but for a comment\n"
                           "  naming it; the check runs when the instructor grades the notebook. `grader check` and\n"
                           "  grader.check run it too, so a learner can run it any time and it holds no surprise."),
                        lang))
    return EXIT_PASSED


def check(args) -> int:
    from .grading import grade
    report = grade(args.exercise, args.path, args.only, seed=args.seed, database_url=args.database_url,
                   redis_url=args.redis_url).in_language(args.lang or written_in(args.path))
    print(report.to_json() if args.json else report.to_text(), end="\n" if args.json else "")
    return EXIT_PASSED if report.passed else EXIT_FAILED


def written_in(path: str) -> str | None:
    """The language an exercise notebook's metadata names (a Greek copy is checked in Greek without
    ``--lang``); None for an app folder or a notebook that names none (then the locale decides)."""
    import json
    from pathlib import Path

    from .i18n.notebook import language_of
    notebook = Path(path)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        return None
    try:
        lang = language_of(json.loads(notebook.read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        return None  # grade() says what is wrong with the file itself
    return lang if lang in LANGUAGES else None


def autograde(args, lang: str | None = None) -> int:
    from .classroom.autograde import autograde as grade_class
    batch = grade_class(args.assignment, ".", jobs=args.jobs, student=args.student, force=args.force,
                        scheduler=args.scheduler, timeout=args.timeout, lang=lang)
    print(batch.to_json() if args.json else batch.to_text(), end="\n" if args.json else "")
    return EXIT_PASSED if batch.clean else EXIT_FAILED


def demo(args, lang: str | None = None) -> int:
    from .live.serve import serve_forever
    return serve_forever(args.exercise, args.path, args.workers, args.policy, args.port, lang)
