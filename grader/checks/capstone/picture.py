"""The chaos run's timeline as a picture: one bar per fault on a time axis, and a tick for every
request, red where it failed. Built as SVG elements, so every label is escaped by construction; the
report shows it under the feedback in a notebook (the text timeline says the same for terminals).

Its labels are messages: :func:`timeline` returns a :class:`Timeline`, whose str is the English
picture and whose :meth:`~Timeline.render` draws it again with the labels in another language."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .run import Run
from ...i18n import Text, _
from ...i18n.message import DEFAULT

WIDTH, LEFT, ROW = 640, 8, 18  # pixels: the picture, the margin, one row
SCALE_ROW = 22
COLOURS = {"fault": "#8c6bb1", "failed_fault": "#c0392b", "ok": "#9aa5b1", "failed": "#c0392b"}


class Timeline(Text):
    """The SVG of a chaos run, kept as what it shows (the run's span, its faults, its requests) so
    that it can be drawn in any language; as a ``str`` it is the English SVG."""

    __slots__ = ("drawn",)

    def __new__(cls, drawn: tuple):
        english = _draw(drawn, DEFAULT)
        self = str.__new__(cls, english)
        self.parts, self.sep, self.drawn = (english,), "", drawn
        return self

    def render(self, lang: str = DEFAULT) -> str:
        return _draw(self.drawn, lang)

    def __reduce__(self):
        return (Timeline, (self.drawn,))

    def __repr__(self) -> str:
        return f"Timeline({self.drawn!r})"


def timeline(run: Run) -> Timeline:
    """The SVG of a chaos run: the faults, then the requests, over the run's seconds."""
    span = max([run.now(), *(event.end for event in run.events), *(call.at for call in run.calls)], default=1.0)
    faults = tuple((event.at, event.end, event.what, event.error) for event in run.events)
    requests = tuple((call.at, call.response.status is None or call.response.status >= 500) for call in run.calls)
    return Timeline((span, faults, requests))


def _draw(drawn: tuple, lang: str) -> str:
    span, faults, requests = drawn
    scale = (WIDTH - 2 * LEFT) / max(span, 1.0)
    rows = len(faults) + 2
    height = rows * ROW + SCALE_ROW
    svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", width=str(WIDTH), height=str(height),
                     viewBox=f"0 0 {WIDTH} {height}", role="img", style="font:11px sans-serif")
    ET.SubElement(svg, "title").text = _("The chaos run: faults and requests over time").render(lang)
    x = lambda seconds: f"{LEFT + seconds * scale:.1f}"  # noqa: E731
    for index, (at, end, what, error) in enumerate(faults):
        top = index * ROW
        colour = COLOURS["failed_fault"] if error else COLOURS["fault"]
        ET.SubElement(svg, "rect", x=x(at), y=str(top + 3), width=f"{max((end - at) * scale, 3):.1f}",
                      height=str(ROW - 6), fill=colour)
        late = at > span / 2  # labels of the later faults go to the left of their bar
        label = ET.SubElement(svg, "text", x=x(at - 0.15) if late else x(end + 0.15),
                              y=str(top + ROW - 5), fill="#1d2a36", **{"text-anchor": "end" if late else "start"})
        said = _("{at:.1f} s: {fault}", at=at, fault=what)
        label.text = Text((said, " [", error, "]") if error else (said,), "").render(lang)
    top = len(faults) * ROW
    ET.SubElement(svg, "text", x=str(LEFT), y=str(top + ROW - 5), fill="#1d2a36").text = \
        _("requests (red: failed, no answer or a 5xx)").render(lang)
    for at, failed in requests:
        ET.SubElement(svg, "line", x1=x(at), x2=x(at), y1=str(top + ROW + 2), y2=str(top + 2 * ROW - 2),
                      stroke=COLOURS["failed" if failed else "ok"], **{"stroke-width": "2" if failed else "1"})
    axis = rows * ROW + 4
    ET.SubElement(svg, "line", x1=x(0), x2=x(span), y1=str(axis), y2=str(axis), stroke="#1d2a36")
    for second in range(0, int(span) + 1, 2):
        ET.SubElement(svg, "line", x1=x(second), x2=x(second), y1=str(axis), y2=str(axis + 4), stroke="#1d2a36")
        ET.SubElement(svg, "text", x=x(second), y=str(axis + 16), fill="#1d2a36",
                      **{"text-anchor": "middle"}).text = f"{second} s"
    return ET.tostring(svg, encoding="unicode")
