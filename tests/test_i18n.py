"""The grader's languages: messages rendered late, catalogs complete, the language chosen as asked.

The hits exercise's wrong apps are graded once; each report is then rendered in English and in Greek
from the same results (nothing is graded twice), and the Greek must hold no English sentence.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import string
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from grader.checks.feedback import explain, listing
from grader.grading import grade
from grader.i18n import LANGUAGES, Message, Text, _, _n, choose, from_environment, render
from grader.i18n.catalogs import compiled, extract, po_path
from grader.i18n.message import from_dict
from greek import english_in

ROOT = Path(__file__).resolve().parent.parent
HITS = ROOT / "tests" / "apps" / "hits"
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


PERCENT = re.compile(r"%(?:\((\w+)\))?([srd%])")  # argparse's phrases: %(prog)s, %s, %r


def fields(text: str) -> list[tuple[str, str]]:
    """A message's placeholders: str.format's ({name}, {n:.1f}), or %-style ones for argparse's phrases."""
    if PERCENT.search(text) and "{" not in text:
        return sorted(PERCENT.findall(text))
    return sorted((name, spec) for _text, name, spec, _conv in string.Formatter().parse(text) if name is not None)


# -- choosing a language ---------------------------------------------------------------------------
@pytest.mark.parametrize("environ, expected", [
    ({}, "en"),
    ({"LANG": "el_GR.UTF-8"}, "el"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "el_CY.UTF-8", "LANG": "en_US.UTF-8"}, "el"),
    ({"LC_ALL": "fr_FR.UTF-8", "LANG": "el_GR.UTF-8"}, "en"),  # LC_ALL wins, and the grader has no French
    ({"LANGUAGE": "fr:el:en", "LANG": "en_US.UTF-8"}, "el"),  # the first preference the grader speaks
    ({"LANGUAGE": "en", "LANG": "el_GR.UTF-8"}, "en"),
    ({"LANGUAGE": "", "LC_MESSAGES": "el_GR", "LANG": "en_US"}, "el"),
])
def test_the_language_comes_from_the_locale_variables_in_gettexts_order(environ, expected):
    assert from_environment(environ) == expected


def test_an_asked_language_wins_and_an_unknown_one_is_refused():
    assert choose("el") == choose("el_GR.UTF-8") == "el"
    with pytest.raises(ValueError, match="speaks en, el; there is no 'fr'"):
        choose("fr")


# -- messages ------------------------------------------------------------------------------------------
def test_a_message_is_its_english_text_until_rendered_in_another_language():
    said = _("{worker} said {value}", worker="web.2", value=3)
    assert said == "web.2 said 3" and isinstance(said, str)
    assert said.render("el") == "ο web.2 είπε 3"
    nested = _("The workers disagree: {said} (expected {expected} everywhere).", said=said, expected=5)
    assert nested.render("el") == "Οι workers διαφωνούν: ο web.2 είπε 3 (αναμενόταν 5 παντού)."


def test_a_placeholder_may_be_named_like_a_parameter_of_the_message_itself():
    """``id`` (a job's, a cell's) and ``singular``/``plural`` are placeholders like any other."""
    assert _("GET /jobs/{id} returned {status}", id="7f", status=404) == "GET /jobs/7f returned 404"
    assert _n("{singular} and {plural}: {count}", "{singular} and {plural}: {count}!", 2,
              singular="a", plural="b") == "a and b: 2!"


def test_numbers_keep_their_format_spec_in_every_language():
    message = _("was not ready within {timeout:g} s", timeout=2.50)
    assert message == "was not ready within 2.5 s"
    assert message.render("el") == "δεν ήταν έτοιμος μέσα σε 2.5 s"


def test_plurals_follow_the_count():
    one = _n("Could not grade {count} check, all for the same reason:",
             "Could not grade {count} checks, all for the same reason:", 1)
    many = _n("Could not grade {count} check, all for the same reason:",
              "Could not grade {count} checks, all for the same reason:", 3)
    assert one == "Could not grade 1 check, all for the same reason:"
    assert many.render("el") == "Δεν βαθμολογήθηκαν 3 έλεγχοι, όλοι για τον ίδιο λόγο:"


def test_verbatim_text_stays_as_it_is_in_every_language():
    text = Text((_("The app kept data on local disk:"), "    {not a placeholder} ok"))
    assert text.render("el") == "Η εφαρμογή κράτησε δεδομένα στον τοπικό δίσκο:\n    {not a placeholder} ok"


def test_a_message_survives_pickling_and_plain_data():
    feedback = explain(_("The grader sent {method} {path} to {worker}.", method="GET", path="/hits", worker="web.1"),
                       _n("{count} to {worker}", "{count} to {worker}", 2, worker="web.1"), "", listing(["a", "b"]))
    assert pickle.loads(pickle.dumps(feedback)).render("el") == feedback.render("el")
    assert from_dict(feedback.to_dict()).render("el") == feedback.render("el")
    assert str(from_dict(feedback.to_dict())) == str(feedback)


def test_an_unknown_message_or_a_broken_translation_falls_back_to_english():
    assert _("A sentence no catalog has, {n}", n=1).render("el") == "A sentence no catalog has, 1"
    assert render("plain text", "el") == "plain text"
    assert isinstance(Message("x {a}", (("a", 1),)), str)


# -- the catalogs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def source_messages():
    return {message.id: message for message in extract() if message.id}


@pytest.fixture(scope="module", params=TRANSLATED)
def catalog(request):
    with po_path(request.param).open("rb") as source:
        return read_po(source, locale=request.param)


def test_every_message_in_the_source_has_a_translation(source_messages, catalog):
    """Untranslated, fuzzy or missing: each is a sentence a learner would read in English."""
    problems = []
    for msgid, message in source_messages.items():
        entry = catalog.get(msgid)
        where = f"{message.locations[0][0]}:{message.locations[0][1]}"
        if entry is None:
            problems.append(f"{where}: not in the catalog (run python -m grader.i18n update): {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: fuzzy: {msgid!r}")
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            problems.append(f"{where}: untranslated: {msgid!r}")
    assert not problems, "\n".join(problems)


def test_every_translation_has_the_placeholders_of_its_english(source_messages, catalog):
    problems = []
    for msgid in source_messages:
        entry = catalog.get(msgid)
        if entry is None or not entry.string:
            continue
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for english, translated in zip(ids * len(strings), strings):
            if set(fields(translated)) - set(fields(ids[-1])) or set(fields(ids[0])) - set(fields(translated)) - {("count", "")}:
                problems.append(f"{english!r} -> {translated!r}")
    assert not problems, "\n".join(problems)


def test_no_catalog_keeps_messages_the_source_no_longer_has(source_messages, catalog):
    stale = [message.id for message in catalog if message.id and message.id not in source_messages]
    assert not stale, stale


@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_catalog_compiles(lang):
    assert compiled(lang).startswith(b"\xde\x12\x04\x95")  # the .mo magic number (little-endian)


def test_no_module_that_speaks_shadows_its_messages():
    """``for _ in ...`` in a module that imports ``_`` would make every message there a crash."""
    run = subprocess.run([sys.executable, "-m", "pyflakes", str(ROOT / "grader")], capture_output=True, text=True)
    shadowed = [line for line in run.stdout.splitlines() if "import '_'" in line]
    assert not shadowed, "\n".join(shadowed)


# -- one grading run, two languages ------------------------------------------------------------------
@pytest.fixture(scope="module")
def hits_reports():
    apps = sorted(path for path in HITS.iterdir() if (path / "app.py").is_file())
    with ThreadPoolExecutor(3) as pool:
        return dict(zip((app.name for app in apps), pool.map(lambda app: grade("hits", app), apps)))


def test_the_hits_reports_say_every_sentence_in_greek(hits_reports):
    assert any(not report.passed for report in hits_reports.values())
    problems = []
    for name, report in hits_reports.items():
        greek = report.to_text("el")
        assert greek != report.to_text() and report.to_text("en") == report.to_text()
        problems += [f"{name}: {run}" for run in english_in(greek)]
    assert not problems, "\n".join(problems)


def test_a_greek_report_renders_the_same_results_without_grading_again(hits_reports):
    report = hits_reports["global_counter"]
    greek = report.in_language("el")
    assert greek.results is report.results
    assert "[ΑΠΕΤΥΧΕ] agreement (0/2): Κάθε worker βλέπει την ίδια μέτρηση" in greek.to_text()
    assert "ο web.1 είπε 2, ο web.2 είπε 2, ο web.3 είπε 2" in greek.to_text()
    html = greek._repr_html_()
    assert "τι συνέβη" in html and "Κάθε worker βλέπει την ίδια μέτρηση" in html
    checks = greek.to_dict()["checks"]
    assert greek.to_dict()["lang"] == "el" and '"The grader sent {posts} POST /hits requests' in json.dumps(checks[0]["message"])
    assert checks[0]["feedback"].startswith("Ο βαθμολογητής έστειλε")


def test_the_cli_speaks_the_language_asked_for_or_the_locales():
    app = str(HITS / "global_counter")
    asked = subprocess.run([sys.executable, "-m", "grader", "check", "hits", app, "--only", "agreement", "--lang", "el"],
                           capture_output=True, text=True, timeout=120)
    assert asked.returncode == 1 and "Κάθε worker βλέπει την ίδια μέτρηση" in asked.stdout, asked.stdout + asked.stderr
    import os
    env = {**os.environ, "LANG": "el_GR.UTF-8", "LC_ALL": "", "LANGUAGE": ""}
    local = subprocess.run([sys.executable, "-m", "grader", "check", "hits", app, "--only", "agreement"],
                           capture_output=True, text=True, timeout=120, env=env)
    assert "Ο βαθμολογητής έστειλε 6 αιτήματα POST /hits" in local.stdout, local.stdout + local.stderr
    english = subprocess.run([sys.executable, "-m", "grader", "check", "hits", app, "--only", "agreement", "--lang", "en"],
                             capture_output=True, text=True, timeout=120, env=env)
    assert "The grader sent 6 POST /hits requests" in english.stdout


def test_printing_a_message_in_a_greek_notebook_says_it_in_greek(tmp_path, monkeypatch):
    """What a lesson's cell prints (``print(response.describe())``) follows the notebook's language."""
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text(json.dumps({"metadata": {"factor_six": {"lang": "el"}}, "cells": []}), encoding="utf-8")
    said = _("{worker} said {value}", worker="web.2", value=3)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert str(said) == "web.2 said 3"
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    assert str(said) == "ο web.2 είπε 3" and repr(said) == "'ο web.2 είπε 3'"
    assert said == "web.2 said 3"  # as data (comparisons, hashing, JSON), a message stays its English text
    assert choose(None) == "el"


def test_a_message_with_any_value_turns_into_json():
    message = _("{worker} wrote {path} ({where})", worker="web.1", path=Path("/tmp/x"), where=_("its scratch space"))
    data = json.loads(json.dumps(message.to_dict()))
    assert data["params"]["path"] == "/tmp/x" and from_dict(data).render("el").startswith("ο web.1 έγραψε")


def test_argparse_speaks_the_cli_language_and_only_inside_the_cli():
    import argparse
    env = {**os.environ, "LANGUAGE": "el"}
    missing = subprocess.run([sys.executable, "-m", "grader", "check"], capture_output=True, text=True, timeout=60, env=env)
    assert missing.returncode == 2
    assert "χρήση: grader check" in missing.stderr and "σφάλμα: λείπουν τα εξής υποχρεωτικά ορίσματα: exercise, path" \
        in missing.stderr, missing.stderr
    helped = subprocess.run([sys.executable, "-m", "grader", "check", "--help", "--lang", "el"], capture_output=True,
                            text=True, timeout=60)
    assert "ορίσματα θέσης:" in helped.stdout and "επιλογές:" in helped.stdout and not english_in(helped.stdout)
    from grader.cli import main
    assert main(["check", "--lang", "el"]) == 2
    assert argparse._("usage: ") == "usage: "  # the CLI gave argparse its own gettext back


def test_a_greek_notebook_is_checked_in_greek_without_being_asked():
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "", "LANGUAGE": ""}
    notebook = ROOT / "practice" / "el" / "hits" / "hits.ipynb"
    run = subprocess.run([sys.executable, "-m", "grader", "check", "hits", str(notebook), "--only", "agreement"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 1 and run.stdout.startswith("hits: 0/2 μονάδες"), run.stdout + run.stderr
    assert not english_in(run.stdout), run.stdout
    english = subprocess.run([sys.executable, "-m", "grader", "check", "hits", str(notebook), "--only", "agreement",
                              "--lang", "en"], capture_output=True, text=True, timeout=120, env=env)
    assert english.stdout.startswith("hits: 0/2 points"), english.stdout
