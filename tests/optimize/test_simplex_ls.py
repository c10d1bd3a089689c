"""Least squares on the simplex against an exhaustive reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import nnls

from hedgekit import OptimizationError
from hedgekit.optimize import simplex_least_squares


def _reference(A: np.ndarray, b: np.ndarray, budget: float) -> float:
    """Exact optimum: best equality-constrained LS over every support (tiny n only)."""
    n = A.shape[1]
    best = np.inf
    for k in range(1, n + 1):
        for support in itertools.combinations(range(n), k):
            S = A[:, support]
            # min ||b - S w|| s.t. 1'w = budget: KKT system
            kkt = np.block([[S.T @ S, np.ones((k, 1))], [np.ones((1, k)), np.zeros((1, 1))]])
            rhs = np.concatenate([S.T @ b, [budget]])
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
            if (sol >= -1e-12).all():
                best = min(best, float(np.sum((b - S @ sol) ** 2)))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_matches_the_exact_optimum(seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(120, 6))
    b = A[:, :3] @ np.array([0.5, 0.3, 0.4]) + rng.normal(scale=0.3, size=120)
    w = simplex_least_squares(A, b)
    assert w.sum() == pytest.approx(1.0)
    assert (w >= 0).all()
    assert np.sum((b - A @ w) ** 2) == pytest.approx(_reference(A, b, 1.0), rel=1e-6)


def test_budget_and_bounds():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(80, 5))
    b = A[:, 0] * 2
    w = simplex_least_squares(A, b, budget=0.8, max_weight=0.3)
    assert w.sum() == pytest.approx(0.8)
    assert w.max() <= 0.3 + 1e-9
    # an unconstrained NNLS fit would put more than 0.3 on the first asset
    assert nnls(A, b)[0][0] > 0.3


def test_infeasible_bounds_name_the_way_out():
    with pytest.raises(
        OptimizationError, match=r"max_weight=0.1 with 5 candidates cannot reach budget 1"
    ):
        simplex_least_squares(np.ones((10, 5)), np.ones(10), max_weight=0.1)
    with pytest.raises(OptimizationError, match="no candidate"):
        simplex_least_squares(np.ones((10, 0)), np.ones(10))
