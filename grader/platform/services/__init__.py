"""Backing services, attached to the app by URL: a SQLite database, a Redis-compatible store,
PostgreSQL and an S3-compatible object store."""
from __future__ import annotations


class ServiceError(Exception):
    """A backing service could not be started or reached; the message (``args[0]``, a
    :class:`~grader.i18n.Message`) says what to install or fix."""
