"""The data layer's cache: derived data of one market, in named regions, one eviction policy.

Higher layers (the hedge's universe and covariance fits, the risk model's exposures, the
semantic index) keep what they derive from one :class:`~hedgekit.data.MarketData` in its
``cache`` instead of attributes of their own on the market object. Every region is a
least-recently-used map with a size bound; ``clear()`` empties one region or all, and
``stats()`` tells what each holds. Entries never outlive the market object, and a market
object is bound to one snapshot of the store, so nothing here can go stale.

The process-level part: :func:`shared_market` returns one ``MarketData`` per data home
and snapshot, so that code which does not pass a market (``PerformanceHedge(params)``)
opens the store once per process and again only after a new import.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["Cache", "CacheStats"]

T = TypeVar("T")

#: entries per region unless the region is sized otherwise
DEFAULT_REGION_SIZE = 8


@dataclass(frozen=True)
class CacheStats:
    """What one region holds and how it was used."""

    entries: int
    maxsize: int
    hits: int
    misses: int


class Cache:
    """Named least-recently-used regions, safe to share between threads.

    Parameters
    ----------
    sizes : mapping of str to int, optional
        Entries kept per region; regions not named keep :data:`DEFAULT_REGION_SIZE`.

    Examples
    --------
    >>> cache = Cache({"fits": 2})
    >>> cache.get_or_compute("fits", "a", lambda: 1)
    1
    >>> cache.get("fits", "a")
    1
    >>> cache.clear()
    >>> cache.get("fits", "a") is None
    True
    """

    def __init__(self, sizes: Mapping[str, int] | None = None) -> None:
        self.sizes = dict(sizes or {})
        self._regions: dict[str, OrderedDict[Hashable, Any]] = {}
        self._hits: dict[str, int] = {}
        self._misses: dict[str, int] = {}
        self._lock = threading.RLock()

    def _region(self, region: str) -> OrderedDict[Hashable, Any]:
        return self._regions.setdefault(region, OrderedDict())

    def maxsize(self, region: str) -> int:
        """Entries ``region`` keeps."""
        return int(self.sizes.get(region, DEFAULT_REGION_SIZE))

    def get(self, region: str, key: Hashable) -> Any | None:
        """The entry ``key`` of ``region`` (now the most recently used), or None."""
        with self._lock:
            entries = self._region(region)
            if key in entries:
                entries.move_to_end(key)
                self._hits[region] = self._hits.get(region, 0) + 1
                return entries[key]
            self._misses[region] = self._misses.get(region, 0) + 1
            return None

    def put(self, region: str, key: Hashable, value: T) -> T:
        """Store ``value``; the least recently used entry leaves a full region."""
        with self._lock:
            entries = self._region(region)
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > max(self.maxsize(region), 1):
                entries.popitem(last=False)
        return value

    def get_or_compute(self, region: str, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached entry, or ``compute()`` stored under ``key``. The computation runs
        outside the lock: two threads may compute the same entry once each."""
        hit = self.get(region, key)
        if hit is not None:
            return hit
        return self.put(region, key, compute())

    def clear(self, region: str | None = None) -> None:
        """Empty ``region``, or every region."""
        with self._lock:
            if region is None:
                self._regions.clear()
                self._hits.clear()
                self._misses.clear()
            else:
                self._regions.pop(region, None)
                self._hits.pop(region, None)
                self._misses.pop(region, None)

    def stats(self) -> dict[str, CacheStats]:
        """Per region: entries, size bound, hits and misses since the last clear."""
        with self._lock:
            names = set(self._regions) | set(self._hits) | set(self._misses)
            return {
                r: CacheStats(
                    entries=len(self._regions.get(r, ())),
                    maxsize=self.maxsize(r),
                    hits=self._hits.get(r, 0),
                    misses=self._misses.get(r, 0),
                )
                for r in sorted(names)
            }

    def __getstate__(self) -> dict[str, Any]:
        # a copy sent to another process arrives empty: entries are cheap to rebuild there
        # and may be large
        return {"sizes": self.sizes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["sizes"])  # type: ignore[misc]

    def __repr__(self) -> str:
        parts = ", ".join(f"{r}={s.entries}/{s.maxsize}" for r, s in self.stats().items())
        return f"Cache({parts})"
