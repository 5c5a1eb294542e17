"""Correct: a reliable queue in Redis that trusts no process name, one job at a time, a result
recorded once, a graceful stop.

Each worker process makes a random id when it starts. BLMOVE moves a job from the queue into a
processing list of that id's own in one atomic step, and the job leaves that list only once its
outcome is recorded, so a job is never held in memory alone. A thread keeps a heartbeat key with an
expiry alive for the process; between two jobs every worker reaps: the processing list of a process
whose heartbeat has expired (it was killed) goes back to the queue. DYNO is never used: during a
restart two processes can share one, and on some platforms it changes at every start.
"""
import os
import signal
import threading
import uuid

import redis

from primes import count_primes

store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
QUEUE = "jobs:queue"
WORKERS = "jobs:workers"  # the ids of every worker process that may hold jobs
ME = uuid.uuid4().hex
HEARTBEAT_MS = 3000  # a killed worker's jobs go back to the queue this long after its death, plus one reap
BEAT_SECONDS = 0.5
MAX_STARTS = 3  # a job that kills its worker every time ends failed after this many starts

# Set a job's fields only while it is unfinished, atomically: a result is recorded once, and a
# finished job never goes back, even if it runs twice.
UPDATE_UNFINISHED = store.register_script("""
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'done' or status == 'failed' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
""")


class Stop(BaseException):
    """SIGTERM: the platform wants this process gone within seconds. A BaseException, like
    KeyboardInterrupt, so that the `except Exception` around a job does not swallow it."""


def on_sigterm(signum, frame):
    raise Stop()


def processing(worker_id):
    return f"jobs:processing:{worker_id}"


def alive(worker_id):
    return f"jobs:alive:{worker_id}"


def update(job_id, **fields):
    args = [item for pair in fields.items() for item in pair]
    return UPDATE_UNFINISHED(keys=[f"job:{job_id}"], args=args)


def give_back(worker_id):
    """Move every job a worker holds back to the head of the queue, marked queued again."""
    while (job_id := store.lmove(processing(worker_id), QUEUE, "LEFT", "RIGHT")) is not None:
        update(job_id, status="queued")


def reap():
    """Give back the jobs of every worker process whose heartbeat has expired."""
    for other in store.smembers(WORKERS):
        if other != ME and not store.exists(alive(other)):
            give_back(other)
            store.srem(WORKERS, other)


def beat(stopped):
    while not stopped.wait(BEAT_SECONDS):
        store.set(alive(ME), 1, px=HEARTBEAT_MS)


def run(job_id):
    starts = store.hincrby(f"job:{job_id}", "starts", 1)
    if starts > MAX_STARTS:
        update(job_id, status="failed", error=f"gave up after {MAX_STARTS} starts: the job kills its worker")
    elif update(job_id, status="running"):
        try:
            result = count_primes(int(store.hget(f"job:{job_id}", "n")))
        except Exception as error:
            update(job_id, status="failed", error=str(error) or type(error).__name__)
        else:
            update(job_id, status="done", result=result)
    store.lrem(processing(ME), 1, job_id)


def main():
    store.set(alive(ME), 1, px=HEARTBEAT_MS)  # alive first, so no reaper takes a fresh worker for dead
    store.sadd(WORKERS, ME)
    stopped = threading.Event()
    threading.Thread(target=beat, args=(stopped,), daemon=True).start()
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        while True:
            reap()
            job_id = store.blmove(QUEUE, processing(ME), 1, "RIGHT", "LEFT")
            if job_id is not None:
                run(job_id)
    except Stop:
        give_back(ME)
        stopped.set()
        store.delete(alive(ME))
        store.srem(WORKERS, ME)


if __name__ == "__main__":
    main()
