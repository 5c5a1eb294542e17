"""Finding English left in a text that should be Greek.

Verbatim material is set aside first: the app's own log lines (indented under a stdout/stderr
heading), code in backticks, quoted strings, URLs and paths. What remains is split into runs without
a Greek letter; a run with three or more common English words is an English sentence (or a piece of
one) that a message catalog should have translated.
"""
from __future__ import annotations

import re

GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
ENGLISH_WORDS = {"the", "a", "an", "and", "or", "of", "to", "in", "on", "is", "was", "were", "are", "be",
                 "it", "its", "this", "that", "with", "from", "for", "by", "not", "no", "every", "each",
                 "your", "you", "has", "had", "have", "but", "so", "then", "than", "which", "when",
                 "after", "before", "should", "must", "could", "would", "returned", "said", "sent", "got"}
VERBATIM = [re.compile(pattern, re.IGNORECASE) for pattern in (
    r"<(?:!doctype|html)\b.*?(?:\.\.\.|$)",  # an HTML page the app answered with, up to where it was cut
    r"`[^`]*`", r"'[^'\n]*'", r'"[^"\n]*"', r"\{[^{}\n]*\}", r"https?://\S+",
    r"(?<![\w$])(?:[~.]|\$\w+)?/[\w./$<>*-]+", r"\b\w+(?:/[\w.$<>*-]+)+")]  # paths: /a/b, $TMPDIR/a, a/b
WORD = re.compile(r"(?<![\w'])[A-Za-z']+(?![\w'])")  # a whole word: not the letters of "a8910cd"
LOG_HEADING = re.compile(r"\((?:stdout|stderr) \S+ [\w.]+(?:, pid \d+)?\):$")


def english_in(text: str) -> list[str]:
    """The English runs in ``text`` (empty when every sentence is Greek)."""
    found, in_log = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if LOG_HEADING.search(stripped):  # the app's own output follows, indented: it is not ours to translate
            in_log = True
            continue
        if in_log and (line.startswith("        ") or not stripped):
            continue
        in_log = False
        for pattern in VERBATIM:
            stripped = pattern.sub(" ", stripped)
        for run in GREEK.split(stripped):
            words = WORD.findall(run)
            if sum(word.lower() in ENGLISH_WORDS for word in words) >= 3:
                found.append(run.strip())
    return found
