"""The chaos run's timeline as a picture: one bar per fault on a time axis, and a tick for every
request, red where it failed. Built as SVG elements, so every label is escaped by construction; the
report shows it under the feedback in a notebook (the text timeline says the same for terminals)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .run import Run

WIDTH, LEFT, ROW = 640, 8, 18  # pixels: the picture, the margin, one row
SCALE_ROW = 22
COLOURS = {"fault": "#8c6bb1", "failed_fault": "#c0392b", "ok": "#9aa5b1", "failed": "#c0392b"}


def timeline(run: Run) -> str:
    """The SVG of a chaos run: the faults, then the requests, over the run's seconds."""
    span = max([run.now(), *(event.end for event in run.events), *(call.at for call in run.calls)], default=1.0)
    scale = (WIDTH - 2 * LEFT) / max(span, 1.0)
    rows = len(run.events) + 2
    height = rows * ROW + SCALE_ROW
    svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", width=str(WIDTH), height=str(height),
                     viewBox=f"0 0 {WIDTH} {height}", role="img", style="font:11px sans-serif")
    ET.SubElement(svg, "title").text = "The chaos run: faults and requests over time"
    x = lambda seconds: f"{LEFT + seconds * scale:.1f}"  # noqa: E731
    for index, event in enumerate(run.events):
        top = index * ROW
        colour = COLOURS["failed_fault"] if event.error else COLOURS["fault"]
        ET.SubElement(svg, "rect", x=x(event.at), y=str(top + 3), width=f"{max((event.end - event.at) * scale, 3):.1f}",
                      height=str(ROW - 6), fill=colour)
        late = event.at > span / 2  # labels of the later faults go to the left of their bar
        label = ET.SubElement(svg, "text", x=x(event.at - 0.15) if late else x(event.end + 0.15),
                              y=str(top + ROW - 5), fill="#1d2a36", **{"text-anchor": "end" if late else "start"})
        label.text = f"{event.at:.1f} s: {event.what}" + (f" [{event.error}]" if event.error else "")
    top = len(run.events) * ROW
    ET.SubElement(svg, "text", x=str(LEFT), y=str(top + ROW - 5), fill="#1d2a36").text = \
        "requests (red: failed, no answer or a 5xx)"
    for call in run.calls:
        failed = call.response.status is None or call.response.status >= 500
        ET.SubElement(svg, "line", x1=x(call.at), x2=x(call.at), y1=str(top + ROW + 2), y2=str(top + 2 * ROW - 2),
                      stroke=COLOURS["failed" if failed else "ok"], **{"stroke-width": "2" if failed else "1"})
    axis = rows * ROW + 4
    ET.SubElement(svg, "line", x1=x(0), x2=x(span), y1=str(axis), y2=str(axis), stroke="#1d2a36")
    for second in range(0, int(span) + 1, 2):
        ET.SubElement(svg, "line", x1=x(second), x2=x(second), y1=str(axis), y2=str(axis + 4), stroke="#1d2a36")
        ET.SubElement(svg, "text", x=x(second), y=str(axis + 16), fill="#1d2a36",
                      **{"text-anchor": "middle"}).text = f"{second} s"
    return ET.tostring(svg, encoding="unicode")
