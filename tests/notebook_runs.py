"""Running a course notebook headless, once, the way every lesson test needs it.

A notebook runs in a fresh python3 kernel whose working directory is a temporary copy of
``course/``, so the files its ``%%writefile`` cells create never land in the repository, and which
imports ``grader`` from this working tree (PYTHONPATH), whatever copy happens to be installed. A run
counts as clean only if no cell raised, nothing it started outlived the kernel, and ``course/``
itself is unchanged. Claim tests find a cell by its ``claim-...`` tag and parse what it printed, so
they fail as soon as a lesson's behaviour drifts from its prose.
"""
from __future__ import annotations

import ast
import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
CELL_TIMEOUT = 120  # seconds for one cell, so that a hang fails the run instead of the session
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Run:
    """One headless execution of a notebook: the executed notebook, what went wrong, how long it took."""

    name: str
    notebook: object
    errors: list[str]
    seconds: float

    def clean(self) -> "Run":
        """This run, for a claim test; a run with errors fails the test (its claims cannot be checked)."""
        if self.errors:
            pytest.fail(f"{self.name} did not run cleanly, so its claims cannot be checked:\n{self.errors[0]}",
                        pytrace=False)
        return self

    def cell(self, tag: str):
        cells = [cell for cell in self.notebook.cells if tag in cell.metadata.get("tags", [])]
        assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
        return cells[0]

    def text(self, tag: str) -> str:
        """Everything the tagged cell printed, and the plain text of what it displayed, in order."""
        parts = []
        for output in self.cell(tag).outputs:
            if output.output_type == "stream" and output.name == "stdout":
                parts.append(output.text.replace("\r\n", "\n"))  # shell commands print through a terminal
            elif output.output_type in ("execute_result", "display_data"):
                parts.append(output.data.get("text/plain", "") + "\n")
        return "".join(parts)

    def line(self, tag: str, label: str) -> str:
        """The rest of the first line of the tagged cell's output that starts with ``label``."""
        text = self.text(tag)
        for line in text.splitlines():
            if line.startswith(label):
                return line[len(label):].strip()
        raise AssertionError(f"no line starting with {label!r} in what {tag} printed:\n{text}")

    def value(self, tag: str, label: str):
        """The Python literal printed after ``label`` at the start of a line of the tagged cell."""
        return ast.literal_eval(self.line(tag, label))


def execute(name: str, work: Path) -> Run:
    """Run ``course/name`` top to bottom in a copy of the course under ``work``."""
    before = sorted(os.listdir(COURSE))
    before_el = sorted(os.listdir(COURSE / "el"))
    course = work / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    path = course / name  # a lesson of the Greek edition is el/NAME, and runs in el/ as JupyterLab runs it
    notebook = nbformat.read(path, as_version=4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "JPY_SESSION_NAME": str(path)}  # what jupyter_server tells a kernel: the grader reads its language
    client = NotebookClient(notebook, kernel_manager_class=unix_socket_kernels(work), kernel_name="python3",
                            timeout=CELL_TIMEOUT, allow_errors=True, resources={"metadata": {"path": str(path.parent)}})
    started = time.monotonic()
    client.execute(env=env)
    seconds = time.monotonic() - started
    errors = [f"cell {index} raised {output.ename}: {output.evalue}\n" + ANSI.sub("", "\n".join(output.traceback))
              for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    errors += [f"process {pid} ({command}) outlived the kernel" for pid, command in survivors(course)]
    if sorted(os.listdir(COURSE)) != before or sorted(os.listdir(COURSE / "el")) != before_el:
        errors.append(f"{name} wrote files into course/ instead of its working copy")
    print(f"{name} ran in {seconds:.1f} s")
    return Run(name, notebook, errors, seconds)


def unix_socket_kernels(work: Path) -> type[AsyncKernelManager]:
    """Kernels that talk over Unix sockets in ``work``, not TCP ports.

    Over TCP, jupyter_client picks five free ports and closes them, and the kernel binds them only
    once Python has started, about a second later. On a machine where other tests start kernels and
    servers and open thousands of connections, another socket can take one of those ports in between,
    and the kernel dies before it ever answers ("Kernel died before replying to kernel_info").
    """
    class UnixSocketKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(work / "kernel"), **kwargs)

    return UnixSocketKernelManager


@contextlib.contextmanager
def kernel_sockets():
    """A short folder of its own for kernels' Unix sockets (a socket's path must fit in 107 bytes,
    and socket files must not land in an app's folder), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="f6-kernels-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def survivors(folder: Path, grace: float = 2.0) -> list[tuple[int, str]]:
    """Processes still running in ``folder`` (a server a lesson forgot to stop) ``grace`` seconds
    after the kernel ended; each one found is killed, so that a failing lesson leaks nothing."""
    deadline = time.monotonic() + grace
    while (found := processes_in(folder)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid, _ in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return found


def processes_in(folder: Path) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes whose working directory lies in ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")).is_relative_to(folder) \
                    and (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()))
        except OSError:
            continue
    return found


def run_by_their_own_modules() -> dict[str, str]:
    """Notebook name -> the test module that runs it (``LESSON = "..."`` in ``test_lesson_*.py``).
    Every other notebook is run by ``test_course_notebooks.py``; none runs twice."""
    found = {}
    for module in sorted(Path(__file__).parent.glob("test_lesson_*.py")):
        declared = re.search(r'^LESSON = "([^"]+)"$', module.read_text(), re.MULTILINE)
        assert declared, f"{module.name} does not say which notebook it runs (LESSON = \"...\")"
        found[declared[1]] = module.name
    return found
