"""``PerformanceHedge``: the Performance Hedger, point in time.

``PerformanceHedge(parameters).calculate()`` validates the parameters, asks the data
layer for what was known at the hedge date, builds the tracking problem, solves it and
returns an immutable :class:`PerformanceHedgeResult`.

The objective
-------------
With ``r_p`` the portfolio's periodic returns over the observation window, ``R`` the
candidates' returns and ``w`` the short basket's weights in units of portfolio notional::

    minimise  var(r_p - R w) + ridge_weight * s * ||w / h||^2
                             + lasso_weight * s * sum_i log(1 + w_i / (0.01 h))

where ``s`` is the mean variance of the candidates (so the two weights are unit-free) and
``h`` the stock budget. The ridge term ("diversity") spreads the weights; the log term
("concentration") favours fewer names: with a fixed budget an L1 term on non-negative
weights would be a constant, a concave penalty is not.

Constraints: ``sum(w) = h = max_leverage% * (1 - percentage_in_cash%)``; each name
``0 <= w_i <= min(max_weight% * H, max_adv_percentage% * ADV_i / N)`` (``H`` the hedge
ratio, ``N`` the portfolio notional, ``ADV`` the 20-day average daily dollar volume);
held names ``w_i >= min_weight% * H``; at most ``max_names`` names; group bounds in percent
of the hedge notional; ``|ppy * (mean(R) w - mean(r_p))| <= max_return_deviation%`` with
``ppy`` periods per year (unhedged return gap); ESG bounds on the weighted-average score.
Cash (``percentage_in_cash``) earns nothing and carries no risk.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    InfeasibleError,
    InsufficientHistoryError,
)
from hedgekit.data import (
    ACTION_TYPES,
    COUNTRIES,
    REGIONS,
    MarketData,
    PointInTimeData,
    Sampling,
    canonical_action_type,
    shared_market,
)
from hedgekit.estimate import TargetShrinkage, TrackingMoments, get_estimator, lookback_of
from hedgekit.hedge._parameters import HedgeMethod, HedgeMetric, PerformanceHedgeParameters
from hedgekit.hedge._result import PerformanceHedgeResult
from hedgekit.hedge._universe import (
    SECTOR_ETFS,
    CandidateFilter,
    any_industry,
    explode_universe,
    finite,
    match_labels,
    price_portfolio,
    require_known,
    text_match,
)
from hedgekit.measures import (
    annualized_return,
    annualized_volatility,
    beta,
    correlation,
    max_drawdown,
    r_squared,
    trading_costs,
)
from hedgekit.optimize import GroupBound, TrackingProblem, solve_tracking

if TYPE_CHECKING:  # the risk package (scikit-learn) loads with the first factor hedge
    from hedgekit.risk import FactorRiskModel, RiskForecast

__all__ = ["GridSearchResult", "PerformanceHedge"]

logger = logging.getLogger(__name__)

_ADV_WINDOW = 20
_MIN_OBSERVATIONS = 12
#: fewer observations than this fit, with a warning: in-sample figures flatter the hedge
_FEW_OBSERVATIONS = 60
#: history a risk model fitted on the fly for a factor hedge covers (years before the date)
_RISK_MODEL_YEARS = 3
#: fewest trading days of factor returns before the hedge date a supplied model must hold
_RISK_MODEL_MIN_DAYS = 252


@dataclass(frozen=True)
class _Universe:
    """Candidates of one hedge date and their data, before position-specific filters."""

    filters: CandidateFilter
    returns: pd.DataFrame  # window returns of the candidates
    securities: pd.DataFrame
    adv_usd: pd.Series
    close: pd.Series
    daily_vol: pd.Series
    borrow_bps: pd.Series
    scores: dict[str, pd.Series]


@dataclass(frozen=True)
class _Prepared:
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


class PerformanceHedge:
    """The Performance Hedger: the short basket that best tracks a portfolio.

    Parameters
    ----------
    parameters : PerformanceHedgeParameters
        Positions, universe, exclusions, constraints and settings.
    market : MarketData, optional
        The data; default the store in the data home (``HEDGEKIT_DATA``).
    risk_model : FactorRiskModel, optional
        The fitted risk model of ``method='factor'``. Its forecast on the hedge date uses
        only data known then, so one long model serves every date it covers. Default: the
        model cached in the data home (``hedgekit risk build``) when it covers the date,
        else a model fitted on the three years before the date (about 10 s).

    Examples
    --------
    >>> from hedgekit.hedge import (
    ...     PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet)
    >>> ps = PositionSet([Position("WDC", quantity=1_000_000)], "2022-12-30")
    >>> params = PerformanceHedgeParameters(ps, max_names=10, max_weight=25)
    >>> res = PerformanceHedge(params).calculate()  # doctest: +SKIP
    >>> res.get_constituents()  # doctest: +SKIP
    """

    def __init__(
        self,
        parameters: PerformanceHedgeParameters,
        market: MarketData | None = None,
        *,
        risk_model: FactorRiskModel | None = None,
    ) -> None:
        self.parameters = parameters
        self.market = market
        self.risk_model = risk_model

    # ------------------------------------------------------------------ public API
    def calculate(self) -> PerformanceHedgeResult:
        """Build the hedge. Raises HedgekitError subclasses for every user mistake."""
        t0 = time.perf_counter()
        prep = self._prepare()
        weights, info = self._solve(prep, self.parameters, rows=None)
        info["seconds_total"] = time.perf_counter() - t0
        return self._result(prep, weights, info)

    def weights(self) -> pd.Series:
        """The optimal basket only: weights per unit of portfolio notional (before rounding
        to whole shares), without statistics or backtests. For walk-forward engines that
        simulate the holding themselves."""
        prep = self._prepare()
        w, _ = self._solve(prep, self.parameters, rows=None)
        out = pd.Series(w, index=pd.Index(prep.candidate_returns.columns, name="ticker"))
        return out[out > 1e-10].rename("weight")

    def grid_search(
        self,
        lasso_weights: Sequence[float] = (0.0, 0.01, 0.1, 1.0),
        ridge_weights: Sequence[float] = (0.0, 0.01, 0.1, 1.0),
        *,
        metric: HedgeMetric | str = HedgeMetric.TRACKING_ERROR,
        folds: int = 4,
        progress: Callable[[int, int], None] | None = None,
    ) -> GridSearchResult:
        """Choose (lasso_weight, ridge_weight) by walk-forward cross-validation.

        The folds are scikit-learn's ``TimeSeriesSplit(n_splits=folds)`` over the
        observation window: ``folds`` consecutive test blocks of ``n // (folds + 1)``
        observations end the window; fold ``k`` fits on everything before its test block
        (an expanding window) and scores the hedge on the block, which it has not seen, so
        no fold trains on data after its test block. The metric is computed on the
        concatenated out-of-fold hedged returns. The best pair is refitted on the whole
        window.

        Earlier versions cut the window into ``folds + 1`` blocks of sizes differing
        by at most one (``numpy.linspace`` edges); ``TimeSeriesSplit`` gives the test blocks
        equal sizes and the first training block the remainder. The two agree when the
        number of observations is a multiple of ``folds + 1``; otherwise the block edges
        move by at most ``folds`` observations, and scores with them.

        Each fold's covariance is the sample covariance of its fitting rows. A factor hedge
        (``risk_model``) is the exception: its fold problems use the model's forecast on
        the hedge date, estimated with data up to that date, so its scores are not out of
        sample in the same strict sense.
        """
        metric = HedgeMetric(metric)
        prep = self._prepare()
        grid, best_params = self._grid(prep, lasso_weights, ridge_weights, metric, folds, progress)
        best = PerformanceHedge(best_params, self._market(), risk_model=self.risk_model).calculate()
        return GridSearchResult(best=best, parameters=best_params, grid=grid, metric=metric)

    def grid_weights(
        self,
        lasso_weights: Sequence[float] = (0.0, 0.01, 0.1, 1.0),
        ridge_weights: Sequence[float] = (0.0, 0.01, 0.1, 1.0),
        *,
        metric: HedgeMetric | str = HedgeMetric.TRACKING_ERROR,
        folds: int = 4,
    ) -> tuple[pd.Series, PerformanceHedgeParameters]:
        """:meth:`grid_search` without the result tables: the chosen pair's hedge weights
        (as :meth:`weights`) and its parameters. For walk-forward engines."""
        prep = self._prepare()
        _, best_params = self._grid(
            prep, lasso_weights, ridge_weights, HedgeMetric(metric), folds, None
        )
        w, _ = self._solve(prep, best_params, rows=None)
        out = pd.Series(w, index=pd.Index(prep.candidate_returns.columns, name="ticker"))
        return out[out > 1e-10].rename("weight"), best_params

    def _grid(
        self,
        prep: _Prepared,
        lasso_weights: Sequence[float],
        ridge_weights: Sequence[float],
        metric: HedgeMetric,
        folds: int,
        progress: Callable[[int, int], None] | None,
    ) -> tuple[pd.DataFrame, PerformanceHedgeParameters]:
        """Score every (lasso, ridge) pair out of fold; the grid and the best pair."""
        splits = _walk_forward_folds(len(prep.target_returns), folds)
        pairs = [(float(a), float(b)) for a in lasso_weights for b in ridge_weights]
        # one problem per fold (its covariance), the pair's penalties set on it
        plain = self.parameters.replace(lasso_weight=0.0, ridge_weight=0.0)
        fold_problems: dict[int, TrackingProblem] = {}
        h = self.parameters.stock_budget
        regularise = self.parameters.hedge_method is not HedgeMethod.NLP
        rows = []
        for i, (lasso, ridge) in enumerate(pairs):
            oof_target, oof_hedge, costs = [], [], []
            for k, (fit, test) in enumerate(splits):
                if k not in fold_problems:
                    fold_problems[k] = self._problem(prep, plain, fit)
                problem = fold_problems[k]
                if regularise:
                    # the scale of _problem: the candidates' mean variance
                    scale = float(np.mean(np.diag(problem.covariance)))
                    problem = replace(
                        problem, ridge=ridge * scale / max(h, 1e-12) ** 2, lasso=lasso * scale
                    )
                try:
                    w = solve_tracking(problem, method="fast").weights
                except InfeasibleError:
                    break
                R = prep.candidate_returns.to_numpy()
                oof_target.append(prep.target_returns.to_numpy()[test])
                oof_hedge.append(R[test] @ w)
                costs.append(self._cost_rate(prep, w))
            if len(oof_target) < folds:
                rows.append({"lasso_weight": lasso, "ridge_weight": ridge, "score": np.nan})
                continue
            tgt, hed = np.concatenate(oof_target), np.concatenate(oof_hedge)
            ppy = prep.sampling.periods_per_year
            te = annualized_volatility(tgt - hed, ppy)
            row = {
                "lasso_weight": lasso,
                "ridge_weight": ridge,
                "tracking_error": te,
                "correlation": correlation(tgt, hed),
                "r_squared": r_squared(tgt, hed),
                "cost": te + float(np.mean(costs)),
            }
            row["score"] = row[metric.value]
            rows.append(row)
            if progress is not None:
                progress(i + 1, len(pairs))
        grid = pd.DataFrame(rows)
        valid = grid.dropna(subset=["score"])
        if valid.empty:
            raise InfeasibleError("no (lasso, ridge) pair gave a feasible hedge in every fold")
        higher = metric in (HedgeMetric.CORRELATION, HedgeMetric.R_SQUARED)
        best_row = valid.iloc[
            int(np.argmax(valid["score"]) if higher else np.argmin(valid["score"]))
        ]
        best_params = self.parameters.replace(
            lasso_weight=float(best_row["lasso_weight"]),
            ridge_weight=float(best_row["ridge_weight"]),
        )
        return grid, best_params

    # ------------------------------------------------------------------ preparation
    def _market(self) -> MarketData:
        if self.market is None:
            # the process's market of the default store: opened once, reused until the
            # store changes (hedges in a loop pay the opening once)
            self.market = shared_market()
        return self.market

    def _prepare(self) -> _Prepared:
        p = self.parameters
        p.validate()
        market = self._market()
        ps = p.initial_portfolio
        view = market.as_of(ps.timestamp)
        sampling = p.sampling

        # positions, priced at the hedge date (one row per security)
        portfolio, merged = price_portfolio(market, view, ps)
        notional = float(portfolio["notional"].sum())

        # observation window
        start = (
            pd.Timestamp(p.observation_start_date)
            if p.observation_start_date is not None
            else view.date - pd.DateOffset(years=1)
        )
        pos_rets = view.returns(list(portfolio.index), start=start, sampling=sampling)
        if len(pos_rets) < _MIN_OBSERVATIONS:
            raise InsufficientHistoryError(
                f"only {len(pos_rets)} {sampling.value} returns from {start:%Y-%m-%d} to "
                f"{view.date:%Y-%m-%d}; {_MIN_OBSERVATIONS} needed: start earlier or sample "
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
        uni = self._universe(market, view, start, sampling)
        filt = copy.deepcopy(uni.filters)
        if p.exclude_target_assets:
            own = set()
            for t in portfolio.index:
                own |= set(market.share_classes.get(t, frozenset({t})))
            filt.drop("target assets and their share classes", own)
        incomplete = uni.returns.reindex(pos_rets.index).notna().all()
        filt.keep("incomplete history in the window", incomplete)
        forecast = None
        if p.hedge_method is HedgeMethod.FACTOR:
            forecast = self._risk_forecast(market, view, list(portfolio.index))
            known = forecast.exposures.index
            outside = [t for t in portfolio.index if t not in known]
            if outside:
                raise DataError(
                    f"{', '.join(outside)} not in the risk model on {view.date:%Y-%m-%d} (it "
                    "covers the index members trading that day); use method='returns'"
                )
            inside = pd.Series(pd.Index(filt.names).isin(known), index=filt.names)
            filt.keep("not in the risk model on the hedge date", inside)
        semantic = None
        if p.hedge_method in (HedgeMethod.NLP, HedgeMethod.HYBRID):
            semantic = self._semantic(market, view, portfolio["weight"], filt)
        names = filt.names
        if not names:
            raise InfeasibleError(f"no hedge candidates: {filt.describe()}")
        cand_rets = uni.returns.reindex(pos_rets.index)[names]
        sec = uni.securities.reindex(names)
        adv_usd = uni.adv_usd.reindex(names)
        close = uni.close.reindex(names)
        adv_shares = adv_usd / close
        daily_vol = uni.daily_vol.reindex(names)
        borrow = uni.borrow_bps.reindex(names)
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
                prior = self._risk_forecast(market, view, list(portfolio.index))
            complete, Sigma, n_rows = self._joint_fit(
                market,
                view,
                estimator,
                sampling,
                target_returns,
                portfolio,
                uni.filters.names,
                prior,
            )
            short_history = [n for n in names if n not in complete]
            if short_history:
                filt.drop("incomplete history in the estimator's lookback", short_history)
        floor = p.min_weight / 100.0 * H
        # w_i is 0 or >= min_weight: a name capped below min_weight cannot be held
        low = upper < floor if floor > 0 else np.zeros(len(names), dtype=bool)
        if low.any():
            filt.drop(
                "weight cap below min_weight", [n for n, x in zip(names, low, strict=True) if x]
            )
        drop = low | pd.Index(names).isin(short_history)
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
        groups = self._groups(market, view, sec, names, H)
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
        return _Prepared(
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
            semantic=None if semantic is None else semantic.reindex(names),
            moments=moments,
            merged=merged or None,
        )

    def _joint_fit(
        self,
        market: MarketData,
        view: PointInTimeData,
        estimator: Any,
        sampling: Sampling,
        target_returns: pd.Series,
        portfolio: pd.DataFrame,
        pool: list[str],
        prior: RiskForecast | None = None,
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
        for the others.
        """
        window = len(target_returns)
        lookback = lookback_of(estimator)
        positions = list(portfolio.index)
        if lookback is None or lookback <= window:
            n = window if lookback is None else int(lookback)
            rows = target_returns.index[-n:]
        else:
            cal = market.calendar
            pos = int(cal.searchsorted(view.date, side="right"))
            per = {Sampling.DAILY: 1, Sampling.WEEKLY: 5, Sampling.MONTHLY: 21}[sampling]
            first = pd.Timestamp(cal[max(pos - lookback * per - per, 0)])
            pos_rets = view.returns(positions, start=first, sampling=sampling).iloc[-lookback:]
            # the longest recent run on which every position has a return (at least the
            # observation window, which is complete)
            gaps = np.flatnonzero(~pos_rets.notna().all(axis=1).to_numpy())
            if len(gaps):
                pos_rets = pos_rets.iloc[gaps[-1] + 1 :]
            rows = pos_rets.index if len(pos_rets) >= window else target_returns.index
        stocks = list(dict.fromkeys([*pool, *positions]))
        model_key = None
        if prior is not None:
            model_key = (
                prior.exposures_date,
                float(prior.factor_covariance.to_numpy().sum()),
                float(prior.specific_risk.sum()),
            )
        key = repr(
            (view.date, sampling.value, rows[0], len(rows), tuple(stocks), estimator, model_key)
        )
        hit = market.cache.get("estimate", key)
        if hit is None:
            rets = view.returns(stocks, start=rows[0], sampling=sampling).reindex(rows)
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
        self,
        market: MarketData,
        view: PointInTimeData,
        weights: pd.Series,
        filt: CandidateFilter,
    ) -> pd.DataFrame:
        """Keep the candidates whose descriptions are nearest the portfolio's (the weighted
        mean of its positions' unit vectors); returns their similarity and look-ahead flag."""
        p = self.parameters
        index = self._text_index(market, view)
        outside = [t for t in weights.index if t not in index]
        if outside:
            raise DataError(
                f"{', '.join(outside)} has no business description in the store; use "
                "method='returns' or import descriptions (hedgekit data import-table)"
            )
        query = sum(float(w) * index.vector(t) for t, w in weights.items())
        sims = index.similarities(np.asarray(query)).reindex(filt.names)
        filt.keep("no business description", sims.notna())
        k = (p.max_names or 10) if p.hedge_method is HedgeMethod.NLP else p.semantic_candidates
        top = sims.reindex(filt.names).nlargest(k).index
        filt.keep(
            "not among the nearest semantic neighbours",
            pd.Series(pd.Index(filt.names).isin(top), index=filt.names),
        )
        look = index.look_ahead.reindex(top).fillna(False).astype(bool)
        return pd.DataFrame({"similarity": sims.reindex(top), "look_ahead": look})

    def _text_index(self, market: MarketData, view: PointInTimeData) -> Any:
        """Embedding index of the descriptions known on the hedge date (a later vintage,
        flagged, for companies with none yet), cached on the market per date and backend."""
        from hedgekit.text import EmbeddingIndex

        key = (self.parameters.embedder, view.date)
        return market.cache.get_or_compute(
            "text_index",
            key,
            lambda: EmbeddingIndex.from_market(
                market, view.date, embedder=self.parameters.embedder, allow_later=True
            ),
        )

    def _risk_forecast(
        self, market: MarketData, view: PointInTimeData, positions: list[str]
    ) -> RiskForecast:
        """The risk model's forecast on the hedge date (exposures computed on that date)."""
        date = view.date

        def covers(model: FactorRiskModel) -> bool:
            idx = model.factor_returns_.index
            return bool(idx[-1] >= date and (idx <= date).sum() >= _RISK_MODEL_MIN_DAYS)

        model = self.risk_model
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
            model = self._stored_risk_model(market, date, covers)
            self.risk_model = model
        # positions outside the index join the model's cross-section on the date
        return model.forecast(date, market, include=positions)

    @staticmethod
    def _stored_risk_model(
        market: MarketData, date: pd.Timestamp, covers: Callable[[FactorRiskModel], bool]
    ) -> FactorRiskModel:
        """The store's risk model for a hedge on ``date``: the kept default model (the one
        `hedgekit risk build` makes, built here once and kept in the data home when there is
        none), or, for a date before its reach, a model of the three years before the date
        (not kept). A model that runs past ``date`` is point in time: its forecast on
        ``date`` reads days up to it only."""
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
        start = date - pd.DateOffset(years=_RISK_MODEL_YEARS)
        logger.info(
            "fitting a risk model %s..%s for the factor hedge (the date is before the "
            "default model's reach)",
            f"{start:%Y-%m-%d}",
            f"{date:%Y-%m-%d}",
        )
        return FactorRiskModel(start, date).fit(market)

    def _universe(
        self, market: MarketData, view: PointInTimeData, start: pd.Timestamp, sampling: Sampling
    ) -> _Universe:
        """Candidates and their data on the hedge date, before any position-specific filter;
        cached on ``market`` (a backtest hedges many targets on one date)."""
        p = self.parameters
        esg = p.constraints.esg if p.constraints is not None else ()
        key = repr(
            (
                view.date,
                start,
                sampling.value,
                p.universe,
                p.explode_universe,
                p.exclusions,
                p.exclude_restricted_assets,
                p.exclude_hard_to_borrow_assets,
                p.exclude_corporate_actions_types,
                p.min_market_cap,
                p.max_market_cap,
                tuple(c.constraint_name for c in esg),
                p.default_borrow_cost_bps,
            )
        )
        hit = market.cache.get("hedge_universe", key)
        if hit is not None:
            return hit
        universe = explode_universe(market, view, p.universe, p.explode_universe)
        have = market.priced_tickers
        filt = CandidateFilter([t for t in universe if t in have])
        filt.drop("no price history", [t for t in universe if t not in have])
        sec = view.securities(filt.names)
        ex = p.exclusions
        if ex is not None and ex.countries:
            require_known("country", ex.countries, [*COUNTRIES, *sec["country"].dropna()])
        if ex is not None and ex.regions:
            require_known("region", ex.regions, [*REGIONS, *sec["region"].dropna()])
        if p.exclude_corporate_actions_types:
            in_store = market.store.read("corporate_actions")["action_type"].dropna()
            require_known(
                "corporate-action type",
                [canonical_action_type(t) for t in p.exclude_corporate_actions_types],
                [*ACTION_TYPES, *map(canonical_action_type, in_store)],
            )
        if ex is not None:
            if ex.assets:
                filt.drop("excluded assets", market.resolve_many(ex.assets, view.date))
            if ex.countries:
                filt.drop("excluded countries", sec.index[text_match(sec["country"], ex.countries)])
            if ex.regions:
                filt.drop("excluded regions", sec.index[text_match(sec["region"], ex.regions)])
            if ex.sectors:
                filt.drop(
                    "excluded sectors",
                    sec.index[match_labels(sec["gics_sector"], ex.sectors, "sector")],
                )
            if ex.industries:
                filt.drop("excluded industries", sec.index[any_industry(sec, ex.industries)])
        if p.exclude_restricted_assets:
            filt.drop("restricted list", view.restricted())
        htb = view.hard_to_borrow()
        if p.exclude_hard_to_borrow_assets:
            filt.drop("hard-to-borrow list", htb.index)
        if p.exclude_corporate_actions_types:
            events = view.corporate_actions(p.exclude_corporate_actions_types, pending_only=True)
            filt.drop("pending corporate actions", events["ticker"])
        filt.drop("no price on the hedge date", set(filt.names) - set(view.tradable(filt.names)))
        if p.min_market_cap is not None or p.max_market_cap is not None:
            caps = view.market_cap(filt.names)["market_cap"]
            filt.keep("market cap unknown", finite(caps))
            lo = p.min_market_cap if p.min_market_cap is not None else -np.inf
            hi = p.max_market_cap if p.max_market_cap is not None else np.inf
            filt.keep("outside the market-cap bounds", (caps >= lo) & (caps <= hi))
        adv_usd = view.adv(filt.names, window=_ADV_WINDOW)
        filt.keep("no 20-day volume", finite(adv_usd) & (adv_usd > 0))
        scores = {}
        for c in esg:
            s = view.scores(c.constraint_name)
            scores[c.constraint_name] = s
            filt.keep(f"no {c.constraint_name} score", finite(s.reindex(filt.names)))
        names = filt.names
        daily = view.returns(names, window=63)
        vol = daily.std(ddof=1)
        borrow = pd.Series(p.default_borrow_cost_bps, index=pd.Index(names), dtype="float64")
        borrow.update(htb.reindex(names).dropna())
        uni = _Universe(
            filters=filt,
            returns=view.returns(names, start=start, sampling=sampling),
            securities=sec.reindex(names),
            adv_usd=adv_usd.reindex(names),
            close=view.last_prices(names, field="close"),
            daily_vol=vol.fillna(vol.median()),
            borrow_bps=borrow,
            scores=scores,
        )
        market.cache.put("hedge_universe", key, uni)
        return uni

    def _groups(
        self,
        market: MarketData,
        view: PointInTimeData,
        sec: pd.DataFrame,
        names: list[str],
        H: float,
    ) -> tuple[GroupBound, ...]:
        cons = self.parameters.constraints
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

    # ------------------------------------------------------------------ solving
    def _problem(
        self, prep: _Prepared, params: PerformanceHedgeParameters, rows: np.ndarray | None
    ) -> TrackingProblem:
        R = prep.candidate_returns.to_numpy()
        r = prep.target_returns.to_numpy()
        if rows is not None:
            R, r = R[rows], r[rows]
        h = params.stock_budget
        H = params.hedge_ratio
        ppy = prep.sampling.periods_per_year
        mu = R.mean(axis=0)
        dev = params.max_return_deviation / 100.0
        a_rows = [ppy * mu, -ppy * mu]
        b_rows = [dev + ppy * r.mean(), dev - ppy * r.mean()]
        band = f"max_return_deviation={params.max_return_deviation}%"
        ub_names = [
            f"{band} (hedge return above the portfolio's)",
            f"{band} (hedge return below the portfolio's)",
        ]
        for name, score, lo, hi in prep.esg_rows:
            a_rows += [score, -score]
            b_rows += [hi * h, -lo * h]
            ub_names += [f"esg {name} <= {hi}", f"esg {name} >= {lo}"]
        constraints: dict[str, Any] = {
            "budget": h,
            "upper": prep.upper,
            "min_weight": params.min_weight / 100.0 * H,
            "max_names": params.max_names,
            "groups": prep.groups,
            "A_ub": np.vstack(a_rows),
            "b_ub": np.asarray(b_rows),
            "ub_names": ub_names,
            "asset_names": list(prep.candidate_returns.columns),
        }
        if params.hedge_method is HedgeMethod.NLP:
            # the study's hedge: equal weights on the nearest neighbours, i.e. the feasible
            # weights closest to h / n each (identical unless a cap or a band binds)
            # caps, groups and ESG bounds hold; the return-deviation band does not (the
            # basket is fixed by the text, not fitted to the window's returns)
            n = len(prep.candidate_returns.columns)
            eq = np.full(n, h / n)
            constraints["A_ub"] = constraints["A_ub"][2:] if len(b_rows) > 2 else None
            constraints["b_ub"] = constraints["b_ub"][2:] if len(b_rows) > 2 else None
            constraints["ub_names"] = ub_names[2:] if len(b_rows) > 2 else None
            return TrackingProblem(np.eye(n), eq, float(eq @ eq), **constraints)
        if prep.forecast is not None:
            # factor hedge: the model's covariance on the hedge date (window rows unused)
            B, F, spec, b, target_spec, cross = self._factor_terms(prep)
            D = spec**2
            scale = float(np.mean(np.einsum("ij,jk,ik->i", B, F, B) + D))
            return TrackingProblem.from_factor_model(
                B,
                F,
                D,
                b,
                target_spec,
                cross,
                ridge=params.ridge_weight * scale / max(h, 1e-12) ** 2,
                lasso=params.lasso_weight * scale,
                **constraints,
            )
        if rows is None and prep.moments is not None:
            m = prep.moments
            scale = float(np.mean(np.diag(m.covariance)))
            return TrackingProblem(
                m.covariance,
                m.cross,
                m.target_variance,
                ridge=params.ridge_weight * scale / max(h, 1e-12) ** 2,
                lasso=params.lasso_weight * scale,
                **constraints,
            )
        scale = float(np.mean(R.var(axis=0, ddof=1)))
        return TrackingProblem.from_returns(
            R,
            r,
            ridge=params.ridge_weight * scale / max(h, 1e-12) ** 2,
            lasso=params.lasso_weight * scale,
            **constraints,
        )

    @staticmethod
    def _factor_terms(
        prep: _Prepared,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
        """Candidate loadings, factor covariance, specific vols, the portfolio's loadings
        and specific variance, and the specific covariance of each candidate with it."""
        fc = prep.forecast
        assert fc is not None
        names = list(prep.candidate_returns.columns)
        B = fc.exposures.loc[names].to_numpy(dtype="float64")
        spec = fc.specific_risk.loc[names].to_numpy(dtype="float64")
        wt = prep.portfolio["weight"]
        b = fc.exposures.loc[wt.index].to_numpy(dtype="float64").T @ wt.to_numpy()
        s_pos = fc.specific_risk.loc[wt.index].to_numpy(dtype="float64")
        target_spec = float(np.sum((wt.to_numpy() * s_pos) ** 2))
        # candidates held in the portfolio (exclude_target_assets=False) share its specific risk
        cross = wt.reindex(names).fillna(0.0).to_numpy() * spec**2
        return B, fc.factor_covariance.to_numpy(dtype="float64"), spec, b, target_spec, cross

    def _solve(
        self, prep: _Prepared, params: PerformanceHedgeParameters, rows: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        problem = self._problem(prep, params, rows)
        sol = solve_tracking(problem, method="fast")
        return sol.weights, {
            "optimizer_status": sol.status,
            "optimizer_seconds": sol.seconds,
            "optimizer_evaluations": sol.evaluations,
            "optimizer_method": sol.method,
        }

    def _cost_rate(self, prep: _Prepared, w: np.ndarray) -> float:
        """Annualised-equivalent cost of a hedge as a fraction of portfolio notional:
        one-off trading cost plus one year of borrow."""
        notional = w * prep.notional
        shares = notional / prep.prices.to_numpy()
        p = self.parameters
        c = trading_costs(
            shares,
            prep.prices.to_numpy(),
            prep.adv_shares.to_numpy(),
            prep.daily_vol.to_numpy(),
            half_spread_bps=p.half_spread_bps,
            impact_coefficient=p.impact_coefficient,
            participation_rate=p.market_participation_rate / 100.0,
        )
        held = w > 0
        trade = float(np.sum(c["cost_usd"][held]))
        borrow = float(np.sum(notional[held] * prep.borrow_bps.to_numpy()[held] / 1e4))
        return (trade + borrow) / prep.notional

    # ------------------------------------------------------------------ results
    def _result(
        self, prep: _Prepared, w: np.ndarray, info: dict[str, Any]
    ) -> PerformanceHedgeResult:
        p = self.parameters
        market = self._market()
        names = np.asarray(prep.candidate_returns.columns)
        held = np.flatnonzero(w > 1e-10)
        tickers = list(names[held])
        price = prep.prices.to_numpy()[held]
        target_notional = w[held] * prep.notional
        shares = _whole_shares(target_notional, price, prep.upper[held] * prep.notional)
        keep = shares > 0
        if not keep.any():
            raise ConfigurationError(
                f"a hedge of {p.hedge_ratio * prep.notional:,.2f} USD buys no whole share of "
                f"its basket ({', '.join(tickers)}); hedge a larger position"
            )
        tickers = [t for t, k in zip(tickers, keep, strict=True) if k]
        held, price, shares = held[keep], price[keep], shares[keep]
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
        realised = notional / prep.notional  # whole shares, per unit of portfolio notional
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
                "borrow_cost_bps": prep.borrow_bps.to_numpy()[held],
                "borrow_cost_usd": notional * prep.borrow_bps.to_numpy()[held] / 1e4,
                "adv_pct": 100.0 * notional / prep.adv_usd.to_numpy()[held],
                "days_to_trade": costs["days_to_trade"],
                "correlation": [correlation(R[:, i], r) for i in held],
                "tracking_error_contribution": contribution,
            },
            index=pd.Index(tickers, name="identifier"),
        ).sort_values("notional", ascending=False)

        # realised weights (whole shares) drive the reported statistics
        w_real = np.zeros(len(names))
        w_real[held] = notional / prep.notional
        in_rets = self._returns_frame(
            prep.target_returns, prep.candidate_returns, w_real, p.hedge_ratio, "in_sample"
        )
        frames = [in_rets]
        oos = self._out_of_sample(prep, w_real, market)
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
            "data_limits": list(market.limits),  # derived from the data by its checks
        }
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
        risk = self._risk_report(prep, w_real) if prep.forecast is not None else None
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
        params = {k: v for k, v in asdict(p).items() if k not in ("initial_portfolio", "estimator")}
        params["estimator"] = p.estimator_name
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
            benchmarks=self._benchmark_growth(prep, pd.DatetimeIndex(returns.index), market),
        )

    @staticmethod
    def _benchmark_growth(
        prep: _Prepared, dates: pd.DatetimeIndex, market: MarketData
    ) -> pd.DataFrame | None:
        """Growth of 1 of SPY and the sector fund of the portfolio's largest sector over
        the backtest's dates (the window, then out of sample: evaluation only), the first
        value the growth over the first period; None when the data holds neither."""
        if not len(dates):
            return None
        sectors = prep.view.securities(list(prep.portfolio.index))["gics_sector"]
        weight = prep.portfolio["weight"].groupby(sectors.reindex(prep.portfolio.index)).sum()
        by_sector = {v: k for k, v in SECTOR_ETFS.items()}
        funds = ["SPY"]
        if len(weight) and weight.idxmax() in by_sector:
            funds.append(by_sector[str(weight.idxmax())])
        last = market.as_of(dates[-1])  # out-of-sample dates are evaluation only
        px = last.benchmark_prices(funds, dates[0] - pd.Timedelta(days=14), dates[-1])
        px = px.dropna(axis=1, how="all")
        if px.empty:
            return None
        base = px.loc[px.index < dates[0]].ffill()
        if base.empty:
            return None
        growth = px.reindex(px.index.union(dates)).ffill().reindex(dates) / base.iloc[-1]
        return growth.rename(columns=lambda c: str(c))

    def _risk_report(self, prep: _Prepared, w: np.ndarray) -> dict[str, Any]:
        """Predicted exposures and risk of portfolio, hedge and hedged portfolio under the
        risk model (per unit of portfolio notional, annualised)."""
        fc = prep.forecast
        assert fc is not None and self.risk_model is not None
        B, F, spec, b, target_spec, _ = self._factor_terms(prep)
        h = B.T @ w
        hedged = b - h
        wt = prep.portfolio["weight"]
        names = list(prep.candidate_returns.columns)
        net = pd.Series(0.0, index=pd.Index(list(dict.fromkeys([*wt.index, *names]))))
        net[wt.index] += wt.to_numpy()
        net[names] -= w
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
        exposures = pd.DataFrame(
            {"portfolio": b, "hedge": h, "hedged": hedged},
            index=fc.exposures.columns.rename("factor"),  # a new index: the forecast is shared
        )
        fb, fh = float(b @ F @ b), float(h @ F @ h)
        model = self.risk_model
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

    @staticmethod
    def _returns_frame(
        target: pd.Series, candidates: pd.DataFrame, w: np.ndarray, H: float, sample: str
    ) -> pd.DataFrame:
        held = np.flatnonzero(w)  # the held columns only: no copy of the whole panel
        hedge_pnl = candidates.iloc[:, held].to_numpy() @ w[held]
        return pd.DataFrame(
            {
                "portfolio": target.to_numpy(),
                "hedge": hedge_pnl / H,
                "hedged": target.to_numpy() - hedge_pnl,
                "sample": sample,
            },
            index=target.index,
        )

    def _out_of_sample(
        self, prep: _Prepared, w: np.ndarray, market: MarketData
    ) -> pd.DataFrame | None:
        """Returns after the hedge date, with weights held constant (rebalanced each period)."""
        days = self.parameters.out_of_sample_days
        after = market.calendar[market.calendar > prep.view.date]
        if days == 0 or len(after) < 5:
            return None
        end = after[min(days, len(after)) - 1]
        later = market.as_of(end)  # deliberately after the hedge date: evaluation only
        names = list(prep.candidate_returns.columns)
        held = [n for n, x in zip(names, w, strict=True) if x > 0]
        tick = list(prep.portfolio.index)
        rets = later.returns(
            list(dict.fromkeys(tick + held)), start=after[0], sampling=prep.sampling
        ).fillna(0.0)
        if len(rets) < 2:
            return None
        target = rets[tick].to_numpy() @ prep.portfolio["weight"].to_numpy()
        cand = rets.reindex(columns=names, fill_value=0.0)
        return self._returns_frame(
            pd.Series(target, index=rets.index),
            cand,
            w,
            self.parameters.hedge_ratio,
            "out_of_sample",
        )


#: fewest observations in a grid-search test block
_MIN_FOLD_PERIODS = 5


def _walk_forward_folds(n: int, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(fit rows, test rows)`` of the grid search's folds: ``TimeSeriesSplit(folds)`` over
    ``n`` observations (expanding fit window, each test block right after it)."""
    if isinstance(folds, bool) or not isinstance(folds, int | np.integer) or folds < 2:
        raise ConfigurationError(f"folds={folds!r}: use at least 2 walk-forward folds")
    if n // (folds + 1) < _MIN_FOLD_PERIODS:
        raise InsufficientHistoryError(
            f"{n} observations cannot make {folds} walk-forward folds of >= "
            f"{_MIN_FOLD_PERIODS} periods; use fewer folds, a longer window or a shorter "
            "sampling period"
        )
    from sklearn.model_selection import TimeSeriesSplit  # a grid search only

    return list(TimeSeriesSplit(n_splits=int(folds)).split(np.arange(n)))


def _leg_stats(
    part: pd.DataFrame,
    col: str,
    ppy: int,
    constituents: pd.DataFrame,
    cost_usd: float,
    hedge_notional: float,
) -> dict[str, float]:
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


@dataclass(frozen=True)
class GridSearchResult:
    """Outcome of :meth:`PerformanceHedge.grid_search`: the refitted best hedge and the grid."""

    best: PerformanceHedgeResult
    parameters: PerformanceHedgeParameters
    grid: pd.DataFrame
    metric: HedgeMetric
