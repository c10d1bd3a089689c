"""A baseline hedge: screen by correlation, then least squares on the simplex.

This is the job ``hedgekit demo`` runs end to end. For a target stock and a hedge
date ``D`` it

1. takes the index members known on ``D`` that traded on ``D`` (never the target or its
   other share classes) with a full return history over the observation window;
2. keeps the ``screen`` names most correlated with the target over that window;
3. solves ``min_w var(r_target - R w)`` with ``w >= 0``, ``sum(w) = 1`` (100% hedge ratio),
   keeps the ``max_names`` largest weights and solves again on them;
4. reports in-sample statistics on the observation window and, where the data goes on
   after ``D``, out-of-sample statistics over the holding period, with constant weights
   (rebalanced daily).

Everything before step 4 uses only ``MarketData.as_of(D)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit.data import MarketData
from hedgekit.measures import (
    annualized_return,
    annualized_volatility,
    beta,
    correlation,
    max_drawdown,
    risk_reduction_bps,
    tracking_error,
    variance_reduction,
)
from hedgekit.optimize import simplex_least_squares
from hedgekit.typing import DateLike

__all__ = ["BaselineHedge", "baseline_hedge", "hedge_statistics"]


def hedge_statistics(
    target: pd.Series, hedge: pd.Series, periods_per_year: int = 252
) -> dict[str, float]:
    """Statistics of a long target and a short hedge over one period.

    Returns annualised return and volatility of the target, the hedge and the hedged
    position (target minus hedge), correlation, beta, tracking error, variance reduction,
    risk reduction in bps and the hedged maximum drawdown.
    """
    hedged = target - hedge
    return {
        "observations": len(target),
        "target_return": annualized_return(target, periods_per_year),
        "target_volatility": annualized_volatility(target, periods_per_year),
        "hedge_return": annualized_return(hedge, periods_per_year),
        "hedge_volatility": annualized_volatility(hedge, periods_per_year),
        "hedged_volatility": annualized_volatility(hedged, periods_per_year),
        "correlation": correlation(target, hedge),
        "beta": beta(target, hedge),
        "tracking_error": tracking_error(target, hedge, periods_per_year),
        "variance_reduction": variance_reduction(target, hedged),
        "risk_reduction_bps": risk_reduction_bps(target, hedged, periods_per_year),
        "hedged_max_drawdown": max_drawdown(hedged),
    }


@dataclass(frozen=True)
class BaselineHedge:
    """Result of :func:`baseline_hedge`; ``synthetic`` is True on the demo market."""

    target: str
    date: pd.Timestamp
    weights: pd.Series
    in_sample: dict[str, float]
    out_of_sample: dict[str, float] | None
    observation_start: pd.Timestamp
    holding_end: pd.Timestamp | None
    candidates: int
    synthetic: bool
    securities: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Constituents: ticker, name, sector, sub-industry, weight."""
        sec = self.securities.reindex(self.weights.index)
        return pd.DataFrame(
            {
                "name": sec["name"],
                "gics_sector": sec["gics_sector"],
                "gics_sub_industry": sec["gics_sub_industry"],
                "weight": self.weights,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "target": self.target,
            "date": f"{self.date:%Y-%m-%d}",
            "synthetic": self.synthetic,
            "observation_start": f"{self.observation_start:%Y-%m-%d}",
            "holding_end": None if self.holding_end is None else f"{self.holding_end:%Y-%m-%d}",
            "candidates": self.candidates,
            "weights": {k: float(v) for k, v in self.weights.items()},
            "in_sample": self.in_sample,
            "out_of_sample": self.out_of_sample,
        }


def baseline_hedge(
    market: MarketData,
    target: str,
    date: DateLike,
    *,
    universe: str = "SPX",
    max_names: int = 10,
    screen: int = 40,
    lookback: int = 252,
    holding: int = 126,
) -> BaselineHedge:
    """Hedge one stock with a long-only basket of index members (see module docstring).

    Raises
    ------
    UnknownIdentifierError, InsufficientHistoryError, ConfigurationError
    """
    if max_names < 1:
        raise ConfigurationError(f"max_names={max_names} must be at least 1")
    if lookback < 20:
        raise ConfigurationError(f"lookback={lookback} days is too short; use at least 20")
    view = market.as_of(date)
    ticker = market.resolve(target, view.date)
    siblings = market.share_classes.get(ticker, frozenset({ticker}))
    members = [t for t in view.members(universe) if t not in siblings and t in market.tickers]
    tradable = view.tradable(members)
    rets = view.returns([ticker, *tradable], window=lookback)
    y = rets[ticker]
    if y.notna().sum() < lookback:
        raise InsufficientHistoryError(
            f"{ticker} has {int(y.notna().sum())} daily returns before {view.date:%Y-%m-%d}, "
            f"{lookback} needed; choose a later date or a shorter lookback"
        )
    X = rets.drop(columns=ticker).dropna(axis=1)
    if X.shape[1] == 0:
        raise InsufficientHistoryError(f"no {universe} member has {lookback} days of history")
    corr = X.corrwith(y).sort_values(ascending=False)
    pool = list(corr.index[: max(screen, max_names)])
    w = simplex_least_squares(X[pool].to_numpy(), y.to_numpy())
    keep = [pool[i] for i in np.argsort(-w)[:max_names] if w[i] > 1e-6]
    w = simplex_least_squares(X[keep].to_numpy(), y.to_numpy())
    weights = pd.Series(w, index=pd.Index(keep, name="ticker"), name="weight")
    weights = weights[weights > 1e-6].sort_values(ascending=False)
    weights = weights / weights.sum()
    in_sample = hedge_statistics(y, X[weights.index] @ weights)

    out_of_sample = None
    holding_end = None
    after = market.calendar[market.calendar > view.date]
    if len(after) >= 20:
        holding_end = pd.Timestamp(after[min(holding, len(after)) - 1])
        later = market.as_of(holding_end)
        oos = later.returns([ticker, *weights.index], start=after[0])
        oos = oos.fillna(0.0)
        out_of_sample = hedge_statistics(oos[ticker], oos[weights.index] @ weights)
    return BaselineHedge(
        target=ticker,
        date=view.date,
        weights=weights,
        in_sample=in_sample,
        out_of_sample=out_of_sample,
        observation_start=pd.Timestamp(rets.index[0]),
        holding_end=holding_end,
        candidates=X.shape[1],
        synthetic=market.is_synthetic,
        securities=view.securities(list(weights.index)),
    )
