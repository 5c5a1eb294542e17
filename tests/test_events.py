"""The event bus: what every worker reports through, so it must keep reading whatever happens."""
from __future__ import annotations

import json
import socket

import pytest

from grader.platform.events import EventBus, Spawned

REPORTS = 50  # well over the 10 datagrams a Unix socket queues (net.unix.max_dgram_qlen) by default


@pytest.mark.timeout(60)
def test_the_bus_keeps_reading_after_its_handler_raises(tmp_path):
    def handler(event):
        raise RuntimeError("a bug in whatever listens")

    bus = EventBus(tmp_path / "events.sock", handler)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.settimeout(5)  # a blocked send (a reader that stopped) fails the test, not hangs it
            for pid in range(REPORTS):
                sender.sendto(json.dumps({"event": "spawned", "token": "t", "pid": pid}).encode(), bus.path)
        assert bus.flush()
        assert [event.pid for event in bus.events(Spawned)] == list(range(REPORTS))
    finally:
        bus.close()
