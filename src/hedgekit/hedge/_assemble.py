"""Result assembly: a solved hedge made into a :class:`PerformanceHedgeResult`.

The optimal weights become whole shares; the basket's costs, the in-sample and
out-of-sample returns, the statistics of each leg, the diagnostics, the risk report of a
factor hedge and the benchmarks' growth are computed from them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.data import MarketData
from hedgekit.hedge._baskets import Basket
from hedgekit.hedge._benchmarks import benchmark_names, nlp_growth
from hedgekit.hedge._factor_share import factor_share_report, group_shares
from hedgekit.hedge._holding import HOLDING_ERROR, holding_error
from hedgekit.hedge._instruments import instrument_returns
from hedgekit.hedge._long_short import name_sides, side_summary
from hedgekit.hedge._parameters import PerformanceHedgeParameters
from hedgekit.hedge._prepare import Prepared
from hedgekit.hedge._problem import factor_rows, factor_terms
from hedgekit.hedge._result import PerformanceHedgeResult
from hedgekit.hedge._universe import SECTOR_ETFS
from hedgekit.measures import (
    annualized_return,
    annualized_volatility,
    beta,
    correlation,
    max_drawdown,
    r_squared,
    trading_costs,
)

if TYPE_CHECKING:  # the risk package (scikit-learn) loads with the first risk forecast
    from hedgekit.risk import RiskForecast

__all__ = ["assemble_result"]

#: fewer observations than this fit, with a warning: in-sample figures flatter the hedge
_FEW_OBSERVATIONS = 60
#: parameters left out of the result's parameters when None (a rebalance's limits and the
#: hedger's limits off by default), so a request without them reads as before
_ABSENT_WHEN_NONE = (
    "max_turnover",
    "max_trades",
    "min_names",
    "factor_constraints",
    "max_tracking_error",
    "benchmarks",
    "max_gross",
    "min_net",
    "max_net",
    "max_factor_share",
    "max_factor_share_by_group",
)


def _whole_shares(target: np.ndarray, price: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Whole shares nearest ``target / price`` that keep every name within its ``cap`` (USD)
    and the basket within the target total: names round down, then those with a
    remainder of at least half a share round up, largest remainder first, while both
    limits hold."""
    exact = target / price
    shares = np.floor(exact + 1e-9)
    limit = np.floor(cap / price + 1e-9)
    room = float(target.sum() - shares @ price)
    rest = exact - shares
    for i in np.argsort(-rest, kind="stable"):
        if rest[i] < 0.5:
            break
        if shares[i] + 1 <= limit[i] and price[i] <= room + 1e-6:
            shares[i] += 1
            room -= float(price[i])
    return shares


def assemble_result(
    prep: Prepared,
    parameters: PerformanceHedgeParameters,
    market: MarketData,
    w: np.ndarray,
    info: dict[str, Any],
    shares: np.ndarray | None = None,
) -> PerformanceHedgeResult:
    """The result of the hedge with optimal weights ``w`` (per unit of portfolio notional,
    one per candidate of ``prep``); ``info`` (the optimizer's status and timing) opens
    its diagnostics. ``shares`` (whole shares per candidate) replaces the rounding of
    ``w`` (a rebalance rounds its trades instead).

    Raises
    ------
    ConfigurationError
        A hedge too small to buy one whole share of its basket.
    """
    p = parameters
    names = np.asarray(prep.candidate_returns.columns)
    held = np.flatnonzero(np.abs(w) > 1e-10 if shares is None else shares != 0)
    tickers = list(names[held])
    price = prep.prices.to_numpy()[held]
    # +1: held against the book (sold for a net-long one), -1: on its side (long/short)
    sign = np.sign(w[held]) if shares is None else np.sign(np.asarray(shares)[held])
    if shares is None:
        target_notional = np.abs(w[held]) * prep.notional
        shares = _whole_shares(target_notional, price, prep.upper[held] * prep.notional)
    else:
        shares = np.abs(np.asarray(shares, dtype="float64")[held])
    keep = shares > 0
    if not keep.any():
        raise ConfigurationError(
            f"a hedge of {p.hedge_ratio * prep.notional:,.2f} USD buys no whole share of "
            f"its basket ({', '.join(tickers)}); hedge a larger position"
        )
    tickers = [t for t, k in zip(tickers, keep, strict=True) if k]
    held, price, shares, sign = held[keep], price[keep], shares[keep], sign[keep]
    side = prep.book_side
    sides = name_sides(sign, side)
    borrow_bps = np.where(sides == "short", prep.borrow_bps.to_numpy()[held], 0.0)
    notional = shares * price
    hedge_notional = p.hedge_ratio * prep.notional
    costs = trading_costs(
        shares,
        price,
        prep.adv_shares.to_numpy()[held],
        prep.daily_vol.to_numpy()[held],
        half_spread_bps=p.half_spread_bps,
        impact_coefficient=p.impact_coefficient,
        participation_rate=p.market_participation_rate / 100.0,
    )
    R = prep.candidate_returns.to_numpy()
    r = prep.target_returns.to_numpy()
    ppy = prep.sampling.periods_per_year
    realised = sign * notional / prep.notional  # whole shares, per unit of portfolio notional
    active = r - R[:, held] @ realised
    te = float(np.std(active, ddof=1))
    centred = R[:, held] - R[:, held].mean(axis=0)
    cov_ia = centred.T @ (active - active.mean()) / (len(active) - 1)
    contribution = -realised * cov_ia / te * np.sqrt(ppy) if te > 0 else np.zeros(len(held))
    sec = prep.securities.reindex(tickers)
    constituents = pd.DataFrame(
        {
            "name": sec["name"].to_numpy(),
            "country": sec["country"].to_numpy(),
            "region": sec["region"].to_numpy(),
            "sector": sec["gics_sector"].to_numpy(),
            "industry": sec["gics_industry"].to_numpy(),
            "sub_industry": sec["gics_sub_industry"].to_numpy(),
            "currency": sec["currency"].fillna("USD").to_numpy(),
            "shares": shares,
            "price": price,
            "notional": notional,
            "weight": 100.0 * notional / hedge_notional,
            "transaction_cost_bps": costs["cost_bps"],
            "transaction_cost_usd": costs["cost_usd"],
            "marginal_cost_bps": costs["marginal_cost_bps"],
            "borrow_cost_bps": borrow_bps,  # names bought pay none
            "borrow_cost_usd": notional * borrow_bps / 1e4,
            "adv_pct": 100.0 * notional / prep.adv_usd.to_numpy()[held],
            "days_to_trade": costs["days_to_trade"],
            "correlation": [side * correlation(R[:, i], r) for i in held],
            "tracking_error_contribution": contribution,
            "side": sides,
        },
        index=pd.Index(tickers, name="identifier"),
    ).sort_values("notional", ascending=False)

    # realised weights (whole shares) drive the reported statistics
    w_real = np.zeros(len(names))
    w_real[held] = realised
    in_rets = _returns_frame(
        prep.target_returns, prep.candidate_returns, w_real, p.hedge_ratio, "in_sample", side
    )
    frames = [in_rets]
    oos = _out_of_sample(prep, p, w_real, market)
    if oos is not None:
        frames.append(oos)
    returns = pd.concat(frames)
    cost_usd = float(constituents["transaction_cost_usd"].sum())
    stats = {}
    for sample, part in returns.groupby("sample", sort=False):
        for leg, col in (
            ("Portfolio", "portfolio"),
            ("Hedge", "hedge"),
            ("Hedged Portfolio", "hedged"),
        ):
            stats[(sample, leg)] = _leg_stats(
                part, col, ppy, constituents, cost_usd, hedge_notional
            )
    statistics = pd.DataFrame(stats)
    statistics.columns = pd.MultiIndex.from_tuples(list(stats), names=["sample", "leg"])
    # the whole-share basket against the optimiser's weights (predicted, in sample)
    hold = holding_error(R, w, w_real, ppy)
    statistics.loc[HOLDING_ERROR] = [
        hold if s_ == "in_sample" and leg != "Portfolio" else np.nan
        for s_, leg in statistics.columns
    ]
    diagnostics = {
        **info,
        "candidates": len(names),
        "universe_filters": prep.filters.summary,
        "observation_start": prep.target_returns.index[0],
        "observation_end": prep.target_returns.index[-1],
        "observations": len(prep.target_returns),
        "sampling": prep.sampling.value,
        "portfolio_notional": prep.notional,
        "hedge_notional": hedge_notional,
        "cash_notional": hedge_notional * (p.percentage_in_cash or 0.0) / 100.0,
        "out_of_sample_end": None if oos is None else oos.index[-1],
        "weights_rounded_to_whole_shares": True,
        HOLDING_ERROR: {
            "holding_error": hold,
            "ideal_tracking_error": annualized_volatility(r - R @ w, ppy),
            "held_tracking_error": te * np.sqrt(ppy),
        },
        "data_limits": list(market.limits),  # derived from the data by its checks
    }
    if p.allow_long_short or side < 0:
        diagnostics["sides"] = side_summary(p, constituents, side * prep.notional)
    if prep.moments is not None:
        diagnostics["estimator"] = {
            "name": p.estimator_name,
            "observations": prep.moments.observations,
        }
    n_obs = len(prep.target_returns) if prep.moments is None else prep.moments.observations
    if n_obs < _FEW_OBSERVATIONS:
        diagnostics.setdefault("warnings", []).append(
            f"the basket is fitted on {n_obs} {prep.sampling.value} returns: its in-sample "
            f"tracking error understates the risk; give at least {_FEW_OBSERVATIONS} "
            "(an earlier observation_start_date or more frequent sampling)"
        )
    for t, given in (prep.merged or {}).items():
        diagnostics.setdefault("warnings", []).append(
            f"{' and '.join(map(repr, given))} are one security ({t}): their positions "
            "were added up"
        )
    bounded = factor_rows(prep, p)
    if bounded:
        diagnostics["factor_exposures"] = {
            name: {"exposure": float(row[0] - row[1:] @ w_real), "minimum": lo, "maximum": hi}
            for name, row, lo, hi in bounded
        }
    share = factor_share_report(prep, p, w_real)  # the caps' achieved shares, or None
    if share is not None:
        diagnostics["factor_share"] = {**diagnostics.get("factor_share", {}), **share}
    fc = prep.forecast
    if fc is None and share is not None:
        fc = prep.exposure_forecast  # the model a returns hedge's caps were met under
    risk = _risk_report(prep, w_real, fc) if fc is not None else None
    if risk is not None:
        diagnostics["risk_model"] = risk["model"]
    if prep.semantic is not None:
        sem = prep.semantic
        diagnostics["semantic"] = {
            "embedder": p.embedder,
            "candidates": len(sem),
            "similarity": {str(t): float(v) for t, v in sem["similarity"].items()},
            "look_ahead": int(sem["look_ahead"].sum()),
        }
        if sem["look_ahead"].any():
            diagnostics.setdefault("warnings", []).append(
                f"{int(sem['look_ahead'].sum())} candidate descriptions are dated after "
                f"{prep.view.date:%Y-%m-%d} (the earliest vintage in the data): look-ahead"
            )
    params = {
        k: v
        for k, v in asdict(p).items()
        if k not in ("initial_portfolio", "estimator", "current_hedge")
        # a rebalance's only, and the limits off by default: absent when not given
        and not (k in _ABSENT_WHEN_NONE and v is None)
        and not (k == "allow_long_short" and not v)
    }
    params["estimator"] = p.estimator_name
    if any(isinstance(u, Basket) for u in p.universe):  # a basket as {'name', 'weights'}
        params["universe"] = [u.to_dict() if isinstance(u, Basket) else u for u in p.universe]
    params["date"] = f"{prep.view.date:%Y-%m-%d}"
    return PerformanceHedgeResult(
        date=prep.view.date,
        portfolio=prep.portfolio,
        constituents=constituents,
        statistics=statistics,
        returns=returns,
        parameters=params,
        diagnostics=diagnostics,
        synthetic=market.is_synthetic,
        risk_report=risk,
        benchmarks=_benchmark_growth(prep, pd.DatetimeIndex(returns.index), market, p, diagnostics),
    )


def _benchmark_growth(
    prep: Prepared,
    dates: pd.DatetimeIndex,
    market: MarketData,
    params: PerformanceHedgeParameters | None = None,
    diagnostics: dict[str, Any] | None = None,
) -> pd.DataFrame | None:
    """Growth of 1 of SPY and the sector fund of the portfolio's largest sector over
    the backtest's dates (the window, then out of sample: evaluation only), the first
    value the growth over the first period; None when the data holds neither. With
    ``params.benchmarks`` the curves it names, the NLP basket's among them
    (:mod:`hedgekit.hedge._benchmarks`; what it holds goes to ``diagnostics``)."""
    if not len(dates):
        return None
    which = benchmark_names(None if params is None else params.benchmarks)
    sectors = prep.view.securities(list(prep.portfolio.index))["gics_sector"]
    # a sector SPDR held as a position is in its sector
    sectors = sectors.fillna(pd.Series(SECTOR_ETFS).reindex(sectors.index))
    weight = prep.portfolio["weight"].groupby(sectors.reindex(prep.portfolio.index)).sum()
    by_sector = {v: k for k, v in SECTOR_ETFS.items()}
    funds = ["SPY"] if "SPY" in which else []
    if "sector" in which and len(weight) and weight.idxmax() in by_sector:
        funds.append(by_sector[str(weight.idxmax())])
    growth = None
    if funds:
        last = market.as_of(dates[-1])  # out-of-sample dates are evaluation only
        px = last.benchmark_prices(funds, dates[0] - pd.Timedelta(days=14), dates[-1])
        px = px.dropna(axis=1, how="all")
        base = px.loc[px.index < dates[0]].ffill()
        if not px.empty and not base.empty:
            growth = px.reindex(px.index.union(dates)).ffill().reindex(dates) / base.iloc[-1]
            growth = growth.rename(columns=lambda c: str(c))
    if "nlp" in which and params is not None:
        curve, info = nlp_growth(prep, params, market, dates)
        if diagnostics is not None:
            diagnostics["nlp_benchmark"] = info
        if curve is not None:
            growth = curve.to_frame() if growth is None else growth.join(curve)
    return growth


def _risk_report(prep: Prepared, w: np.ndarray, fc: RiskForecast) -> dict[str, Any]:
    """Predicted exposures and risk of portfolio, hedge and hedged portfolio under the
    risk model's forecast ``fc`` (per unit of portfolio notional, annualised)."""
    assert prep.risk_model is not None
    B, F, spec, b, target_spec, _ = factor_terms(prep, fc)
    h = B.T @ w
    hedged = prep.book_side * (b - h)
    b = prep.book_side * b  # a net-short book's own exposures, not its flipped self's
    wt = prep.portfolio["weight"]
    names = list(prep.candidate_returns.columns)
    net = pd.Series(0.0, index=pd.Index(list(dict.fromkeys([*wt.index, *names]))))
    net[wt.index] += wt.to_numpy()
    net[names] -= w  # the variance below is the same for the flipped book
    s_all = fc.specific_risk.reindex(net.index).to_numpy()
    spec_var = {
        "Portfolio": target_spec,
        "Hedge": float(np.sum((w * spec) ** 2)),
        "Hedged Portfolio": float(np.sum((net.to_numpy() * s_all) ** 2)),
    }
    loads = {"Portfolio": b, "Hedge": h, "Hedged Portfolio": hedged}
    rows = {}
    for leg, x in loads.items():
        fv = float(x @ F @ x)
        rows[leg] = {
            "total_volatility": float(np.sqrt(max(fv + spec_var[leg], 0.0))),
            "factor_volatility": float(np.sqrt(max(fv, 0.0))),
            "specific_volatility": float(np.sqrt(spec_var[leg])),
        }
    predicted = pd.DataFrame(rows).T
    predicted["factor_share_of_variance"] = (
        predicted["factor_volatility"] ** 2 / predicted["total_volatility"] ** 2
    )
    predicted = predicted.join(
        group_shares(loads, F, fc.factors, predicted["total_volatility"] ** 2)
    )
    exposures = pd.DataFrame(
        {"portfolio": b, "hedge": h, "hedged": hedged},
        index=fc.exposures.columns.rename("factor"),  # a new index: the forecast is shared
    )
    fb, fh = float(b @ F @ b), float(h @ F @ h)
    model = prep.risk_model
    idx = model.factor_returns_.index
    return {
        "exposures": exposures,
        "predicted_risk": predicted,
        "factor_correlation": float(b @ F @ h / np.sqrt(fb * fh)) if fb * fh > 0 else None,
        "model": {
            "estimation_start": idx[0],
            "estimation_end": idx[-1],
            "forecast_date": fc.date,
            "exposures_date": fc.exposures_date,
            "covariance_method": model.covariance_method,
            "data_version": getattr(model, "data_version_", None),
            "notes": list(fc.notes),
        },
    }


def _returns_frame(
    target: pd.Series,
    candidates: pd.DataFrame,
    w: np.ndarray,
    H: float,
    sample: str,
    side: int = 1,
) -> pd.DataFrame:
    """Periodic returns of the portfolio, the hedge basket (its names weighted as the hedge
    holds them against the book, per unit of hedge notional, ``H`` the hedge ratio) and
    the hedged portfolio, labelled ``sample``. ``side=-1`` (a net-short book, ``target``
    its flipped self's returns): the portfolio's and the hedged portfolio's returns are
    the book's own, per unit of its absolute notional."""
    held = np.flatnonzero(w)  # the held columns only: no copy of the whole panel
    basket = candidates.iloc[:, held].to_numpy() @ w[held]
    tr = target.to_numpy()
    return pd.DataFrame(
        {
            "portfolio": tr if side > 0 else -tr,
            "hedge": basket / H,
            "hedged": tr - basket if side > 0 else basket - tr,
            "sample": sample,
        },
        index=target.index,
    )


def _out_of_sample(
    prep: Prepared, params: PerformanceHedgeParameters, w: np.ndarray, market: MarketData
) -> pd.DataFrame | None:
    """Returns after the hedge date, with weights held constant (rebalanced each period)."""
    days = params.out_of_sample_days
    after = market.calendar[market.calendar > prep.view.date]
    if days == 0 or len(after) < 5:
        return None
    end = after[min(days, len(after)) - 1]
    later = market.as_of(end)  # deliberately after the hedge date: evaluation only
    names = list(prep.candidate_returns.columns)
    held = [n for n, x in zip(names, w, strict=True) if x != 0]
    tick = list(prep.portfolio.index)
    rets = instrument_returns(
        later,
        list(dict.fromkeys(tick + held)),
        start=after[0],
        sampling=prep.sampling,
        baskets=prep.baskets,
    ).fillna(0.0)
    if len(rets) < 2:
        return None
    target = rets[tick].to_numpy() @ prep.portfolio["weight"].to_numpy()
    cand = rets.reindex(columns=names, fill_value=0.0)
    return _returns_frame(
        pd.Series(target, index=rets.index),
        cand,
        w,
        params.hedge_ratio,
        "out_of_sample",
        prep.book_side,
    )


def _leg_stats(
    part: pd.DataFrame,
    col: str,
    ppy: int,
    constituents: pd.DataFrame,
    cost_usd: float,
    hedge_notional: float,
) -> dict[str, float]:
    """The statistics of one leg (column ``col`` of ``part``) of one sample."""
    x = part[col].to_numpy()
    p = part["portfolio"].to_numpy()
    h = part["hedge"].to_numpy()
    hedged = part["hedged"].to_numpy()
    w = constituents["weight"].to_numpy() / 100.0
    is_hedge = col != "portfolio"
    nan = float("nan")
    return {
        "annualized_return": annualized_return(x, ppy),
        "annualized_volatility": annualized_volatility(x, ppy),
        "correlation_with_portfolio": correlation(x, p) if is_hedge else 1.0,
        # relations between portfolio and hedge: shown on the hedge legs only
        "r_squared": r_squared(h, p) if is_hedge else nan,
        "beta_to_hedge": beta(p, h) if is_hedge else nan,
        "tracking_error": annualized_volatility(hedged, ppy) if is_hedge else nan,
        "variance_reduction": (
            1.0 - float(np.var(hedged, ddof=1) / np.var(p, ddof=1)) if is_hedge else nan
        ),
        "risk_reduction_bps": (
            1e4 * (annualized_volatility(p, ppy) - annualized_volatility(hedged, ppy))
            if is_hedge
            else nan
        ),
        "transaction_cost_bps": 1e4 * cost_usd / hedge_notional if is_hedge else 0.0,
        "transaction_cost_usd": cost_usd if is_hedge else 0.0,
        "number_of_names": float(len(w)) if is_hedge else np.nan,
        "effective_names": float(1.0 / np.sum((w / w.sum()) ** 2))
        if is_hedge and len(w)
        else np.nan,
        "max_drawdown": max_drawdown(x),
        "observations": float(len(x)),
    }
