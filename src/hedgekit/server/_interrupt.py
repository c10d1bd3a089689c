"""Stopping a running hedge: cooperative cancellation of the worker thread that computes it.

A worker opens a *cancellable window* around the computation (:meth:`Interrupter.window`):
it makes a :class:`hedgekit.CancelToken` for the job and runs the block inside
:func:`hedgekit.cancellable`. :meth:`Interrupter.interrupt` (a ``DELETE``, a revoked key)
cancels that token; the library stops at its next :func:`hedgekit.checkpoint` (between the
stages of a hedge, between two grid fits, between two months of a risk model's fit) by
raising :class:`JobCancelled`.

The stop is cooperative: it happens between two steps, never inside one, so the shared
market data, the caches and the database are never left half-written, and no exception is
injected into code that does not expect it. :class:`JobCancelled` is
:class:`hedgekit.Cancelled`, a ``BaseException``: library code that catches ``Exception``
cannot swallow it; ``with`` blocks and ``finally`` clauses still run.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from hedgekit import Cancelled, CancelToken, cancellable

__all__ = ["Interrupter", "JobCancelled"]

logger = logging.getLogger(__name__)

#: raised inside a worker whose job was cancelled (DELETE or a revoked key)
JobCancelled = Cancelled


class Interrupter:
    """The running jobs of this process that can be cancelled, by job id.

    Examples
    --------
    >>> stops = Interrupter()
    >>> with stops.window("job-1"):  # doctest: +SKIP
    ...     engine.calculate()        # raises JobCancelled soon after stops.interrupt("job-1")
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, CancelToken] = {}

    @property
    def running(self) -> list[str]:
        """Ids of the jobs inside a window now."""
        with self._lock:
            return list(self._open)

    @contextlib.contextmanager
    def window(self, job_id: str) -> Iterator[CancelToken]:
        """Run the block so that :meth:`interrupt` can stop it at its next checkpoint."""
        token = CancelToken()
        with self._lock:
            self._open[job_id] = token
        try:
            with cancellable(token):
                yield token
        finally:
            with self._lock:
                self._open.pop(job_id, None)

    def interrupt(self, job_id: str, reason: str = "cancelled while it ran") -> bool:
        """Cancel the running ``job_id``; False if no window holds it."""
        with self._lock:
            token = self._open.get(job_id)
        if token is None:
            return False
        token.cancel(f"job {job_id}: {reason}")
        logger.info("job %s: cancelling its computation", job_id)
        return True
