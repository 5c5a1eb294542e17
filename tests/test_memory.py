"""Peak memory of one process over one stretch of time, read from /proc."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from grader.harness.memory import NoSuchProcess, PeakMemory, sampled, status

MB = 2**20
CHILD = textwrap.dedent("""
    import sys
    for line in sys.stdin:
        if line.strip() == "hold":
            data = bytearray(80 * 2**20)  # touched page by page: resident, then freed
            del data
        print("done", flush=True)
""")


@pytest.fixture
def child():
    """A Python process that allocates 80 MB and frees it each time it reads "hold"."""
    process = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, start_new_session=True)

    def ask(word: str) -> None:
        process.stdin.write(word + "\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "done"

    ask("warm up")
    yield process, ask
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_status_reads_memory_lines_in_bytes():
    mine = status(os.getpid())
    assert mine["VmRSS"] > MB and mine["VmHWM"] >= mine["VmRSS"]


def test_a_request_that_holds_80_mb_raises_the_peak_by_80_mb_even_after_freeing_it(child):
    process, ask = child
    peak = PeakMemory(process.pid)
    ask("hold")
    assert peak.reset, "the kernel refused to reset the high-water mark"
    assert 75 * MB <= peak.rise() <= 100 * MB


def test_the_peak_is_reset_so_an_earlier_allocation_does_not_count(child):
    process, ask = child
    ask("hold")
    peak = PeakMemory(process.pid)  # the 80 MB peak of the last request is behind us
    ask("nothing")
    assert peak.rise() < 8 * MB


def test_sampling_draws_the_resident_size_over_time(child):
    process, ask = child
    with sampled(process.pid, interval=0.001) as samples:
        ask("hold")
    assert len(samples.seconds) == len(samples.rss) >= 2
    assert samples.seconds[-1] > samples.seconds[0]
    assert min(samples.rss) > 4 * MB  # a real reading of a live Python process, never a zero or a default


def test_a_process_that_is_gone_cannot_be_measured():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    with pytest.raises(NoSuchProcess):
        PeakMemory(process.pid)


def test_a_demo_cluster_lists_scratch_files_and_watches_a_workers_memory(launched):
    cluster = launched("scratch/redis_reports", workers=2)
    assert cluster.scratch_files() == {"web.1": [], "web.2": []}
    scratch = cluster.workers["web.2"].current.sandbox.tmp
    (scratch / "left.csv").write_text("amount\n1\n")
    assert cluster.scratch_files() == {"web.1": [], "web.2": ["$TMPDIR/left.csv"]}
    with cluster.watch_memory("web.1", interval=0.001) as samples:
        assert cluster.get("/reports/none", worker="web.1").status == 404
    assert samples.rss and all(rss > MB for rss in samples.rss)
    with pytest.raises(KeyError, match="there is no worker 'web.9'"):
        cluster.watch_memory("web.9")
