"""Message catalogs: ``grader/locale/<lang>/LC_MESSAGES/grader.po``, compiled with Babel.

The ``.po`` file is the source a translator edits; the compiled ``.mo`` beside it is what gettext
reads. ``python -m grader.i18n compile`` compiles every catalog (the install and Binder's build run
it); a catalog whose ``.mo`` is missing or older than its ``.po`` is compiled in memory when first
needed, so a fresh checkout never speaks a stale language.
"""
from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
LOCALE = PACKAGE / "locale"
DOMAIN = "grader"
KEYWORDS = {"_": None, "N_": None, "_n": (1, 2)}  # what marks a message in the source (see message.py)


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return po_path(lang).with_suffix(".mo")


def compiled(lang: str) -> bytes:
    """The ``.mo`` bytes of ``lang``'s catalog, compiled from its ``.po`` (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all() -> list[Path]:
    """Write every catalog's ``.mo`` beside its ``.po``; the paths written."""
    written = []
    for po in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parent.parent.name
        mo_path(lang).write_bytes(compiled(lang))
        written.append(mo_path(lang))
    return written


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """gettext's translations for ``lang``; English (the ids themselves) has none to look up."""
    if lang == "en" or not po_path(lang).is_file():
        return gettext.NullTranslations()
    mo = mo_path(lang)
    if mo.is_file() and mo.stat().st_mtime >= po_path(lang).stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = compiled(lang)
    return gettext.GNUTranslations(io.BytesIO(data))


def extract():
    """A Babel catalog of every message marked in the grader's source (``_``, ``N_``, ``_n``)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="factor-six", domain=DOMAIN, charset="utf-8")
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        catalog.add(message, locations=[(f"grader/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def update() -> list[Path]:
    """Write ``grader.pot`` from the source and merge it into every language's ``.po``."""
    from babel.messages.pofile import read_po, write_po

    template = extract()
    pot = LOCALE / f"{DOMAIN}.pot"
    with pot.open("wb") as out:
        write_po(out, template, width=100, sort_output=False, omit_header=False)
    written = [pot]
    for po in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        catalog.update(template, no_fuzzy_matching=True)
        with po.open("wb") as out:
            write_po(out, catalog, width=100, ignore_obsolete=True)
        written.append(po)
    return written
