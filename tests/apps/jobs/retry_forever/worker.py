"""Wrong: a job that raises goes back to the queue, to raise again, forever."""
import os

import redis

from primes import count_primes

store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)

while True:
    taken = store.brpop("jobs:queue", 1)
    if taken is None:
        continue
    job_id = taken[1]
    store.hset(f"job:{job_id}", "status", "running")
    try:
        result = count_primes(int(store.hget(f"job:{job_id}", "n")))
    except Exception:
        store.hset(f"job:{job_id}", "status", "queued")
        store.lpush("jobs:queue", job_id)  # try again later
    else:
        store.hset(f"job:{job_id}", mapping={"status": "done", "result": result})
