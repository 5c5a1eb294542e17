"""The page every capstone check reads: GET / and the stylesheet it links."""
from __future__ import annotations

import re

STYLESHEET = re.compile(r'<link[^>]*rel=["\']?stylesheet["\']?[^>]*>', re.I)
HREF = re.compile(r'href=["\']?([^"\' >]+)', re.I)
FINGERPRINTED = re.compile(r"^/static/style\.[0-9a-f]{8,}\.css$")


def stylesheet_of(body: str) -> str | None:
    """The href of the page's first stylesheet link, or None."""
    links = [HREF.search(tag) for tag in STYLESHEET.findall(body or "")]
    return next((link[1] for link in links if link), None)
