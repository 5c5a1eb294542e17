"""The platform: one release, its backing services and a fork server, shared by every scenario.

``with Platform(source) as platform:`` builds the release, attaches the services and starts the
fork server; ``platform.cluster(...)`` then runs the app as a fresh set of workers with a fresh
namespace in every service. Leaving the block stops everything and sweeps any process the run left.
``platform.rebuild(changes)`` builds a new release of changed files, which a cluster then deploys.
"""
from __future__ import annotations

import atexit
import itertools
import os
import sys
import secrets
import threading
import time
import weakref
from dataclasses import replace
from pathlib import Path

from . import runs
from .cluster import Cluster
from .events import EventBus
from .forkserver import base_env, take_warm
from .isolation import DISABLE as DISABLE_PRIVATE_TMP
from .isolation import SHARED_SCRATCH
from .ports import free_port
from .procfile import python_script
from .quota import QUOTA, MemoryWatch
from .release import Release, build
from .routing import Router
from .sandbox import Sandbox
from .services.latency import LatencyRelay
from .services.postgres import PostgresServer
from .services.redis import RedisServer
from .services.s3 import S3Server
from .services.sqlite import SQLiteService
from .source import AppSource
from .worker import Incarnation, Worker

BOOT_TIMEOUT = 10.0
SESSION_TTL = 1800  # seconds a session may sit idle, unless a check or a lesson sets SESSION_TTL
BOOT_DIR = Path(__file__).parent / "_boot"
GRADER_HOME = str(Path(__file__).resolve().parents[2])  # the folder holding the grader package
DATABASES = ("sqlite", "postgresql")  # what DATABASE_URL can be: a SQLite file, or a PostgreSQL database
_live: "weakref.WeakSet[Platform]" = weakref.WeakSet()


class Platform:
    def __init__(self, source: AppSource, *, database_url: str | None = None,
                 redis_url: str | None = None, boot_timeout: float = BOOT_TIMEOUT,
                 env: dict[str, str] | None = None, private_tmp: bool | None = None,
                 services: tuple[str, ...] = ("DATABASE_URL", "REDIS_URL"), database: str = "sqlite",
                 memory_quota: int = QUOTA, memory_limit: int | None = None):
        """``services`` names the backing services to attach, by the variable that carries each one's
        URL: an exercise whose app needs none (``assets``) runs without a store; "AWS_ENDPOINT_URL"
        attaches an S3-compatible object store with a bucket per cluster. ``database`` says what
        ``DATABASE_URL`` is: a SQLite file ("sqlite") or a PostgreSQL database ("postgresql") per
        cluster (ignored when ``database_url`` names an external one). ``memory_quota`` is
        each process's memory quota in bytes (a small dyno's 512 MiB by default), ``memory_limit`` the
        hard limit at which it is stopped (twice the quota by default); see :mod:`.quota`. A cluster
        may set its own (``cluster.memory_quota``)."""
        if database not in DATABASES:
            raise ValueError(f"database must be one of {DATABASES}, not {database!r}")
        self.memory_quota, self.memory_limit = memory_quota, memory_limit
        self.source = source
        self.services = tuple(services)
        self.database = database
        self.external_database = database_url
        self.external_redis = redis_url
        self.boot_timeout = boot_timeout
        self.extra_env = {**app_config(), **(env or {})}
        # Each worker gets its own /tmp unless told otherwise (argument, or FACTOR_SIX_PRIVATE_TMP=0);
        # where the OS refuses, workers report it and the audit record stands in (grader.platform.isolation).
        if private_tmp is None:
            private_tmp = os.environ.get(DISABLE_PRIVATE_TMP, "1") != "0"
        self.private_tmp = private_tmp
        self._names = itertools.count(1)
        self._versions = itertools.count(1)
        self.clusters: list[Cluster] = []
        self.incarnations: dict[str, Incarnation] = {}
        self._owners: dict[str, Cluster] = {}  # incarnation token -> the cluster it belongs to
        self._closed = False
        self._visible: list[str] | None = None  # see visible_paths
        self.release: Release | None = None
        self.redis: RedisServer | None = None
        self.relay: LatencyRelay | None = None
        self.postgres: PostgresServer | None = None
        self.s3: S3Server | None = None
        self._restarting = threading.Lock()  # one maintenance restart of a service at a time

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "Platform":
        _live.add(self)
        run = take_warm()
        self.run_id, self.root, self.forkserver = run.run_id, run.root, run.forkserver
        try:
            self.bus = EventBus(Path(run.events), self._on_event)
            self.memory = MemoryWatch()
            self._start_services()
            self.release = self._build(self.source)  # while the services start
            for service in (self.redis, self.postgres, self.s3):
                if service is not None:
                    service.wait_ready()
            if self.redis is not None:
                self.relay = LatencyRelay(self.redis.address)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _start_services(self) -> None:
        """Start the servers the services need; each comes up in the background while the release
        builds. Their processes are recorded by pid (their titles hide the run marker)."""
        record = lambda pid: runs.record_pid(self.root, pid)  # noqa: E731
        self.sqlite = SQLiteService(self._mkdir("services/sqlite"))
        if self.external_redis is None and "REDIS_URL" in self.services:
            self.redis = RedisServer(self._mkdir("services/redis"), self.base_env(), on_start=record)
        if self.external_database is None and "DATABASE_URL" in self.services and self.database == "postgresql":
            self.postgres = PostgresServer(self._mkdir("services/postgres"), self.base_env(), on_start=record,
                                           reachable_from=runs.base())
        if "AWS_ENDPOINT_URL" in self.services:
            self.s3 = S3Server(self._mkdir("services/s3"), self.base_env(), on_start=record)

    def close(self) -> None:
        """Stop every worker, the fork server and the services; kill whatever the run left behind."""
        if self._closed:
            return
        self._closed = True
        try:
            for cluster in self.clusters:
                cluster.close()
        finally:
            for stop in self._stoppers():
                try:
                    stop()
                except Exception:  # one failed step must not leave the others' processes running
                    pass
        if hasattr(self, "root"):
            runs.clean(self.root)  # whatever the run left: daemons the app detached, and the folder
        _live.discard(self)

    def _on_event(self, event) -> None:
        token = getattr(event, "token", "")
        incarnation = self.incarnations.get(token)
        if incarnation is not None:
            incarnation.record(event)
            self._owners[token].notify(event)

    def _stoppers(self) -> list:
        steps = [getattr(self, "forkserver", None) and self.forkserver.close,
                 getattr(self, "memory", None) and self.memory.close,
                 self.relay and self.relay.close, self.redis and self.redis.stop,
                 self.postgres and self.postgres.stop, self.s3 and self.s3.stop,
                 getattr(self, "bus", None) and self.bus.close]
        return [step for step in steps if step]

    # -- releases ----------------------------------------------------------------------------
    def rebuild(self, changes: dict[str, str | bytes | None] | None = None,
                base: Release | None = None) -> Release:
        """Build a new release from ``base``'s files (default: the first release) with ``changes``.

        ``changes`` maps a file's relative path to its new text or bytes, or to None to delete it.
        The release is built as the first one was (``build.py`` runs once, then it is frozen); no
        worker uses it until a cluster deploys it (``cluster.deploy(release=...)``). Raises
        BuildFailed when build.py fails, as the first build does.
        """
        assert self.release is not None
        base = base or self.release
        files = dict(base.source.files if base.source else self.source.files)
        for name, data in (changes or {}).items():
            if data is None:
                files.pop(name, None)
            else:
                files[name] = data.encode("utf-8") if isinstance(data, str) else data
        return self._build(replace(self.source, files=files))

    def _build(self, source: AppSource) -> Release:
        """Build one release in the run's folder. The build gets a HOME and TMPDIR of its own, which
        do not ship with the release, and the audit hook, whose records carry ``build.vN``."""
        version = next(self._versions)
        folder = self.root / (runs.RELEASE if version == 1 else f"{runs.RELEASE}-v{version}")
        scratch = self._mkdir(f"builds/v{version}")
        (scratch / "home").mkdir()
        (scratch / "tmp").mkdir()
        token = f"build.v{version}"
        env = {**self.base_env(), "HOME": str(scratch / "home"), "TMPDIR": str(scratch / "tmp"),
               "PYTHONPATH": str(BOOT_DIR), "F6_AUDIT": f"{self.bus.path}|{token}|{folder}"}
        return build(source, folder, env, version=version, token=token)

    # -- scenarios ---------------------------------------------------------------------------
    def cluster(self, counts: dict[str, int] | None = None, *, policy: str = "round_robin",
                seed: int = 0, env: dict[str, str] | None = None, wait: bool = True,
                gunicorn_args: tuple[str, ...] = (), kind: type[Cluster] = Cluster) -> Cluster:
        """Start a fresh set of workers (4 web by default) with empty service namespaces.

        With ``wait=False`` the workers are only ordered; call ``cluster.wait_ready()`` later.
        ``kind`` is the class of the cluster: a layer above hands its own subclass down (the lessons'
        :class:`grader.live.LiveCluster`), so the platform never imports what builds on it.
        """
        assert self.release is not None
        number = next(self._names)
        service_env = self.service_env(number)
        service_env.update(env or {})
        launch = lambda worker, n: self._launch(worker, n, cluster.env, cluster)  # noqa: E731
        cluster = kind(self.bus, launch, Router(policy, seed), self.release.process_types,
                          self.boot_timeout, env=service_env, platform=self)
        cluster.number = number
        cluster.gunicorn_args = tuple(gunicorn_args)
        cluster.release = self.release
        self.clusters.append(cluster)
        cluster.order(counts or {"web": 4})
        if wait:
            cluster.wait_ready()
        return cluster

    @property
    def namespaced(self) -> bool:
        """True when every cluster gets empty services of its own (a private Redis database, a SQLite
        file or PostgreSQL database, a bucket each); an external service given by URL is one store
        that every cluster shares."""
        return self.external_redis is None and self.external_database is None

    def service_env(self, number: int) -> dict[str, str]:
        """The URLs of the attached services for scenario ``number`` (its own namespace in each)."""
        urls = {}
        if "DATABASE_URL" in self.services and self.postgres is not None:
            urls["DATABASE_URL"] = self.postgres.url_for(f"c{number}")
        elif "DATABASE_URL" in self.services:
            urls["DATABASE_URL"] = self.external_database or self.sqlite.url_for(f"scenario-{number}")
        if "AWS_ENDPOINT_URL" in self.services:
            assert self.s3 is not None
            urls.update(self.s3.bucket_for(f"cluster-{number}"))
        if "REDIS_URL" in self.services and self.external_redis is not None:
            urls["REDIS_URL"] = self.external_redis
        elif "REDIS_URL" in self.services:
            assert self.relay is not None
            urls["REDIS_URL"] = f"redis://127.0.0.1:{self.relay.port}/{number % 64}"
        return {**urls, **self.extra_env}

    def set_store_latency(self, seconds: float) -> None:
        """Add network latency between the workers and the private Redis (no-op for external ones)."""
        if self.relay is not None:
            self.relay.delay = seconds

    def restart_redis(self) -> float:
        """Restart the private Redis as a provider's maintenance does: every connection drops, the
        data is kept, and the URLs stay as they were (the relay points at the new server). Seconds
        the store was unreachable (0.0 for an external Redis, which is not ours to restart).
        Raises ServiceError when the data could not be saved or the new server did not start."""
        if self.redis is None:
            return 0.0
        with self._restarting:
            down = time.monotonic()
            self.redis.restart()
            self.relay.retarget(self.redis.address)
            return time.monotonic() - down

    def restart_postgres(self) -> float:
        """The same for the private PostgreSQL (on the same port): every session is ended, the data
        kept. Seconds it accepted no session (0.0 when there is none)."""
        if self.postgres is None:
            return 0.0
        with self._restarting:
            return self.postgres.restart()

    # -- processes ---------------------------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        return base_env(self.run_id)

    def _launch(self, worker: Worker, number: int, service_env: dict[str, str], cluster: Cluster) -> Incarnation:
        release = cluster.release  # the one it was started with, or the one it deployed last
        scope = f"c{cluster.number}/"
        stem = f"{scope[:-1]}-{worker.name}.{number}"
        sandbox = Sandbox.create(self.root / "workers" / stem, release.path)
        logs = self.root / "logs"
        argv = release.process_types[worker.kind]
        mode = "gunicorn" if Path(argv[0]).name == "gunicorn" else "exec"
        if mode == "exec" and worker.kind != "web" and python_script(argv):
            mode = "python"  # the fork server runs the script itself, its libraries imported already
        if mode == "gunicorn" and worker.kind == "web":
            argv = [*argv, *cluster.gunicorn_args]
        # A gunicorn worker binds port 0 itself and reports the port; any other web command is told
        # a free port in $PORT, as on a real platform.
        port = free_port() if worker.kind == "web" and mode == "exec" else None
        incarnation = Incarnation(worker.name, number, worker.kind, sandbox, logs / f"{stem}.stdout",
                                  logs / f"{stem}.stderr", port, scope, mode)
        env = {**self.base_env(), **service_env, "HOME": str(sandbox.home), "TMPDIR": str(sandbox.tmp),
               "DYNO": worker.name}
        if port is not None:
            env["PORT"] = str(port)
        if mode == "exec":
            env["PYTHONPATH"] = str(BOOT_DIR)
            env["F6_AUDIT"] = f"{self.bus.path}|{incarnation.token}|{sandbox.app}"
        isolation = None
        if self.private_tmp:
            isolation = {"mounts": {target: str(folder) for target, folder in sandbox.machine.items()},
                         "keep": self.visible_paths()}
        self._owners[incarnation.token] = cluster  # before the spawn order: its events may come at once
        self.incarnations[incarnation.token] = incarnation
        self.memory.watch(incarnation, cluster.memory_quota or self.memory_quota,
                          cluster.memory_limit or self.memory_limit)
        self.forkserver.spawn({"token": incarnation.token, "argv": argv, "mode": mode, "port": port,
                               "isolation": isolation,
                               "cwd": str(sandbox.app), "env": env, "events": self.bus.path,
                               "stdout": str(incarnation.stdout), "stderr": str(incarnation.stderr)})
        return incarnation

    def service_paths(self) -> list[Path]:
        """Where the SQLite and PostgreSQL backing services keep their files (files there are the
        store, not local state)."""
        paths = [self.sqlite.directory]
        if self.postgres is not None:
            paths.append(self.postgres.data)
        external = self.external_database and SQLiteService.path_of(self.external_database)
        if external:
            paths.append(external)
        return paths

    def visible_paths(self) -> list[str]:
        """Folders every worker must still reach after it gets a private /tmp: the run's own folder
        (sockets, sandboxes, the SQLite service), an external SQLite database's folder, and wherever
        code lives (this grader, Python, every folder on sys.path), since a checkout or a virtual
        environment may well sit under /tmp. Only those under /tmp or /var/tmp are re-attached.
        Worked out once per platform: every worker's spawn asks."""
        if self._visible is None:
            self._visible = self._find_visible_paths()
        return self._visible

    def _find_visible_paths(self) -> list[str]:
        paths = [str(self.root)]
        external = self.external_database and SQLiteService.path_of(self.external_database)
        if external:
            paths.append(str(external.parent))
        code = [GRADER_HOME, sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path]
        paths += [os.path.realpath(path) for path in code if path and os.path.isdir(path)]
        # Never /tmp itself (or / above it): `python -m grader` run from /tmp puts /tmp on sys.path,
        # and re-attaching all of it would give every worker the machine's /tmp back.
        return _outermost([path for path in paths if not any(_within(target, path) for target in SHARED_SCRATCH)])

    def _mkdir(self, relative: str) -> Path:
        path = self.root / relative
        path.mkdir(parents=True)
        return path


def app_config() -> dict[str, str]:
    """Config vars every app gets, as an operator sets them once per app: a secret no one can guess
    (new at every run, so no key written into the code can pass for it) and an idle session lifetime
    in seconds. Settings given to the platform or to one cluster take precedence."""
    return {"SECRET_KEY": secrets.token_urlsafe(32), "SESSION_TTL": str(SESSION_TTL)}


def _outermost(paths: list[str]) -> list[str]:
    """The paths in order, without repeats and without any that lies inside another one."""
    kept: list[str] = []
    for path in sorted(dict.fromkeys(paths), key=len):
        if not any(path == other or path.startswith(other.rstrip("/") + "/") for other in kept):
            kept.append(path)
    return kept


@atexit.register
def _close_all() -> None:
    for platform in list(_live):
        platform.close()


def _within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")
