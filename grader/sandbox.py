"""A worker incarnation's private disk: a fresh writable copy of the release, plus HOME and TMPDIR.

A new incarnation never sees what an earlier one wrote, and no worker sees another's files, exactly as
each dyno on a real platform gets its own ephemeral filesystem.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sandbox:
    root: Path

    @property
    def app(self) -> Path:
        return self.root / "app"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @classmethod
    def create(cls, root: Path, release: Path) -> "Sandbox":
        sandbox = cls(root)
        _copy_writable(release, sandbox.app)
        sandbox.home.mkdir()
        sandbox.tmp.mkdir()
        return sandbox

    def leftover_scratch(self) -> list[Path]:
        """Files still in TMPDIR (scratch space must be cleaned up by the request that used it)."""
        if not self.tmp.exists():
            return []
        return sorted(p for p in self.tmp.rglob("*") if p.is_file() or p.is_symlink())

    def wipe(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _copy_writable(source: Path, target: Path) -> None:
    for root, _dirs, files in os.walk(source):
        destination = target / Path(root).relative_to(source)
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(Path(root, name), destination / name)
