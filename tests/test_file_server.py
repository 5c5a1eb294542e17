"""The file server the scratch checks run: real HTTP on loopback, Content-Length or chunked, content
that changes on demand, and downloads that are made to overlap."""
from __future__ import annotations

import hashlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.checks.scratch.files import TOGETHER_FIRST_PART, Body, FileServer

BIG = 64 * 2**20


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def raw(server: FileServer, path: str, method: str = "GET") -> http.client.HTTPResponse:
    """The response as http.client sees it, headers intact (urllib would hide the framing)."""
    connection = http.client.HTTPConnection(*server.address, timeout=10)
    connection.request(method, path)
    return connection.getresponse()


def test_a_body_is_a_head_a_repeated_block_and_a_tail_served_in_slices():
    body = Body(b"h,", b"0123456789", 3, b",t")
    assert body.size == 34 and body.bytes() == b"h," + b"0123456789" * 3 + b",t"
    assert b"".join(body.pieces(4)) == body.bytes()
    assert max(len(piece) for piece in body.pieces(4)) == 4


def test_serves_a_published_file_with_its_content_length_on_loopback():
    with FileServer() as files:
        url = files.publish("/a.csv", Body(b"amount\n1.50\n"))
        assert url.startswith("http://127.0.0.1:") and url.endswith("/a.csv")
        response = raw(files, "/a.csv")
        assert response.status == 200 and response.getheader("Content-Length") == "12"
        assert response.getheader("Transfer-Encoding") is None
        assert response.read() == b"amount\n1.50\n"
        assert files.downloads("/a.csv") == 1


def test_serves_a_chunked_file_without_a_length():
    with FileServer() as files:
        files.publish("/b.csv", Body(b"amount\n", b"2.25\n", 100_000), chunked=True)
        response = raw(files, "/b.csv")
        assert response.getheader("Transfer-Encoding") == "chunked" and response.getheader("Content-Length") is None
        assert response.read() == b"amount\n" + b"2.25\n" * 100_000


def test_head_answers_headers_only_and_counts_no_download():
    with FileServer() as files:
        files.publish("/c.csv", Body(b"x" * 10))
        response = raw(files, "/c.csv", "HEAD")
        assert response.status == 200 and response.getheader("Content-Length") == "10" and response.read() == b""
        assert files.downloads("/c.csv") == 0


def test_an_unknown_path_is_a_404_that_urllib_reports_as_an_error():
    with FileServer() as files, pytest.raises(urllib.error.HTTPError) as error:
        fetch(files.url("/nothing.csv"))
    assert error.value.code == 404


def test_a_64_mb_file_streams_whole_at_loopback_speed():
    block = bytes(range(256)) * 256  # 64 KiB
    body = Body(b"head\n", block, BIG // len(block), b"tail\n")
    expected = hashlib.sha256(body.bytes()).hexdigest()
    with FileServer() as files:
        files.publish("/big.csv", body, chunked=True)
        digest, received = hashlib.sha256(), 0
        started = time.monotonic()
        with urllib.request.urlopen(files.url("/big.csv"), timeout=30) as response:
            while piece := response.read(1 << 20):
                digest.update(piece)
                received += len(piece)
        seconds = time.monotonic() - started
    assert received == body.size and digest.hexdigest() == expected
    assert seconds < 10, f"64 MB took {seconds:.1f} s on loopback"


def test_replace_changes_what_the_same_url_serves_from_the_next_request():
    with FileServer() as files:
        url = files.publish("/d.csv", Body(b"old"))
        assert fetch(url) == b"old"
        files.replace("/d.csv", Body(b"new"))
        assert fetch(url) == b"new"
        assert files.downloads("/d.csv") == 2


def _body(fill: bytes) -> Body:
    return Body(block=fill * 65536, count=TOGETHER_FIRST_PART // 65536 + 4)


def test_downloads_published_together_are_all_under_way_before_any_ends():
    with FileServer() as files:
        urls = files.publish_together({"/n.csv": _body(b"n"), "/s.csv": _body(b"s")})
        ends: dict[str, float] = {}
        starts: dict[str, float] = {}

        def download(url: str) -> bytes:
            with urllib.request.urlopen(url, timeout=10) as response:
                starts[url] = time.monotonic()
                data = response.read()
                ends[url] = time.monotonic()
                return data

        with ThreadPoolExecutor(2) as pool:
            bodies = list(pool.map(download, urls))
        assert bodies[0] == _body(b"n").bytes() and bodies[1] == _body(b"s").bytes()
        assert max(starts.values()) < min(ends.values())
        assert files.overlapped("/n.csv") is True and files.overlapped("/s.csv") is True


def test_a_client_that_takes_them_one_at_a_time_waits_for_the_timeout_then_gets_everything():
    with FileServer() as files:
        first, second = files.publish_together({"/n.csv": _body(b"n"), "/s.csv": _body(b"s")}, timeout=0.4)
        started = time.monotonic()
        assert fetch(first) == _body(b"n").bytes()
        assert time.monotonic() - started >= 0.4  # it waited for a partner that never came
        assert fetch(second) == _body(b"s").bytes()
        assert files.overlapped("/n.csv") is False


def test_a_file_too_short_to_overlap_is_refused():
    with FileServer() as files, pytest.raises(ValueError, match="must be longer than"):
        files.publish_together({"/tiny.csv": Body(b"amount\n1\n"), "/n.csv": _body(b"n")})


def test_close_cuts_open_downloads_and_frees_the_port():
    files = FileServer()
    files.start()
    files.publish("/slow.csv", Body(block=b"x" * 65536, count=1024))
    host, port = files.address
    connection = socket.create_connection((host, port))
    connection.sendall(b"GET /slow.csv HTTP/1.1\r\nHost: x\r\n\r\n")
    assert connection.recv(12) == b"HTTP/1.1 200"  # the download has begun; nobody reads the rest
    closer = threading.Thread(target=files.close)
    closer.start()
    closer.join(timeout=5)
    assert not closer.is_alive(), "close() hung on a download nobody reads"
    received = b""
    connection.settimeout(5)
    try:
        while chunk := connection.recv(1 << 20):
            received += chunk
    except OSError:
        pass
    connection.close()
    assert len(received) < 64 * 2**20, "the download ran to its end after close()"
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=1).close()
