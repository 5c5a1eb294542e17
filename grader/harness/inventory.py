"""What an app's backing stores hold, counted, so that a check can tell whether a request stored anything.

An inventory maps every place that holds data to how much it holds: each key of the Redis database
in ``REDIS_URL`` (the members of a hash, list, set, sorted set or stream; 1 for a string) and each
table of the SQLite database in ``DATABASE_URL`` (its rows). A counter that only changes its value
(an id sequence) therefore changes nothing; a new key, a new field or a new row does. Comparing two
inventories with :func:`growth` names what appeared or grew, in words for feedback.

Stores shared with other checks (an external Redis or database given by URL) cannot be counted for
one check alone; :func:`take` leaves them out, so nothing is ever blamed on another check's traffic.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing

from ..i18n import Message, _, _n
from ..platform.services.sqlite import SQLiteService

TIMEOUT = 5.0  # seconds for one look at a store
SIZES = {"hash": "hlen", "list": "llen", "set": "scard", "zset": "zcard", "stream": "xlen"}


def take(env: dict[str, str], *, redis: bool = True, database: bool = True) -> dict[str, int]:
    """Count what the stores named in ``env`` hold: ``{"redis key 'x'": 3, "SQLite table t": 7}``.

    Pass ``redis=False`` / ``database=False`` for a store that other checks share. Raises OSError
    or redis.RedisError when a store cannot be read.
    """
    found: dict[str, int] = {}
    if redis and env.get("REDIS_URL"):
        found.update(_redis(env["REDIS_URL"]))
    path = SQLiteService.path_of(env.get("DATABASE_URL", "")) if database else None
    if path is not None and path.exists():
        found.update(_sqlite(path))
    return found


def growth(before: dict[str, int], after: dict[str, int]) -> list[Message]:
    """What appeared or grew between two inventories, one phrase (a message) each, in a stable order."""
    said = []
    for place, count in after.items():
        rows, where = place.startswith("SQLite"), _place(place)
        if place not in before and place.startswith("Redis string"):
            said.append(_("{place} appeared", place=where))
        elif place not in before and rows:
            # TRANSLATORS: the English keeps the plural even for one; give the singular its own form.
            said.append(_n("{place} appeared, holding {count} rows", "{place} appeared, holding {count} rows",
                           count, place=where))
        elif place not in before:
            # TRANSLATORS: the English keeps the plural even for one; give the singular its own form.
            said.append(_n("{place} appeared, holding {count} entries", "{place} appeared, holding {count} entries",
                           count, place=where))
        elif count > before[place] and rows:
            # TRANSLATORS: the English keeps the plural even for one; give the singular its own form.
            said.append(_n("{place} grew from {before} to {count} rows", "{place} grew from {before} to {count} rows",
                           count, place=where, before=before[place]))
        elif count > before[place]:
            # TRANSLATORS: the English keeps the plural even for one; give the singular its own form.
            said.append(_n("{place} grew from {before} to {count} entries",
                           "{place} grew from {before} to {count} entries", count, place=where, before=before[place]))
    return said


def _place(place: str) -> Message | str:
    """An inventory's place (``SQLite table 'reports'``, ``Redis hash 'report:1'``) as a message."""
    if place.startswith("SQLite table "):
        return _("SQLite table {name}", name=place[len("SQLite table "):])
    if place.startswith("Redis "):
        kind, _space, name = place[len("Redis "):].partition(" ")
        return _("Redis {kind} {name}", kind=kind, name=name)
    return place


def _redis(url: str) -> dict[str, int]:
    import redis  # imported here: the grader needs the client only for the checks that count
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    with closing(client):
        found = {}
        for key in client.scan_iter(count=500):
            kind = client.type(key).decode()
            size = getattr(client, SIZES[kind])(key) if kind in SIZES else 1
            found[f"Redis {kind} {key.decode(errors='replace')!r}"] = int(size)
        return found


def _sqlite(path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=TIMEOUT)) as database:
        tables = [name for (name,) in database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        quoted = {name: '"' + name.replace('"', '""') + '"' for name in tables}
        return {f"SQLite table {name!r}": database.execute(f"SELECT count(*) FROM {quoted[name]}").fetchone()[0]
                for name in tables}
