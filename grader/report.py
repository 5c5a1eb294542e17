"""A grading run's results, rendered three ways from one source of truth: text, HTML and JSON."""
from __future__ import annotations

import html
import json
from dataclasses import dataclass

from .checks.base import CheckResult

MARKS = {"passed": "PASS", "failed": "FAIL", "could not grade": "NOT GRADED"}


@dataclass(frozen=True)
class Report:
    exercise: str
    origin: str
    seed: int
    results: list[CheckResult]

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
        rows = []
        for result in self.results:
            colour = {"passed": "#1a7f37", "failed": "#cf222e"}.get(result.status, "#9a6700")
            rows.append(
                f'<tr><td style="color:{colour};font-weight:bold">{html.escape(MARKS[result.status])}</td>'
                f"<td>{html.escape(result.title)}<br><code>{html.escape(result.name)}</code></td>"
                f"<td>{_number(result.points)}/{result.max_points}</td>"
                f'<td><pre style="white-space:pre-wrap;margin:0">{html.escape(result.feedback)}</pre></td></tr>')
        head = (f"<p><b>{html.escape(self.exercise)}</b>: {_number(self.score)}/{self.max_score} points</p>")
        return head + '<table><tr><th></th><th>check</th><th>points</th><th>what happened</th></tr>' + "".join(rows) + "</table>"


def _number(value: float) -> str:
    return f"{value:g}"
