"""Progress of long computations, reported to whoever listens (a CLI's bar), else nowhere.

The library calls :func:`report_progress` as a long step advances (each month of a risk
model's fit, each chunk of its exposures); a caller that wants to show it wraps the call in
:func:`progress_to` with a callback. Without a listener a report costs one context-variable
lookup, and the library never prints: progress bars and colour live in the CLI.

Examples
--------
>>> seen = []
>>> with progress_to(lambda stage, done, total: seen.append((stage, done, total))):
...     report_progress("months", 1, 3)
>>> seen
[('months', 1, 3)]
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

__all__ = ["ProgressCallback", "progress_to", "report_progress"]

#: ``callback(stage, done, total)``: ``done`` of ``total`` units of ``stage`` are finished
ProgressCallback = Callable[[str, int, int], None]

_LISTENER: contextvars.ContextVar[ProgressCallback | None] = contextvars.ContextVar(
    "hedgekit_progress", default=None
)


@contextlib.contextmanager
def progress_to(callback: ProgressCallback) -> Iterator[None]:
    """Send the progress reports of the block (in this thread) to ``callback``."""
    reset = _LISTENER.set(callback)
    try:
        yield
    finally:
        _LISTENER.reset(reset)


def report_progress(stage: str, done: int, total: int) -> None:
    """Tell the listener, if any, that ``done`` of ``total`` units of ``stage`` are finished."""
    callback = _LISTENER.get()
    if callback is not None:
        callback(stage, done, total)
