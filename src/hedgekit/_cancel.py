"""Cooperative cancellation: a token a caller sets, checked by long computations at safe points.

A service (or any caller running hedges in threads) makes a :class:`CancelToken`, runs the
computation inside :func:`cancellable` and calls :meth:`CancelToken.cancel` from another
thread to stop it. The library calls :func:`checkpoint` between the steps of its long
computations: the hedge's stages (market, preparation, each grid candidate, the solve),
each month of a risk model's fit. A checkpoint inside a cancelled block raises
:class:`Cancelled`; outside one it costs a context-variable lookup.

The stop is cooperative: it happens at the next checkpoint, never in the middle of a step,
so no cache, file or lock is left half-written. :class:`Cancelled` derives from
``BaseException`` (like :class:`asyncio.CancelledError`) so that code catching
``Exception`` to record a failure, as a backtest does per target, does not swallow it.

Examples
--------
>>> token = CancelToken()
>>> with cancellable(token):
...     checkpoint()            # not cancelled: returns
...     token.cancel("deleted by its owner")
...     checkpoint()
Traceback (most recent call last):
...
hedgekit._cancel.Cancelled: deleted by its owner
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

__all__ = ["CancelToken", "Cancelled", "cancellable", "checkpoint"]

_CURRENT: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar(
    "hedgekit_cancel_token", default=None
)


class Cancelled(BaseException):
    """The computation was cancelled through its :class:`CancelToken`."""


class CancelToken:
    """A flag one thread sets and a computation in another checks (thread-safe).

    Attributes
    ----------
    reason : str
        Why it was cancelled (the message of :class:`Cancelled`); empty until then.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the computation to stop at its next checkpoint (idempotent)."""
        if not self._event.is_set():
            self.reason = reason
            self._event.set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise Cancelled(self.reason)


@contextlib.contextmanager
def cancellable(token: CancelToken) -> Iterator[CancelToken]:
    """Run the block so that :func:`checkpoint` inside it obeys ``token``.

    The token holds for the current thread (and tasks copying its context); blocks nest,
    the innermost token wins.
    """
    reset = _CURRENT.set(token)
    try:
        yield token
    finally:
        _CURRENT.reset(reset)


def checkpoint() -> None:
    """Raise :class:`Cancelled` if the enclosing :func:`cancellable` block was cancelled."""
    token = _CURRENT.get()
    if token is not None:
        token.raise_if_cancelled()
