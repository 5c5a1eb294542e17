"""Running a learner's notebook in a kernel, contained: it can fail, but it cannot sink the grading.

nbgrader's executor gives up on a whole submission when the kernel dies (a cell that calls
``os._exit``, runs out of memory, or segfaults), and a kernel may leave processes behind that detach
from its process group. :class:`ContainedExecute` keeps what ran before such a failure, says in the
failing cell what happened, and kills every process the kernel started once it is done. The cell
says it in the notebook's language, the notes for the instructor in the instructor's.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat import from_dict
from nbgrader.preprocessors import Execute
from traitlets import Enum

from ..i18n import _, _n, choose, render
from ..platform import runs
from ..platform.forkserver import RUN_TAG
from ..platform.processes import RUN_MARKER, sweep
from . import profile
from .kernels import WarmKernelManager
from .repair import NOTES
from .verdicts import notebook_language

KERNEL_FAILED = "KernelFailed"
JOB_MARKER = "FACTOR_SIX_JOB_MARKER"  # set by grader autograde: the run marker its kernels must carry
JOB_FOLDER = "FACTOR_SIX_JOB_FOLDER"  # set by grader autograde: where a kernel's connection file goes
MAX_SOCKET_PREFIX = 100  # bytes: a Unix socket's path ("<prefix>-<n>") must fit in 107


class ContainedExecute(Execute):
    """nbgrader's Execute, which survives a dead kernel and leaves no process of the kernel's behind.

    Every process the kernel starts inherits a run marker in its environment (see
    :mod:`grader.platform.processes`), so even one that called ``setsid`` is found and killed afterwards. The
    marker is the job's own under ``grader autograde`` (env FACTOR_SIX_JOB_MARKER), so that a job
    killed at its deadline takes its kernel with it; otherwise a fresh one.

    Once the last cell has run, the kernel is killed at once rather than asked to shut down and
    waited for (about 0.3 s a notebook): every process it has is killed straight afterwards anyway,
    and nothing it could still do on its way out is part of the grading.
    """

    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="How the kernel is stopped after the last cell.").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", WarmKernelManager)  # nbgrader's own default is set likewise
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        marker = os.environ.get(JOB_MARKER) or os.environ.get(RUN_TAG, "") + "kernel-" + uuid.uuid4().hex[:12]
        previous = os.environ.get(RUN_MARKER)
        os.environ[RUN_MARKER] = marker
        self._current = None
        # Outside a job (plain nbgrader autograde), the kernel's files go into a run folder of its own,
        # which the next grader run removes should this process be killed before it does.
        in_job = bool(os.environ.get(JOB_FOLDER))
        self._folder = os.environ[JOB_FOLDER] if in_job else str(runs.create(marker))
        self._sockets: Path | None = None  # a short folder for the sockets, if the job's is too deep
        self._clock = profile.KernelClock(profile.current)  # times the kernel, when a job profiles itself
        self._clock.begin()
        try:
            nb, resources = super().preprocess(nb, resources, km)
            self._note_timeouts(nb)
            return nb, resources
        except DeadKernelError as error:
            self._mark(nb, _("The kernel died while this cell ran ({reason}). The cells after it were not run.",
                             reason=str(error)))
        except Exception as error:  # a kernel that would not start, stop or answer: keep what ran
            said = f"{type(error).__name__}: {error}"
            self._mark(nb, _("The notebook could not be run to the end ({error}). The cells after this one "
                             "were not run.", error=said))
        finally:
            if previous is None:
                os.environ.pop(RUN_MARKER, None)
            else:
                os.environ[RUN_MARKER] = previous
            if in_job:
                sweep(marker)  # the job's folder goes with the job
            else:
                runs.clean(Path(self._folder))  # its processes, then its folder
            if self._sockets is not None:
                runs.clean(self._sockets)
            self._clock.end()
        return nb, resources

    def create_kernel_manager(self):
        """The kernel's connection file and sockets go into the job's folder (under ``grader
        autograde``) or a run folder of the kernel's own, removed with it even when the process is
        killed (by default it is a temporary file that only a clean shutdown removes).

        Unix sockets rather than TCP ports: over TCP, jupyter_client picks five free ports and closes
        them, and the kernel binds them only once Python has started. With jobs side by side, each
        running servers and opening connections, another socket can take one of those ports in
        between, and the kernel dies before it ever answers ("Address already in use" in its log).
        A socket's path is short (107 bytes): for a folder too deep, the sockets go into a run
        folder of their own, and only where even that is too long does the kernel use TCP.
        """
        manager = super().create_kernel_manager()
        name = f"kernel-{uuid.uuid4().hex[:12]}"
        manager.connection_file = os.path.join(self._folder, name + ".json")
        sockets = os.path.join(os.path.abspath(self._folder), name)
        if len(sockets.encode()) > MAX_SOCKET_PREFIX:
            if self._sockets is None:
                self._sockets = runs.create(os.environ.get(RUN_TAG, "") + "sockets-" + uuid.uuid4().hex[:12])
            sockets = os.path.join(str(self._sockets), name)
        if len(sockets.encode()) <= MAX_SOCKET_PREFIX:
            manager.transport, manager.ip = "ipc", sockets
        return manager

    def preprocess_cell(self, cell, resources, index):
        self._current = index
        self._clock.first_cell(getattr(getattr(self.km, "provisioner", None), "pid", None))
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self._clock.last_cell()

    def _note_timeouts(self, nb) -> None:
        """Say in the notebook's notes which cells ran out of time (nbgrader only marks the cell)."""
        timed_out = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
                     and any(out.get("ename") == "CellTimeoutError" for out in cell.get("outputs", []))]
        if timed_out:
            cells = ", ".join(str(index + 1) for index in timed_out)
            _note(nb, _n("Cell {cells} ran longer than {timeout} s and was interrupted.",
                         "Cells {cells} ran longer than {timeout} s and were interrupted.", len(timed_out),
                         cells=cells, timeout=self.timeout))

    def _mark(self, nb, message) -> None:
        """Say in the cell that was running, in the notebook's language, why the notebook stopped."""
        self.log.warning("%s", message)
        index = self._current if self._current is not None else 0
        if not nb.cells:
            return
        cell = nb.cells[min(index, len(nb.cells) - 1)]
        if cell.cell_type == "code":
            said = render(message, notebook_language(nb))
            cell.outputs.append(from_dict({"output_type": "error", "ename": KERNEL_FAILED, "evalue": said,
                                           "traceback": [f"{KERNEL_FAILED}: {said}"]}))
        _note(nb, _("Cell {number}: {message}", number=index + 1, message=message))


def _note(nb, message) -> None:
    """Write a note for the instructor into the notebook's metadata (see grader.classroom.repair), in
    the instructor's language: the metadata holds text, not messages."""
    nb.metadata.setdefault(NOTES, []).append(render(message, choose(None)))
