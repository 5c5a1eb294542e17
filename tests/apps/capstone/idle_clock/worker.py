"""Tally's worker process: takes one upload at a time and records its totals, once.

An upload is taken with a lease (UPDATE ... SKIP LOCKED): if this process dies, the lease runs out
and another worker takes the upload again. The totals are recorded only if the upload is still
running, so a second run of the same upload changes nothing. SIGTERM lets the job in hand finish.
"""
import json
import signal
import time

import psycopg

import store
from tally import summarize

LEASE = "3 seconds"
IDLE = 0.1
stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


TAKE = f"""
UPDATE uploads SET status = 'running', lease_until = clock_timestamp() + interval '{LEASE}'
WHERE id = (SELECT id FROM uploads
            WHERE NOT deleted AND (status = 'queued' OR (status = 'running' AND lease_until < clock_timestamp()))
            ORDER BY created LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id
"""


def run_one(db) -> bool:
    row = db.execute(TAKE).fetchone()
    if row is None:
        return False
    (upload_id,) = row
    data = store.s3.get_object(Bucket=store.BUCKET, Key=store.object_key(upload_id))["Body"].read()
    try:
        result, error, status = json.dumps(summarize(data)), None, "done"
    except Exception as failure:
        result, error, status = None, str(failure), "failed"
    db.execute("UPDATE uploads SET status = %s, result = %s, error = %s, lease_until = NULL "
               "WHERE id = %s AND status = 'running'", (status, result, error, upload_id))
    return True


def main() -> None:
    signal.signal(signal.SIGTERM, stop)
    store.create_schema()
    db = None
    while not stopping:
        try:
            db = db or store.connect()
            if not run_one(db):
                time.sleep(IDLE)
        except (psycopg.OperationalError, OSError):
            db = None  # the database restarted or the network blinked: connect again
            time.sleep(IDLE)


if __name__ == "__main__":
    main()
