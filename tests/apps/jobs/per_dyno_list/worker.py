"""Wrong: a reliable queue keyed on DYNO, as if no two processes ever shared one name.

BLMOVE moves a job into a processing list named after DYNO, and a worker that starts first gives
back whatever that list holds, taking it for what a killed predecessor left. On SIGTERM it finishes
the job in hand. During a restart whose successor starts at once (as Heroku's may), the successor
gives back, and runs again, the job its live predecessor is still finishing.
"""
import os
import signal

import redis

from primes import count_primes

store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
QUEUE = "jobs:queue"
PROCESSING = f"jobs:processing:{os.environ['DYNO']}"  # the mistake: DYNO is not unique
MAX_STARTS = 3  # a job that kills its worker every time ends failed after this many starts

# Set a job's fields only while it is unfinished, atomically: a result is recorded once, and a
# finished job never goes back, even if it runs twice.
UPDATE_UNFINISHED = store.register_script("""
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'done' or status == 'failed' then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
""")


stopping = False


def on_sigterm(signum, frame):
    global stopping
    stopping = True  # finish the job in hand, then take no new one


def update(job_id, **fields):
    args = [item for pair in fields.items() for item in pair]
    return UPDATE_UNFINISHED(keys=[f"job:{job_id}"], args=args)


def give_back():
    """Move every job this worker holds back to the head of the queue, marked queued again."""
    while (job_id := store.lmove(PROCESSING, QUEUE, "LEFT", "RIGHT")) is not None:
        update(job_id, status="queued")


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
    store.lrem(PROCESSING, 1, job_id)


def main():
    give_back()  # what a previous incarnation of this worker was running when it died
    signal.signal(signal.SIGTERM, on_sigterm)
    while not stopping:
        job_id = store.blmove(QUEUE, PROCESSING, 1, "RIGHT", "LEFT")
        if job_id is not None:
            run(job_id)


if __name__ == "__main__":
    main()
