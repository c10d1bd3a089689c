"""The rebalance solver: turnover and trade limits, against exact references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgekit import ConfigurationError
from hedgekit.optimize import GroupBound, TrackingProblem, solve_tracking
from hedgekit.optimize._rebalance import _Rebalancer


def _problem(seed: int, n: int = 12, held: int = 3, **limits):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=0.01, size=(150, n))
    y = X[:, :4] @ rng.dirichlet(np.ones(4)) + rng.normal(scale=0.004, size=150)
    w0 = np.zeros(n)
    w0[rng.choice(n, held, replace=False)] = rng.dirichlet(np.ones(held))
    return TrackingProblem.from_returns(X, y, upper=0.6, current=w0, **limits), w0


@pytest.mark.parametrize("turnover", [0.05, 0.2, 0.6, 2.0])
def test_relaxation_matches_cvxpy(turnover):
    cp = pytest.importorskip("cvxpy")
    p, w0 = _problem(1, n=40, held=5, max_turnover=turnover)
    sol = solve_tracking(p, method="relaxation")
    w = cp.Variable(40)
    objective = cp.quad_form(w, cp.psd_wrap(p.covariance)) - 2 * p.cross @ w
    cons = [w >= 0, w <= np.maximum(0.6, w0), cp.sum(w) == 1, cp.norm1(w - w0) <= turnover]
    ref = cp.Problem(cp.Minimize(objective), cons)
    ref.solve(solver="CLARABEL", tol_gap_abs=1e-14, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert np.abs(sol.weights - w0).sum() <= turnover + 1e-9
    assert sol.objective == pytest.approx(ref.value, abs=1e-6 * p.target_variance)


@pytest.mark.parametrize("seed", range(8))
def test_search_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    T, K, m = float(rng.choice([0.2, 0.5, 1.0])), int(rng.choice([3, 4])), int(rng.choice([2, 3]))
    p, w0 = _problem(seed, n=9, max_turnover=T, max_trades=m, max_names=K)
    sol = solve_tracking(p)
    eng = _Rebalancer(p)
    held = set(np.flatnonzero(w0).tolist())
    best = np.inf
    for k in range(K + 1):
        for hold in itertools.combinations(range(9), k):
            both = sorted(set(hold) & held)
            for r in range(len(both) + 1):
                for frozen in itertools.combinations(both, r):
                    s = eng.qp(frozenset(hold), frozenset(frozen))
                    if s.feasible and eng.trades(s.w).size <= m:
                        best = min(best, s.obj)
    assert sol.objective <= best + 1e-9 * p.target_variance
    w = sol.weights
    assert np.abs(w - w0).sum() <= T + 1e-9
    assert (np.abs(w - w0) > 1e-9).sum() <= m
    assert (w > 0).sum() <= K
    assert w.sum() == pytest.approx(1.0)


@given(
    seed=st.integers(0, 10_000),
    held=st.integers(1, 6),
    max_names=st.none() | st.integers(6, 10),
    max_trades=st.none() | st.integers(0, 5),
    group_cap=st.floats(0.05, 1.0),
)
def test_zero_turnover_keeps_the_current_weights(seed, held, max_names, max_trades, group_cap):
    """Zero turnover allowed: the current weights, exactly, whatever they break."""
    rng = np.random.default_rng(seed)
    n = 15
    X = rng.normal(scale=0.01, size=(60, n))
    y = X[:, :3].mean(axis=1)
    w0 = np.zeros(n)
    w0[rng.choice(n, held, replace=False)] = rng.dirichlet(np.ones(held)) * rng.uniform(0.5, 1.5)
    p = TrackingProblem.from_returns(
        X,
        y,
        budget=1.0,
        upper=0.3,
        max_names=max_names,
        groups=(GroupBound("first five", np.arange(5), 0.0, group_cap),),
        current=w0,
        max_turnover=0.0,
        max_trades=max_trades,
    )
    sol = solve_tracking(p)
    np.testing.assert_array_equal(sol.weights, w0)


def test_no_trades_allowed_keeps_the_current_weights():
    p, w0 = _problem(3, max_trades=0)
    np.testing.assert_array_equal(solve_tracking(p).weights, w0)


def test_turnover_resizes_toward_the_budget():
    p, w0 = _problem(4, max_turnover=0.1)
    w0 = w0 * 1.3  # the hedge grew: 30% too large
    sol = solve_tracking(TrackingProblem(**{**p.__dict__, "current": w0}))
    assert np.abs(sol.weights - w0).sum() == pytest.approx(0.1)
    assert sol.weights.sum() == pytest.approx(1.2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_turnover": -0.1}, "max_turnover=-0.1 must be a number >= 0"),
        ({"max_trades": -1}, "max_trades=-1 must be an integer >= 0"),
        ({"current": np.ones(3)}, r"current has shape \(3,\)"),
        ({"current": None}, "pass the current weights"),
    ],
)
def test_bad_limits(changes, message):
    p, _ = _problem(5, max_turnover=0.2)
    with pytest.raises(ConfigurationError, match=message):
        TrackingProblem(**{**p.__dict__, **changes}).validate()
