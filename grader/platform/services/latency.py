"""A TCP relay between the workers and a backing service that can add network latency on demand.

Real stores sit across a network. Locally, a read-then-write race window is a few microseconds and
may go unnoticed; a couple of milliseconds each way, as between real hosts, makes a lost update show
up every time. The delay applies to each chunk sent towards the service.

The relay is also where a restarted service's new address is put (:meth:`LatencyRelay.retarget`):
the app keeps its URL, sees its connections reset, and finds the service again when it reconnects,
as behind a provider's stable host name.
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
        self._open: set["_Pair"] = set()
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
            except OSError:  # the service is down (restarting, say): the client sees a reset
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(client, upstream)
            with self._lock:
                if self._closed:
                    pair.close()
                    return
                self._open.add(pair)
            threading.Thread(target=self._pump, args=(pair, client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, upstream, client, False), daemon=True).start()

    def _pump(self, pair: "_Pair", source: socket.socket, sink: socket.socket, towards_service: bool) -> None:
        try:
            while data := source.recv(CHUNK):
                if towards_service and self.delay:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            pair.shutdown()
            with self._lock:
                pair.pumps -= 1
                last = pair.pumps == 0
                if last:
                    self._open.discard(pair)
            if last:  # the other direction has ended too: nothing reads these sockets any more
                pair.close()

    def retarget(self, target: tuple[str, int]) -> int:
        """Send every new connection to ``target`` and reset every open one, as when a service
        comes back at a new address after a restart; how many open connections were reset."""
        with self._lock:
            self.target = target
            opened = list(self._open)
        for pair in opened:
            pair.shutdown()  # its pumps then end, and the last one closes it
        return len(opened)

    @property
    def connections(self) -> int:
        """How many client connections are open through the relay now."""
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            opened, self._open = self._open, set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for pair in opened:
            pair.shutdown()
            pair.close()


class _Pair:
    """A client's connection and the relay's connection to the service on its behalf."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.sockets = (client, upstream)
        self.pumps = 2  # one thread per direction; the last to end closes both sockets

    def shutdown(self) -> None:
        """End both directions at once (wakes a pump blocked in recv); safe to repeat."""
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
