"""Shared fixtures. Every test is followed by a check that no process the grader started survived."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from grader.grading import runner
from grader.platform.forkserver import RUN_TAG
from greek import english_in
from stalls import StallWatch
from grader.platform.processes import RUN_MARKER, stat_fields

ROOT = Path(__file__).resolve().parent.parent
APPS = Path(__file__).resolve().parent / "apps"
# Every run this session starts, in-process or through a child (the CLI, nbgrader's kernels), is
# tagged, so the check below sees this session's processes and no one else's.
SESSION_TAG = f"pytest{os.getpid()}-"
os.environ[RUN_TAG] = SESSION_TAG


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != b"Z"


def sockets_of(pid: int) -> set[str]:
    """The sockets process ``pid`` holds ("socket:[inode]"); descriptors it closes meanwhile are skipped."""
    found = set()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def children_of(pid: int) -> list[int]:
    """Live (not zombie) children of process ``pid``."""
    return [int(entry.name) for entry in os.scandir("/proc") if entry.name.isdigit()
            and (fields := stat_fields(int(entry.name))) is not None and int(fields[1]) == pid and fields[0] != b"Z"]


def grader_processes() -> list[tuple[int, str]]:
    """(pid, command line) of every live, non-zombie process from a grading run of this session."""
    needle = f"{RUN_MARKER}={SESSION_TAG}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry.name}/environ").read_bytes()
            stat = Path(f"/proc/{entry.name}/stat").read_bytes()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stat.rsplit(b")", 1)[1].split()[0] == b"Z":
            continue
        if any(item.startswith(needle) for item in environ.split(b"\0")):
            found.append((int(entry.name), cmdline.strip()))
    return found


@pytest.fixture(autouse=True)
def no_process_survives():
    yield
    deadline = time.monotonic() + 0.5
    left = grader_processes()
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = grader_processes()
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, f"processes started by the grader outlived the test: {left}"


@pytest.fixture(scope="session")
def graded_reports():
    """Every report ``grade()`` makes in this test process, kept as it is made (module fixtures too)."""
    made = []

    def recording(*args, **kwargs):
        made.append(runner_report(*args, **kwargs))
        return made[-1]

    runner_report = runner.Report
    runner.Report = recording
    yield made
    runner.Report = runner_report


@pytest.fixture(autouse=True)
def every_report_also_speaks_greek(graded_reports):
    """The reports graded for a test, rendered again in Greek from the same results: an English
    sentence left in one (a message the catalogs never got) fails the test that graded it."""
    yield
    reports, graded_reports[:] = list(graded_reports), []
    problems = [f"{report.origin}: {run!r}" for report in reports for run in english_in(report.to_text("el"))]
    assert not problems, "English in a Greek report (a message without a translation):\n" + "\n".join(problems)


@pytest.fixture
def app_path():
    """Path of a purpose-built app under tests/apps."""
    return lambda name: APPS / name


@pytest.fixture
def launched():
    """Start demo clusters of apps under tests/apps, all stopped when the test ends:
    ``cluster = launched("hits/redis_counter", workers=2)``."""
    import contextlib

    from grader.live import launch
    with contextlib.ExitStack() as stack:
        yield lambda name, workers=2, **options: stack.enter_context(launch(APPS / name, workers, **options))


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Under xdist's ``--dist loadgroup``, keep each test file on one worker, so its module fixtures
    (a notebook executed once, a class of apps graded once) are built once; a test that names a
    group of its own (each exercise's nbgrader round trip) can run beside the rest of its file.

    Afterwards, on a worker, every test must carry its group in its node id (xdist adds ``@group``),
    or the groups were silently ignored and each worker would build every module fixture again
    (pytest 9.2 with xdist 3.8 did that, for a suite about twice as slow): that stops the run."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    yield
    if os.environ.get("PYTEST_XDIST_WORKER") and config.getvalue("loadgroup"):
        ungrouped = [item.nodeid for item in items if "@" not in item.nodeid.rsplit("]", 1)[-1]]
        if ungrouped:
            raise pytest.UsageError(f"--dist loadgroup did not take effect for {len(ungrouped)} tests (e.g. "
                                    f"{ungrouped[0]}): pytest {pytest.__version__} with this pytest-xdist does "
                                    "not group tests; install the versions pyproject.toml pins.")


STALLS = pytest.StashKey[StallWatch]()


def pytest_configure(config):
    """Watch for machine stalls from the main process while xdist's workers run the tests (see stalls.py)."""
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        config.stash[STALLS] = StallWatch()


def pytest_terminal_summary(terminalreporter, config):
    watch = config.stash.get(STALLS, None)
    if watch is not None:
        for line in watch.summary():
            terminalreporter.write_line(line)

