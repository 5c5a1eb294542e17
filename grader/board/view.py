"""The dashboard's displays as widgets: the process table, the log, a message line and the chart.

HTML is built as an element tree (never glued from strings), so a worker's answer can hold any
character without breaking the page.
"""
from __future__ import annotations

import json
import numbers
import xml.etree.ElementTree as ET

import ipywidgets as widgets

from ..i18n import N_, render, translate
from .model import LogLine, ProcessRow, cells, headings

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
NEUTRAL = "#555555"
ERROR = "#b00020"
CELL = "padding: 0 0.8em 0 0; text-align: left"
MONO = "font-family: monospace; font-size: 12px"


class Colours:
    """One colour per worker name, in order of first appearance (stable for a given cluster)."""

    def __init__(self) -> None:
        self._given: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if not name:
            return NEUTRAL
        if name not in self._given:
            self._given[name] = PALETTE[len(self._given) % len(PALETTE)]
        return self._given[name]


def _html(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode", method="html")


def table_html(rows: list[ProcessRow], colour: Colours, lang: str = "en") -> str:
    table = ET.Element("table", style=f"border-collapse: collapse; {MONO}")
    head = ET.SubElement(table, "tr")
    for title in headings(lang):
        ET.SubElement(head, "th", style=CELL).text = title
    for row in rows:
        faded = "" if row.current else "; opacity: 0.55"
        line = ET.SubElement(table, "tr", style=f"color: {colour(row.name)}{faded}")
        for text in cells(row, lang):
            ET.SubElement(line, "td", style=CELL).text = text
    return _html(table)


def log_html(lines: list[LogLine], colour: Colours, lang: str = "en") -> str:
    block = ET.Element("pre", style=f"{MONO}; margin: 0; white-space: pre-wrap")
    for line in lines:
        span = ET.SubElement(block, "span", style=f"color: {colour(line.worker)}")
        span.text, span.tail = render(line.text, lang), "\n"
    if not lines:
        block.text = translate(N_("(no requests yet)"), lang)
    return _html(block)


def message_html(text: str, error: bool) -> str:
    """The message line; ``text`` is already in the dashboard's language."""
    block = ET.Element("div", style=f"{MONO}; color: {ERROR if error else NEUTRAL}; white-space: pre-wrap")
    block.text = text
    return _html(block)


def numeric(value) -> float | None:
    """The value as a bar length: a number, or the one number in an object like {"hits": 3}."""
    if isinstance(value, dict) and len(value) == 1:
        (value,) = value.values()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def as_text(value, limit: int = 40) -> str:
    """A worker's answer as compact JSON, cut to ``limit`` characters ("-" for no answer)."""
    if value is None:
        return "-"
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Bars(widgets.VBox):
    """One horizontal bar per worker: the number it answered (text, for an answer that is not one)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, object] = {}
        self._rows: dict[str, tuple[widgets.FloatProgress, widgets.Label]] = {}

    def show(self, values: dict[str, object], colour: Colours) -> None:
        self.values = dict(values)
        if list(values) != list(self._rows):
            self._rows = {name: self._new_row(name, colour(name)) for name in values}
            self.children = [widgets.HBox([bar, label]) for bar, label in self._rows.values()]
        lengths = [numeric(value) for value in values.values()]
        top = max([length for length in lengths if length is not None] + [1.0])
        for (name, value), length in zip(values.items(), lengths):
            bar, label = self._rows[name]
            bar.max = top
            bar.value = max(0.0, min(length or 0.0, top))
            label.value = as_text(value)

    @staticmethod
    def _new_row(name: str, colour: str) -> tuple[widgets.FloatProgress, widgets.Label]:
        bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=name,
                                    style={"bar_color": colour}, layout=widgets.Layout(width="22em"))
        return bar, widgets.Label()
