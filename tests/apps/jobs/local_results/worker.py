"""Wrong: the queue is in Redis, but each result goes to a file on the worker's own disk."""
import json
import os

import redis

from primes import count_primes

store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
os.makedirs("results", exist_ok=True)

while True:
    taken = store.brpop("jobs:queue", 1)
    if taken is None:
        continue
    job_id = taken[1]
    store.hset(f"job:{job_id}", "status", "running")
    try:
        outcome = {"status": "done", "result": count_primes(int(store.hget(f"job:{job_id}", "n")))}
    except Exception as error:
        outcome = {"status": "failed", "error": str(error)}
    with open(f"results/{job_id}.json", "w") as handle:
        json.dump(outcome, handle)
