"""argparse's own words ("usage:", "options", "the following arguments are required: …") in the
grader's language.

argparse looks each of its phrases up with the module-level ``gettext`` functions it imported
(``argparse._`` and ``argparse.ngettext``), in gettext's global domain, whose language comes from the
locale variables alone. ``grader check --lang el`` must win over them, so, while the command line is
built and parsed, :func:`argparse_in` points those two names at the grader's own catalog, which
carries argparse's phrases (marked below, so that extraction finds them) beside its own messages.
Only the phrases a user of the command line can meet are listed; argparse's complaints about a
badly built parser are for the grader's developers and stay English.
"""
from __future__ import annotations

import argparse
import contextlib

from .catalogs import translations
from .message import N_, _n

PHRASES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("expected at most one argument"),
    N_("ignored explicit argument %r"),
    N_("not allowed with argument %s"),
)
PLURAL_PHRASES = (_n("expected %s argument", "expected %s arguments", 2),)


@contextlib.contextmanager
def argparse_in(lang: str):
    """argparse speaks ``lang`` inside the block (and its own gettext domain again after it)."""
    catalog = translations(lang)
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = catalog.gettext, catalog.ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved
