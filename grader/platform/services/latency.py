"""A TCP relay between the workers and a backing service that can add network latency on demand.

Real stores sit across a network. Locally, a read-then-write race window is a few microseconds and
may go unnoticed; a couple of milliseconds each way, as between real hosts, makes a lost update show
up every time. The delay applies to each chunk sent towards the service.
"""
from __future__ import annotations

import socket
import threading
import time


CHUNK = 65536


class LatencyRelay:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.delay = 0.0  # seconds added to every chunk sent to the service
        self._listener = socket.create_server(("127.0.0.1", 0))  # port 0: no race for the port
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="factor-six-relay", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._open.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, towards_service: bool) -> None:
        try:
            while data := source.recv(CHUNK):
                if towards_service and self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            opened, self._open = self._open, set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for sock in opened:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
