"""User baskets held as one hedge instrument: their level, price and ADV from the members.

A :class:`Basket` in the universe (``universe=["SPX", Basket("MYSEMIS", {"NVDA": 0.5,
"AMD": 0.5})]``) is a hedge candidate of its own, never exploded into its members. It is a
**fixed-weight** basket, rebalanced to its weights every day:

- its daily return is the weighted mean of its members' daily total returns; a member
  without a return on a day (not yet listed, delisted, no print) is left out that day and
  the others' weights are rescaled to sum to one; a day on which no member has a return
  has none;
- its level is 100 on the day before its first return in the data, then compounds those
  returns; the level is its price (one unit of the basket), and weekly or monthly
  returns are those of the level, sampled like a stock's adjusted closes;
- its average daily dollar volume is the most the basket can trade while each member
  trades at most its own ADV: ``min_i ADV_i / w_i`` over the members with an ADV.

Everything is point in time: members are resolved on the view's date and nothing after it
is read. The level on a date depends only on returns up to that date, so it is computed
once over the data and cut at the view's date.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, UnknownIdentifierError
from hedgekit.data import MarketData, PointInTimeData

__all__ = [
    "BASKET_BASE",
    "Basket",
    "basket_adv",
    "basket_levels",
    "baskets_of",
    "read_basket_csv",
]

#: level of a basket on its first day with a return (the price of one unit then)
BASKET_BASE = 100.0


@dataclass(frozen=True)
class Basket:
    """A user-defined basket held as one instrument: a name and fixed member weights.

    Parameters
    ----------
    name : str
        How the hedge names it; it may not be a security or ETF of the data.
    weights : mapping of str to float
        Member identifier -> weight (positive); the weights are scaled to sum to one.
    """

    name: str
    weights: tuple[tuple[str, float], ...]

    def __init__(self, name: str, weights: Mapping[str, float] | Iterable[Any]) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError("a basket needs a name, e.g. Basket('MYSEMIS', {...})")
        items = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
        if not items:
            raise ConfigurationError(f"basket {name!r} has no members; give member weights")
        pairs: dict[str, float] = {}
        for item in items:
            try:
                member, w = item
                w = float(w)
            except (TypeError, ValueError):
                raise ConfigurationError(
                    f"basket {name!r}: {item!r} is not a member and a weight"
                ) from None
            if not isinstance(member, str) or not member.strip():
                raise ConfigurationError(f"basket {name!r}: a member has no identifier")
            if not math.isfinite(w) or w <= 0:
                raise ConfigurationError(
                    f"basket {name!r}: weight {w!r} of {member!r} must be a positive number"
                )
            key = member.strip()
            pairs[key] = pairs.get(key, 0.0) + w
        total = math.fsum(pairs.values())
        object.__setattr__(self, "name", name.strip())
        object.__setattr__(self, "weights", tuple((m, w / total) for m, w in sorted(pairs.items())))

    @property
    def members(self) -> dict[str, float]:
        """Member -> weight (summing to one)."""
        return dict(self.weights)

    def describe(self) -> str:
        """One line: ``'basket: AMD 50%, NVDA 50%'``."""
        return "basket: " + ", ".join(f"{m} {w:.0%}" for m, w in self.weights)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Basket:
        """``{'name': ..., 'weights': {...}}`` (a request's or a saved result's form)."""
        if "name" not in data or "weights" not in data:
            raise ConfigurationError(
                f"a basket instrument needs 'name' and 'weights'; got keys {sorted(data)}"
            )
        weights = data["weights"]
        if isinstance(weights, list | tuple):  # the asdict form: [[member, weight], ...]
            weights = [tuple(x) for x in weights]
        return cls(str(data["name"]), weights)

    @classmethod
    def from_csv(cls, name: str, path: str | Path) -> Basket:
        """A basket from a CSV with a header ``identifier,weight`` (see
        :func:`read_basket_csv`)."""
        return read_basket_csv(name, path)

    def to_dict(self) -> dict[str, Any]:
        """``{'name': ..., 'weights': {member: weight}}``."""
        return {"name": self.name, "weights": self.members}


def read_basket_csv(name: str, path: str | Path) -> Basket:
    """A basket from a CSV with columns ``identifier`` and ``weight`` (header row).

    Raises
    ------
    ConfigurationError
        A missing or unreadable file, or rows without an identifier and a weight.
    """
    p = Path(path)
    try:
        with p.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise ConfigurationError(f"basket {name!r}: cannot read {p} ({exc.strerror})") from None
    if not rows or not {"identifier", "weight"} <= set(rows[0]):
        raise ConfigurationError(
            f"basket {name!r}: {p} needs a header 'identifier,weight' and one row per member"
        )
    return Basket(name, [(str(r["identifier"]), r["weight"]) for r in rows])


def baskets_of(universe: Iterable[Any]) -> dict[str, Basket]:
    """The baskets of a universe, by name."""
    return {b.name: b for b in universe if isinstance(b, Basket)}


def _members(view: PointInTimeData, basket: Basket) -> list[str]:
    """The members resolved on the view's date (an unknown one names the basket)."""
    market = view.market
    out = []
    for member in basket.members:
        try:
            out.append(market.resolve(member, view.date))
        except UnknownIdentifierError as exc:
            raise UnknownIdentifierError(
                exc.identifier,
                exc.suggestions,
                f"a member of basket {basket.name!r} on {view.date:%Y-%m-%d}",
            ) from None
    absent = [t for t in out if t not in market.priced_tickers]
    if absent:
        raise ConfigurationError(
            f"basket {basket.name!r}: {', '.join(absent)} has no price history in the data; "
            "basket members are stocks with prices"
        )
    return out


def _full_levels(market: MarketData, basket: Basket, tickers: list[str]) -> pd.Series:
    """The basket's level over every day of the data (cached on the market)."""
    key = repr((basket, tuple(tickers)))

    def compute() -> pd.Series:
        frame = market.as_of(market.end).returns(tickers)
        rets = frame.to_numpy(dtype="float64")
        w = np.array([w for _, w in basket.weights], dtype="float64")
        have = np.isfinite(rets)
        wsum = have.astype("float64") @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(have, rets, 0.0) @ w / wsum
        r[wsum <= 0] = np.nan
        level = np.full(len(r), np.nan)
        base = np.nan
        started = np.flatnonzero(np.isfinite(r))
        if len(started):
            first = started[0]
            level[first:] = BASKET_BASE * np.cumprod(1.0 + np.nan_to_num(r[first:]))
            # a day without a return keeps no level (its return stays missing)
            level[first:][~np.isfinite(r[first:])] = np.nan
            base = BASKET_BASE
        # the day before the first return holds the base level
        dates = market.as_of(market.end).prices(tickers[:1]).index
        values = np.full(len(dates), np.nan)
        values[1:] = level
        if len(started):
            values[started[0]] = base
        return pd.Series(values, index=dates, name=basket.name)

    return market.cache.get_or_compute("basket_level", key, compute)


def basket_levels(view: PointInTimeData, baskets: list[Basket]) -> pd.DataFrame:
    """Levels of ``baskets`` on the stock calendar up to the view's date, dates x names
    (missing on a day without a return, like a stock without a price)."""
    market = view.market
    calendar = market.calendar[market.calendar <= view.date]
    cols = {}
    for b in baskets:
        cols[b.name] = _full_levels(market, b, _members(view, b)).reindex(calendar)
    return pd.DataFrame(cols, index=calendar)


def basket_adv(view: PointInTimeData, baskets: list[Basket], window: int) -> pd.Series:
    """Average daily dollar volume of each basket: ``min_i ADV_i / w_i`` over its members
    with an ADV on the view's date (missing when none has one)."""
    out = {}
    for b in baskets:
        tickers = _members(view, b)
        adv = view.adv(tickers, window=window).to_numpy(dtype="float64")
        w = np.array([w for _, w in b.weights], dtype="float64")
        cap = adv / w
        cap = cap[np.isfinite(cap)]
        out[b.name] = float(cap.min()) if len(cap) else float("nan")
    return pd.Series(out, dtype="float64").reindex([b.name for b in baskets])
