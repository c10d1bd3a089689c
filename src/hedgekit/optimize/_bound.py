"""The optimality certificate of :func:`~hedgekit.optimize.solve_tracking`: a proven lower
bound on the objective of every hedge that meets the constraints, from the continuous
relaxation, and the gap of a solution to it.
"""

from __future__ import annotations

import math

import numpy as np

from hedgekit.optimize._search import _Engine, _Fit

__all__ = ["relative_gap", "relaxation_bound"]


def _cheapest_fill(h: np.ndarray, ub: np.ndarray, budget: float) -> float:
    """``min h'w`` over ``0 <= w <= ub, sum(w) = budget``: fill the caps in order of ``h``."""
    order = np.argsort(h, kind="stable")
    caps = ub[order]
    before = np.cumsum(caps) - caps
    take = np.clip(budget - before, 0.0, caps)
    return float(h[order] @ take)


def relaxation_bound(eng: _Engine, fit: _Fit) -> float:
    """A lower bound on the objective of every feasible hedge, proven at the point ``fit``.

    Parameters
    ----------
    eng : _Engine
        The prepared problem.
    fit : _Fit
        Any weights (best: the continuous relaxation's) with the row duals of their QP.

    Returns
    -------
    float
        ``-inf`` when no finite bound follows (the problem has no hedge).

    Notes
    -----
    Every hedge ``w`` the problem admits lies in ``X = {0 <= w <= caps, sum(w) = budget}``
    and meets the rows ``lo <= M w <= hi``: dropping ``max_names`` and relaxing the
    minimum weights to 0 only enlarges the set. The quadratic part ``q(w) = w'(S + ridge
    I)w - 2c'w`` is convex, so ``q(w) >= q(w0) + g'(w - w0)`` with ``g`` its gradient at
    ``w0``; for multipliers ``a, b >= 0`` of the rows' upper and lower sides the added
    term ``a'(Mw - hi) + b'(lo - Mw)`` is ``<= 0`` on the feasible set. Hence (weak
    duality)

    .. math::

        q(w) \\ge q(w_0) - g^T w_0 - a^T hi + b^T lo
        + \\min_{v \\in X} (g + M^T (a - b))^T v,

    and the last term is a fractional knapsack (fill the caps in order of the
    coefficient). ``a, b`` are the positive and negative parts of the QP's row duals
    (zero on an infinite side), so the bound holds whatever the QP's accuracy and equals
    the relaxation's optimum when ``w0`` is it. The log penalty, concave, is bounded by
    its smallest value on ``X`` (the largest caps filled first).
    """
    if fit.idx.size == 0:
        return -math.inf
    idx, w = fit.idx, fit.w
    Sw = w @ eng.S[idx]  # (n,)
    g = 2.0 * (Sw - eng.c)
    g[idx] += 2.0 * eng.ridge * w
    q0 = float(Sw[idx] @ w - 2.0 * eng.c[idx] @ w + eng.ridge * (w @ w))
    value = q0 - float(g[idx] @ w)
    h = g
    if eng.m:
        lam = np.asarray(fit.lam[1:], dtype="float64")
        above = np.where(np.isfinite(eng.hi), np.maximum(lam, 0.0), 0.0)
        below = np.where(np.isfinite(eng.lo), np.maximum(-lam, 0.0), 0.0)
        value -= float(above @ np.where(above > 0, eng.hi, 0.0))
        value += float(below @ np.where(below > 0, eng.lo, 0.0))
        h = g + (above - below) @ eng.M
    if float(eng.ub.sum()) < eng.budget * (1 - 1e-12):
        return -math.inf
    value += _cheapest_fill(h, eng.ub, eng.budget)
    if eng.lasso:
        value += eng.lasso * eng.penalty_floor
    return value if math.isfinite(value) else -math.inf


def relative_gap(objective: float, bound: float, target_variance: float) -> float:
    """``(objective - bound) / (objective + target_variance)``, at least 0.

    The denominator is the tracking variance plus the penalties of the solution; when it
    is not positive (a problem built without its target variance), the absolute gap
    ``objective - bound`` is returned.
    """
    if not math.isfinite(bound):
        return math.inf
    diff = max(objective - bound, 0.0)
    denom = objective + target_variance
    if denom > 1e-300 and denom > 1e-14 * abs(objective):
        return diff / denom
    return diff
