"""A grading run's results, rendered three ways from one source of truth: text, HTML and JSON.

When the app cannot start, every remaining check is "could not grade" with one and the same feedback.
Text and HTML fold such a run into one banner (:class:`Blocked`) followed by the checks it stopped;
JSON keeps one entry per check, feedback included, so machines see the documented shape.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from itertools import groupby

from ..checks.base import NOT_GRADED, CheckResult
from ..i18n import N_, _, _n, choose, render, translate

MARKS = {"passed": N_("PASS"), "failed": N_("FAIL"), "could not grade": N_("NOT GRADED")}
STATUSES = {"passed": N_("passed"), "failed": N_("failed"), "could not grade": N_("could not grade")}
COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "could not grade": "#9a6700"}

# Inline styles, because a notebook front end's own CSS wins otherwise: JupyterLab right-aligns table
# cells and gives output <pre> `word-break: break-all`, which splits feedback words mid-way.
TABLE_STYLE = "width:100%;table-layout:auto;border-collapse:collapse;margin:0"
CELL_STYLE = "text-align:left;vertical-align:top;padding:0.4em 0.6em"
COLUMN_STYLES = ["white-space:nowrap", "width:18%;min-width:8em", "white-space:nowrap", ""]
PRE_STYLE = ("white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;margin:0;text-align:left;"
             "background:transparent")
NOTE_STYLE = f"border-left:4px solid {COLOURS[NOT_GRADED]};padding:0.2em 0.6em;margin:0.4em 0"
BANNER_STYLE = f"border-left:4px solid {COLOURS[NOT_GRADED]}"


@dataclass(frozen=True)
class Blocked:
    """Consecutive checks that could not be graded for one and the same reason (say, a boot failure)."""

    feedback: str
    results: tuple[CheckResult, ...]

    def headline(self, lang: str) -> str:
        return _n("Could not grade {count} check, all for the same reason:",
                  "Could not grade {count} checks, all for the same reason:", len(self.results)).render(lang)

    def feedback_in(self, lang: str) -> str:
        return self.results[0].feedback_in(lang)


def sections(results: list[CheckResult]) -> list[CheckResult | Blocked]:
    """The results in order, each run of two or more identical "could not grade" folded into a Blocked."""
    def key(pair: tuple[int, CheckResult]):
        index, result = pair
        return ("blocked", result.feedback) if result.status == NOT_GRADED else index

    folded: list[CheckResult | Blocked] = []
    for _key, pairs in groupby(enumerate(results), key=key):
        run = tuple(result for _index, result in pairs)
        folded.append(Blocked(run[0].feedback, run) if len(run) > 1 else run[0])
    return folded


@dataclass(frozen=True)
class Report:
    exercise: str
    origin: str
    seed: int
    results: list[CheckResult]
    notes: tuple[str, ...] = ()  # what the learner should know about the input graded (see source.py)
    lang: str = field(default="en", compare=False)  # the language text and HTML are rendered in

    def in_language(self, lang: str | None) -> "Report":
        """The same results, rendered in ``lang`` (None: the one the locale variables name)."""
        return replace(self, lang=choose(lang))

    @property
    def score(self) -> float:
        return round(sum(result.points for result in self.results), 2)

    @property
    def max_score(self) -> int:
        return sum(result.max_points for result in self.results)

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    def result(self, name: str) -> CheckResult:
        return next(result for result in self.results if result.name == name)

    def to_dict(self) -> dict:
        data = {"exercise": self.exercise, "score": self.score, "max_score": self.max_score,
                "checks": [result.to_dict(self.lang) for result in self.results]}
        if self.lang != "en":
            data["lang"] = self.lang
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @property
    def headline(self) -> str:
        return _("{exercise}: {score}/{max_score} points ({origin}, seed {seed})", exercise=self.exercise,
                 score=_number(self.score), max_score=self.max_score, origin=self.origin,
                 seed=self.seed).render(self.lang)

    def to_text(self, lang: str | None = None) -> str:
        """The report as text, in ``lang`` (by default the report's own language)."""
        if lang is not None and choose(lang) != self.lang:
            return self.in_language(lang).to_text()
        lines = [self.headline, *self._note_lines(), ""]
        for section in sections(self.results):
            if isinstance(section, Blocked):
                lines.append(section.headline(self.lang))
                lines.extend(_indent(section.feedback_in(self.lang)))
                lines.append("")
                lines.extend(_check_line(result, self.lang) for result in section.results)
            else:
                lines.append(_check_line(section, self.lang))
                lines.extend(_indent(section.feedback_in(self.lang)))
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def _note_lines(self) -> list[str]:
        """Warnings about the input (say, an app.py older than its notebook cell): before any result."""
        return [_("Note: {note}", note=render(note, self.lang)).render(self.lang) for note in self.notes]

    def __repr__(self) -> str:
        """The score and one line per check: what a terminal, or a notebook saved as text, shows."""
        width = max((len(result.name) for result in self.results), default=0)
        lines = [self.headline, *self._note_lines()]
        marks = {status: translate(mark, self.lang) for status, mark in MARKS.items()}
        mark_width = max(10, *(len(mark) for mark in marks.values()))
        lines += [f"  {marks[result.status]:<{mark_width}}  {result.name:<{width}}  {_points(result)}"
                  for result in self.results]
        lines.append(translate(N_("print() this report to read what each check found."), self.lang))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A table for notebooks, built as elements so every text is escaped by construction."""
        root = ET.Element("div")
        title = ET.SubElement(ET.SubElement(root, "p"), "b")
        lang = self.lang
        title.text = _("{exercise}: {score}/{max_score} points", exercise=self.exercise,
                       score=_number(self.score), max_score=self.max_score).render(lang)
        for note in self._note_lines():
            ET.SubElement(root, "p", style=NOTE_STYLE).text = note
        table = ET.SubElement(root, "table", style=TABLE_STYLE)
        _row(ET.SubElement(table, "thead"), "th",
             ["", *(translate(text, lang) for text in (N_("check"), N_("points"), N_("what happened")))])
        body = ET.SubElement(table, "tbody")
        for section in sections(self.results):
            if isinstance(section, Blocked):
                _banner_row(body, section, lang)
                for result in section.results:
                    _result_row(body, result, lang).text = translate(N_("Not graded: the reason is above."), lang)
            else:
                what = _result_row(body, section, lang)
                _pre(what, section.feedback_in(lang))
                if section.figure:  # the grader's own SVG (the chaos timeline), never the app's text
                    what.append(_inline_svg(section.figure))
        return ET.tostring(root, encoding="unicode", method="html")


def _inline_svg(text: str) -> ET.Element:
    """An SVG document as an element of the HTML table: HTML knows <svg> by its name, so the
    namespace ElementTree would spell out as a prefix (<ns0:svg>, which no browser draws) goes."""
    figure = ET.fromstring(text)
    for element in figure.iter():
        element.tag = element.tag.rpartition("}")[2]
    return figure


def _check_line(result: CheckResult, lang: str = "en") -> str:
    return f"[{translate(MARKS[result.status], lang)}] {result.name} ({_points(result)}): {result.title_in(lang)}"


def _row(parent: ET.Element, cell: str, texts: list[str]) -> ET.Element:
    row = ET.SubElement(parent, "tr")
    for text, column in zip(texts, COLUMN_STYLES):
        ET.SubElement(row, cell, style=";".join(filter(None, [CELL_STYLE, column]))).text = text
    return row


def _result_row(body: ET.Element, result: CheckResult, lang: str = "en") -> ET.Element:
    """A check's row: mark, title and name, points; returns the empty "what happened" cell."""
    row = _row(body, "td", [translate(MARKS[result.status], lang), result.title_in(lang), _points(result), ""])
    mark, check, _points_cell, what = list(row)
    mark.set("style", mark.get("style") + f";color:{COLOURS[result.status]};font-weight:bold")
    ET.SubElement(check, "br")
    ET.SubElement(check, "code").text = result.name
    return what


def _banner_row(body: ET.Element, blocked: Blocked, lang: str = "en") -> None:
    cell = ET.SubElement(ET.SubElement(body, "tr"), "td", colspan="4",
                         style=f"{CELL_STYLE};{BANNER_STYLE}")
    headline = ET.SubElement(ET.SubElement(cell, "p", style="margin:0 0 0.4em 0"), "b")
    headline.text = blocked.headline(lang)
    _pre(cell, blocked.feedback_in(lang))


def _pre(parent: ET.Element, text: str) -> None:
    ET.SubElement(parent, "pre", style=PRE_STYLE).text = text


def _indent(text: str) -> list[str]:
    return ["    " + line for line in text.splitlines()]


def _points(result: CheckResult) -> str:
    return f"{_number(result.points)}/{result.max_points}"


def _number(value: float) -> str:
    return f"{value:g}"
