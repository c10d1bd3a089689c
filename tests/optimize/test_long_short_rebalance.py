"""The long/short rebalance solver: limits, zero turnover, and one support QP against cvxpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit.optimize import TrackingProblem, solve_tracking
from hedgekit.optimize._long_short_rebalance import _LSRebalancer


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=0.01, size=(252, 40))
    y = X[:, :6].mean(axis=1) + rng.normal(scale=0.003, size=252)
    w0 = np.zeros(40)
    w0[[0, 1, 10, 11]] = 0.3
    w0[20] = -0.2
    return X, y, w0


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000))
def test_zero_turnover_returns_the_current_hedge(seed):
    X, y, w0 = _data(seed)
    p = TrackingProblem.from_returns(X, y, current=w0, max_turnover=0.0, long_short=True)
    assert np.array_equal(solve_tracking(p).weights, w0)


@pytest.mark.parametrize(("T", "m"), [(0.3, None), (0.5, 3), (None, 2)])
def test_limits_hold(T, m):
    X, y, w0 = _data()
    p = TrackingProblem.from_returns(
        X, y, current=w0, max_turnover=T, max_trades=m, long_short=True, max_names=8
    )
    w = solve_tracking(p).weights
    if T is not None:
        assert np.abs(w - w0).sum() <= T + 1e-7
    if m is not None:
        assert int((np.abs(w - w0) > 1e-9).sum()) <= m
    assert np.abs(w).sum() <= 1.5 + 1e-7


def test_turnover_support_qp_matches_cvxpy():
    cp = pytest.importorskip("cvxpy")
    X, y, w0 = _data(3)
    p = TrackingProblem.from_returns(X, y, current=w0, max_turnover=0.4, long_short=True)
    eng = _LSRebalancer(p)
    hold = frozenset([0, 1, 2, 3, 10, 11, 20, 25])
    got = eng.qp(hold)
    idx = np.array(sorted(hold))
    w = cp.Variable(idx.size)
    S, c = eng.S[np.ix_(idx, idx)], eng.c[idx]
    closed = float(np.abs(np.delete(w0, idx)).sum())
    obj = cp.quad_form(w, S + eng.ridge * np.eye(idx.size), assume_PSD=True) - 2 * c @ w
    cons = [cp.sum(w) == 1.0, cp.norm1(w) <= 1.5, cp.norm1(w - w0[idx]) <= 0.4 - closed]
    cp.Problem(cp.Minimize(obj), cons).solve()
    assert got.feasible
    assert got.obj == pytest.approx(float(obj.value), rel=1e-5, abs=1e-9)
    assert np.allclose(got.w[idx], w.value, atol=1e-5)
