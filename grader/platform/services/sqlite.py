"""The SQLite backing service: a database file outside every worker's sandbox.

SQLite has no server; the "service" is a file in a directory that no worker owns, reached through
``DATABASE_URL`` in SQLAlchemy's form (``sqlite:////absolute/path.db``). An external database is
attached instead when the user gives its URL.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SQLiteService:
    directory: Path

    def url_for(self, name: str) -> str:
        """A fresh, empty database for one check, so no check sees another's rows."""
        return f"sqlite:///{self.path_for(name)}"

    def path_for(self, name: str) -> Path:
        return self.directory / f"{name}.db"

    @staticmethod
    def path_of(url: str) -> Path | None:
        """The file behind a sqlite URL (None for other databases)."""
        if url.startswith("sqlite:///"):
            return Path(url[len("sqlite:///"):]).resolve()
        return None
