"""``min_names``: the search keeps at least that many names, against every support."""

from __future__ import annotations

import itertools

import daqp
import numpy as np
import pytest

from hedgekit import ConfigurationError
from hedgekit.optimize import TrackingProblem, solve_tracking


def _problem(seed: int, **kw) -> TrackingProblem:
    """Returns driven by two candidates: the unconstrained hedge holds few names."""
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=0.01, size=(120, 8))
    y = X[:, :2] @ np.array([0.6, 0.4]) + rng.normal(scale=0.002, size=120)
    return TrackingProblem.from_returns(X, y, **kw)


def _exact(p: TrackingProblem, lo: int, hi: int, floor: float) -> float:
    """Best objective over every support of lo..hi names, each name at least ``floor``."""
    S, c = np.asarray(p.covariance), np.asarray(p.cross)
    best = np.inf
    for k in range(lo, hi + 1):
        for idx in itertools.combinations(range(c.size), k):
            ix = np.array(idx)
            H = 2.0 * S[np.ix_(ix, ix)] + 1e-12 * np.eye(k)
            A = np.ones((1, k))
            bu = np.concatenate([np.full(k, float(p.upper)), [p.budget]])
            bl = np.concatenate([np.full(k, floor), [p.budget]])
            sense = np.zeros(k + 1, dtype=np.int32)
            sense[k] = 5
            x, _, flag, _ = daqp.solve(H, -2.0 * c[ix], A, bu, bl, sense)
            if flag >= 1:
                best = min(best, float(x @ S[np.ix_(ix, ix)] @ x - 2.0 * c[ix] @ x))
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("min_names", "max_names"), [(5, 6), (5, 5), (6, 8)])
def test_min_names_matches_brute_force(seed, min_names, max_names):
    p = _problem(seed, upper=0.7, max_names=max_names, min_names=min_names)
    sol = solve_tracking(p)
    assert min_names <= sol.support.size <= max_names
    assert sol.weights[sol.support].min() >= 1e-3 - 1e-9
    free = solve_tracking(_problem(seed, upper=0.7, max_names=max_names))
    assert free.support.size < min_names  # the floor binds
    exact = _exact(p, min_names, max_names, 1e-3)
    assert sol.objective <= exact + 1e-9 * abs(exact) + 1e-12


def test_min_weight_is_the_floor_when_given():
    p = _problem(0, upper=0.7, max_names=6, min_names=5, min_weight=0.05)
    sol = solve_tracking(p)
    assert sol.support.size >= 5
    assert sol.weights[sol.support].min() >= 0.05 - 1e-9


def test_without_min_names_nothing_changes():
    a = solve_tracking(_problem(1, upper=0.7, max_names=5))
    b = solve_tracking(_problem(1, upper=0.7, max_names=5, min_names=1))
    np.testing.assert_array_equal(a.weights, b.weights)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"min_names": 6, "max_names": 5}, "min_names=6 is above max_names=5"),
        ({"min_names": 9}, "min_names=9 is above the 8 candidates; lower min_names to <= 8"),
        ({"min_names": 0}, "min_names=0 must be an integer >= 1"),
        ({"min_names": 5, "min_weight": 0.3}, "above the budget"),
        ({"min_names": 3, "upper": np.r_[np.zeros(6), 0.7, 0.7]}, "only 2 candidates"),
    ],
)
def test_bad_min_names(kw, message):
    with pytest.raises(ConfigurationError, match=message):
        solve_tracking(_problem(0, **kw))
