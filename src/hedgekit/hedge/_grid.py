"""Grid search of the concentration (lasso) and diversity (ridge) weights.

Every (lasso_weight, ridge_weight) pair is scored by walk-forward cross-validation:
scikit-learn's ``TimeSeriesSplit`` over the observation window, each fold fitted on the
rows before its test block and scored on the concatenated out-of-fold hedged returns
(see :meth:`PerformanceHedge.grid_search <hedgekit.hedge.PerformanceHedge.grid_search>`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hedgekit._cancel import checkpoint
from hedgekit._errors import ConfigurationError, InfeasibleError, InsufficientHistoryError
from hedgekit._progress import report_progress
from hedgekit.hedge._parameters import HedgeMethod, HedgeMetric, PerformanceHedgeParameters
from hedgekit.hedge._prepare import Prepared
from hedgekit.hedge._problem import cost_rate, tracking_problem
from hedgekit.hedge._result import PerformanceHedgeResult
from hedgekit.measures import annualized_volatility, correlation, r_squared
from hedgekit.optimize import TrackingProblem, solve_tracking

__all__ = ["GRID_STAGE", "GridSearchResult", "grid_scores"]

#: the progress stage of a grid search: (lasso, ridge) pairs scored of the grid's
GRID_STAGE = "grid search: (lasso, ridge) pairs"


@dataclass(frozen=True)
class GridSearchResult:
    """Outcome of :meth:`PerformanceHedge.grid_search`: the refitted best hedge and the grid."""

    best: PerformanceHedgeResult
    parameters: PerformanceHedgeParameters
    grid: pd.DataFrame
    metric: HedgeMetric


def grid_scores(
    prep: Prepared,
    parameters: PerformanceHedgeParameters,
    lasso_weights: Sequence[float],
    ridge_weights: Sequence[float],
    metric: HedgeMetric,
    folds: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, PerformanceHedgeParameters]:
    """Score every (lasso, ridge) pair out of fold.

    Parameters
    ----------
    prep : Prepared
        The hedge's inputs.
    parameters : PerformanceHedgeParameters
        The hedge's parameters; the pairs replace their lasso and ridge weights.
    lasso_weights, ridge_weights : sequence of float
        The grid: every combination is scored.
    metric : HedgeMetric
        The score (tracking error and cost lower, correlation and R squared higher).
    folds : int
        Number of walk-forward folds.
    progress : callable, optional
        Called with (pairs done, pairs) after each feasible pair (also reported to
        :func:`hedgekit._progress.report_progress` listeners, stage ``GRID_STAGE``).

    Returns
    -------
    (DataFrame, PerformanceHedgeParameters)
        One row per pair (its measures and ``score``, NaN when a fold was infeasible),
        and the parameters with the best pair.
    """
    splits = _walk_forward_folds(len(prep.target_returns), folds)
    pairs = [(float(a), float(b)) for a in lasso_weights for b in ridge_weights]
    # one problem per fold (its covariance), the pair's penalties set on it
    plain = parameters.replace(lasso_weight=0.0, ridge_weight=0.0)
    fold_problems: dict[int, TrackingProblem] = {}
    h = parameters.stock_budget
    regularise = parameters.hedge_method is not HedgeMethod.NLP
    rows = []
    for i, (lasso, ridge) in enumerate(pairs):
        oof_target, oof_hedge, costs = [], [], []
        for k, (fit, test) in enumerate(splits):
            checkpoint()  # a cancelled caller stops between two fits
            if k not in fold_problems:
                fold_problems[k] = tracking_problem(prep, plain, fit)
            problem = fold_problems[k]
            if regularise:
                # the scale of tracking_problem: the candidates' mean variance
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
            costs.append(cost_rate(prep, parameters, w))
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
        report_progress(GRID_STAGE, i + 1, len(pairs))
        if progress is not None:
            progress(i + 1, len(pairs))
    grid = pd.DataFrame(rows)
    valid = grid.dropna(subset=["score"])
    if valid.empty:
        raise InfeasibleError("no (lasso, ridge) pair gave a feasible hedge in every fold")
    higher = metric in (HedgeMetric.CORRELATION, HedgeMetric.R_SQUARED)
    best_row = valid.iloc[int(np.argmax(valid["score"]) if higher else np.argmin(valid["score"]))]
    best_params = parameters.replace(
        lasso_weight=float(best_row["lasso_weight"]),
        ridge_weight=float(best_row["ridge_weight"]),
    )
    return grid, best_params


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
