"""Wrong: takes jobs from the queue app.py keeps, but that is this process's own, empty copy."""
from app import jobs, waiting
from primes import count_primes

while True:
    job_id = waiting.get()
    job = jobs[job_id]
    job["status"] = "running"
    try:
        job.update(status="done", result=count_primes(job["n"]))
    except Exception as error:
        job.update(status="failed", error=str(error))
