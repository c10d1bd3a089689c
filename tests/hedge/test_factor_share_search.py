"""The factor-share penalty: its algebra, and a penalised solve against cvxpy's optimum."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge._factor_share import FactorShareTerms, share_groups
from hedgekit.hedge._factor_share_search import FactorPenalty, tracking_objective
from hedgekit.optimize import TrackingProblem, solve_tracking

try:  # the exact reference needs cvxpy
    import cvxpy as cp
except ImportError:  # pragma: no cover - cvxpy is in the dev extra
    cp = None
needs_cvxpy = pytest.mark.skipif(cp is None, reason="cvxpy is not installed (pip install cvxpy)")

FACTORS = ["market", "sector: A", "sector: B", "size", "momentum"]


def _terms(seed: int, n: int = 12) -> FactorShareTerms:
    """A small model: candidates and a one-stock portfolio outside them."""
    rng = np.random.default_rng(seed)
    k = len(FACTORS)
    B = np.column_stack([np.ones(n), rng.integers(0, 2, n), np.zeros(n), rng.normal(size=(n, 2))])
    B[:, 2] = 1 - B[:, 1]
    L = rng.normal(scale=0.1, size=(k, k))
    F = L @ L.T + np.diag(np.full(k, 0.01))
    return FactorShareTerms(
        exposures=B,
        factor_covariance=F,
        target_exposures=np.array([1.0, 1.0, 0.0, 0.8, -0.5]),
        specific_variance=rng.uniform(0.02, 0.09, n),
        target_specific_variance=0.06,
        specific_cross=np.zeros(n),
        factors=FACTORS,
    )


def _problem(t: FactorShareTerms) -> TrackingProblem:
    return TrackingProblem.from_factor_model(
        t.exposures,
        t.factor_covariance,
        t.specific_variance,
        t.target_exposures,
        t.target_specific_variance,
        t.specific_cross,
        budget=1.0,
        upper=0.4,
    )


@pytest.mark.parametrize("seed", range(5))
def test_the_penalty_adds_lambda_times_the_residual_factor_variance(seed):
    t = _terms(seed)
    groups = share_groups({"style": 10, "SECTOR": 5}, FACTORS)
    members = [None, groups["Style"][0], groups["Sector"][0]]
    lam, unit = np.array([0.3, 2.0, 7.0]), 1.0 / 252
    base = _problem(t)
    penalised = FactorPenalty.of(t, members, unit).apply(base, lam)
    w = np.random.default_rng(seed).dirichlet(np.ones(len(t.specific_variance)))
    x = t.target_exposures - t.exposures.T @ w
    F = t.factor_covariance
    style, sector = [3, 4], [1, 2]
    extra = unit * (
        lam[0] * x @ F @ x
        + lam[1] * x[style] @ F[np.ix_(style, style)] @ x[style]
        + lam[2] * x[sector] @ F[np.ix_(sector, sector)] @ x[sector]
    )
    assert tracking_objective(penalised, w) == pytest.approx(
        tracking_objective(base, w) + extra, rel=1e-12
    )
    # no weight, no change: the very same problem object
    assert FactorPenalty.of(t, members, unit).apply(base, np.zeros(3)) is base


def test_shares_match_the_direct_computation():
    t = _terms(0)
    w = np.full(12, 1 / 12)
    x = t.target_exposures - t.exposures.T @ w
    F = t.factor_covariance
    fv = x @ F @ x
    sv = t.target_specific_variance + np.sum(w**2 * t.specific_variance)
    got = t.shares(w, {"Style": np.array([3, 4])})
    assert got["factor_share"] == pytest.approx(fv / (fv + sv), rel=1e-12)
    assert got["by_group"]["Style"] == pytest.approx(
        x[3:] @ F[3:, 3:] @ x[3:] / (fv + sv), rel=1e-12
    )


@needs_cvxpy
@pytest.mark.parametrize("seed", range(3))
def test_a_penalised_solve_is_cvxpys_optimum(seed):
    """Without a name limit the penalised problem is a convex QP: the solver's answer is the
    optimum of ``active variance + lam * residual factor variance`` that cvxpy finds."""
    t = _terms(seed)
    lam = 5.0
    penalised = FactorPenalty.of(t, [None], 1.0).apply(_problem(t), np.array([lam]))
    sol = solve_tracking(penalised, method="fast")
    B, F, b = t.exposures, t.factor_covariance, t.target_exposures
    w = cp.Variable(len(t.specific_variance))
    x = b - B.T @ w
    Lf = np.linalg.cholesky(F)
    objective = (1 + lam) * cp.sum_squares(Lf.T @ x) + cp.sum(
        cp.multiply(t.specific_variance, cp.square(w))
    )
    prob = cp.Problem(cp.Minimize(objective), [cp.sum(w) == 1, w >= 0, w <= 0.4])
    prob.solve(solver=cp.CLARABEL)
    ref = float(prob.value) + t.target_specific_variance
    got = tracking_objective(penalised, sol.weights)
    assert got == pytest.approx(ref, rel=1e-6)
    np.testing.assert_allclose(sol.weights, w.value, atol=1e-5)


def test_unknown_and_repeated_groups():
    with pytest.raises(ConfigurationError, match="groups are Market, Sector, Style"):
        share_groups({"Country": 5}, FACTORS)
    with pytest.raises(ConfigurationError, match="'Industry' category is 'Sector' here"):
        share_groups({"industry": 5}, FACTORS)
    with pytest.raises(ConfigurationError, match="names the group 'Style' twice"):
        share_groups({"style": 5, "Style ": 4}, FACTORS)
    assert share_groups({" style": 5}, FACTORS)["Style"][1] == pytest.approx(0.05)
