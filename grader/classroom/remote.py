"""Running jobs on a Dask distributed cluster (``grader autograde --scheduler tcp://HOST:8786``).

Each job travels as plain data to a Dask worker, which grades it with the same code as this machine
does (a one-job :class:`~grader.classroom.local.LocalPool`: its own process, its own deadline, every
process it started killed afterwards) and sends back the verdicts and the autograded files. Recording
stays here, in one process. Every Dask worker needs factor-six installed, like this machine.

At most a few jobs per worker thread are in flight at once, so a class of thousands does not sit in
the scheduler's memory all at the same time.
"""
from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterable, Iterator

from ..i18n import _
from ..platform import runs
from ..errors import BadInput
from ..platform.forkserver import RUN_TAG
from .capped import capped
from .job import COURSE, OUTCOME_FILE, Job
from .local import Finished, LocalPool, remove
from .verdicts import Verdicts

IN_FLIGHT_PER_THREAD = 2
CONNECT_TIMEOUT = 30.0  # seconds to reach the scheduler
MAX_RETURN_BYTES = 64 * 2**20  # autograded files a worker sends back for one submission


def run_remote(job: Job) -> dict:
    """On a Dask worker: grade one job; its verdicts, its ending and its autograded files as plain data."""
    import os
    work = runs.create(os.environ.get(RUN_TAG, "") + "dask-" + uuid.uuid4().hex[:12])
    try:
        finished, = LocalPool(1, work, fork=False).run([job])  # a Dask worker has threads: never fork
        produced = finished.folder / COURSE / job.autograded
        files = {str(item.relative_to(produced)): item.read_bytes()
                 for item in capped(produced, MAX_RETURN_BYTES)[0]}
        outcome = finished.folder / OUTCOME_FILE
        said = outcome.read_bytes() if outcome.is_file() else b""  # before the folder is removed
        remove(finished)
        return {"verdicts": {name: v.to_dict() for name, v in finished.verdicts.items()},
                "ended": finished.ended, "detail": finished.detail, "seconds": finished.seconds,
                "files": files, "outcome": said, "log_tail": finished.log_tail}
    finally:
        runs.clean(work)


class DaskPool:
    """Send jobs to the Dask scheduler at ``address``; yields each job's :class:`Finished` as it ends."""

    def __init__(self, address: str, work: Path):
        from distributed import Client
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise BadInput(_("cannot reach the Dask scheduler at {address} ({error}). Start one with "
                             "`dask scheduler`, and workers with `dask worker ADDRESS`.", address=address,
                             error=str(error))) from None
        self.work = work

    @property
    def threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def close(self) -> None:
        self.client.close()

    def run(self, jobs: Iterable[Job]) -> Iterator[Finished]:
        from distributed import as_completed
        pending = iter(jobs)
        flying = as_completed(loop=self.client.loop)
        owners: dict = {}
        limit = IN_FLIGHT_PER_THREAD * self.threads
        for job in _take(pending, limit):
            self._submit(job, flying, owners)
        for future in flying:
            job, started = owners.pop(future.key)
            yield self._finished(job, future, started)
            for job in _take(pending, 1):
                self._submit(job, flying, owners)

    def _submit(self, job: Job, flying, owners: dict) -> None:
        future = self.client.submit(run_remote, job, key=f"autograde-{job.marker}", pure=False, retries=1)
        owners[future.key] = (job, time.monotonic())
        flying.add(future)

    def _finished(self, job: Job, future, started: float) -> Finished:
        folder = Path(tempfile.mkdtemp(prefix=f"{job.student[:20]}-", dir=self.work))
        try:
            result = future.result()
        except Exception as error:  # the worker died or the task failed: record what we have
            said = f"{type(error).__name__}: {error}"
            return Finished(job, folder, {}, "crashed", _("its Dask task failed ({error})", error=said),
                            time.monotonic() - started)
        produced = folder / COURSE / job.autograded
        for name, data in result["files"].items():
            target = produced / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (folder / OUTCOME_FILE).write_bytes(result["outcome"] or b"{}")
        verdicts = {name: Verdicts.from_dict(data) for name, data in result["verdicts"].items()}
        return Finished(job, folder, verdicts, result["ended"], result["detail"], result["seconds"],
                        result.get("log_tail", ""))


def _take(iterator, count: int) -> list:
    taken = []
    for item in iterator:
        taken.append(item)
        if len(taken) >= count:
            break
    return taken
