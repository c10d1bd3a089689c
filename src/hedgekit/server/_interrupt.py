"""Stopping a running hedge: an exception raised in the worker thread that computes it.

The library's ``PerformanceHedge.calculate()`` has no cancellation hook, so a worker
opens an *interruptible window* around it (:meth:`Interrupter.window`); while the window
is open, :meth:`Interrupter.interrupt` asks CPython to raise :class:`JobCancelled` in that
thread (``PyThreadState_SetAsyncExc``). The exception arrives at the thread's next Python
instruction: within milliseconds, or when a long C call (a solver) returns.

The window makes it safe:

- an interrupt is delivered at most once per window, and only while the window is open
  (never during the worker's own database writes or its queue bookkeeping);
- closing the window withdraws an interrupt that was delivered but has not fired yet;
- :class:`JobCancelled` derives from ``BaseException``, so library code that catches
  ``Exception`` cannot swallow it; ``with`` blocks and ``finally`` clauses still run.

The shared market data is only ever extended with complete cache entries (a value is
computed, then stored), so abandoning a computation half-way leaves it consistent.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import threading
from collections.abc import Iterator

__all__ = ["Interrupter", "JobCancelled"]

logger = logging.getLogger(__name__)


class JobCancelled(BaseException):
    """Raised inside a worker thread whose job was cancelled (DELETE or a revoked key)."""


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> int:
    """``PyThreadState_SetAsyncExc``: schedule ``exc`` in the thread (None withdraws it)."""
    arg = ctypes.py_object(exc) if exc is not None else None
    return int(ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), arg))


class Interrupter:
    """The running jobs of this process that can be interrupted, by job id.

    Examples
    --------
    >>> stops = Interrupter()
    >>> with stops.window("job-1"):  # doctest: +SKIP
    ...     engine.calculate()        # raises JobCancelled if stops.interrupt("job-1")
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    @property
    def running(self) -> list[str]:
        """Ids of the jobs inside a window now."""
        with self._lock:
            return list(self._open)

    @contextlib.contextmanager
    def window(self, job_id: str) -> Iterator[None]:
        """Let :meth:`interrupt` stop this thread while the block runs."""
        thread_id = threading.get_ident()
        with self._lock:
            self._open[job_id] = thread_id
        try:
            yield
        finally:
            with self._lock:
                if self._open.pop(job_id, None) is None:
                    # interrupted: withdraw the exception if it has not fired yet
                    _set_async_exc(thread_id, None)

    def interrupt(self, job_id: str) -> bool:
        """Raise :class:`JobCancelled` in the thread running ``job_id``; False if none is."""
        with self._lock:
            thread_id = self._open.pop(job_id, None)
            if thread_id is None:
                return False
            if _set_async_exc(thread_id, JobCancelled) != 1:  # the thread is gone
                _set_async_exc(thread_id, None)
                return False
        logger.info("job %s: interrupting its worker", job_id)
        return True
