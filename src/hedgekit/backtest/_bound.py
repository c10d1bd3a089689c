"""The perfect-foresight bound: the best basket in hindsight, to measure methods against.

For each (target, rebalance date) the bound is the min-tracking-error basket fitted on the
holding period's own daily returns, with the methods' ``max_names`` and ``max_weight``
and a 100% hedge. No hedge built on the rebalance date can track the target better over
that hold with a basket of that size (up to the solver's heuristic), so the share of the
bound's variance reduction a method captures says how much of the attainable risk
reduction it found. The bound looks ahead **on purpose**; it is evaluation only and is
never registered as a hedge method.
"""

from __future__ import annotations

import pandas as pd

from hedgekit.backtest._methods import BacktestSettings, Hedge
from hedgekit.optimize import TrackingProblem, TrackingSolution, solve_tracking

__all__ = ["perfect_foresight_hedge", "perfect_foresight_solution"]


def perfect_foresight_solution(
    candidates: pd.DataFrame, target: pd.Series, settings: BacktestSettings
) -> TrackingSolution:
    """Solve the hindsight tracking problem over a hold.

    Parameters
    ----------
    candidates : DataFrame of shape (n_days, n_candidates)
        Daily returns of the candidates over the hold (after the rebalance date:
        evaluation only); a missing return counts as 0.
    target : Series of shape (n_days,)
        The target's daily returns over the same days; a missing return counts as 0.
    settings : BacktestSettings
        ``max_names`` and ``max_weight`` (percent) bound the basket.

    Returns
    -------
    TrackingSolution
        Of ``TrackingProblem.from_returns(candidates, target, budget=1.0,
        upper=max_weight / 100, max_names=max_names)``.

    Raises
    ------
    ConfigurationError, InfeasibleError
        Fewer than two days, or too few candidates for a 100% hedge under the cap.
    """
    R = candidates.fillna(0.0)
    r = target.reindex(R.index).fillna(0.0).to_numpy(dtype="float64")
    problem = TrackingProblem.from_returns(
        R,
        r,
        budget=1.0,
        upper=settings.max_weight / 100.0,
        max_names=settings.max_names,
    )
    return solve_tracking(problem)


def perfect_foresight_hedge(
    candidates: pd.DataFrame, target: pd.Series, settings: BacktestSettings
) -> Hedge:
    """The bound's basket as a :class:`Hedge` (its non-zero weights, in candidate order).

    Parameters and errors are those of :func:`perfect_foresight_solution`.
    """
    solution = perfect_foresight_solution(candidates, target, settings)
    names = candidates.columns[solution.support]
    weights = pd.Series(
        solution.weights[solution.support], index=pd.Index(names, name="ticker"), dtype="float64"
    )
    return Hedge(
        stocks=weights,
        note=f"perfect foresight (fitted on the hold's own returns): {solution.status}",
    )
