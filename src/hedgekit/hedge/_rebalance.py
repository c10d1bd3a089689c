"""The rebalance of an existing hedge: the current hedge priced and mapped onto the
candidates, the turnover- and trade-limited solve, whole-share trades within the limit,
the trades table and the turnover frontier.

Turnover is ``sum_i |shares_new_i - shares_now_i| * price_i``, in percent of the hedge
notional (``max_leverage`` percent of the portfolio's value on the rebalance date): every
name of the current hedge is valued at the day's close, and names no longer eligible (out
of the universe, excluded, filtered) are sold out and count toward it. See
``docs/hedge.md``, "Rebalance".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    InfeasibleError,
    UnknownIdentifierError,
)
from hedgekit.data import MarketData
from hedgekit.hedge._instruments import (
    instrument_adv,
    instrument_prices,
    instrument_returns,
    resolve_instruments,
)
from hedgekit.hedge._long_short import trade_sides
from hedgekit.hedge._parameters import PerformanceHedgeParameters
from hedgekit.hedge._prepare import Prepared
from hedgekit.hedge._problem import solve_hedge, tracking_problem
from hedgekit.measures import trading_costs
from hedgekit.optimize import solve_tracking

__all__ = [
    "FRONTIER_LEVELS",
    "CurrentHedge",
    "current_hedge",
    "rebalance_weights",
    "trade_shares",
    "trades_table",
    "turnover_frontier",
]

#: turnover caps (percent of the hedge notional) of the default frontier
FRONTIER_LEVELS: tuple[float, ...] = (0.0, 5.0, 10.0, 20.0, 30.0, 50.0, 75.0, 100.0, 150.0, 200.0)


@dataclass(frozen=True)
class CurrentHedge:
    """The hedge held now, priced on the rebalance date.

    Attributes
    ----------
    shares : Series
        Ticker -> shares held against the book (positive: sold short for a net-long book,
        bought for a net-short one, whose problem is the flipped book's), every name of
        the current hedge.
    prices : Series
        Ticker -> close on the rebalance date.
    weights : ndarray of shape (n_candidates,)
        The candidates' current weights, per unit of portfolio notional.
    sold : dict
        Ticker -> why it must be sold (no longer a candidate on the date).
    sold_weight : float
        Their value per unit of portfolio notional: turnover spent before any choice.
    """

    shares: pd.Series
    prices: pd.Series
    weights: np.ndarray
    sold: dict[str, str]
    sold_weight: float

    @property
    def total_weight(self) -> float:
        """The whole current hedge's value per unit of portfolio notional."""
        return float(np.abs(self.weights).sum()) + self.sold_weight


def current_hedge(
    prep: Prepared, params: PerformanceHedgeParameters, market: MarketData
) -> CurrentHedge:
    """Resolve and price ``params.current_hedge`` on the hedge date and map it onto the
    candidates of ``prep``.

    Raises
    ------
    UnknownIdentifierError
        An identifier that does not resolve on the date.
    DataError
        A current name without a price on or shortly before the date.
    """
    ch = params.current_hedge
    assert ch is not None
    signs = {math.copysign(1.0, float(p.quantity or 0.0)) for p in ch.positions if p.quantity}
    if len(signs) > 1 and not params.allow_long_short:
        raise ConfigurationError(
            "current_hedge holds names on both sides (negative sold short, positive bought: "
            "a long/short hedge); a rebalance supports one-sided hedges only (the short hedge "
            "of a net-long book, the long hedge of a net-short one): give the shares held "
            "against the book, or set allow_long_short (--long-short) to rebalance a "
            "long/short hedge"
        )
    view = prep.view
    ids = [p.identifier for p in ch.positions]
    try:
        tickers = resolve_instruments(market, ids, view.date, prep.baskets)
    except UnknownIdentifierError as exc:
        raise UnknownIdentifierError(
            exc.identifier, exc.suggestions, f"a current_hedge name on {view.date:%Y-%m-%d}"
        ) from None
    shares: dict[str, float] = {}
    for p, t in zip(ch.positions, tickers, strict=True):
        q = float(p.quantity or 0.0)
        # long/short: signed positions (negative sold short) in the hedge's orientation
        q = -prep.book_side * q if params.allow_long_short else abs(q)
        shares[t] = shares.get(t, 0.0) + q
    shares = {t: q for t, q in shares.items() if q != 0}
    # an ETF or a basket of the current hedge is priced like a candidate
    px = instrument_prices(view, list(shares), prep.baskets)
    missing = [t for t in shares if not np.isfinite(px[t])]
    if missing:
        raise DataError(
            f"current_hedge: no price for {', '.join(missing)} on or shortly before "
            f"{view.date:%Y-%m-%d}; value those names yourself and drop them from the hedge"
        )
    names = list(prep.candidate_returns.columns)
    pos = {t: i for i, t in enumerate(names)}
    w0 = np.zeros(len(names))
    why = {t: reason for reason, gone in prep.filters.removed.items() for t in gone}
    sold: dict[str, str] = {}
    sold_weight = 0.0
    for t, q in shares.items():
        value = q * float(px[t]) / prep.notional
        if t in pos:
            w0[pos[t]] = value
        else:
            sold[t] = why.get(t, "not in the hedge universe on the date")
            sold_weight += abs(value)
    return CurrentHedge(
        shares=pd.Series(shares, dtype="float64"),
        prices=px.reindex(list(shares)).astype("float64"),
        weights=w0,
        sold=sold,
        sold_weight=sold_weight,
    )


def _limits(
    params: PerformanceHedgeParameters, cur: CurrentHedge, max_turnover: float | None
) -> tuple[float, float | None, int | None]:
    """The target stock budget, and the turnover and trades left for the candidates once
    the names no longer eligible are sold (units of portfolio notional)."""
    h = params.stock_budget
    n_sold = len(cur.sold)
    trades = None if params.max_trades is None else params.max_trades - n_sold
    if trades is not None and trades < 0:
        raise InfeasibleError(
            f"max_trades={params.max_trades}, but {n_sold} names of the current hedge are no "
            f"longer eligible and must be sold ({', '.join(sorted(cur.sold))}); raise "
            f"max_trades to >= {n_sold}"
        )
    r0 = float(cur.weights.sum())
    if trades == 0:
        h = r0  # nothing may trade: the hedge keeps its size
    if max_turnover is None:
        return h, None, trades
    T = max_turnover / 100.0 * params.hedge_ratio
    left = T - cur.sold_weight
    if left < -1e-12:
        need = 100.0 * cur.sold_weight / params.hedge_ratio
        raise InfeasibleError(
            f"max_turnover={max_turnover:g}% cannot sell the names of the current hedge that "
            f"are no longer eligible ({', '.join(sorted(cur.sold))}): that alone is "
            f"{need:.4g}% of the hedge notional; raise max_turnover to >= {math.ceil(need)}"
        )
    # the optimizer resizes the hedge toward h as far as the limits and constraints allow
    return h, max(left, 0.0), trades


def rebalance_weights(
    prep: Prepared,
    params: PerformanceHedgeParameters,
    cur: CurrentHedge,
    max_turnover: float | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The best weights reachable from the current hedge within ``max_turnover`` (percent
    of the hedge notional; default the parameters') and ``params.max_trades``, with the
    optimizer's info. Without either limit: the fresh hedge."""
    limit = params.max_turnover if max_turnover is None else max_turnover
    if limit is None and params.max_trades is None:
        return solve_hedge(prep, params)
    budget, left, trades = _limits(params, cur, limit)
    problem = dataclasses.replace(
        tracking_problem(prep, params),
        budget=budget,
        current=cur.weights,
        max_turnover=left,
        max_trades=trades,
    )
    sol = solve_tracking(problem, method="fast")
    return sol.weights, {
        "optimizer_status": sol.status,
        "optimizer_seconds": sol.seconds,
        "optimizer_evaluations": sol.evaluations,
        "optimizer_method": sol.method,
        "optimizer_gap": sol.gap if np.isfinite(sol.gap) else None,
    }


def trade_shares(
    prep: Prepared, params: PerformanceHedgeParameters, cur: CurrentHedge, w: np.ndarray
) -> np.ndarray:
    """Whole shares per candidate after the rebalance to weights ``w``.

    Each trade (new minus current shares) rounds to the nearest whole share; a trade
    rounded away from zero that would lift a name above its cap (the larger of its weight
    cap and its current holding), or the turnover above ``max_turnover``, rounds toward
    zero instead (the most expensive shares first), so rounding never breaks a limit. A
    name whose weight does not change keeps its shares exactly.
    """
    names = list(prep.candidate_returns.columns)
    price = prep.prices.to_numpy(dtype="float64")
    q0 = cur.shares.reindex(names).fillna(0.0).to_numpy()
    exact = w * prep.notional / price - q0
    exact[np.abs(w - cur.weights) <= 1e-9 * params.hedge_ratio] = 0.0
    near, toward = np.rint(exact), np.trunc(exact)
    cap = np.floor(np.maximum(prep.upper, np.abs(cur.weights)) * prep.notional / price + 1e-9)
    r = np.where(np.abs(q0 + near) > np.maximum(cap, np.abs(q0)), toward, near)
    if params.max_turnover is not None:
        limit = params.max_turnover / 100.0 * params.hedge_ratio * prep.notional
        sold = float(
            (cur.shares.reindex(list(cur.sold)) * cur.prices.reindex(list(cur.sold))).sum()
        )
        away = np.flatnonzero(np.abs(r) > np.abs(exact))
        for i in away[np.argsort(-price[away], kind="stable")]:
            if sold + float(np.abs(r) @ price) <= limit * (1 + 1e-12):
                break
            r[i] = toward[i]
    return q0 + r


def trades_table(
    prep: Prepared,
    params: PerformanceHedgeParameters,
    cur: CurrentHedge,
    shares: np.ndarray,
) -> pd.DataFrame:
    """One row per name whose shares change: current, target and traded shares held
    against the book (positive: sell short more, or buy more for a net-short book), side,
    price, notional and the trading cost of the cost model."""
    names = list(prep.candidate_returns.columns)
    new = pd.Series(shares, index=names)
    idx = list(dict.fromkeys([*cur.shares.index, *new.index[new != 0]]))
    target = new.reindex(idx).fillna(0.0)
    current = cur.shares.reindex(idx).fillna(0.0)
    trade = target - current
    moved = trade[trade != 0].index
    trade, target, current = trade[moved], target[moved], current[moved]
    px = prep.prices.reindex(moved).fillna(cur.prices.reindex(moved))
    view = prep.view
    adv = prep.adv_shares.reindex(moved)
    vol = prep.daily_vol.reindex(moved)
    others = [t for t in moved if t not in prep.prices.index]
    if others:
        dollars = instrument_adv(view, others, 20, prep.baskets).to_numpy()
        adv[others] = dollars / px[others].to_numpy()
        rets = instrument_returns(view, others, window=60, baskets=prep.baskets)
        vol[others] = rets.std().reindex(others).to_numpy()
    vol = vol.fillna(float(prep.daily_vol.median()))
    costs = trading_costs(
        trade.abs().to_numpy(),
        px.to_numpy(dtype="float64"),
        adv.to_numpy(dtype="float64"),
        vol.to_numpy(dtype="float64"),
        half_spread_bps=params.half_spread_bps,
        impact_coefficient=params.impact_coefficient,
        participation_rate=params.market_participation_rate / 100.0,
    )
    out = pd.DataFrame(
        {
            "side": trade_sides(
                -prep.book_side * current.to_numpy(), -prep.book_side * target.to_numpy()
            ),
            "shares": trade.abs().to_numpy(),
            "current_shares": current.to_numpy(),
            "target_shares": target.to_numpy(),
            "trade_shares": trade.to_numpy(),
            "price": px.to_numpy(dtype="float64"),
            "notional": (trade.abs() * px).to_numpy(dtype="float64"),
            "cost_bps": costs["cost_bps"],
            "cost_usd": costs["cost_usd"],
            "reason": [
                f"no longer eligible: {cur.sold[t]}" if t in cur.sold else "" for t in moved
            ],
        },
        index=pd.Index(list(moved), name="identifier"),
    )
    return out.sort_values("notional", ascending=False)


def turnover_frontier(
    prep: Prepared,
    params: PerformanceHedgeParameters,
    cur: CurrentHedge,
    levels: Sequence[float] | None = None,
) -> pd.DataFrame:
    """In-sample tracking error against turnover for each turnover cap in ``levels``
    (percent of the hedge notional; default :data:`FRONTIER_LEVELS` and no cap), with the
    other parameters (``max_trades`` too) as given; weights before whole-share rounding.

    Returns
    -------
    DataFrame
        One row per cap: ``max_turnover`` (NaN: no cap), ``turnover`` (%),
        ``tracking_error`` (annualised, over the observation window), ``trades``, ``names``
        and ``hedge_ratio`` (% of the portfolio); a cap that no hedge can meet (below the
        turnover needed to sell names no longer eligible) has NaN figures.
    """
    caps = [*(FRONTIER_LEVELS if levels is None else levels), math.inf]
    R = prep.candidate_returns.to_numpy()
    r = prep.target_returns.to_numpy()
    ppy = prep.sampling.periods_per_year
    H = params.hedge_ratio
    rows = []
    unlimited = dataclasses.replace(params, max_turnover=None)
    for cap in dict.fromkeys(float(c) for c in caps):
        if not (cap >= 0):
            raise InfeasibleError(f"turnover level {cap} must be a number >= 0")
        row: dict[str, float] = {"max_turnover": cap if math.isfinite(cap) else float("nan")}
        try:
            if math.isfinite(cap):
                w, _ = rebalance_weights(prep, params, cur, cap)
            else:
                w, _ = rebalance_weights(prep, unlimited, cur)
        except InfeasibleError:
            rows.append(row)
            continue
        moved = np.abs(w - cur.weights) > 1e-9 * H
        row.update(
            turnover=100.0 * (float(np.abs(w - cur.weights).sum()) + cur.sold_weight) / H,
            tracking_error=float(np.std(r - R @ w, ddof=1) * np.sqrt(ppy)),
            trades=float(int(moved.sum()) + len(cur.sold)),
            names=float(int((np.abs(w) > 1e-10).sum())),
            hedge_ratio=100.0 * float(w.sum()) * H / params.stock_budget,
        )
        rows.append(row)
    cols = ["max_turnover", "turnover", "tracking_error", "trades", "names", "hedge_ratio"]
    return pd.DataFrame(rows).reindex(columns=cols)
