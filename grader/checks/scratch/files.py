"""The file server the grader runs for a check: generated files over real HTTP on a loopback port.

Some apps download what they are told to (the ``scratch`` exercise's reports). This server plays the
remote host: it listens on 127.0.0.1 on a port the kernel picks, answers GET and HEAD for the paths a
check published, with a Content-Length or chunked, and never cuts a body short; any other path is a
404. Two refinements turn situations that are otherwise a matter of luck into certainties:

- :meth:`FileServer.replace` changes a file between two requests (a stale cache shows);
- :meth:`FileServer.publish_together` makes downloads overlap: each response of the group sends a
  first part, then waits (bounded) until every member has sent its first part. A first part is far
  larger than what the kernel buffers for a reader that does not read, so once it is out, the app
  is consuming that download; no member gets its end before every member is under way.

Bodies are generated, never stored: a :class:`Body` is a head, a block repeated and a tail, so a
64 MB file costs the grader one block of memory. The server is a few threads of the grader's own
process, started and stopped with the check that uses it (a context manager). Its address reaches
the checks, which put URLs in requests; it is never in an app's environment.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PIECE = 256 * 1024  # bytes per write of an ordinary download
TOGETHER_PIECE = 64 * 1024  # bytes per write of a download that must overlap with others
TOGETHER_SNDBUF = 64 * 1024  # keeps what the kernel holds for a slow reader small (see module doc)
TOGETHER_FIRST_PART = 1024 * 1024  # bytes sent before waiting for the rest of the group
TOGETHER_TIMEOUT = 5.0  # seconds a member waits for the others (an app that serialises them)
CONNECTION_TIMEOUT = 30.0  # seconds a stalled client may hold a connection


@dataclass(frozen=True)
class Body:
    """Bytes to serve: ``head``, then ``block`` ``count`` times, then ``tail``."""

    head: bytes = b""
    block: bytes = b""
    count: int = 0
    tail: bytes = b""

    @property
    def size(self) -> int:
        """Length in bytes."""
        return len(self.head) + len(self.block) * self.count + len(self.tail)

    def pieces(self, size: int) -> Iterator[memoryview]:
        """The body in order, in slices of at most ``size`` bytes (never a copy of the whole: a
        small block is sent as several blocks at once)."""
        yield from _slices(self.head, size)
        if self.block and self.count:
            per = max(1, size // len(self.block))
            full, rest = divmod(self.count, per)
            group = self.block * per
            for _ in range(full):
                yield from _slices(group, size)
            yield from _slices(self.block * rest, size)
        yield from _slices(self.tail, size)

    def bytes(self) -> bytes:
        """The whole body at once (for small files and tests)."""
        return self.head + self.block * self.count + self.tail


def _slices(data: bytes, size: int) -> Iterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield view[start:start + size]


class Rendezvous:
    """Members of a group of downloads wait here until every one has sent its first part."""

    def __init__(self, parties: int, timeout: float):
        self._barrier = threading.Barrier(parties)
        self._timeout = timeout
        self.met: bool | None = None  # True once all met, False when one gave up waiting

    def wait(self) -> None:
        try:
            self._barrier.wait(self._timeout)
            if self.met is None:
                self.met = True
        except threading.BrokenBarrierError:
            self.met = False


@dataclass
class Published:
    """One path the server answers, and what happened to it."""

    body: Body
    chunked: bool = False
    rendezvous: Rendezvous | None = None
    downloads: int = 0  # GET requests whose body the server began to send


class FileServer:
    """``with FileServer() as files: url = files.publish("/a.csv", Body(b"..."))``."""

    def __init__(self, host: str = "127.0.0.1"):
        self._files: dict[str, Published] = {}
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._server = _Server((host, 0), _Handler)
        self._server.files = self
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "FileServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="factor-six-files", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop accepting, cut every open download, and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        with self._lock:
            opened, self._open = set(self._open), set()
        for connection in opened:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()

    # -- what it serves ----------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def url(self, path: str) -> str:
        host, port = self.address
        return f"http://{host}:{port}{path}"

    def publish(self, path: str, body: Body, *, chunked: bool = False) -> str:
        """Serve ``body`` at ``path`` (Transfer-Encoding: chunked if asked); return its URL."""
        with self._lock:
            self._files[path] = Published(body, chunked)
        return self.url(path)

    def publish_together(self, files: dict[str, Body], *, chunked: bool = False,
                         timeout: float = TOGETHER_TIMEOUT) -> list[str]:
        """Serve several files whose downloads overlap (see the module docstring); their URLs.

        Each member waits at most ``timeout`` seconds for the others, so an app that downloads them
        one after the other is slowed down, never stuck. Raises ValueError for a body shorter than
        the first part it must send before waiting.
        """
        short = [path for path, body in files.items() if body.size <= TOGETHER_FIRST_PART]
        if short:
            raise ValueError(f"{short[0]} must be longer than {TOGETHER_FIRST_PART} bytes to overlap")
        meeting = Rendezvous(len(files), timeout)
        with self._lock:
            for path, body in files.items():
                self._files[path] = Published(body, chunked, meeting)
        return [self.url(path) for path in files]

    def replace(self, path: str, body: Body) -> None:
        """Serve ``body`` at ``path`` from the next request on (KeyError if never published)."""
        with self._lock:
            self._files[path].body = body

    def downloads(self, path: str) -> int:
        """How many GET requests for ``path`` got an answer with a body (counted as it begins)."""
        with self._lock:
            return self._files[path].downloads if path in self._files else 0

    def overlapped(self, path: str) -> bool | None:
        """For a file published together with others: whether every member's download was under
        way at once (None while nobody has waited yet)."""
        with self._lock:
            meeting = self._files[path].rendezvous
        return meeting.met if meeting else None

    # -- called by the handler ---------------------------------------------------------------
    def _lookup(self, path: str) -> Published | None:
        with self._lock:
            return self._files.get(path)

    def _count(self, published: Published) -> None:
        with self._lock:
            published.downloads += 1

    def _track(self, connection: socket.socket, opened: bool) -> None:
        with self._lock:
            (self._open.add if opened else self._open.discard)(connection)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    files: FileServer

    def handle_error(self, request, client_address) -> None:
        """A client that hung up mid-download is the client's business; say nothing."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked transfer needs 1.1
    timeout = CONNECTION_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.files._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.files._track(self.connection, False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """Silent: the grader's requests log is the cluster's, not this server's."""

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(send_body=True)

    def _answer(self, send_body: bool) -> None:
        self.close_connection = True
        published = self.server.files._lookup(self.path.split("?", 1)[0])
        if published is None:
            self._not_found(send_body)
            return
        body, chunked, meeting = published.body, published.chunked, published.rendezvous
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(body.size))
        self.send_header("Connection", "close")
        self.end_headers()
        if not send_body:
            return
        self.server.files._count(published)
        if meeting is not None:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, TOGETHER_SNDBUF)
        self._send(body, chunked, meeting)

    def _send(self, body: Body, chunked: bool, meeting: Rendezvous | None) -> None:
        sent, waited = 0, meeting is None
        for piece in body.pieces(TOGETHER_PIECE if meeting else PIECE):
            if not waited and sent >= TOGETHER_FIRST_PART:
                meeting.wait()
                waited = True
            if chunked:
                self.wfile.write(b"%x\r\n" % len(piece) + piece.tobytes() + b"\r\n")
            else:
                self.wfile.write(piece)
            sent += len(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _not_found(self, send_body: bool) -> None:
        text = b"no such file\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(text)
