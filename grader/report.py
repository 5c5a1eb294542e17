"""A grading run's results, rendered three ways from one source of truth: text, HTML and JSON."""
from __future__ import annotations

import xml.etree.ElementTree as ET
import json
from dataclasses import dataclass

from .checks.base import CheckResult

MARKS = {"passed": "PASS", "failed": "FAIL", "could not grade": "NOT GRADED"}
COLOURS = {"passed": "#1a7f37", "failed": "#cf222e"}


@dataclass(frozen=True)
class Report:
    exercise: str
    origin: str
    seed: int
    results: list[CheckResult]
    notes: tuple[str, ...] = ()  # what the learner should know about the input graded (see source.py)

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
        return {"exercise": self.exercise, "score": self.score, "max_score": self.max_score,
                "checks": [result.to_dict() for result in self.results]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = [f"{self.exercise}: {_number(self.score)}/{self.max_score} points ({self.origin}, seed {self.seed})", ""]
        for result in self.results:
            lines.append(f"[{MARKS[result.status]}] {result.name} ({_number(result.points)}/{result.max_points}): {result.title}")
            lines.extend("    " + line for line in result.feedback.splitlines())
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    __str__ = to_text

    def _repr_html_(self) -> str:
        """A table for notebooks, built as elements so every text is escaped by construction."""
        root = ET.Element("div")
        title = ET.SubElement(ET.SubElement(root, "p"), "b")
        title.text = f"{self.exercise}: {_number(self.score)}/{self.max_score} points"
        table = ET.SubElement(root, "table")
        _row(table, "th", ["", "check", "points", "what happened"])
        for result in self.results:
            row = _row(table, "td", [MARKS[result.status], result.title,
                                     f"{_number(result.points)}/{result.max_points}", ""])
            mark, check, _, feedback = list(row)
            mark.set("style", f"color:{COLOURS.get(result.status, '#9a6700')};font-weight:bold")
            ET.SubElement(check, "br").tail = None
            ET.SubElement(check, "code").text = result.name
            pre = ET.SubElement(feedback, "pre", style="white-space:pre-wrap;margin:0;text-align:left")
            pre.text = result.feedback
        return ET.tostring(root, encoding="unicode", method="html")


def _row(table: ET.Element, cell: str, texts: list[str]) -> ET.Element:
    row = ET.SubElement(table, "tr")
    for text in texts:
        ET.SubElement(row, cell).text = text
    return row


def _number(value: float) -> str:
    return f"{value:g}"
