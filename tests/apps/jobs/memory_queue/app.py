"""Wrong: the jobs and their queue live in the web process's memory."""
import queue

from flask import Flask, request

app = Flask(__name__)
jobs = {}
waiting = queue.Queue()


@app.post("/jobs")
def post_job():
    body = request.get_json(silent=True)
    n = body.get("n") if isinstance(body, dict) else None
    if not isinstance(n, int) or isinstance(n, bool):
        return {"error": "n must be an integer"}, 400
    job_id = len(jobs) + 1
    jobs[job_id] = {"id": job_id, "n": n, "status": "queued", "result": None, "error": None}
    waiting.put(job_id)
    return {"id": job_id}, 202


@app.get("/jobs/<int:job_id>")
def get_job(job_id):
    if job_id not in jobs:
        return {"error": "no such job"}, 404
    return {key: jobs[job_id][key] for key in ("id", "status", "result", "error")}
