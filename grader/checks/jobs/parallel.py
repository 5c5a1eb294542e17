"""The ``parallel`` check of the ``jobs`` exercise: several worker processes run jobs at once.

How much faster a batch finishes with two workers is a poor verdict on a busy machine: measured
here, a correct app's speed-up swung between 1.2x and 1.9x as the load changed. The verdict rests
on what holds under any load instead. While the batch runs, the grader reads every job's status and
samples every worker process's CPU time, round after round. It looks at the stretches during which
at least two jobs said "running", and asks whether, stretch by stretch, at least two worker
processes were using the CPU in comparable amounts. A scheduler shares the CPU fairly between processes that want
it, so two workers that really compute at once get similar shares however busy the machine is;
a worker that waits on a lock, or a second thread in one process, gets (next to) none. When the
machine is so busy that the stretches of overlap hold almost no CPU time at all (the jobs said
"running" while their processes waited for a core), there is nothing to weigh: the check says it
could not grade, and asks to be run again, rather than call a right app serial.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..base import Inconclusive, Scenario, Verdict
from ...i18n import Text, _
from ..feedback import explain, listing
from .feedback import full_stop, stuck
from .watch import FINISHED, JobWatch

N, BATCH = 120000, 4  # four jobs of about 0.15 s of CPU each
FINISH_WITHIN = 20.0  # seconds for the whole batch on a busy machine
BALANCE = 0.3  # the second busiest worker's CPU share, against the busiest, during the overlap
MIN_CPU = 0.02  # CPU seconds (two clock ticks) the second worker must show during the overlap
MIN_WORK = 0.1  # CPU seconds the workers must use in all: the batch needs about 0.6 s here
MIN_EVIDENCE = 0.1  # CPU seconds the busiest worker must show over the overlap before serial work is judged


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    running: int  # how many jobs said "running" in this round
    finished: int  # how many jobs were done or failed
    cpu: dict[str, float]  # worker name -> CPU seconds so far


@dataclass(frozen=True)
class Overlap:
    """What the worker processes did in the stretches between two rounds that both saw two or more
    jobs running, leaving out those in which a job finished: as one job ends and the next begins,
    two workers that take turns may both show CPU time in the same stretch.

    ``second`` adds up, stretch by stretch, the CPU time of the second busiest worker: workers that
    compute at the same time make it close to ``busiest``; workers that take turns leave it near 0.
    """

    seconds: float
    busiest: float
    second: float
    cpu: dict[str, float]  # worker name -> CPU seconds over those stretches, for the feedback

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(self.cpu.items(), key=lambda item: -item[1])

    @property
    def balanced(self) -> bool:
        return self.second >= MIN_CPU and self.second >= BALANCE * self.busiest


def overlap(samples: list[Sample]) -> Overlap:
    seconds = busiest = second = 0.0
    cpu: dict[str, float] = {}
    for before, after in zip(samples, samples[1:]):
        if before.running < 2 or after.running < 2 or after.finished != before.finished:
            continue
        seconds += after.at - before.at
        used = {name: after.cpu[name] - before.cpu.get(name, after.cpu[name]) for name in after.cpu}
        for name, amount in used.items():
            cpu[name] = cpu.get(name, 0.0) + amount
        ranked = sorted(used.values(), reverse=True) + [0.0, 0.0]
        busiest, second = busiest + ranked[0], second + ranked[1]
    return Overlap(seconds, busiest, second, cpu)


@dataclass
class Batch:
    """A batch of jobs as the grader followed it."""

    workers: list[str]
    jobs: list
    samples: list[Sample]
    finished: bool = False
    wall: float = 0.0  # seconds from the first POST to the last job done
    cpu: dict[str, float] | None = None  # worker name -> CPU seconds used during the batch

    @property
    def work(self) -> float:
        return sum((self.cpu or {}).values())


def run_batch(watch: JobWatch) -> Batch:
    """Post BATCH jobs at once and follow them, sampling the workers' CPU time every round."""
    names = [incarnation.name for incarnation in watch.workers()]
    watch.connected()
    start_cpu = _worker_cpu(watch, names)
    batch = Batch(names, [], [])
    batch.jobs = [watch.post(N) for _index in range(BATCH)]

    def sample() -> None:
        statuses = [job.status for job in batch.jobs]
        batch.samples.append(Sample(time.monotonic(), statuses.count("running"),
                                    statuses.count("done") + statuses.count("failed"), _worker_cpu(watch, names)))

    batch.finished = watch.finish(batch.jobs, FINISH_WITHIN, on_round=sample)
    batch.wall = time.monotonic() - batch.jobs[0].posted_at
    batch.cpu = {name: used - start_cpu[name] for name, used in _worker_cpu(watch, names).items()}
    return batch


def parallel(scenario: Scenario) -> Verdict:
    watch = JobWatch(scenario)
    return judge(watch, run_batch(watch))


def judge(watch: JobWatch, batch: Batch) -> Verdict:
    """The verdict on a batch: the workers computed at the same time, or the feedback why not."""
    did = _("The grader ran {count} worker processes ({workers}), posted {batch} jobs (n = {n}) at once, and "
            "followed their statuses and the workers' CPU time until all were done", count=len(batch.workers),
            workers=listing(batch.workers), batch=BATCH, n=N)
    if not batch.finished:
        late = next(job for job in batch.jobs if job.status not in FINISHED)
        return Verdict(False, stuck(watch, late, full_stop(did), FINISH_WITHIN))
    if batch.work < MIN_WORK:
        return Verdict(False, explain(
            full_stop(did),
            Text((_("The worker processes used {cpu:.2f} s of CPU in all, too little to have computed {batch} "
                    "jobs: what the grader saw:", cpu=batch.work, batch=BATCH), _timeline(batch.jobs))),
            _("So the web processes did the work (see the only_workers check), and adding worker "
              "processes cannot make a batch any faster."),
            _("In POST /jobs, only record the job and queue it; let worker.py run it.")))
    seen = overlap(batch.samples)
    if seen.balanced:
        (first, a), (second, b) = seen.ranked()[:2]
        return Verdict(True, _(
            "{batch} jobs on {count} worker processes: {first} and {second} ran jobs at the same time (both "
            "computing: {a:.2f} s and {b:.2f} s of CPU in {seconds:.2f} s). The batch took {wall:.2f} s for "
            "{work:.2f} s of CPU work.", batch=BATCH, count=len(batch.workers), first=first, second=second,
            a=a, b=b, seconds=seen.seconds, wall=batch.wall, work=batch.work))
    if seen.seconds and seen.busiest < MIN_EVIDENCE:  # overlap there was, but next to no CPU in it
        raise Inconclusive(_(
            "While two or more jobs said 'running', the worker processes used only {busiest:.2f} s of CPU time "
            "in {seconds:.2f} s: this machine was too busy to run them, so the grader cannot tell workers that "
            "take turns from workers that compute at once. This says nothing about your app; run the check "
            "again.", busiest=seen.busiest, seconds=seen.seconds))
    return Verdict(False, _serial_feedback(did, batch, seen))


def _serial_feedback(did, batch: Batch, seen: Overlap) -> Text:
    spent = ", ".join(f"{name} {used:.2f} s" for name, used in (batch.cpu or {}).items())  # names and times
    why = _("Several worker processes are how a platform scales the slow work out (heroku ps:scale "
            "worker=4): each takes its own jobs from the shared queue. A lock that every job must "
            "hold, or a single process that runs every job, makes the batch wait in line however "
            "many workers you add.")
    fix = _("Let each worker process take one job at a time from the queue and run it without any "
            "global lock; making a job safe to run twice (recording its result once) is the store's "
            "business, not a lock around the whole job.")
    if max(sample.running for sample in batch.samples) < 2:
        saw = _("The jobs ran one after another: no two of them ever said 'running' at the same time. "
                "The batch took {wall:.2f} s; CPU time by worker: {spent}. What the grader saw:",
                wall=batch.wall, spent=spent)
    else:
        saw = _("Two or more jobs said 'running' at the same time, for {seconds:.2f} s in all, but the worker "
                "processes never computed at the same time: stretch by stretch, one of them used the CPU "
                "({busiest:.2f} s in all) while the others waited ({second:.2f} s), on a lock perhaps. The "
                "jobs really ran one at a time. What the grader saw:", seconds=seen.seconds,
                busiest=seen.busiest, second=seen.second)
    return explain(full_stop(did), Text((saw, _timeline(batch.jobs))), why, fix)


def _timeline(jobs) -> Text:
    return Text([Text(("    ", _("job {job}: {trail}", job=repr(job.id), trail=job.trail(4))), "") for job in jobs])


def _worker_cpu(watch: JobWatch, names: list[str]) -> dict[str, float]:
    used = watch.cpu()
    return {name: used.get(name, 0.0) for name in names}
