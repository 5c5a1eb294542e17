"""Messages that are rendered late: an id (the English text, with named placeholders) and the values.

``_("{worker} returned {status}", worker="web.2", status=404)`` is a :class:`Message`; it becomes
words only in :func:`render`, in the language asked for. Values may themselves be messages (a
sentence inside a sentence) and are rendered in the same language; numbers stay numbers until then,
so a placeholder's format spec (``{seconds:.1f}``) works in every language. :class:`Text` puts
messages and verbatim text (a worker's log lines, a response body) together, one part per line.
Both turn into plain data (:meth:`to_dict`) and back, so a grading run's results can be stored and
shown later in either language.
"""
from __future__ import annotations

from typing import Union

from .catalogs import translations
from .language import LANGUAGES

DEFAULT = "en"


class Message(str):
    """A message: as a ``str`` it is its English rendering, so code that only concatenates or
    formats it keeps working (in English); :meth:`render` says it in any language."""

    __slots__ = ("id", "params", "plural", "count")

    def __new__(cls, id: str, params: tuple = (), plural: str | None = None, count: int | None = None):
        self = str.__new__(cls, _format(id, params, plural, count, DEFAULT))
        self.id, self.params, self.plural, self.count = id, tuple(params), plural, count
        return self

    def render(self, lang: str = DEFAULT) -> str:
        return _format(self.id, self.params, self.plural, self.count, lang)

    def __str__(self) -> str:
        """``print(message)``: in the language of the notebook this runs in (English elsewhere)."""
        return self.render(display_language())

    def __repr__(self) -> str:  # what a notebook shows for a message left as a cell's last value
        return repr(str(self))

    def __reduce__(self):
        return (Message, (self.id, self.params, self.plural, self.count))

    def to_dict(self) -> dict:
        data = {"id": self.id, "params": {name: _data(value) for name, value in self.params}}
        if self.plural is not None:
            data.update(plural=self.plural, count=self.count)
        return data


class Text(str):
    """Parts rendered one after the other, joined by ``sep``: messages, and verbatim strings (a
    worker's log lines). As a ``str`` it is its English rendering, like :class:`Message`."""

    __slots__ = ("parts", "sep")

    def __new__(cls, parts=(), sep: str = "\n"):
        parts = tuple(parts)
        self = str.__new__(cls, _join(parts, sep, DEFAULT))
        self.parts, self.sep = parts, sep
        return self

    def render(self, lang: str = DEFAULT) -> str:
        return _join(self.parts, self.sep, lang)

    def __str__(self) -> str:
        return self.render(display_language())

    def __repr__(self) -> str:
        return repr(str(self))

    def __reduce__(self):
        return (Text, (self.parts, self.sep))

    def to_dict(self) -> dict:
        return {"parts": [_data(part) for part in self.parts], "sep": self.sep}


def display_language() -> str:
    """The language ``str()`` and ``print()`` use: a notebook's own (its metadata), else English.
    The locale variables do not count here, so that plain ``str`` use inside the grader stays English;
    reports and feedback choose their language explicitly (:func:`grader.i18n.choose`)."""
    from .notebook import this_notebook_language
    lang = this_notebook_language()
    return lang if lang in LANGUAGES else DEFAULT


def _format(id: str, params: tuple, plural: str | None, count: int | None, lang: str) -> str:
    catalog = translations(lang)
    template = catalog.gettext(id) if plural is None else catalog.ngettext(id, plural, count)
    values = {name: _rendered(value, lang) for name, value in params}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation: say it in English rather than fail
        english = id if plural is None or count == 1 else plural
        return english.format(**values)


def _join(parts: tuple, sep: str, lang: str) -> str:
    return sep.join(rendered for rendered in (_rendered(part, lang) for part in parts) if rendered)


Renderable = Union[str, Message, Text]


def _(id: str, /, **params) -> Message:
    """A message to render later; ``id`` is the English text, ``params`` fill its placeholders."""
    return Message(id, tuple(params.items()))


def _n(singular: str, plural: str, count: int, /, **params) -> Message:
    """A message with a singular and a plural form, chosen by ``count`` (also a placeholder)."""
    return Message(singular, tuple({"count": count, **params}.items()), plural, count)


def N_(text: str) -> str:
    """Marks a plain string (a check's title) for the catalogs; :func:`translate` looks it up."""
    return text


def translate(text: str, lang: str = DEFAULT) -> str:
    """A plain marked string (:func:`N_`) in ``lang``."""
    return translations(lang).gettext(text) if text else text


def render(value, lang: str = DEFAULT) -> str:
    """Any feedback in ``lang``: a message, a text, or a plain string (looked up as it is)."""
    if isinstance(value, (Message, Text)):
        return value.render(lang)
    return "" if value is None else translate(str(value), lang)


def from_dict(data):
    """The message, text or plain value that :meth:`Message.to_dict` / :meth:`Text.to_dict` made."""
    if isinstance(data, dict) and "id" in data:
        params = tuple((name, from_dict(value)) for name, value in data.get("params", {}).items())
        return Message(data["id"], params, data.get("plural"), data.get("count"))
    if isinstance(data, dict) and "parts" in data:
        return Text(tuple(from_dict(part) for part in data["parts"]), data.get("sep", "\n"))
    return data


def _rendered(value, lang: str):
    if isinstance(value, (Message, Text)):
        return value.render(lang)
    return value if isinstance(value, (int, float)) or value is None else str(value)


def _data(value):
    """A value as JSON can hold it: messages as dicts, anything else not a number as its text."""
    if isinstance(value, (Message, Text)):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_data(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)
