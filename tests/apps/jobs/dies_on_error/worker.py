"""Wrong: nothing catches an exception in a job, so the first job that raises ends the worker."""
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
    result = count_primes(int(store.hget(f"job:{job_id}", "n")))
    store.hset(f"job:{job_id}", mapping={"status": "done", "result": result})
