"""Small helpers shared by the pull's steps: report counters and lists of names."""

from __future__ import annotations

from collections.abc import Iterable

from hedgekit.data._bundle import ImportReport


def _count(report: ImportReport, key: str, n: int = 1) -> None:
    report.derived[key] = report.derived.get(key, 0) + n


def _names(tickers: Iterable[str], limit: int = 10) -> str:
    items = sorted(tickers)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
