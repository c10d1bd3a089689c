"""The tracking problem of a prepared hedge, its solution and its cost.

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
held names ``w_i >= min_weight% * H``; at most ``max_names`` names (at least
``min_names``, each then at least ``0.001 h`` when ``min_weight`` is 0); group bounds in percent
of the hedge notional; ``|ppy * (mean(R) w - mean(r_p))| <= max_return_deviation%`` with
``ppy`` periods per year (unhedged return gap); ESG bounds on the weighted-average score;
``factor_constraints`` bounds on the net exposure ``x_p - B'w`` to named factors.
Cash (``percentage_in_cash``) earns nothing and carries no risk.

With ``allow_long_short`` the weights take either sign (:mod:`._long_short`): ``|w_i|``
within the caps, ``sum(|w|) <= max_gross%`` and ``min_net% <= sum(w) <= max_net%``
replacing the budget. A net-short book is hedged as its sign-flipped (net-long) self, so
``r_p`` is the flipped book's return and the basket is bought.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgekit._cancel import checkpoint
from hedgekit._errors import InfeasibleError
from hedgekit.hedge._long_short import long_short_terms
from hedgekit.hedge._parameters import HedgeMethod, PerformanceHedgeParameters
from hedgekit.hedge._prepare import Prepared
from hedgekit.measures import annualized_volatility, trading_costs
from hedgekit.optimize import TrackingProblem, solve_tracking

if TYPE_CHECKING:  # the risk package (scikit-learn) loads with the first risk forecast
    from hedgekit.risk import RiskForecast

__all__ = ["cost_rate", "factor_rows", "factor_terms", "solve_hedge", "tracking_problem"]


def tracking_problem(
    prep: Prepared, params: PerformanceHedgeParameters, rows: np.ndarray | None = None
) -> TrackingProblem:
    """The tracking problem of ``prep`` with the penalties and limits of ``params``.

    Parameters
    ----------
    prep : Prepared
        The hedge's inputs.
    params : PerformanceHedgeParameters
        The parameters (the grid search varies ``lasso_weight`` and ``ridge_weight``).
    rows : array of int, optional
        Fit on these observations of the window only (a grid-search fold): their sample
        covariance, not the estimator's moments. A factor or semantic hedge ignores them.

    Returns
    -------
    TrackingProblem
    """
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
    for name, row, lo, hi in factor_rows(prep, params):
        # lo <= x_p - B'w <= hi, per unit of portfolio notional
        a_rows += [row[1:], -row[1:]]
        b_rows += [row[0] - lo, hi - row[0]]
        ub_names += [f"factor {name} >= {lo:g}", f"factor {name} <= {hi:g}"]
    constraints: dict[str, Any] = {
        "budget": h,
        "upper": prep.upper,
        "min_weight": params.min_weight / 100.0 * H,
        "max_names": params.max_names,
        "min_names": params.min_names,
        "groups": prep.groups,
        "A_ub": np.vstack(a_rows),
        "b_ub": np.asarray(b_rows),
        "ub_names": ub_names,
        "asset_names": list(prep.candidate_returns.columns),
    }
    constraints.update(long_short_terms(params))  # weights of either sign, when asked
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
        B, F, spec, b, target_spec, cross = factor_terms(prep)
        # a * factor variance + s * specific variance of the hedged portfolio (1 and 1:
        # the predicted active variance, exactly: x * 1.0 == x)
        a, s = params.factor_risk_weight, params.specific_risk_weight
        F, D, target_spec, cross = a * F, s * spec**2, s * target_spec, s * cross
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


def factor_rows(
    prep: Prepared, params: PerformanceHedgeParameters
) -> list[tuple[str, np.ndarray, float, float]]:
    """One entry per bounded factor: its name, ``[x_p, B_1, ..., B_n]`` (the portfolio's
    exposure then the candidates'), and the bounds on ``x_p - B'w``."""
    fc = prep.exposure_forecast
    if not params.factor_constraints or fc is None:
        return []
    names = list(prep.candidate_returns.columns)
    wt = prep.portfolio["weight"]
    out = []
    columns = {str(c).lower(): c for c in fc.exposures.columns}  # names in any case
    for factor, (lo, hi) in params.factor_constraints.items():
        col = fc.exposures[columns[factor.strip().lower()]]
        x_p = float(col.loc[wt.index].to_numpy(dtype="float64") @ wt.to_numpy())
        B = col.loc[names].to_numpy(dtype="float64")
        # a net-short book: its exposure is the opposite of its flipped weights'
        row = prep.book_side * np.concatenate([[x_p], B])
        out.append((factor, row, float(lo), float(hi)))
    return out


def factor_terms(
    prep: Prepared, forecast: RiskForecast | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Candidate loadings, factor covariance, specific vols, the portfolio's loadings
    and specific variance, and the specific covariance of each candidate with it, under
    ``forecast`` (default the factor method's, ``prep.forecast``)."""
    fc = prep.forecast if forecast is None else forecast
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


def solve_hedge(
    prep: Prepared, params: PerformanceHedgeParameters
) -> tuple[np.ndarray, dict[str, Any]]:
    """The optimal weights (per unit of portfolio notional, one per candidate) on the whole
    window, and the optimizer's status, time, evaluations and method."""
    if params.max_factor_share is not None or params.max_factor_share_by_group is not None:
        from hedgekit.hedge._factor_share_search import solve_within_factor_share

        return solve_within_factor_share(prep, params)
    if params.max_tracking_error is not None:
        return fewest_names_within(prep, params)
    problem = tracking_problem(prep, params)
    sol = solve_tracking(problem, method="fast")
    return sol.weights, _solver_info(sol)


def _solver_info(sol: Any) -> dict[str, Any]:
    return {
        "optimizer_status": sol.status,
        "optimizer_seconds": sol.seconds,
        "optimizer_evaluations": sol.evaluations,
        "optimizer_method": sol.method,
        # share of the tracking variance a better hedge could at most remove (0: optimal)
        "optimizer_gap": sol.gap if np.isfinite(sol.gap) else None,
    }


def in_sample_tracking_error(prep: Prepared, weights: np.ndarray) -> float:
    """Annualised tracking error of the portfolio hedged by ``weights`` over the window
    (the in-sample ``tracking_error`` statistic, before rounding to whole shares)."""
    hedged = prep.target_returns.to_numpy() - prep.candidate_returns.to_numpy() @ weights
    return float(annualized_volatility(hedged, prep.sampling.periods_per_year))


def fewest_names_within(
    prep: Prepared, params: PerformanceHedgeParameters
) -> tuple[np.ndarray, dict[str, Any]]:
    """Tracking error as a constraint: the hedge with the fewest names K whose in-sample
    tracking error is at most ``max_tracking_error``.

    K is searched by bisection between ``min_names`` (or 1) and ``max_names`` (or every
    candidate), solving the usual problem with ``max_names=K`` at each step. The bisection
    keeps the invariant "the upper end meets the cap", so the K returned meets it and K-1
    was found not to (or K is the lower end): minimal among the hedges the optimizer finds,
    even where a heuristic optimum is not monotone in K.

    Raises
    ------
    InfeasibleError
        Even ``max_names`` names do not reach the cap; the message gives the best tracking
        error found and the ways out.
    """
    cap = float(params.max_tracking_error or 0.0) / 100.0
    n = prep.candidate_returns.shape[1]
    # fewer names than (100 - cash) / max_weight cannot hold the stock budget
    stocks = 100.0 - (params.percentage_in_cash or 0.0)
    reach = math.ceil(stocks / params.max_weight - 1e-9) if params.max_weight > 0 else n
    low = max(1, params.min_names or 1, reach)
    high = min(n, params.max_names) if params.max_names is not None else n
    tried: dict[int, tuple[Any, float]] = {}

    def attempt(k: int) -> tuple[Any, float]:
        if k not in tried:
            checkpoint()  # a cancelled caller stops between two solves
            problem = tracking_problem(prep, params.replace(max_names=k))
            sol = solve_tracking(problem, method="fast")
            tried[k] = (sol, in_sample_tracking_error(prep, sol.weights))
        return tried[k]

    best_te = attempt(high)[1]
    if best_te > cap:
        need = math.ceil(best_te * 1e4) / 100.0
        raise InfeasibleError(
            f"max_tracking_error={params.max_tracking_error:g}% cannot be reached: the best "
            f"hedge of up to {high} names tracks at {best_te:.2%} in sample; raise "
            f"max_tracking_error to >= {need:g}%"
            + (", or raise max_names" if high < n else "")
            + " or widen the universe"
        )
    while low < high:  # invariant: attempt(high) meets the cap
        mid = (low + high) // 2
        if attempt(mid)[1] <= cap:
            high = mid
        else:
            low = mid + 1
    sol, te = attempt(high)
    info = _solver_info(sol)
    info["tracking_error_cap"] = {
        "max_tracking_error": float(params.max_tracking_error or 0.0),
        "names": int(np.count_nonzero(np.abs(sol.weights) > 1e-10)),
        "max_names": high,  # the smallest limit that meets the cap
        "tracking_error": te * 100.0,
        "solves": len(tried),
    }
    return sol.weights, info


def cost_rate(prep: Prepared, params: PerformanceHedgeParameters, w: np.ndarray) -> float:
    """Annualised-equivalent cost of a hedge as a fraction of portfolio notional:
    one-off trading cost plus one year of borrow."""
    notional = np.abs(w) * prep.notional
    shares = notional / prep.prices.to_numpy()
    p = params
    c = trading_costs(
        shares,
        prep.prices.to_numpy(),
        prep.adv_shares.to_numpy(),
        prep.daily_vol.to_numpy(),
        half_spread_bps=p.half_spread_bps,
        impact_coefficient=p.impact_coefficient,
        participation_rate=p.market_participation_rate / 100.0,
    )
    held = w != 0
    short = w * prep.book_side > 0  # names bought pay no borrow
    trade = float(np.sum(c["cost_usd"][held]))
    borrow = float(np.sum(notional[short] * prep.borrow_bps.to_numpy()[short] / 1e4))
    return (trade + borrow) / prep.notional
