"""Wrong: the web process computes the job inside the request, before it answers."""
import os

import redis
from flask import Flask, request

from primes import count_primes

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)


@app.post("/jobs")
def post_job():
    body = request.get_json(silent=True)
    n = body.get("n") if isinstance(body, dict) else None
    if not isinstance(n, int) or isinstance(n, bool):
        return {"error": "n must be an integer"}, 400
    job_id = store.incr("jobs:last-id")
    try:
        store.hset(f"job:{job_id}", mapping={"status": "done", "result": count_primes(n)})
    except ValueError as error:
        store.hset(f"job:{job_id}", mapping={"status": "failed", "error": str(error)})
    return {"id": job_id}, 202


@app.get("/jobs/<int:job_id>")
def get_job(job_id):
    job = store.hgetall(f"job:{job_id}")
    if not job:
        return {"error": "no such job"}, 404
    result = job.get("result")
    return {"id": job_id, "status": job["status"], "result": None if result is None else int(result),
            "error": job.get("error")}
