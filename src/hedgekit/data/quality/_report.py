"""The result of :func:`~hedgekit.data.quality.check_data`: a status, one section per
concern, and the report that holds them with its JSON and table forms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hedgekit._json import jsonable as _jsonable
from hedgekit.typing import CaseInsensitiveEnum

__all__ = ["QualityReport", "QualitySection", "Status"]


class Status(CaseInsensitiveEnum):
    """Outcome of one section: ``'ok'``, ``'warn'`` or ``'fail'`` (case-insensitive)."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 for ok, 1 for warn, 2 for fail."""
        return {"ok": 0, "warn": 1, "fail": 2}[self.value]


@dataclass(frozen=True, eq=False)
class QualitySection:
    """One section of a :class:`QualityReport`.

    Parameters
    ----------
    name : str
        Section name (``'prices'``, ``'identity'``...).
    status : Status
        ``ok``, ``warn`` or ``fail``.
    reason : str
        One line saying why.
    metrics : dict of str to scalar
        Headline numbers.
    frames : dict of str to DataFrame
        Detail tables, worst offenders first.
    lines : tuple of str
        Plain-text lines (the ``limits`` section).
    """

    name: str
    status: Status
    reason: str
    metrics: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    lines: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: dates as ISO strings, missing values as None."""
        return {
            "status": str(self.status),
            "reason": self.reason,
            "metrics": {k: _jsonable(v) for k, v in self.metrics.items()},
            "tables": {k: _records(v) for k, v in self.frames.items()},
            "lines": list(self.lines),
        }


@dataclass(frozen=True, eq=False)
class QualityReport:
    """Result of :func:`check_data`: one section per concern plus per-date counts.

    Parameters
    ----------
    home : str
        Data home of the store checked.
    version : str
        Snapshot identifier of the store.
    synthetic : bool
        True when the store holds a simulated market.
    start, end : Timestamp
        First and last trading date of the prices.
    parameters : dict
        Thresholds used: ``spike``, ``stale_days``, ``gap_days``.
    coverage, prices, identity, descriptions, fundamentals, market_cap, limits : QualitySection
        The sections, in report order.
    daily : DataFrame
        Indexed by trading date: ``priced`` (names with a close), ``members`` (index
        members per the membership table) and ``members_priced`` (members with a close
        that day). Used by :func:`plot_coverage` and :meth:`to_frames`; left out of
        :meth:`to_dict` to keep the JSON small.
    warnings : tuple of str
        The importer's warnings, when the store's manifest records them.
    """

    home: str
    version: str
    synthetic: bool
    start: pd.Timestamp
    end: pd.Timestamp
    parameters: dict[str, float]
    coverage: QualitySection
    prices: QualitySection
    identity: QualitySection
    descriptions: QualitySection
    fundamentals: QualitySection
    market_cap: QualitySection
    limits: QualitySection
    daily: pd.DataFrame
    warnings: tuple[str, ...] = ()

    @property
    def sections(self) -> dict[str, QualitySection]:
        """The sections by name, in report order."""
        return {
            s.name: s
            for s in (
                self.coverage,
                self.prices,
                self.identity,
                self.descriptions,
                self.fundamentals,
                self.market_cap,
                self.limits,
            )
        }

    @property
    def status(self) -> Status:
        """The worst status of all sections."""
        return max((s.status for s in self.sections.values()), key=lambda s: s.rank)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per section: ``status`` and ``reason``, indexed by section name."""
        rows = [(n, str(s.status), s.reason) for n, s in self.sections.items()]
        return pd.DataFrame(rows, columns=["section", "status", "reason"]).set_index("section")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``json.dumps`` works on it): ISO dates, None for missing values."""
        return {
            "home": self.home,
            "version": self.version,
            "synthetic": self.synthetic,
            "start": _jsonable(self.start),
            "end": _jsonable(self.end),
            "status": str(self.status),
            "parameters": {k: _jsonable(v) for k, v in self.parameters.items()},
            "summary": _records(self.summary),
            "sections": {n: s.to_dict() for n, s in self.sections.items()},
            "warnings": list(self.warnings),
        }

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """All tables by name: ``summary``, ``daily`` and every section's detail tables."""
        out: dict[str, pd.DataFrame] = {"summary": self.summary, "daily": self.daily}
        for section in self.sections.values():
            out.update(section.frames)
        return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` (its named index as a column) as JSON-ready dicts."""
    if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    cols = [str(c) for c in frame.columns]
    return [
        {c: _jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
