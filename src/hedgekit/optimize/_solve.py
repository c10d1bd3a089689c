"""Sparse tracking-error hedges: a cardinality-constrained quadratic program.

A short hedge basket ``w`` (non-negative weights in units of portfolio notional) should
replicate a target's returns: minimise the variance of ``target - hedge`` with at most
``max_names`` names, weight caps, minimum holdings, group bounds and general linear rows.
The problem is an NP-hard mixed-integer QP; :func:`solve_tracking` answers it with a
continuous relaxation, candidate supports and a swap local search whose every step solves
a small dense QP exactly (``daqp``, a dual active-set solver).

This module holds the entry point; the problem is defined in ``_problem``, the result
in ``_solution``, the search in ``_search`` and the feasibility diagnosis in
``_diagnosis``.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from hedgekit._errors import ConfigurationError, InfeasibleError
from hedgekit.optimize._bound import relative_gap, relaxation_bound
from hedgekit.optimize._diagnosis import _check_feasible, _raise_rows
from hedgekit.optimize._problem import TrackingProblem
from hedgekit.optimize._search import _Engine, _Fit, _search
from hedgekit.optimize._solution import TrackingMethod, TrackingSolution

__all__ = ["solve_tracking"]

logger = logging.getLogger(__name__)

#: above this max_names the search takes its large-K path (see Notes of solve_tracking)
_LARGE_K = 20
#: a relative gap of the relaxation to its own bound above this re-solves it accurately
_TIGHT = 1e-9
#: the large-K search stops at this relative gap (of the tracking variance) to the bound
_GAP_STOP = 1e-3


def solve_tracking(
    problem: TrackingProblem,
    *,
    method: TrackingMethod | str = TrackingMethod.FAST,
    seed: int = 0,
    starts: int | None = None,
    time_limit: float | None = None,
) -> TrackingSolution:
    """Solve a tracking-error hedge problem.

    Parameters
    ----------
    problem : TrackingProblem
        The problem; validated first.
    method : {'fast', 'exhaustive', 'relaxation'}
        ``'fast'``: the production heuristic (see Notes). ``'exhaustive'``: the reference,
        many starts each followed by a swap search over every (inside, outside) pair;
        seconds rather than milliseconds. ``'relaxation'``: the continuous relaxation only
        (every linear constraint, but no cardinality and no minimum weights).
    seed : int
        Seed of the random starts.
    starts : int, optional
        Number of random starting supports; default 0 for ``'fast'``, 16 for
        ``'exhaustive'``.
    time_limit : float, optional
        Seconds; the search returns the best solution so far (status ``'time_limit'``)
        when it runs out.

    Returns
    -------
    TrackingSolution

    Raises
    ------
    ConfigurationError
        The problem is malformed (see :meth:`TrackingProblem.validate`).
    InfeasibleError
        The constraints admit no hedge; the message names them and the way out.

    Notes
    -----
    ``'fast'``:

    1. *Relaxation* by column generation: solve the QP (every linear constraint, no
       cardinality) on a working set of candidates, price the others with the reduced
       cost ``d_j = 2(Sw - c)_j + 2 ridge w_j + lasso / (eps + w_j) + lambda_budget +
       sum_r lambda_r A_rj``, add those with ``d_j < 0``, repeat. If the relaxation meets
       ``max_names`` and the minimum weights it is the answer (status ``'optimal'``).
    2. *Starting supports*: the ``max_names`` largest relaxation weights, and a greedy
       forward selection by reduced cost (the elastic QP prices unmet budget and group
       rows, so members of groups with a positive lower bound are picked first).
    3. *Refit* of a support: the exact QP on its columns with bounds, budget, group rows
       and ``A_ub`` rows (``daqp``, Hessian ``2(S + (ridge + 1e-10 * mean variance) I)``
       so that it is definite), reweighted for the log penalty; names below their minimum
       weight are either dropped or lifted to it (both tried, the better kept). An
       infeasible support is solved as an elastic QP (exact penalty on row violations)
       and ranks after every feasible one.
    4. *Swap search*: for support name ``i`` and outsider ``j``, moving all of ``w_i`` to
       ``j`` with the other weights fixed changes the Lagrangian by
       ``w_i (d_j - d_i) + w_i^2 (S_ii + S_jj - 2 S_ij + 2 ridge)`` (exact for the
       quadratic part; the log penalty is unchanged by such a move). The ``2 K + 10``
       best-ranked swaps are refitted and the best improvement kept, until none
       improves; then every swap with the relaxation's names is refitted (first
       improvement), and the search goes on while that helps. A swap is skipped without
       its QP when a closed-form lower bound on its refit (the quadratic part under the
       budget alone, plus the smallest log penalty the caps allow) is not below the best
       objective so far: it could not be taken, so the answer is the one the search finds
       without the bounds, with a fraction of the QPs. With ``lasso > 0`` a refit's
       reweighting starts from the current weights (the newcomer taking the leaver's
       weight), and a name is added only when its reduced cost is negative.

    The best of the starts is returned. ``'exhaustive'`` runs the same from the same
    starts plus ``starts`` random supports, and continues each from its fast local
    optimum with a first-improvement search over every (inside, outside) pair, stopping
    only when a full pass finds no improving swap.

    The best of the starts is returned.

    *min_names*: every held name weighs at least its minimum weight or, where that is 0, a
    floor of 0.1% of the budget (at most half the budget over ``min_names``). A start
    with fewer names is grown by the candidates of lowest reduced cost (the relaxation's
    top names) or by the greedy selection, which does not stop before ``min_names``; a
    support refit that would drop below ``min_names`` names is refitted with every name
    at its floor; a fit with too few names ranks after every other. So every support the
    search keeps has between ``min_names`` and ``max_names`` names.

    *Certificate*: every solution carries ``lower_bound``, a proven lower bound on the
    objective of any hedge meeting the constraints (the relaxation's optimum, certified by
    weak duality; see :class:`TrackingSolution`), and the relative ``gap`` to it. When the
    relaxation's QP leaves a gap to its own bound (daqp's default dual tolerance), it is
    solved again to a tight tolerance from its working set for the certificate.

    *Large K* (``max_names > 20``): every QP is solved to the tight tolerance; the
    relaxation's working set drops the columns its last QP left at zero; the swap bounds
    come from one inverse by a rank-one downdate (``O(k^2 n)`` instead of ``O(k^3 n)``),
    for the candidates the pass may refit only; the greedy start runs only when the
    relaxation's top names cannot meet the constraints; and the search stops as soon as
    the certificate proves the hedge within 0.1% (of the tracking variance) of the
    optimum. ``max_names <= 20`` follows the path above unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(scale=0.01, size=(252, 50))
    >>> y = X[:, :5].mean(axis=1) + rng.normal(scale=0.002, size=252)
    >>> sol = solve_tracking(TrackingProblem.from_returns(X, y, max_names=5, upper=0.4))
    >>> sol.support
    array([0, 1, 2, 3, 4])
    >>> round(float(sol.weights.sum()), 9)
    1.0
    """
    t0 = time.perf_counter()
    try:
        method = TrackingMethod(method)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in TrackingMethod)
        raise ConfigurationError(f"method={method!r} is not one of {choices}") from None
    problem.validate()
    if problem.long_short and problem.is_rebalance:
        from hedgekit.optimize._long_short_rebalance import solve_long_short_rebalance

        return solve_long_short_rebalance(problem, time_limit=time_limit)
    if problem.long_short:  # weights of either sign: its own solver (the path below unchanged)
        from hedgekit.optimize._long_short import solve_long_short

        return solve_long_short(
            problem, method=method, seed=seed, starts=starts, time_limit=time_limit
        )
    if problem.is_rebalance:
        from hedgekit.optimize._rebalance import solve_rebalance

        relaxation = TrackingMethod(method) is TrackingMethod.RELAXATION
        return solve_rebalance(problem, time_limit=time_limit, relaxation=relaxation)
    if starts is not None and starts < 0:
        raise ConfigurationError(f"starts={starts} must be >= 0")
    if time_limit is not None and not time_limit > 0:
        raise ConfigurationError(f"time_limit={time_limit} must be a positive number of seconds")
    deadline = math.inf if time_limit is None else t0 + time_limit
    eng = _Engine(problem, deadline)
    _check_feasible(eng)

    if eng.K > _LARGE_K:
        # many names: small differences of the objective decide the swaps, so every QP is
        # solved to a tight dual tolerance (the relaxation behind the certificate too)
        eng.qp_options = eng.accurate_options
    relax = eng.relax()
    # with the (non-convex) log penalty the relaxation is only a stationary point
    status = "local_optimum" if eng.lasso else "optimal"
    if relax.viol > eng.feas_tol:
        _raise_rows(
            eng,
            relax,
            "even without the max_names and min_weight limits",
            "relax these constraints",
        )
    bound = _certify(eng, relax)
    if method is TrackingMethod.RELAXATION:
        best = relax
        if eng.polished is not None and eng.better(eng.polished, relax):
            best = eng.polished
    else:
        if eng.K > _LARGE_K and method is TrackingMethod.FAST:
            # stop once the certificate proves the hedge within _GAP_STOP of the optimum
            tv = float(problem.target_variance)
            eng.stop_below = (bound + _GAP_STOP * tv) / (1.0 - _GAP_STOP)
        mins_ok = not eng.has_min or bool((relax.w >= eng.mw[relax.idx] - eng.feas_tol).all())
        enough = relax.idx.size >= eng.min_names
        if relax.idx.size <= eng.K and mins_ok and enough and not eng.lasso:
            best = relax
        else:
            best, status = _search(eng, relax, method, seed, starts)
            if eng.lasso:  # polish the reweighting of the answer
                eng.mm_tol = 1e-10 * eng.budget
                polished = eng.fit_support(best.idx)
                if not eng.better(best, polished):
                    best = polished
            if best.viol > eng.feas_tol:
                _raise_rows(
                    eng,
                    best,
                    f"with max_names={eng.K} and the minimum weights",
                    "relax these constraints, raise max_names or lower min_weight",
                )
            if best.idx.size < eng.min_names:
                raise InfeasibleError(
                    f"no hedge of at least min_names={eng.min_names} names meets the "
                    f"constraints (best found: {best.idx.size}); lower min_names or relax "
                    "the caps and group bounds"
                )
    logger.debug(
        "solve_tracking(%s): %d candidates, %d names, %d QPs, %.1f ms",
        method.value,
        eng.n,
        best.idx.size,
        eng.evaluations,
        1e3 * (time.perf_counter() - t0),
    )
    w = np.zeros(eng.n)
    w[best.idx] = best.w
    w[w <= eng.zero] = 0.0
    support = np.flatnonzero(w)
    Q = eng.S.take(support, 0).take(support, 1)
    ws = w[support]
    te_var = float(ws @ Q @ ws - 2.0 * eng.c[support] @ ws + problem.target_variance)
    objective = eng.objective(support, ws, Q)
    bound = min(bound, objective)  # equal at an optimum, up to rounding
    return TrackingSolution(
        weights=w,
        objective=objective,
        tracking_variance=te_var,
        support=support,
        status=status,
        seconds=time.perf_counter() - t0,
        evaluations=eng.evaluations,
        method=method.value,
        lower_bound=bound,
        gap=relative_gap(objective, bound, float(problem.target_variance)),
    )


def _certify(eng: _Engine, relax: _Fit) -> float:
    """The proven lower bound (:func:`relaxation_bound`) at the relaxation; when the QP's
    tolerance leaves a gap there, the relaxation is solved again accurately from its working
    set (kept in ``eng.polished``) and the better bound is taken."""
    eng.polished = None
    bound = relaxation_bound(eng, relax)
    tv = float(eng.p.target_variance)
    if (
        not eng.lasso  # the log penalty's floor dominates the gap: no accuracy to win
        and eng.qp_options is not eng.accurate_options
        and relative_gap(relax.obj, bound, tv) > _TIGHT
        and time.perf_counter() < eng.deadline
    ):
        eng.polished = eng.relax(accurate=True, work=eng.relax_work)
        bound = max(bound, relaxation_bound(eng, eng.polished))
    return bound
