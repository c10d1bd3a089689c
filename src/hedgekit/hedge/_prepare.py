"""A hedge's inputs on its date: the priced positions, the observation window, the
candidates after every filter, their bounds and groups, and the fitted moments.

:func:`prepare` computes them once per hedge; the solver, the grid search and the result
all read the :class:`Prepared` it returns. What does not depend on the positions (the
universe, the estimator's fit, the text index) is cached on the market, so hedges of many
targets on one date share it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    InfeasibleError,
)
from hedgekit.data import COUNTRIES, REGIONS, MarketData, PointInTimeData, Sampling
from hedgekit.estimate import TargetShrinkage, TrackingMoments, get_estimator, lookback_of
from hedgekit.hedge._baskets import Basket, baskets_of
from hedgekit.hedge._factor_share import share_groups
from hedgekit.hedge._instruments import instrument_returns
from hedgekit.hedge._parameters import HedgeConstraints, HedgeMethod, PerformanceHedgeParameters
from hedgekit.hedge._shared import shared_base
from hedgekit.hedge._universe import (
    CandidateFilter,
    any_industry,
    match_labels,
    require_known,
    text_match,
)
from hedgekit.optimize import GroupBound

if TYPE_CHECKING:  # the risk package (scikit-learn) loads with the first factor hedge
    from hedgekit.risk import FactorRiskModel, RiskForecast

__all__ = ["Prepared", "prepare"]

logger = logging.getLogger(__name__)

#: history a risk model fitted on the fly for a factor hedge covers (years before the date)
_RISK_MODEL_YEARS = 3
#: fewest trading days of factor returns before the hedge date a supplied model must hold
_RISK_MODEL_MIN_DAYS = 252
#: cache region of the risk models fitted on the fly (one per hedge date)
_ON_THE_FLY = "risk_on_the_fly"


@dataclass(frozen=True)
class Prepared:
    """Everything the solver needs, computed once per hedge (and reused by grid search)."""

    view: PointInTimeData
    portfolio: pd.DataFrame  # ticker -> quantity, price, notional, weight
    notional: float
    target_returns: pd.Series  # r_p over the window
    position_returns: pd.DataFrame
    candidate_returns: pd.DataFrame  # T x N
    securities: pd.DataFrame  # N rows
    upper: np.ndarray
    groups: tuple[GroupBound, ...]
    esg_rows: tuple[tuple[str, np.ndarray, float, float], ...]
    prices: pd.Series
    adv_usd: pd.Series
    adv_shares: pd.Series
    daily_vol: pd.Series
    borrow_bps: pd.Series
    filters: CandidateFilter
    sampling: Sampling
    forecast: RiskForecast | None = None
    semantic: pd.DataFrame | None = None  # candidates' similarity to the portfolio
    moments: TrackingMoments | None = None  # the estimator's (S, c, target variance)
    merged: dict[str, list[str]] | None = None  # ticker -> identifiers given for it
    risk_model: FactorRiskModel | None = None  # the model of ``forecast`` or of the prior
    #: the forecast whose exposures the factor_constraints bound (``forecast`` when factor)
    exposure_forecast: RiskForecast | None = None
    #: the user baskets of the universe, by name (held as instruments)
    baskets: dict[str, Basket] | None = None
    #: 1 for a net-long book, -1 for a net-short one: the problem is then the flipped book's
    #: (``portfolio['weight']`` and ``target_returns`` are its, ``notional`` its absolute
    #: value) and the hedge is bought
    book_side: int = 1


def prepare(
    parameters: PerformanceHedgeParameters,
    market: MarketData,
    risk_model: FactorRiskModel | None = None,
) -> Prepared:
    """Everything the solver needs for the hedge of ``parameters``, on its date.

    Parameters
    ----------
    parameters : PerformanceHedgeParameters
        The hedge's parameters, already validated.
    market : MarketData
        The data.
    risk_model : FactorRiskModel, optional
        The fitted risk model of a factor hedge or of ``estimator='factor_target'``;
        default the store's (see :class:`~hedgekit.hedge.PerformanceHedge`).

    Returns
    -------
    Prepared
        Its ``risk_model`` is the model used, when one was.

    Raises
    ------
    InsufficientHistoryError
        Too few returns in the window, or positions without a return on every day of it.
    InfeasibleError
        No candidate left after the filters.
    DataError, ConfigurationError
        Positions outside the risk model or without a description; an unusable model.
    """
    p = parameters
    base = shared_base(p, market)
    view, sampling, uni = base.view, p.sampling, base.universe
    # the copies a result may hand out (the base is shared by the hedges of a position)
    portfolio = base.portfolio.copy()
    merged = {t: list(ids) for t, ids in base.merged.items()}
    notional, book_side = base.notional, base.book_side
    pos_rets = base.position_returns.copy()
    target_returns = base.target_returns.copy()
    filt = dataclasses.replace(
        base.filters,
        names=list(base.filters.names),
        removed={k: list(v) for k, v in base.filters.removed.items()},
    )
    forecast = exposure_forecast = None
    capped = p.max_factor_share is not None or p.max_factor_share_by_group is not None
    if p.hedge_method is HedgeMethod.FACTOR or p.factor_constraints or capped:
        fc, risk_model = _risk_forecast(market, view, list(portfolio.index), risk_model)
        known = fc.exposures.index
        outside = [t for t in portfolio.index if t not in known]
        if outside:
            raise DataError(
                f"{', '.join(outside)} not in the risk model on {view.date:%Y-%m-%d} (it "
                "covers the index members trading that day); use method='returns'"
                + (" without factor_constraints" if p.factor_constraints else "")
                + (" without max_factor_share" if capped else "")
            )
        factors = [str(f) for f in fc.exposures.columns]
        lower = {f.lower() for f in factors}  # names match whatever their case
        unknown = [f for f in p.factor_constraints or {} if f.strip().lower() not in lower]
        if unknown:
            raise ConfigurationError(
                f"factor_constraints: unknown factor(s) {', '.join(map(repr, unknown))}; the "
                f"risk model's factors are {', '.join(factors)}"
            )
        share_groups(p.max_factor_share_by_group, factors)  # unknown groups fail here
        covered = set(known)  # a set: what CandidateFilter.keep would drop, without pandas
        filt.drop(
            "not in the risk model on the hedge date", [n for n in filt.names if n not in covered]
        )
        exposure_forecast = fc
        if p.hedge_method is HedgeMethod.FACTOR:
            forecast = fc
    semantic = None
    if p.hedge_method in (HedgeMethod.NLP, HedgeMethod.HYBRID):
        semantic = _semantic(market, view, p, portfolio["weight"], filt)
    names = filt.names
    if not names:
        raise InfeasibleError(f"no hedge candidates: {filt.describe()}")
    cand_rets, sec, adv_usd, close, adv_shares, daily_vol, borrow = base.select(names)
    scores = uni.scores

    # bounds and groups, in units of portfolio notional
    H = p.hedge_ratio
    cap_weight = p.max_weight / 100.0 * H
    cap_adv = p.max_adv_percentage / 100.0 * adv_usd.to_numpy() / notional
    upper = np.minimum(cap_weight, cap_adv)
    complete: dict[str, int] | None = None
    short_history: list[str] = []
    if p.hedge_method in (HedgeMethod.RETURNS, HedgeMethod.HYBRID):
        estimator = get_estimator(p.estimator)
        prior = None
        if isinstance(estimator, TargetShrinkage):
            # the structured target: the factor model's forecast on the hedge date
            prior, risk_model = _risk_forecast(market, view, list(portfolio.index), risk_model)
        complete, Sigma, n_rows = _joint_fit(
            market,
            view,
            estimator,
            sampling,
            target_returns,
            portfolio,
            uni.filters.names,
            prior,
            baskets_of(p.universe) or None,
            base.memo,
        )
        short_history = [n for n in names if n not in complete]
        if short_history:
            filt.drop("incomplete history in the estimator's lookback", short_history)
    floor = p.min_weight / 100.0 * H
    # w_i is 0 or >= min_weight: a name capped below min_weight cannot be held
    low = upper < floor if floor > 0 else np.zeros(len(names), dtype=bool)
    if low.any():
        filt.drop("weight cap below min_weight", [n for n, x in zip(names, low, strict=True) if x])
    gone = set(short_history)
    drop = low | np.fromiter((n in gone for n in names), bool, len(names)) if gone else low
    if drop.any():
        keep = ~drop
        names = [n for n, k in zip(names, keep, strict=True) if k]
        if not names:
            raise InfeasibleError(f"no hedge candidates: {filt.describe()}")
        upper = upper[keep]
        cand_rets, sec = cand_rets[names], sec.reindex(names)
        adv_usd, close = adv_usd.reindex(names), close.reindex(names)
        adv_shares, daily_vol = adv_shares.reindex(names), daily_vol.reindex(names)
        borrow = borrow.reindex(names)
    moments = None
    if complete is not None:
        ci = np.array([complete[n] for n in names], dtype=np.intp)
        pi = np.array([complete[t] for t in portfolio.index], dtype=np.intp)
        wp = portfolio["weight"].to_numpy(dtype="float64")
        moments = TrackingMoments(
            covariance=Sigma[np.ix_(ci, ci)],
            cross=Sigma[np.ix_(ci, pi)] @ wp,
            target_variance=float(wp @ Sigma[np.ix_(pi, pi)] @ wp),
            observations=n_rows,
        )
    groups = _group_bounds(market, view, p.constraints, sec, names, H)
    esg = p.constraints.esg if p.constraints is not None else ()
    esg_rows = tuple(
        (
            c.constraint_name,
            scores[c.constraint_name].reindex(names).to_numpy(dtype="float64"),
            c.minimum,
            c.maximum,
        )
        for c in esg
    )
    return Prepared(
        view=view,
        portfolio=portfolio,
        notional=notional,
        target_returns=target_returns,
        position_returns=pos_rets,
        candidate_returns=cand_rets,
        securities=sec,
        upper=upper,
        groups=groups,
        esg_rows=esg_rows,
        prices=close,
        adv_usd=adv_usd,
        adv_shares=adv_shares,
        daily_vol=daily_vol,
        borrow_bps=borrow,
        filters=filt,
        sampling=sampling,
        forecast=forecast,
        exposure_forecast=exposure_forecast,
        semantic=None if semantic is None else semantic.reindex(names),
        moments=moments,
        merged=merged or None,
        risk_model=risk_model,
        baskets=baskets_of(p.universe) or None,
        book_side=book_side,
    )


def _joint_fit(
    market: MarketData,
    view: PointInTimeData,
    estimator: Any,
    sampling: Sampling,
    target_returns: pd.Series,
    portfolio: pd.DataFrame,
    pool: list[str],
    prior: RiskForecast | None = None,
    baskets: dict[str, Basket] | None = None,
    memo: dict[Any, Any] | None = None,
) -> tuple[dict[str, int], np.ndarray, int]:
    """Fit the estimator on every stock of the date's candidate pool and the positions.

    The rows are the estimator's ``lookback`` most recent returns (the observation
    window when it has none or asks for fewer), cut to the rows on which every position
    has a return. Stocks without a return on every row are left out. Returns the
    stocks' positions in the joint matrix, the matrix and the number of rows. The fit
    depends only on the date, the rows and the stocks, so the targets of one date share
    it (cached on the market like the universe). ``prior`` (a risk forecast) gives a
    :class:`~hedgekit.estimate.TargetShrinkage` its target: the forecast covariance of
    the stocks the model covers, in the sampling's units, NaN (the sample's own value)
    for the others. ``memo`` (the position's :class:`~hedgekit.hedge._shared.SharedBase`
    memo) keeps the rows per lookback for the position's other hedges.
    """
    window = len(target_returns)
    lookback = lookback_of(estimator)
    positions = list(portfolio.index)
    if memo is not None and ("joint_fit_rows", lookback) in memo:
        rows = memo["joint_fit_rows", lookback]
    elif lookback is None or lookback <= window:
        n = window if lookback is None else int(lookback)
        rows = target_returns.index[-n:]
    else:
        cal = market.calendar
        pos = int(cal.searchsorted(view.date, side="right"))
        per = {Sampling.DAILY: 1, Sampling.WEEKLY: 5, Sampling.MONTHLY: 21}[sampling]
        first = pd.Timestamp(cal[max(pos - lookback * per - per, 0)])
        pos_rets = instrument_returns(view, positions, start=first, sampling=sampling)
        pos_rets = pos_rets.iloc[-lookback:]
        # the longest recent run on which every position has a return (at least the
        # observation window, which is complete)
        gaps = np.flatnonzero(~pos_rets.notna().all(axis=1).to_numpy())
        if len(gaps):
            pos_rets = pos_rets.iloc[gaps[-1] + 1 :]
        rows = pos_rets.index if len(pos_rets) >= window else target_returns.index
    if memo is not None:
        memo["joint_fit_rows", lookback] = rows
    stocks = list(dict.fromkeys([*pool, *positions]))
    model_key = None
    if prior is not None:
        model_key = (
            prior.exposures_date,
            float(prior.factor_covariance.to_numpy().sum()),
            float(prior.specific_risk.sum()),
        )
    key = repr((view.date, sampling.value, rows[0], len(rows), tuple(stocks), estimator, model_key))
    if baskets:  # a basket's name alone does not say what it holds
        key += repr(tuple(baskets.values()))
    hit = market.cache.get("estimate", key)
    if hit is None:
        rets = instrument_returns(
            view, stocks, start=rows[0], sampling=sampling, baskets=baskets
        ).reindex(rows)
        full = rets.notna().all().to_numpy()
        kept = [t for t, ok in zip(stocks, full, strict=True) if ok]
        fit_params: dict[str, Any] = {}
        if prior is not None:
            per_year = {Sampling.DAILY: 252, Sampling.WEEKLY: 52, Sampling.MONTHLY: 12}
            known = set(prior.exposures.index)
            at = [i for i, t in enumerate(kept) if t in known]
            T = np.full((len(kept), len(kept)), np.nan)
            cov = prior.covariance([kept[i] for i in at]).to_numpy()
            T[np.ix_(at, at)] = cov / per_year[sampling]
            fit_params["target"] = T
        fitted = estimator.fit(rets.to_numpy()[:, full], **fit_params)
        Sigma = np.asarray(fitted.covariance_, "float64")
        Sigma = 0.5 * (Sigma + Sigma.T)
        hit = ({t: i for i, t in enumerate(kept)}, Sigma, len(rows))
        market.cache.put("estimate", key, hit)
    return hit


def _semantic(
    market: MarketData,
    view: PointInTimeData,
    parameters: PerformanceHedgeParameters,
    weights: pd.Series,
    filt: CandidateFilter,
) -> pd.DataFrame:
    """Keep the candidates whose descriptions are nearest the portfolio's (the weighted
    mean of its positions' unit vectors); returns their similarity and look-ahead flag."""
    p = parameters
    index = _text_index(market, view, p.embedder)
    outside = [t for t in weights.index if t not in index]
    if outside:
        raise DataError(
            f"{', '.join(outside)} has no business description in the store; use "
            "method='returns' or import descriptions (hedgekit data import-table)"
        )
    query = sum(float(w) * index.vector(t) for t, w in weights.items())
    sims = index.similarities(np.asarray(query)).reindex(filt.names)
    # CandidateFilter.keep's drops, computed on arrays (sims is in filt.names' order)
    has = sims.notna().to_numpy()
    filt.drop(
        "no business description", [n for n, ok in zip(filt.names, has, strict=True) if not ok]
    )
    k = (p.max_names or 10) if p.hedge_method is HedgeMethod.NLP else p.semantic_candidates
    top = sims[has].nlargest(k).index
    near = set(top)
    filt.drop("not among the nearest semantic neighbours", [n for n in filt.names if n not in near])
    look = index.look_ahead.reindex(top).fillna(False).astype(bool)
    return pd.DataFrame({"similarity": sims.reindex(top), "look_ahead": look})


def _text_index(market: MarketData, view: PointInTimeData, embedder: str) -> Any:
    """Embedding index of the descriptions known on the hedge date (a later vintage,
    flagged, for companies with none yet), cached on the market per date and backend."""
    from hedgekit.text import EmbeddingIndex

    key = (embedder, view.date)
    return market.cache.get_or_compute(
        "text_index",
        key,
        lambda: EmbeddingIndex.from_market(market, view.date, embedder=embedder, allow_later=True),
    )


def _risk_forecast(
    market: MarketData,
    view: PointInTimeData,
    positions: list[str],
    model: FactorRiskModel | None,
) -> tuple[RiskForecast, FactorRiskModel]:
    """The risk model's forecast on the hedge date (exposures computed on that date), and
    the model: ``model``, checked, or the store's when it is None."""
    date = view.date

    def covers(model: FactorRiskModel) -> bool:
        idx = model.factor_returns_.index
        return bool(idx[-1] >= date and (idx <= date).sum() >= _RISK_MODEL_MIN_DAYS)

    if model is not None:
        if not hasattr(model, "factor_returns_"):
            raise ConfigurationError("risk_model is not fitted; call fit(market) first")
        if not covers(model):
            idx = model.factor_returns_.index
            raise ConfigurationError(
                f"risk_model covers {idx[0]:%Y-%m-%d}..{idx[-1]:%Y-%m-%d}; a hedge on "
                f"{date:%Y-%m-%d} needs it to end on or after that date with "
                f"{_RISK_MODEL_MIN_DAYS} days before it: fit or update the model"
            )
    else:
        model = _stored_risk_model(market, date, covers)
    # positions outside the index join the model's cross-section on the date
    return model.forecast(date, market, include=positions), model


def _stored_risk_model(
    market: MarketData, date: pd.Timestamp, covers: Callable[[FactorRiskModel], bool]
) -> FactorRiskModel:
    """The store's risk model for a hedge on ``date``: the kept default model (the one
    `hedgekit risk build` makes, built here once and kept in the data home when there is
    none), or, for a date before its reach, a model of the three years before the date,
    kept in the market's cache (not the store) for the date's later hedges. A model that
    runs past ``date`` is point in time: its forecast on ``date`` reads days up to it."""
    from hedgekit.risk import (
        FactorRiskModel,
        default_model,
        default_model_start,
        load_cached_model,
    )

    built = load_cached_model(market)
    if built is not None and covers(built):
        return built
    if date >= default_model_start(market) + pd.Timedelta(days=2 * _RISK_MODEL_MIN_DAYS):
        model, _ = default_model(market)
        if covers(model):
            return model
    # a model fitted on the fly is kept on the market (this process, this snapshot) for the
    # later hedges of the same date: exactly the model a new fit would give, so a result
    # never depends on which hedges ran before it
    # three years, or as many as the data holds before the date (its first month is the
    # exposures' first month end)
    start = max(date - pd.DateOffset(years=_RISK_MODEL_YEARS), default_model_start(market, date))

    def fit() -> FactorRiskModel:
        logger.info(
            "fitting a risk model %s..%s for the factor hedge (the date is before the "
            "default model's reach)",
            f"{start:%Y-%m-%d}",
            f"{date:%Y-%m-%d}",
        )
        return FactorRiskModel(start, date).fit(market)

    return market.cache.get_or_compute(_ON_THE_FLY, (start, date), fit)


def _group_bounds(
    market: MarketData,
    view: PointInTimeData,
    cons: HedgeConstraints | None,
    sec: pd.DataFrame,
    names: list[str],
    H: float,
) -> tuple[GroupBound, ...]:
    """The asset, country, region, sector and industry constraints as bounds on the
    candidates' weights (``names``, described by ``sec``), in units of portfolio notional
    (``H`` the hedge ratio)."""
    if cons is None:
        return ()
    out: list[GroupBound] = []
    index = pd.Index(names)

    def add(label: str, mask: pd.Series, lo: float, hi: float) -> None:
        members = np.flatnonzero(mask.reindex(index).fillna(False).to_numpy(dtype=bool))
        out.append(GroupBound(label, members, lo / 100.0 * H, hi / 100.0 * H))

    for c in cons.assets:
        t = market.resolve(c.constraint_name, view.date)
        add(f"asset {t}", pd.Series(index == t, index=index), c.minimum, c.maximum)
    matchers: dict[str, Callable[[str], pd.Series]] = {
        "country": lambda name: text_match(sec["country"], [name]),
        "region": lambda name: text_match(sec["region"], [name]),
        "sector": lambda name: match_labels(sec["gics_sector"], [name], "sector"),
        "industry": lambda name: any_industry(sec, [name]),
    }
    for kind, col, known in (("country", "country", COUNTRIES), ("region", "region", REGIONS)):
        items = cons.countries if kind == "country" else cons.regions
        if items:
            names_ = [c.constraint_name for c in items]
            require_known(kind, names_, [*known, *sec[col].dropna()])
    for kind, items in (
        ("country", cons.countries),
        ("region", cons.regions),
        ("sector", cons.sectors),
        ("industry", cons.industries),
    ):
        for c in items:
            name = c.constraint_name
            add(f"{kind} {name}", matchers[kind](name), c.minimum, c.maximum)
    return tuple(out)
