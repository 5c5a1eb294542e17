"""Correct: the web process only records and queues a job; worker processes run it (see worker.py)."""
import os

import redis
from flask import Flask, request

app = Flask(__name__)
store = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
QUEUE = "jobs:queue"


@app.post("/jobs")
def post_job():
    body = request.get_json(silent=True)
    n = body.get("n") if isinstance(body, dict) else None
    if not isinstance(n, int) or isinstance(n, bool):
        return {"error": 'send JSON like {"n": 100000}, with an integer n'}, 400
    job_id = store.incr("jobs:last-id")
    with store.pipeline() as transaction:  # MULTI/EXEC: the job and its place in the queue, or neither
        transaction.hset(f"job:{job_id}", mapping={"n": n, "status": "queued"})
        transaction.lpush(QUEUE, job_id)
        transaction.execute()
    return {"id": job_id}, 202


@app.get("/jobs/<int:job_id>")
def get_job(job_id):
    job = store.hgetall(f"job:{job_id}")
    if not job:
        return {"error": f"there is no job {job_id}"}, 404
    result = job.get("result")
    return {"id": job_id, "status": job["status"], "result": None if result is None else int(result),
            "error": job.get("error")}
