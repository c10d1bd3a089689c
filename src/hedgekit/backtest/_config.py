"""What a walk-forward backtest runs: targets, dates, methods, protocol, and its schedule.

Two evaluation protocols share the engine; :attr:`BacktestConfig.hold_months` picks one:

``hold_months=1`` (default): *rebalance*
    A basket is built on every rebalance date ``d`` and held until the next one ``d'``;
    at ``d'`` the next basket trades from the drifted holdings (turnover chained from
    one period to the next).
``hold_months=N > 1``: *set and forget*
    A basket is built on every rebalance date ``d`` and held, with fixed shares, until
    the month end ``N`` month ends after ``d``. Rebalance dates still follow ``freq``, so
    the holds overlap: each is an independent position, traded in from nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.backtest._methods import METHODS, BacktestSettings
from hedgekit.data import MarketData
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "BOUND",
    "BacktestConfig",
    "hold_schedule",
    "parse_hold",
    "rebalance_dates",
]

#: name of the perfect-foresight reference in the results (never a registered method)
BOUND = "bound"
#: longest set-and-forget hold, in months
MAX_HOLD_MONTHS = 120

_HOLD = re.compile(r"^\s*(\d+)\s*m(?:onths?)?\s*$", re.IGNORECASE)


def parse_hold(text: str | int) -> int:
    """Months of a holding period written ``'Nm'`` (``'1m'``, ``'12m'``, ``'12 m'``).

    Parameters
    ----------
    text : str or int
        ``N`` followed by ``m`` (or ``months``), case and spaces ignored; an int is taken
        as months.

    Returns
    -------
    int
        ``N``, the ``hold_months`` of :class:`BacktestConfig`.

    Raises
    ------
    ConfigurationError
        ``text`` is not of that form, or ``N`` is outside 1..120.

    Examples
    --------
    >>> parse_hold("12m"), parse_hold("1 M"), parse_hold("3 months")
    (12, 1, 3)
    """
    if isinstance(text, bool):
        months = None
    elif isinstance(text, int | np.integer):
        months = int(text)
    else:
        match = _HOLD.match(str(text))
        months = int(match.group(1)) if match else None
    if months is None or not 1 <= months <= MAX_HOLD_MONTHS:
        raise ConfigurationError(
            f"hold {text!r} is not a holding period; write months as Nm with N in "
            f"1..{MAX_HOLD_MONTHS}, e.g. 1m (rebalance monthly) or 12m (hold for a year)"
        )
    return months


@dataclass(frozen=True)
class BacktestConfig:
    """What to run.

    Parameters
    ----------
    targets : sequence of str
        Tickers to hedge (each is hedged alone, as a single-stock position).
    start, end : date-like
        The first rebalance is the last trading day of ``start``'s month; every holding
        period ends on or before ``end``.
    methods : sequence of str
        Names in :data:`~hedgekit.backtest.METHODS`.
    freq : {'monthly', 'quarterly'}
        Rebalance frequency.
    settings : BacktestSettings
        Basket size, weight cap, learning window, notional and costs.
    hold_months : int, default 1
        The protocol (see the module docstring): 1 holds each basket until the next
        rebalance date and trades from it into the next basket; ``N > 1`` holds each
        basket, untouched, for ``N`` month ends, and only the rebalance dates whose hold
        ends on or before ``end`` are run.
    bound : bool, default True
        Also record the perfect-foresight bound (method name ``'bound'``): the
        min-tracking-error basket fitted on the holding period's own returns. It looks
        ahead on purpose, to measure how much of the attainable risk reduction each
        method captures; it is never a hedge a user can pick.
    """

    targets: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp
    methods: tuple[str, ...] = ("returns", "factor", "spy", "spy_beta", "sector_etf", "peers")
    freq: str = "monthly"
    settings: BacktestSettings = field(default_factory=BacktestSettings)
    hold_months: int = 1
    bound: bool = True

    @classmethod
    def create(
        cls,
        targets: Iterable[str],
        start: DateLike,
        end: DateLike,
        methods: Iterable[str] | None = None,
        freq: str = "monthly",
        settings: BacktestSettings | None = None,
        *,
        hold_months: int | str = 1,
        bound: bool = True,
    ) -> BacktestConfig:
        """Build and validate a config (dates parsed, names normalised, ``hold_months``
        given as an int or as ``'12m'``)."""
        config = cls(
            targets=tuple(dict.fromkeys(str(t).strip().upper() for t in targets if str(t).strip())),
            start=to_timestamp(start, "start"),
            end=to_timestamp(end, "end"),
            methods=tuple(
                dict.fromkeys(
                    str(m).strip().lower()
                    for m in (methods if methods is not None else cls.methods)
                    if str(m).strip()
                )
            ),
            freq=str(freq).strip().lower(),
            settings=settings or BacktestSettings(),
            hold_months=parse_hold(hold_months),
            bound=bound,
        )
        config.validate()
        return config

    def validate(self) -> None:
        """Raise ConfigurationError naming a bad value and its fix."""
        if not self.targets:
            raise ConfigurationError("no targets; pass tickers, 'sp500' or 'random:50'")
        if self.start >= self.end:
            raise ConfigurationError(
                f"start={self.start:%Y-%m-%d} must be before end={self.end:%Y-%m-%d}"
            )
        if not self.methods:
            raise ConfigurationError(f"no methods; choose from {', '.join(METHODS)}")
        if BOUND in self.methods:
            raise ConfigurationError(
                f"{BOUND!r} is the perfect-foresight reference, not a hedge method; drop it "
                "from methods (bound=True records it)"
            )
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ConfigurationError(
                f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}"
            )
        if self.freq not in ("monthly", "quarterly"):
            raise ConfigurationError(f"freq={self.freq!r}; use 'monthly' or 'quarterly'")
        if (
            isinstance(self.hold_months, bool)
            or not isinstance(self.hold_months, int)
            or not 1 <= self.hold_months <= MAX_HOLD_MONTHS
        ):
            raise ConfigurationError(
                f"hold_months={self.hold_months!r} must be an integer in 1..{MAX_HOLD_MONTHS}: "
                "1 rebalances at every date, 12 holds each basket for a year"
            )
        if not isinstance(self.bound, bool):
            raise ConfigurationError(f"bound={self.bound!r} must be True or False")
        self.settings.validate()

    @property
    def record_methods(self) -> tuple[str, ...]:
        """The methods recorded per (target, date): ``methods`` and, with ``bound``, 'bound'."""
        return (*self.methods, BOUND) if self.bound else self.methods

    @property
    def chained(self) -> bool:
        """Whether each basket trades from the previous one (the rebalance protocol)."""
        return self.hold_months == 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the run directory's identity)."""
        return {
            "targets": list(self.targets),
            "start": f"{self.start:%Y-%m-%d}",
            "end": f"{self.end:%Y-%m-%d}",
            "methods": list(self.methods),
            "freq": self.freq,
            "settings": dataclasses.asdict(self.settings),
            "hold_months": self.hold_months,
            "bound": self.bound,
        }

    def fingerprint(self) -> str:
        """Hash of everything but targets, methods and ``bound`` (a run can grow in all three).

        ``hold_months`` enters only when it is not 1, so run directories written before
        the set-and-forget protocol existed keep their identity.
        """
        d = self.to_dict()
        for key in ("targets", "methods", "bound"):
            d.pop(key)
        if d["hold_months"] == 1:
            d.pop("hold_months")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def rebalance_dates(
    market: MarketData, start: DateLike, end: DateLike, freq: str = "monthly"
) -> pd.DatetimeIndex:
    """Month ends (last trading day of each month; of each quarter with ``'quarterly'``) in
    ``[start, end]``: each but the last starts a holding period that ends on the next."""
    s, e = to_timestamp(start, "start"), to_timestamp(end, "end")
    cal = market.calendar
    last = pd.Series(cal, index=cal).groupby(cal.to_period("M")).max()
    ends = pd.DatetimeIndex(last.to_numpy())
    if freq == "quarterly":
        ends = ends[np.asarray(ends.month) % 3 == 0]
    return ends[(ends >= s) & (ends <= e)]


def hold_schedule(
    market: MarketData, config: BacktestConfig
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``(rebalance date, last day of its hold)`` of every hold the config runs.

    With ``hold_months=1`` each rebalance date is held until the next one; with ``N > 1``
    until the month end ``N`` month ends later. Holds that would end after
    ``config.end`` are left out.

    Raises
    ------
    ConfigurationError
        No hold fits between ``config.start`` and ``config.end``.
    """
    dates = rebalance_dates(market, config.start, config.end, config.freq)
    if config.chained:
        if len(dates) < 2:
            raise ConfigurationError(
                f"{config.start:%Y-%m-%d}..{config.end:%Y-%m-%d} holds {len(dates)} rebalance "
                "date(s); a backtest needs at least one full holding period"
            )
        return [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in itertools.pairwise(dates)]
    months = rebalance_dates(market, config.start, config.end, "monthly")
    h = config.hold_months
    pos = [int(i) for i in months.get_indexer(dates)]
    out = [
        (pd.Timestamp(d), pd.Timestamp(months[i + h]))
        for d, i in zip(dates, pos, strict=True)
        if i >= 0 and i + h < len(months)
    ]
    if not out:
        first = pd.Timestamp(dates[0] if len(dates) else config.start)
        needed = (first.to_period("M") + h).to_timestamp(how="end").normalize()
        raise ConfigurationError(
            f"{config.start:%Y-%m-%d}..{config.end:%Y-%m-%d} holds no full {h}-month hold "
            f"(a hold from {first:%Y-%m-%d} ends {h} month ends later); move end to "
            f"{needed:%Y-%m-%d} or later, or shorten the hold"
        )
    return out
