"""Just enough of PostgreSQL's wire protocol (version 3.0) to probe a server and run simple queries.

The grader talks to its own PostgreSQL only to see that it accepts connections, to create one
database per cluster and to let a check count rows. A client library would do, but importing one
costs every grading run more than 100 ms; this speaks the protocol's simple-query flow with the
standard library: a startup packet, trust authentication (the only kind the grader's server uses),
a ``Query``, its rows as text, ``Terminate``.
"""
from __future__ import annotations

import socket
import struct

from ...i18n import _

PROTOCOL = 196608  # 3.0
TIMEOUT = 5.0


class PgError(Exception):
    """The server refused or failed: ``code`` is its SQLSTATE ('57P03': still starting up), or ''
    when the connection itself failed."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class Connection:
    """One session, opened as ``user`` on ``database``; use it as a context manager."""

    def __init__(self, address: tuple[str, int], database: str, user: str = "postgres",
                 timeout: float = TIMEOUT):
        self._ready = False  # until the first ReadyForQuery, an ErrorResponse ends the session
        try:
            self._sock = socket.create_connection(address, timeout=timeout)
        except OSError as error:
            where = f"{address[0]}:{address[1]}"
            raise PgError(_("cannot connect to {address}: {error}", address=where, error=str(error))) from None
        try:
            params = f"user\0{user}\0database\0{database}\0\0".encode()
            self._sock.sendall(struct.pack("!ii", 8 + len(params), PROTOCOL) + params)
            while (kind := self._receive())[0] != b"Z":  # ReadyForQuery
                if kind[0] == b"R" and struct.unpack("!i", kind[1][:4])[0] != 0:
                    raise PgError(_("the server asks for a password; the grader's server trusts loopback"))
        except BaseException:
            self._sock.close()
            raise

    def query(self, sql: str) -> list[tuple[str | None, ...]]:
        """Run one or more statements; the rows of the last one that returned any, as text
        (None for NULL). Raises PgError with the server's message and SQLSTATE."""
        payload = sql.encode() + b"\0"
        self._send(b"Q", payload)
        rows: list[tuple[str | None, ...]] = []
        failure = None
        while True:
            kind, body = self._receive()
            if kind == b"T":
                rows = []
            elif kind == b"D":
                rows.append(_row(body))
            elif kind == b"E":
                failure = _error(body)
            elif kind == b"Z":
                if failure:
                    raise failure
                return rows

    def close(self) -> None:
        try:
            self._send(b"X", b"")
        except OSError:
            pass
        self._sock.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _send(self, kind: bytes, body: bytes) -> None:
        self._sock.sendall(kind + struct.pack("!i", 4 + len(body)) + body)

    def _receive(self) -> tuple[bytes, bytes]:
        """One message; an ErrorResponse before the session is ready (startup) is raised at once."""
        head = self._exactly(5)
        kind, length = head[:1], struct.unpack("!i", head[1:])[0]
        body = self._exactly(length - 4)
        if kind == b"E" and not self._ready:
            raise _error(body)
        if kind == b"Z":
            self._ready = True
        return kind, body

    def _exactly(self, count: int) -> bytes:
        data = b""
        try:
            while len(data) < count:
                chunk = self._sock.recv(count - len(data))
                if not chunk:
                    raise PgError(_("the server closed the connection"))
                data += chunk
        except OSError as error:
            raise PgError(_("the connection failed: {error}", error=str(error))) from None
        return data


def _row(body: bytes) -> tuple[str | None, ...]:
    count, at, values = struct.unpack("!h", body[:2])[0], 2, []
    for _index in range(count):
        length = struct.unpack("!i", body[at:at + 4])[0]
        at += 4
        if length < 0:
            values.append(None)
        else:
            values.append(body[at:at + length].decode())
            at += length
    return tuple(values)


def _error(body: bytes) -> PgError:
    fields = {part[:1]: part[1:].decode(errors="replace") for part in body.split(b"\0") if part}
    return PgError(fields[b"M"] if b"M" in fields else _("unknown error"), fields.get(b"C", ""))
