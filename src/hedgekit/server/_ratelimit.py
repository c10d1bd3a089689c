"""Per-key token buckets."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """A token bucket per key: ``burst`` tokens, refilled at ``rate`` tokens per second.

    Each request takes one token; a request finding less than one is refused, and told
    how long to wait. State lives in memory (one service process per database).

    Parameters
    ----------
    rate : float
        Tokens added per second (sustained requests per second).
    burst : int
        Bucket size (requests allowed at once after a quiet period).
    clock : callable, optional
        Monotonic seconds; tests pass a fake one.

    Examples
    --------
    >>> bucket = TokenBucket(rate=1.0, burst=2, clock=lambda: 0.0)
    >>> [bucket.take("k") for _ in range(3)]
    [0.0, 0.0, 1.0]
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._state: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object) -> float:
        """Take a token for ``key``: 0.0 if allowed, else the seconds until one is free."""
        now = self.clock()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """``Retry-After`` header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))
