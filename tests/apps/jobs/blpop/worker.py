"""Wrong: a plain BRPOP consumer. The job leaves the queue the moment it is taken, so a worker
killed mid-job takes it to the grave; and SIGTERM (Python's default) kills it mid-job too."""
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
    except Exception as error:
        store.hset(f"job:{job_id}", mapping={"status": "failed", "error": str(error)})
    else:
        store.hset(f"job:{job_id}", mapping={"status": "done", "result": result})
