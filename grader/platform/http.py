"""Sending one HTTP request to one worker, and the record every request leaves in the log."""
from __future__ import annotations

import hashlib
import http.client
import json
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from ..i18n import _

REQUEST_TIMEOUT = 10.0
BODY_LIMIT = 2000


@dataclass
class Client:
    """One user agent: a name for sticky routing and its own cookie jar."""

    name: str = "default"
    cookies: SimpleCookie = field(default_factory=SimpleCookie)


@dataclass(frozen=True)
class Raw:
    """A request body sent as it is, not as JSON: a form, a file upload, whatever a browser sent.

    ``headers`` are sent with it (``X-Forwarded-Prefix``, say); ``keep`` asks for the whole answer,
    as bytes, in ``Response.content`` (for the front door, which hands it to a browser)."""

    data: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    keep: bool = True


@dataclass(frozen=True)
class Response:
    """What came back (status None when the connection failed; ``error`` then says how).

    ``body`` keeps the first BODY_LIMIT characters; ``size`` (bytes) and ``digest`` (SHA-256, hex)
    describe the whole body, so that large answers can still be compared.
    """

    seq: int
    worker: str
    pid: int | None
    method: str
    path: str
    status: int | None
    body: str
    headers: tuple[tuple[str, str], ...]
    latency: float
    error: str | None = None
    size: int = 0
    digest: str = ""
    content: bytes | None = field(default=None, repr=False)  # the whole body, when a Raw request kept it

    def json(self):
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def describe(self) -> str:
        """`POST /hits on web.1 returned 200 {"hits": 1}` — for feedback."""
        if self.status is None:
            return _("{method} {path} on {worker} failed: {error}", method=self.method, path=self.path,
                     worker=self.worker, error=self.error)
        body = self.body.strip().replace("\n", " ")
        body = body if len(body) <= 120 else body[:117] + "..."
        if not body:
            return _("{method} {path} on {worker} returned {status}", method=self.method, path=self.path,
                     worker=self.worker, status=self.status)
        return _("{method} {path} on {worker} returned {status} {body}", method=self.method, path=self.path,
                 worker=self.worker, status=self.status, body=body)


def form_file(field_name: str, filename: str, data: bytes, content_type: str = "text/csv") -> Raw:
    """A multipart/form-data body carrying one file, as a browser's file input sends it."""
    boundary = "factor-six-" + hashlib.sha256(data + filename.encode()).hexdigest()[:24]
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field_name}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return Raw(body, f"multipart/form-data; boundary={boundary}", keep=True)


def send(seq: int, worker: str, pid: int | None, port: int, method: str, path: str,
         payload=None, cookies: SimpleCookie | None = None, timeout: float = REQUEST_TIMEOUT) -> Response:
    headers = {"Connection": "close"}
    body = None
    if isinstance(payload, Raw):
        body = payload.data or None
        if payload.content_type:
            headers["Content-Type"] = payload.content_type
        headers.update(payload.headers)
    elif payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    if cookies:
        headers["Cookie"] = "; ".join(f"{key}={morsel.value}" for key, morsel in cookies.items())
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        reply = connection.getresponse()
        data = reply.read()
        result = Response(seq, worker, pid, method, path, reply.status,
                          data[:BODY_LIMIT].decode("utf-8", "replace"), tuple(reply.getheaders()),
                          time.monotonic() - started, size=len(data), digest=hashlib.sha256(data).hexdigest(),
                          content=data if isinstance(payload, Raw) and payload.keep else None)
    except (OSError, http.client.HTTPException) as error:
        reason = "no answer within %g s" % timeout if isinstance(error, TimeoutError) else str(error) or type(error).__name__
        result = Response(seq, worker, pid, method, path, None, "", (), time.monotonic() - started, reason)
    finally:
        connection.close()
    if cookies is not None:
        for value in result.header("Set-Cookie"):
            cookies.load(value)
    return result
