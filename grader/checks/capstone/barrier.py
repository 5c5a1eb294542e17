"""A start-up race made to happen: every process's first CREATE TABLE held back, then let go at once.

Processes that each create the tables when they start (``CREATE TABLE IF NOT EXISTS`` at import)
race each other on an empty database: two sessions that both see no table both create it, and the
second fails with a unique violation in PostgreSQL's catalog. On a real platform the processes of
a formation start at the same moment, after every deploy; here their start-up jitter (imports take
different times) hides the race almost always. So the grader widens the window, as the latency
relay does for a read-then-write race: an event trigger in the fresh database makes every
CREATE TABLE wait on an advisory lock that the grader holds, until every process it expects is
waiting (on that lock or on a lock of the app's own), and then releases them all together.
An app that serialises its schema (an advisory lock of its own, or a schema made once) is not
affected beyond the wait.
"""
from __future__ import annotations

import threading
import time

from ...platform.services.pgwire import Connection

KEY = 60061  # the grader's advisory lock; an app is unlikely to pick it
HOLD = 8.0  # seconds at most before the held-back sessions are let go, however many arrived
TRIGGER = f"""
CREATE FUNCTION factor_six_barrier() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_lock_shared({KEY});
    PERFORM pg_advisory_unlock_shared({KEY});
END $$;
CREATE EVENT TRIGGER factor_six_barrier ON ddl_command_start WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION factor_six_barrier();
"""
WAITING = ("SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
           "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")


class SchemaBarrier:
    """A fresh database whose first CREATE TABLEs wait for ``expected`` sessions (or HOLD seconds)."""

    def __init__(self, postgres, name: str, expected: int):
        self.url = postgres.url_for(name)
        self.expected, self.arrived, self.released_after = expected, 0, None
        postgres.query(name, TRIGGER)
        self._holder = Connection(postgres.address, name)
        self._holder.query(f"SELECT pg_advisory_lock({KEY})")
        self._watcher = Connection(postgres.address, name)
        self._thread = threading.Thread(target=self._release_when_all_wait, name="factor-six-barrier", daemon=True)
        self._thread.start()

    def _release_when_all_wait(self) -> None:
        started = time.monotonic()
        try:
            while time.monotonic() - started < HOLD:
                self.arrived = int(self._watcher.query(WAITING)[0][0] or 0)
                if self.arrived >= self.expected:
                    break
                time.sleep(0.01)
            self._holder.query(f"SELECT pg_advisory_unlock({KEY})")
        finally:
            self.released_after = time.monotonic() - started
            self._holder.close()
            self._watcher.close()

    def close(self) -> None:
        self._thread.join(timeout=HOLD + 5)
