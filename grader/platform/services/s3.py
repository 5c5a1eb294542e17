"""A private S3-compatible object store: ``moto`` in server mode, a real process on a free port.

An app that keeps uploads on its own disk loses them with the process; one that keeps them in a
bucket does not. The store is moto's S3 (``python -m moto.server``), started while the release
builds and stopped with the platform, one bucket per cluster. It accepts any credentials and checks
no signature, so the grader reads a bucket over plain HTTP, without a client library (a private
object is read only by a request that has an ``Authorization`` header, though: see AUTHORIZATION).
"""
from __future__ import annotations

import http.client
import importlib.util
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlsplit

from ..ports import free_port, held_by, listening_sockets
from ..processes import Spawner, die_with_parent, signal_group, tail_file
from . import ServiceError
from ...i18n import _

START_TIMEOUT = 15.0  # seconds: moto imports a lot (about 0.5 s alone; more on a loaded machine)
REQUEST_TIMEOUT = 10.0
PORT_ATTEMPTS = 3
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "factor-six", "AWS_SECRET_ACCESS_KEY": "factor-six-secret",
               "AWS_DEFAULT_REGION": REGION}
# moto reads a private object only for a request that carries credentials; it checks no signature
# (it accepts any), so a request of the grader's names the platform's key and signs nothing.
AUTHORIZATION = (f"AWS4-HMAC-SHA256 Credential={CREDENTIALS['AWS_ACCESS_KEY_ID']}/20240101/{REGION}/s3/"
                 "aws4_request, SignedHeaders=host, Signature=unsigned")
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
NAMESPACE = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def find_server() -> list[str]:
    """The argv that starts moto's server: this Python's ``moto.server`` (found without importing
    moto, which takes half a second), else ``moto_server`` on PATH."""
    if importlib.util.find_spec("moto") is not None:
        return [sys.executable, "-m", "moto.server"]
    found = shutil.which("moto_server")
    if found:
        return [found]
    raise ServiceError(_("no S3-compatible server found: install the `moto[server]` package."))


class S3Server:
    """A moto server process started for one platform, stopped with it."""

    def __init__(self, directory: Path, env: dict[str, str], on_start: Callable[[int], None] = lambda pid: None):
        """Start the server (``wait_ready`` waits for it); ``on_start(pid)`` hears of every process
        started for it, so that the run can record it."""
        self.directory, self.env, self._on_start = directory, env, on_start
        self.log = directory / "moto.log"
        self.timings: dict[str, float] = {}  # seconds: "ready", "bucket cluster-3", ...
        self._spawner = Spawner("factor-six-s3")
        self._started = time.monotonic()
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        with open(self.log, "ab") as log:
            self.process = self._spawner.popen(
                [*find_server(), "-H", "127.0.0.1", "-p", str(self.port)], stdout=log,
                stderr=subprocess.STDOUT, env=self.env, stdin=subprocess.DEVNULL, cwd=self.directory,
                start_new_session=True, preexec_fn=die_with_parent)
        self._on_start(self.process.pid)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Probe until this very server lists its buckets, or raise ServiceError with its log.

        The first S3 request loads moto's S3 backend (about 0.15 s), so the probe is one: the first
        bucket is then quick. A server that lost its port to another process before it could bind
        it exits; it starts again on another, and only a port our process listens on counts.
        """
        deadline = time.monotonic() + timeout
        for attempt in range(PORT_ATTEMPTS):
            while time.monotonic() < deadline and self.process.poll() is None:
                if self._listening() and self._request("GET", "/", timeout=1.0)[0] == 200:
                    self.timings.setdefault("ready", time.monotonic() - self._started)
                    return
                time.sleep(0.01)
            lost = "Address already in use" in tail_file(self.log)
            if self.process.poll() is None or not lost or attempt == PORT_ATTEMPTS - 1:
                break
            self._start()
        self.stop()
        raise ServiceError(_("the S3-compatible server did not start within {seconds:g} s:\n{log}", seconds=timeout,
                             log=tail_file(self.log)))

    def _listening(self) -> bool:
        """Whether our process holds the port's listening socket (True where /proc cannot tell)."""
        sockets = listening_sockets(self.port)
        return sockets is None or held_by([self.process.pid], sockets) is not False

    def bucket_for(self, name: str) -> dict[str, str]:
        """A fresh, empty bucket ``name`` for one cluster; the variables that lead an app to it
        (``boto3.client("s3")`` reads all of them but ``S3_BUCKET``). Raises ServiceError."""
        if not BUCKET.fullmatch(name):
            raise ValueError(f"not a valid bucket name: {name!r}")
        started = time.monotonic()
        status, body = self._request("PUT", f"/{name}")
        if status != 200:
            said = f"{status} {body[:300].decode(errors='replace')}"
            raise ServiceError(_("the S3-compatible server could not create the bucket {name}: {answer}", name=name,
                                 answer=said))
        self.timings[f"bucket {name}"] = time.monotonic() - started
        return {"AWS_ENDPOINT_URL": self.endpoint, **CREDENTIALS, "S3_BUCKET": name}

    def keys(self, bucket: str) -> list[str]:
        """Every key in ``bucket``, in the store's order (by key). Raises ServiceError."""
        return keys(self.address, bucket)

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in ``bucket``: key -> bytes. Raises ServiceError."""
        return objects(self.address, bucket)

    def _request(self, method: str, path: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
        return request(self.address, method, path, timeout)

    def stop(self) -> None:
        """Kill it outright: it keeps everything in memory, so there is nothing to shut down cleanly."""
        signal_group(self.process.pid, 9)
        self.process.wait()
        self._spawner.close()


# -- reading a bucket, for a check that holds only a cluster's environment ------------------------

def objects_in(env: dict[str, str]) -> dict[str, bytes]:
    """Every object in the bucket a cluster's environment names (``AWS_ENDPOINT_URL``,
    ``S3_BUCKET``): key -> bytes. Raises ServiceError (KeyError when no store is attached)."""
    endpoint = urlsplit(env["AWS_ENDPOINT_URL"])
    return objects((endpoint.hostname, endpoint.port), env["S3_BUCKET"])


def keys(address: tuple[str, int], bucket: str) -> list[str]:
    """Every key in ``bucket`` of the store at ``address``, by key. Raises ServiceError."""
    found, token = [], None
    while True:
        query = "list-type=2" + (f"&continuation-token={quote(token, safe='')}" if token else "")
        root = ElementTree.fromstring(_read(address, f"/{bucket}?{query}"))
        found += [item.findtext(f"{NAMESPACE}Key") for item in root.iter(f"{NAMESPACE}Contents")]
        token = root.findtext(f"{NAMESPACE}NextContinuationToken")
        if not token:
            return found


def objects(address: tuple[str, int], bucket: str) -> dict[str, bytes]:
    """Every object in ``bucket`` of the store at ``address``: key -> bytes. Raises ServiceError."""
    return {key: _read(address, f"/{bucket}/{quote(key, safe='/')}") for key in keys(address, bucket)}


def _read(address: tuple[str, int], path: str) -> bytes:
    status, body = request(address, "GET", path)
    if status != 200:
        if not status:
            raise ServiceError(_("the S3-compatible server answered nothing to GET {path}", path=path))
        raise ServiceError(_("the S3-compatible server answered {status} to GET {path}", status=status, path=path))
    return body


def request(address: tuple[str, int], method: str, path: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    """(status, body) of one request with the platform's credentials (see AUTHORIZATION) and no
    body; status 0 when the server did not answer."""
    connection = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        connection.request(method, path, headers={"Authorization": AUTHORIZATION, "Content-Length": "0"})
        reply = connection.getresponse()
        return reply.status, reply.read()
    except OSError:
        return 0, b""
    finally:
        connection.close()
