"""``PerformanceHedge``: the Performance Hedger, point in time.

``PerformanceHedge(parameters).calculate()`` validates the parameters, asks the data
layer for what was known at the hedge date (:mod:`._prepare`), builds the tracking
problem and solves it (:mod:`._problem`, where the objective and constraints are written
out) and returns an immutable :class:`PerformanceHedgeResult` (:mod:`._assemble`). The
grid search of the penalty weights is in :mod:`._grid`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hedgekit._cancel import checkpoint
from hedgekit.data import MarketData, shared_market
from hedgekit.hedge._assemble import assemble_result
from hedgekit.hedge._grid import GridSearchResult, grid_scores
from hedgekit.hedge._parameters import HedgeMetric, PerformanceHedgeParameters
from hedgekit.hedge._prepare import Prepared, prepare
from hedgekit.hedge._problem import solve_hedge
from hedgekit.hedge._rebalance import (
    current_hedge,
    rebalance_weights,
    trade_shares,
    trades_table,
    turnover_frontier,
)
from hedgekit.hedge._result import PerformanceHedgeResult

if TYPE_CHECKING:  # the risk package (scikit-learn) loads with the first factor hedge
    from hedgekit.risk import FactorRiskModel

__all__ = ["PerformanceHedge"]


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
        checkpoint()  # each stage starts only if the caller has not cancelled
        prep = self._prepare()
        checkpoint()
        if self.parameters.current_hedge is not None:
            return self._rebalance(prep, t0)
        weights, info = solve_hedge(prep, self.parameters)
        info["seconds_total"] = time.perf_counter() - t0
        checkpoint()
        return assemble_result(prep, self.parameters, self._market(), weights, info)

    def turnover_frontier(self, levels: Sequence[float] | None = None) -> pd.DataFrame:
        """In-sample tracking error against turnover of the rebalance of ``current_hedge``,
        one row per turnover cap in ``levels`` (percent of the hedge notional; default 0,
        5, 10, 20, 30, 50, 75, 100, 150, 200) and a last row without a cap; ``max_trades``
        and every other parameter as given. Columns ``max_turnover``, ``turnover``,
        ``tracking_error`` (annualised, over the observation window, weights before
        rounding), ``trades``, ``names``, ``hedge_ratio``; NaN for a cap no hedge meets.

        Raises
        ------
        ConfigurationError
            The parameters have no ``current_hedge``.
        """
        from hedgekit._errors import ConfigurationError

        if self.parameters.current_hedge is None:
            raise ConfigurationError(
                "the turnover frontier is a rebalance's: give current_hedge (the hedge held now)"
            )
        prep = self._prepare()
        cur = current_hedge(prep, self.parameters, self._market())
        return turnover_frontier(prep, self.parameters, cur, levels)

    def _rebalance(self, prep: Prepared, t0: float) -> PerformanceHedgeResult:
        """The rebalance of ``current_hedge``: new weights within the limits, whole-share
        trades that keep them, the result with its trades table."""
        import dataclasses

        p = self.parameters
        cur = current_hedge(prep, p, self._market())
        weights, info = rebalance_weights(prep, p, cur)
        limited = p.max_turnover is not None or p.max_trades is not None
        shares = trade_shares(prep, p, cur, weights) if limited else None
        info["seconds_total"] = time.perf_counter() - t0
        result = assemble_result(prep, p, self._market(), weights, info, shares)
        names = list(prep.candidate_returns.columns)
        cons = result.constituents
        hedge_side = "short" if prep.book_side > 0 else "long"
        signed = cons["shares"] * np.where(cons["side"] == hedge_side, 1.0, -1.0)
        held = signed.reindex(names).fillna(0.0).to_numpy()
        trades = trades_table(prep, p, cur, held)
        turnover = 100.0 * float(trades["notional"].sum()) / (p.hedge_ratio * prep.notional)
        summary = {
            "current_hedge": {str(t): float(q) for t, q in cur.shares.items()},
            "max_turnover": p.max_turnover,
            "max_trades": p.max_trades,
            "turnover_pct": turnover,
            "trades": len(trades),
            "cost_usd": float(trades["cost_usd"].sum()),
            "current_notional": cur.total_weight * prep.notional,
            "sold_not_eligible": dict(cur.sold),
        }
        warnings = list(result.diagnostics.get("warnings", []))
        side_sign = np.where(cons["side"] == hedge_side, 1.0, -1.0)
        ratio = float((cons["notional"] * side_sign).sum()) / prep.notional
        if abs(ratio - p.stock_budget) > 0.01 * p.hedge_ratio:
            warnings.append(
                f"the rebalance leaves the hedge at {ratio:.1%} of the portfolio (target "
                f"{p.stock_budget:.1%}): the turnover or trade limit reaches no further"
            )
        above = [
            t for t, w0, cap in zip(names, cur.weights, prep.upper, strict=True)
            if limited and abs(w0) > cap * (1 + 1e-9)
        ]  # fmt: skip
        if above:
            warnings.append(
                f"{', '.join(above)} held above their weight cap may stay there: a rebalance "
                "does not have to trade to cure a limit the current hedge breaks"
            )
        diagnostics = {**result.diagnostics, "rebalance": summary}
        if warnings:
            diagnostics["warnings"] = warnings
        return dataclasses.replace(result, trades=trades, diagnostics=diagnostics)

    def weights(self) -> pd.Series:
        """The optimal basket only: weights per unit of portfolio notional (before rounding
        to whole shares), without statistics or backtests. For walk-forward engines that
        simulate the holding themselves."""
        checkpoint()
        prep = self._prepare()
        checkpoint()
        w, _ = solve_hedge(prep, self.parameters)
        out = pd.Series(w, index=pd.Index(prep.candidate_returns.columns, name="ticker"))
        return out[out.abs() > 1e-10].rename("weight")

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
        grid, best_params = grid_scores(
            prep, self.parameters, lasso_weights, ridge_weights, metric, folds, progress
        )
        best = PerformanceHedge(best_params, self._market(), risk_model=self.risk_model).calculate()
        return GridSearchResult(best=best, parameters=best_params, grid=grid, metric=metric)

    def grid_weights(
        self,
        lasso_weights: Sequence[float] = (0.0, 0.01, 0.1, 1.0),
        ridge_weights: Sequence[float] = (0.0, 0.01, 0.1, 1.0),
        *,
        metric: HedgeMetric | str = HedgeMetric.TRACKING_ERROR,
        folds: int = 4,
        solved: Mapping[PerformanceHedgeParameters, pd.Series] | None = None,
    ) -> tuple[pd.Series, PerformanceHedgeParameters]:
        """:meth:`grid_search` without the result tables: the chosen pair's hedge weights
        (as :meth:`weights`) and its parameters. For walk-forward engines.

        ``solved`` maps parameters to what :meth:`weights` returned for them on the same
        market (and risk model): when the chosen pair's parameters are a key, that basket
        is the refit (the same problem), and it is not solved again."""
        prep = self._prepare()
        _, best_params = grid_scores(
            prep, self.parameters, lasso_weights, ridge_weights, HedgeMetric(metric), folds
        )
        try:
            known = None if solved is None else solved.get(best_params)
        except TypeError:  # unhashable parameters (an estimator object): nothing to reuse
            known = None
        if known is not None:
            return known, best_params
        w, _ = solve_hedge(prep, best_params)
        out = pd.Series(w, index=pd.Index(prep.candidate_returns.columns, name="ticker"))
        return out[out.abs() > 1e-10].rename("weight"), best_params

    # ------------------------------------------------------------------ preparation
    def _market(self) -> MarketData:
        if self.market is None:
            # the process's market of the default store: opened once, reused until the
            # store changes (hedges in a loop pay the opening once)
            self.market = shared_market()
        return self.market

    def _prepare(self) -> Prepared:
        """Validate the parameters, then gather the hedge's inputs on its date; a risk model
        loaded or fitted on the way is kept for the next hedge of this instance."""
        self.parameters.validate()
        prep = prepare(self.parameters, self._market(), self.risk_model)
        self.risk_model = prep.risk_model
        return prep
