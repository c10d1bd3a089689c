"""What the hedges of one position on one date share, computed once and cached on the market.

A walk-forward backtest hedges each (target, date) with several methods (``returns``,
``default``, ``factor``, ``nlp``...): their parameters differ in the method, the estimator,
the text backend and the penalty weights only. The first part of
:func:`~hedgekit.hedge._prepare.prepare` does not read those: the positions priced on the
date, the observation window's returns, the universe and the filters that depend on the
positions. :func:`shared_base` computes it once per such parameters and keeps it in the
market's cache (region ``hedge_base``); each hedge then copies what it may change or hand
out and selects its candidates' data from the base (:meth:`SharedBase.select`, memoised
per candidate list), so every hedge sees exactly the numbers it computed on its own.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hedgekit._errors import InsufficientHistoryError
from hedgekit.data import MarketData, PointInTimeData
from hedgekit.hedge._baskets import baskets_of
from hedgekit.hedge._instruments import instrument_returns
from hedgekit.hedge._parameters import PerformanceHedgeParameters
from hedgekit.hedge._universe import CandidateFilter, Universe, hedge_universe, price_portfolio

__all__ = ["SharedBase", "shared_base"]

#: fewest returns in the observation window
MIN_OBSERVATIONS = 12
#: the parameters the base does not read: hedges differing only in these share one base
_NOT_READ = (
    "method",
    "estimator",
    "embedder",
    "semantic_candidates",
    "lasso_weight",
    "ridge_weight",
)
#: bases kept per market (the methods of one position run one after the other)
_REGION = "hedge_base"


@dataclass(frozen=True)
class SharedBase:
    """The position-dependent inputs of a hedge that do not depend on its method.

    Read-only: :func:`~hedgekit.hedge._prepare.prepare` copies ``portfolio``,
    ``position_returns``, ``target_returns``, ``merged`` and ``filters`` before use.
    """

    view: PointInTimeData
    start: pd.Timestamp
    portfolio: pd.DataFrame
    merged: dict[str, list[str]]
    notional: float
    #: 1 for a net-long book, -1 for a net-short one (hedged flipped, with a long basket)
    book_side: int
    position_returns: pd.DataFrame
    target_returns: pd.Series
    universe: Universe
    #: the universe's filters, then the positions' own (target assets, incomplete window)
    filters: CandidateFilter
    #: the universe's returns on the window's rows
    window_returns: pd.DataFrame
    #: what the position's hedges derive from the base alone (e.g. the estimator's rows)
    memo: dict[Any, Any] = field(default_factory=dict)
    _selections: dict[tuple[str, ...], tuple[Any, ...]] = field(default_factory=dict)

    def select(
        self, names: list[str]
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
        """The candidates' window returns, securities, ADV (USD), close, ADV (shares),
        daily volatility and borrow cost, in the order of ``names`` (memoised: the
        methods of a position mostly keep the same candidates). Read-only."""
        key = tuple(names)
        hit = self._selections.get(key)
        if hit is None:
            uni = self.universe
            adv_usd = uni.adv_usd.reindex(names)
            close = uni.close.reindex(names)
            hit = (
                self.window_returns[names],
                uni.securities.reindex(names),
                adv_usd,
                close,
                adv_usd / close,
                uni.daily_vol.reindex(names),
                uni.borrow_bps.reindex(names),
            )
            self._selections[key] = hit
        return hit


def shared_base(parameters: PerformanceHedgeParameters, market: MarketData) -> SharedBase:
    """The base of ``parameters``' hedge: cached on ``market`` per parameters less
    the method-specific ones (``_NOT_READ``), computed on a miss.

    Raises
    ------
    InsufficientHistoryError
        Too few returns in the window, or positions without a return on every day of it.
    """
    defaults: dict[str, Any] = {
        f.name: f.default for f in dataclasses.fields(parameters) if f.name in _NOT_READ
    }
    key = repr(dataclasses.replace(parameters, **defaults))
    hit = market.cache.get(_REGION, key)
    if hit is None:
        hit = market.cache.put(_REGION, key, _compute(parameters, market))
    return hit


def _compute(p: PerformanceHedgeParameters, market: MarketData) -> SharedBase:
    ps = p.initial_portfolio
    view = market.as_of(ps.timestamp)
    sampling = p.sampling

    # positions, priced at the hedge date (one row per security)
    portfolio, merged = price_portfolio(market, view, ps)
    notional = float(portfolio["notional"].sum())
    book_side = 1 if notional > 0 else -1  # net short: hedge the flipped book with a long basket
    notional = abs(notional)

    # observation window
    start = (
        pd.Timestamp(p.observation_start_date)
        if p.observation_start_date is not None
        else view.date - pd.DateOffset(years=1)
    )
    pos_rets = instrument_returns(view, list(portfolio.index), start=start, sampling=sampling)
    if len(pos_rets) < MIN_OBSERVATIONS:
        raise InsufficientHistoryError(
            f"only {len(pos_rets)} {sampling.value} returns from {start:%Y-%m-%d} to "
            f"{view.date:%Y-%m-%d}; {MIN_OBSERVATIONS} needed: start earlier or sample "
            "more often"
        )
    short = pos_rets.columns[pos_rets.isna().any().to_numpy()]
    if len(short):
        valid = pos_rets[short].notna()
        first = valid.idxmax().where(valid.any())
        detail = ", ".join(
            f"{t} (from {d:%Y-%m-%d})" if pd.notna(d) else f"{t} (none)"
            for t, d in first.astype("datetime64[ns]").items()
        )
        raise InsufficientHistoryError(
            f"positions without returns over the whole window from {start:%Y-%m-%d}: "
            f"{detail}; move observation_start_date after their first price"
        )
    target = pos_rets.to_numpy() @ portfolio["weight"].reindex(pos_rets.columns).to_numpy()
    target_returns = pd.Series(target, index=pos_rets.index, name="portfolio")

    # universe and filters: everything that does not depend on the positions is
    # computed once per (date, window, universe settings) and cached on the market
    uni = hedge_universe(market, view, p, start, sampling)
    filt = copy.deepcopy(uni.filters)
    if p.exclude_target_assets:
        own = set()
        for t in portfolio.index:
            own |= set(market.share_classes.get(t, frozenset({t})))
        filt.drop("target assets and their share classes", own)
        holding = [
            b.name
            for b in baskets_of(p.universe).values()
            if set(market.resolve_many(list(b.members), view.date)) & own
        ]
        filt.drop("baskets holding a target asset", holding)
    window = uni.returns.reindex(pos_rets.index)
    incomplete = window.notna().all()
    filt.keep("incomplete history in the window", incomplete)
    return SharedBase(
        view=view,
        start=start,
        portfolio=portfolio,
        merged=merged,
        notional=notional,
        book_side=book_side,
        position_returns=pos_rets,
        target_returns=target_returns,
        universe=uni,
        filters=filt,
        window_returns=window,
    )
