"""Least squares on a scaled simplex: the small, exact solver behind baseline hedges.

Solves ``min_w ||y - X w||^2 / T`` subject to ``w >= 0`` and ``sum(w) = budget``
with SciPy's SLSQP and an analytic gradient. It is meant for tens of candidates;
the performance-hedge optimizer handles cardinality and the full constraint set.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hedgekit._errors import OptimizationError

__all__ = ["simplex_least_squares"]


def simplex_least_squares(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    budget: float = 1.0,
    max_weight: float | None = None,
    tol: float = 1e-12,
) -> np.ndarray:
    """Non-negative weights summing to ``budget`` that best replicate ``y``.

    Parameters
    ----------
    X : array-like of shape (n_observations, n_assets)
        Candidate returns.
    y : array-like of shape (n_observations,)
        Returns to replicate.
    budget : float
        Sum of the weights (the hedge ratio).
    max_weight : float, optional
        Upper bound on each weight (same unit as ``budget``).

    Returns
    -------
    ndarray of shape (n_assets,)
    """
    A = np.asarray(X, dtype="float64")
    b = np.asarray(y, dtype="float64").ravel()
    n_obs, n = A.shape
    if n == 0:
        raise OptimizationError("no candidate assets to build the hedge from")
    if max_weight is not None and max_weight * n < budget - 1e-12:
        raise OptimizationError(
            f"max_weight={max_weight:g} with {n} candidates cannot reach budget {budget:g}; "
            f"raise max_weight to >= {budget / n:.4g} or add candidates"
        )
    Q = A.T @ A / n_obs
    c = A.T @ b / n_obs

    def fun(w: np.ndarray) -> float:
        return float(w @ Q @ w - 2.0 * c @ w)

    def jac(w: np.ndarray) -> np.ndarray:
        return np.asarray(2.0 * (Q @ w - c))

    upper = budget if max_weight is None else min(max_weight, budget)
    w0 = np.full(n, budget / n)
    from scipy.optimize import minimize  # SLSQP: loaded by the baseline hedge only

    res = minimize(
        fun,
        w0,
        jac=jac,
        method="SLSQP",
        bounds=[(0.0, upper)] * n,
        constraints=[
            {"type": "eq", "fun": lambda w: w.sum() - budget, "jac": lambda w: np.ones_like(w)}
        ],
        options={"ftol": tol, "maxiter": 500},
    )
    if not res.success and not np.isfinite(res.fun):
        raise OptimizationError(f"least-squares hedge failed: {res.message}")
    w = np.clip(res.x, 0.0, upper)
    total = w.sum()
    return w * (budget / total) if total > 0 else w0
