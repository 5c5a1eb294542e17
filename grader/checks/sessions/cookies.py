"""Reading session cookies, and making the forged ones the hidden check sends.

A cookie either carries the session itself (the user's name can be read in it, plainly or once
decoded: Flask's default session, a cookie ``user=ada``) or only names a session kept elsewhere (an
id, which reads as noise). That difference decides most diagnoses: a worker that rejects a cookie
carrying data rejects its signature, so its key differs; a worker that rejects an id does not know
the session, so the session was kept in another process.

The forgeries are what an attacker tries with a copy of their own cookie: noise of the same shape,
one character changed, their own name swapped for a victim's (keeping the old signature), and that
swapped payload signed again with keys people leave in their code.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import random
import zlib
from dataclasses import dataclass
from http.cookies import SimpleCookie

from itsdangerous import TimestampSigner

from ...i18n import N_, Message, Text, _

GUESSABLE_KEYS = ("dev", "secret", "development", "changeme", "secret-key", "secret_key", "flask", "key")
FLASK_SALT = "cookie-session"  # what Flask's default session signs with, besides the app's key
SHOWN_CHARS = 10  # characters of a cookie's value quoted at each end in feedback

PLAIN, ENCODED, SIGNED_DATA, OPAQUE = "plain", "encoded", "signed data", "opaque"
# Both the kinds of forgery and, in the feedback of a check they all failed, the words for them.
MADE_UP, CHANGED, RENAMED, RESIGNED = (N_("made up"), N_("one character changed"), N_("renamed"),
                                       N_("re-signed with a guessable key"))


@dataclass(frozen=True)
class Anatomy:
    """What one cookie carries. ``kind``: plain (the name in clear), encoded (base64 of it),
    signed data (an itsdangerous token: payload.timestamp.signature), or opaque (an id)."""

    name: str
    value: str
    kind: str
    payload: str = ""  # the decoded text that holds the user's name, when it can be read

    @property
    def carries_data(self) -> bool:
        return self.kind != OPAQUE

    def describe(self) -> Message:
        shown = Text((self.name, "=", shorten(self.value)), "")
        if self.kind == PLAIN:
            return _("{cookie}, which holds the user's name in plain text", cookie=shown)
        if self.kind == OPAQUE:
            return _("{cookie}, which reads as a random id: the session itself is kept elsewhere", cookie=shown)
        payload = self.payload if len(self.payload) <= 80 else self.payload[:77] + "..."
        if self.kind == SIGNED_DATA:
            return _("{cookie}, whose first part decodes to {payload}: signed session data (Flask's default "
                     "session looks like this)", cookie=shown, payload=payload)
        return _("{cookie}, whose first part decodes to {payload}: the session data, merely encoded",
                 cookie=shown, payload=payload)


@dataclass(frozen=True)
class Forgery:
    """One forged value for one cookie: its kind (one of KINDS) and how it was made, for feedback."""

    cookie: str
    value: str
    kind: str
    how: Message
    names: str = ""  # the other user the forged cookie claims to be, when it claims one
    key: str = ""  # the guessable key it was signed with, when it was re-signed


def shorten(value: str) -> str | Message:
    if len(value) <= 2 * SHOWN_CHARS + 3:
        return value
    return _("{start}...{end} ({length} characters)", start=value[:SHOWN_CHARS], end=value[-SHOWN_CHARS:],
             length=len(value))


def anatomy(name: str, value: str, user: str) -> Anatomy:
    """Read a cookie that was set for ``user``."""
    if user in value:
        return Anatomy(name, value, PLAIN, value)
    token = _itsdangerous_payload(value)
    if token is not None and user in token:
        return Anatomy(name, value, SIGNED_DATA, token)
    decoded = _b64decode(value)
    if decoded is not None and user in decoded:
        return Anatomy(name, value, ENCODED, decoded)
    return Anatomy(name, value, OPAQUE)


def session_cookies(jar: SimpleCookie, user: str) -> list[Anatomy]:
    return [anatomy(name, morsel.value, user) for name, morsel in jar.items() if morsel.value]


def forgeries(cookie: Anatomy, user: str, other: str, rng: random.Random) -> list[Forgery]:
    """Every forged value the grader tries in place of ``cookie`` (set for ``user``)."""
    made = [Forgery(cookie.name, _noise_like(cookie.value, rng), MADE_UP,
                    _("a value the grader made up, of the same length and made of the same characters as the "
                      "real one"))]
    changed = _one_changed(cookie.value, rng)
    if changed is not None:
        value, position, old, new = changed
        made.append(Forgery(cookie.name, value, CHANGED,
                            _("the real cookie with one character changed in the middle (character {position}, "
                              "{old} became {new})", position=position + 1, old=repr(old), new=repr(new))))
    renamed = _renamed(cookie, user, other)
    if renamed is not None:
        made.append(Forgery(cookie.name, renamed, RENAMED,
                            _("the real cookie with the name {user} replaced by {other}, the rest (any signature "
                              "included) left as it was", user=user, other=other), other))
    if cookie.kind == SIGNED_DATA:
        payload = _b64encode(cookie.payload.replace(user, other).encode())
        for key in GUESSABLE_KEYS:
            signer = TimestampSigner(key, salt=FLASK_SALT, key_derivation="hmac", digest_method=hashlib.sha1)
            made.append(Forgery(cookie.name, signer.sign(payload).decode(), RESIGNED,
                                _("session data naming {other}, signed as Flask signs its sessions but with the "
                                  "key {key}", other=other, key=repr(key)), other, key))
    return made


def cleared(response, name: str) -> bool:
    """Whether the response told the client to forget the cookie ``name``."""
    for header in response.header("Set-Cookie"):
        jar = SimpleCookie()
        try:
            jar.load(header)
        except Exception:  # a header http.cookies cannot parse tells us nothing either way
            continue
        morsel = jar.get(name)
        if morsel is not None and (not morsel.value or morsel["max-age"] in ("0", "-1")
                                   or "1970" in morsel["expires"]):
            return True
    return False


def _itsdangerous_payload(value: str) -> str | None:
    """The payload of ``payload.timestamp.signature`` (``.``-prefixed when compressed) as text."""
    compressed = value.startswith(".")
    parts = value.lstrip(".").split(".")
    if len(parts) < 2:
        return None
    data = _b64bytes(parts[0])
    if data is None:
        return None
    if compressed:
        try:
            data = zlib.decompress(data)
        except zlib.error:
            return None
    return data.decode("utf-8", "replace")


def _b64decode(value: str) -> str | None:
    data = _b64bytes(value.strip('"'))
    return None if data is None else data.decode("utf-8", "replace")


def _b64bytes(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _renamed(cookie: Anatomy, user: str, other: str) -> str | None:
    if cookie.kind == PLAIN:
        return cookie.value.replace(user, other)
    if cookie.kind == ENCODED:
        padded = cookie.value.strip('"').endswith("=")
        encoded = base64.urlsafe_b64encode(cookie.payload.replace(user, other).encode()).decode()
        return encoded if padded else encoded.rstrip("=")
    if cookie.kind == SIGNED_DATA:
        rest = cookie.value.lstrip(".").split(".", 1)[1]
        return _b64encode(cookie.payload.replace(user, other).encode()).decode() + "." + rest
    return None


def _noise_like(value: str, rng: random.Random) -> str:
    alphabet = sorted(set(value)) or list("abcdef0123456789")
    while True:
        noise = "".join(rng.choice(alphabet) for _char in value) or "x"
        if noise != value:
            return noise


def _one_changed(value: str, rng: random.Random) -> tuple[str, int, str, str] | None:
    """One character changed near the middle of the longest run of letters and digits, never at the
    end of a run: the last character of a base64 text may carry only padding bits, which decoders
    ignore, so changing it need not change the data at all."""
    runs, start = [], None
    for index, char in enumerate(value + " "):
        if char.isalnum() or char in "-_":
            start = index if start is None else start
        elif start is not None:
            runs.append((start, index))
            start = None
    runs = [(a, b) for a, b in runs if b - a >= 3]
    if not runs:
        return None
    first, end = max(runs, key=lambda run: run[1] - run[0])
    position = (first + end - 1) // 2
    old = value[position]
    choices = sorted(set(value[first:end]) - {old}) or sorted(set("abcdefghijklmnopqrstuvwxyz") - {old})
    new = rng.choice(choices)
    return value[:position] + new + value[position + 1:], position, old, new
