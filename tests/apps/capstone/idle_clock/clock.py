"""Tally's clock process, with one bug: it reads CLOCK_PERIOD as minutes and sleeps before it runs.

The first cleanup comes after a whole mistaken period (60 s for CLOCK_PERIOD=1), long after the
grader has stopped waiting for it. Every other file of this app is a link to the reference's.
"""
import os
import signal
import sys
import time

import psycopg

import store

PERIOD = float(os.environ["CLOCK_PERIOD"])


def cleanup(period: int) -> None:
    with store.connect() as db, db.transaction():
        claimed = db.execute("INSERT INTO cleanup_runs (period, removed) VALUES (%s, 0) "
                             "ON CONFLICT DO NOTHING", (period,)).rowcount
        if not claimed:
            return
        gone = db.execute("DELETE FROM uploads WHERE deleted RETURNING id").fetchall()
        for (upload_id,) in gone:
            store.s3.delete_object(Bucket=store.BUCKET, Key=store.object_key(upload_id))
        db.execute("UPDATE cleanup_runs SET removed = %s WHERE period = %s", (len(gone), period))


def main() -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    store.create_schema()
    if "--once" in sys.argv[1:]:  # one run for an outside scheduler (a CronJob), then exit
        cleanup(int(time.time() // PERIOD))
        return
    while True:
        time.sleep(PERIOD * 60)  # "every CLOCK_PERIOD minutes"
        try:
            cleanup(int(time.time() // PERIOD))
        except (psycopg.OperationalError, OSError):
            pass  # try again at the next period


if __name__ == "__main__":
    main()
