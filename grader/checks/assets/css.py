"""What the ``assets`` checks know about CSS bundles: where a release keeps its sources, manifest and
bundle, how two stylesheets are compared, the edit the grader makes to test a rebuild, and how a page
links its stylesheet.

Stylesheets are compared the way the contract allows a build to change them: comments, whitespace
and the optional last semicolon of a block do not count, so a minified bundle matches its sources.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ...i18n import Message, _

SOURCE_DIR = "assets"
OUTPUT_DIR = "static"
MANIFEST = f"{OUTPUT_DIR}/manifest.json"
KEY = "app.css"
FINGERPRINTED = re.compile(r"^app\.([0-9a-fA-F]{6,64})\.css$")
PROBE = "--factor-six-probe"  # the custom property the grader adds to a rule to test a rebuild
KNOWN_HASHES = ("sha256", "md5", "sha1", "blake2b", "sha512")
COMMENT = re.compile(rb"/\*.*?\*/", re.DOTALL)
SPACE = re.compile(rb"\s+")
RULE_BODY = re.compile(r"\{([^{}]*)\}")


class NoBundle(Exception):
    """The release holds no usable manifest or bundle; the message says what is missing, in words."""

    @property
    def what(self) -> Message | str:
        """What is missing, as the message it was raised with (``str(self)`` is its English)."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)


@dataclass(frozen=True)
class Bundle:
    """The bundle a release's manifest names: its file name and its bytes."""

    name: str
    data: bytes

    @property
    def url(self) -> str:
        return f"/{OUTPUT_DIR}/{self.name}"

    @property
    def fingerprint(self) -> str | None:
        """The hex digits between ``app.`` and ``.css``, or None when the name has none."""
        match = FINGERPRINTED.match(self.name)
        return match.group(1).lower() if match else None

    def hash_used(self) -> str | None:
        """Which well-known hash of the bytes the fingerprint is a prefix of ("SHA-256"), if any."""
        fingerprint = self.fingerprint
        for algorithm in KNOWN_HASHES:
            if fingerprint and hashlib.new(algorithm, self.data).hexdigest().startswith(fingerprint):
                return algorithm.upper().replace("SHA", "SHA-") if algorithm.startswith("sha") else algorithm.upper()
        return None


def sources(release_path: Path) -> list[str]:
    """The release's CSS sources, ``assets/NAME.css``, in file-name order."""
    folder = release_path / SOURCE_DIR
    return [f"{SOURCE_DIR}/{path.name}" for path in sorted(folder.glob("*.css"), key=lambda p: p.name)]


def manifest_entry(release_path: Path) -> str:
    """The file name the release's manifest gives for ``app.css``; NoBundle says what is wrong."""
    path = release_path / MANIFEST
    if not path.is_file():
        raise NoBundle(_("the release has no {manifest}", manifest=MANIFEST))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise NoBundle(_("{manifest} is not valid JSON ({error})", manifest=MANIFEST, error=str(error))) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get(KEY), str):
        raise NoBundle(_('{manifest} does not map "{key}" to a file name; it holds {value}', manifest=MANIFEST,
                         key=KEY, value=_short(manifest)))
    return manifest[KEY]


def bundle_of(release_path: Path) -> Bundle:
    """The bundle the manifest names, read from the release's ``static/`` folder; or NoBundle."""
    name = manifest_entry(release_path)
    if "/" in name or name in ("", ".", ".."):
        raise NoBundle(_('{manifest} maps "{key}" to {name}, which is not a file name inside {folder}/',
                         manifest=MANIFEST, key=KEY, name=repr(name), folder=OUTPUT_DIR))
    path = release_path / OUTPUT_DIR / name
    if not path.is_file():
        bundle = f"{OUTPUT_DIR}/{name}"
        raise NoBundle(_("{manifest} names {name}, but the release has no {bundle}", manifest=MANIFEST, name=name,
                         bundle=bundle))
    return Bundle(name, path.read_bytes())


def normalize(css: bytes) -> bytes:
    """The stylesheet without comments, whitespace, or the semicolon before a closing brace."""
    return SPACE.sub(b"", COMMENT.sub(b"", css)).replace(b";}", b"}")


def expected(release_path: Path) -> bytes:
    """What the bundle must hold (normalized): every source, in file-name order."""
    return b"".join(normalize((release_path / name).read_bytes()) for name in sources(release_path))


def order_problem(bundle: bytes, release_path: Path) -> Message | None:
    """None when the bundle holds exactly the sources in order, else what differs, in words."""
    got = normalize(bundle)
    if got == expected(release_path):
        return None
    names = sources(release_path)
    texts = {name: normalize((release_path / name).read_bytes()) for name in names}
    missing = [name for name in names if texts[name] and texts[name] not in got]
    if missing:
        return _("it lacks the rules of {sources}", sources=", ".join(missing))
    present = [name for name in names if texts[name]]
    found = sorted(present, key=lambda name: got.find(texts[name]))
    if found != present and b"".join(texts[name] for name in found) == got:
        return _("it holds the sources in the order {found}, not in file-name order ({sources})",
                 found=", ".join(found), sources=", ".join(present))
    extra = len(got) - len(expected(release_path))
    if extra > 0:
        return _("it holds every source, plus {count} more characters of CSS that no source has", count=extra)
    return _("its rules differ from the sources'")


def edit_rule(css: str, token: str) -> tuple[str, Message]:
    """(new text, what changed): the first rule of ``css`` gets one more declaration.

    The grader changes a rule, not only whitespace, so that a build which minifies its output must
    still produce a new fingerprint. A source with no rule gets a new one at its end.
    """
    declaration = f"{PROBE}: {token};"
    match = RULE_BODY.search(css)
    if match is None:
        rule = f".factor-six-probe {{ {declaration} }}"
        return css.rstrip("\n") + ("\n" if css.strip() else "") + rule + "\n", _("added the rule `{rule}`", rule=rule)
    body = match.group(1).rstrip()
    joiner = "" if not body.strip() or body.endswith(";") else ";"
    selector = css[:match.start()].rsplit("}", 1)[-1].strip()
    selector = COMMENT.sub(b"", selector.encode()).decode().strip() or _("its first rule")
    new = css[:match.start(1)] + body + joiner + " " + declaration + " " + css[match.end(1):]
    return new, _("added `{declaration}` to the rule `{selector}`", declaration=declaration, selector=selector)


def stylesheet_links(html: str) -> list[str]:
    """Every ``href`` of a ``<link rel="stylesheet">`` in the page, in order."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.links


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "link" and "stylesheet" in (values.get("rel") or "").lower().split():
            self.links.append(values.get("href") or "")


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."
