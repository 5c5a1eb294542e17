"""A worker incarnation's private disk: a fresh writable copy of the release, plus HOME and TMPDIR,
and the folders that stand in for its own ``/tmp`` and ``/var/tmp`` (see :mod:`grader.platform.isolation`).

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

    @property
    def machine(self) -> dict[str, Path]:
        """Where the worker's private ``/tmp`` and ``/var/tmp`` really are (when isolation works)."""
        return {"/tmp": self.root / "slash-tmp", "/var/tmp": self.root / "slash-var-tmp"}

    def real_path(self, seen: str) -> Path | None:
        """Where a path the isolated worker saw under its private /tmp or /var/tmp really is."""
        for target, folder in self.machine.items():
            if seen == target or seen.startswith(target + "/"):
                return folder / seen[len(target):].lstrip("/")
        return None

    @classmethod
    def create(cls, root: Path, release: Path) -> "Sandbox":
        sandbox = cls(root)
        _copy_writable(release, sandbox.app)
        sandbox.home.mkdir()
        sandbox.tmp.mkdir()
        for folder in sandbox.machine.values():
            folder.mkdir()
        return sandbox

    def leftover_scratch(self, private_machine_tmp: bool = False) -> list[str]:
        """Files still in scratch space, as the worker names them (``$TMPDIR/x``, ``/tmp/y``).

        Scratch space must be emptied by the request that used it. The private /tmp only counts
        when the worker really had one.
        """
        return [shown for shown, _ in self.leftover_files(private_machine_tmp)]

    def leftover_files(self, private_machine_tmp: bool = False) -> list[tuple[str, Path]]:
        """Like :meth:`leftover_scratch`, each name with where the file really is on this machine."""
        places = {"$TMPDIR": self.tmp}
        if private_machine_tmp:
            places.update(self.machine)
        found = []
        for shown, folder in places.items():
            if folder.exists():
                found += [(f"{shown}/{path.relative_to(folder).as_posix()}", path)
                          for path in sorted(folder.rglob("*")) if path.is_file() or path.is_symlink()]
        return found

    def wipe(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _copy_writable(source: Path, target: Path) -> None:
    for root, _dirs, files in os.walk(source):
        destination = target / Path(root).relative_to(source)
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copyfile(Path(root, name), destination / name)
