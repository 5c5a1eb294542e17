"""Tally's clock process, with one bug: it opens one connection for its whole life and uses it as
``with db:``, which in psycopg 3 closes the connection when the block ends.

The first cleanup runs; the second finds the connection closed, and the clock process dies of it.
Every other file of this app is a link to the reference's.
"""
import os
import signal
import sys
import time

import psycopg

import store

PERIOD = float(os.environ["CLOCK_PERIOD"])


def cleanup(db: psycopg.Connection, period: int) -> None:
    with db.transaction():
        if not db.execute("INSERT INTO cleanup_runs (period, removed) VALUES (%s, 0) ON CONFLICT DO NOTHING",
                          (period,)).rowcount:
            return
        gone = db.execute("DELETE FROM uploads WHERE deleted RETURNING id").fetchall()
        for (upload_id,) in gone:
            store.s3.delete_object(Bucket=store.BUCKET, Key=store.object_key(upload_id))
        db.execute("UPDATE cleanup_runs SET removed = %s WHERE period = %s", (len(gone), period))


def main() -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    store.create_schema()
    db = store.connect()  # one connection, opened once
    while True:
        period = int(time.time() // PERIOD)
        with db:  # leaving the block closes the connection
            cleanup(db, period)
        time.sleep(max(0.0, (period + 1) * PERIOD - time.time()) + 0.01)


if __name__ == "__main__":
    main()
