"""Coalescing: many notifications in a short while cause one call, not one call each."""
from __future__ import annotations

import threading
from typing import Callable


class Coalescer:
    """Calls ``action`` once, ``delay`` seconds after the first ``poke`` of a batch.

    Pokes that arrive before that call joins its batch; a poke during the call starts the next
    batch. A 40-request burst therefore costs a handful of calls, and nothing runs while all is
    quiet: there is no polling loop, only a one-shot timer per batch.
    """

    def __init__(self, action: Callable[[], None], delay: float):
        self._action = action
        self._delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._closed = False

    def poke(self) -> None:
        """Ask for a call; cheap enough to run on the event bus's thread."""
        with self._lock:
            if self._timer is not None or self._closed:
                return
            self._timer = threading.Timer(self._delay, self._fire)
            self._timer.name = "factor-six-dashboard"
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
        self._action()

    def close(self) -> None:
        """Cancel a pending call and ignore later pokes."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
