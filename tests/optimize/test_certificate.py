"""The optimality certificate (a proven lower bound and the gap), the large-K search and
the relaxation's working set, against exact answers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hedgekit.optimize import GroupBound, TrackingProblem, solve_tracking

daqp = pytest.importorskip("daqp")


def _returns(seed: int, n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=0.01, size=(T, 3))
    B = rng.normal(size=(n, 3))
    X = f @ B.T + rng.normal(scale=0.008, size=(T, n))
    y = f @ rng.normal(size=3) + rng.normal(scale=0.006, size=T)
    return X, y


def _constraints(seed: int, X: np.ndarray, y: np.ndarray) -> dict:
    n = X.shape[1]
    cons: dict = {"max_names": 3, "upper": 0.5}
    kind = seed % 5
    if kind == 1:
        cons.update(min_weight=0.2, upper=0.6)
    elif kind == 2:
        cons["groups"] = (
            GroupBound("A", np.arange(0, 4), 0.3, 0.8),
            GroupBound("B", np.arange(4, 8), 0.0, 0.4),
        )
    elif kind == 3:
        mu = X.mean(axis=0) * 252
        dev = 1.5 * float(np.std(mu))
        target = float(y.mean() * 252)
        cons.update(A_ub=np.vstack([mu, -mu]), b_ub=np.array([target + dev, dev - target]))
    elif kind == 4:
        cons.update(ridge=2e-5, budget=0.8, upper=np.linspace(0.2, 0.6, n))
    return cons


def _brute_force(problem: TrackingProblem) -> float:
    """Exact optimum: every support of at most max_names names, each QP by daqp (tight)."""
    S, c = problem.covariance, problem.cross
    n = c.shape[0]
    B = problem.budget
    ub = np.broadcast_to(np.asarray(problem.upper, dtype=float), (n,))
    mw = np.broadcast_to(np.asarray(problem.min_weight, dtype=float), (n,))
    rows, lo, hi = [], [], []
    for g in problem.groups:
        r = np.zeros(n)
        r[g.members] = 1.0
        rows.append(r)
        lo.append(g.lower)
        hi.append(g.upper)
    if problem.A_ub is not None:
        for r, b in zip(problem.A_ub, problem.b_ub, strict=True):
            rows.append(r)
            lo.append(-1e30)
            hi.append(b)
    best = math.inf
    for k in range(1, problem.max_names + 1):
        for supp in itertools.combinations(range(n), k):
            s = list(supp)
            H = 2 * (S[np.ix_(s, s)] + (problem.ridge + 1e-12) * np.eye(k))
            A = np.ones((1, k))
            if rows:
                A = np.vstack([A, np.asarray(rows)[:, s]])
            bu = np.concatenate([ub[s], [B], hi])
            bl = np.concatenate([mw[s], [B], lo])
            sense = np.zeros(k + A.shape[0], dtype=np.int32)
            sense[k] = 5
            x, _, flag, _ = daqp.solve(
                H, -2 * c[s], A, bu, bl, sense, primal_tol=1e-12, dual_tol=1e-14
            )
            if flag < 1:
                continue
            val = float(x @ S[np.ix_(s, s)] @ x - 2 * c[s] @ x + problem.ridge * x @ x)
            best = min(best, val)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_lower_bound_is_below_the_exact_optimum(seed):
    X, y = _returns(seed, 10, 60)
    problem = TrackingProblem.from_returns(X, y, **_constraints(seed, X, y))
    sol = solve_tracking(problem)
    exact = _brute_force(problem)
    scale = problem.target_variance
    assert math.isfinite(sol.lower_bound)
    assert sol.lower_bound <= exact + 1e-10 * scale
    assert exact <= sol.objective + 1e-10 * scale  # the search is never below the optimum
    assert sol.lower_bound <= sol.objective
    assert sol.gap >= 0.0
    expected = (sol.objective - sol.lower_bound) / (sol.objective + problem.target_variance)
    assert sol.gap == pytest.approx(expected, rel=1e-9, abs=1e-15)
    d = sol.to_dict()
    assert d["lower_bound"] == sol.lower_bound and d["gap"] == sol.gap


@pytest.mark.parametrize("lasso", [0.0, 1e-5])
def test_bound_at_any_point_and_with_the_lasso(lasso):
    from hedgekit.optimize._bound import relaxation_bound
    from hedgekit.optimize._search import _Engine

    X, y = _returns(3, 30, 80)
    problem = TrackingProblem.from_returns(X, y, max_names=5, upper=0.4, lasso=lasso)
    sol = solve_tracking(problem)
    problem.validate()
    eng = _Engine(problem, math.inf)
    assert sol.lower_bound <= sol.objective
    # the bound holds at any weights, not only at the relaxation's
    rng = np.random.default_rng(0)
    for _ in range(5):
        fit = eng.fit_support(np.sort(rng.choice(30, size=5, replace=False)))
        assert relaxation_bound(eng, fit) <= sol.lower_bound + 1e-12 * eng.obj_scale or lasso
        assert relaxation_bound(eng, fit) <= sol.objective


def test_relaxation_has_no_gap_and_meets_max_names_when_optimal():
    X, y = _returns(1, 20, 100)
    problem = TrackingProblem.from_returns(X, y, max_names=20, upper=0.5)
    sol = solve_tracking(problem)
    assert sol.status == "optimal"
    assert sol.gap <= 1e-8
    relax = solve_tracking(problem, method="relaxation")
    assert relax.gap <= 1e-8
    assert relax.objective == pytest.approx(sol.objective, rel=1e-9, abs=1e-15)


def test_absolute_gap_without_target_variance():
    from hedgekit.optimize._bound import relative_gap

    assert relative_gap(-1.0, -1.5, 0.0) == pytest.approx(0.5)
    assert relative_gap(1.0, 0.5, 1.0) == pytest.approx(0.25)
    assert relative_gap(1.0, -math.inf, 0.0) == math.inf
    assert relative_gap(1.0, 1.0 + 1e-18, 0.0) == 0.0


# ---------------------------------------------------------------------- large K
def _big(seed: int, n: int, T: int = 252) -> tuple[np.ndarray, np.ndarray]:
    """An index-like target: the equal-weighted mean of the candidates plus noise."""
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=0.01, size=(T, 5))
    B = rng.normal(1.0, 0.5, size=(n, 5))
    X = f @ B.T + rng.normal(scale=0.015, size=(T, n))
    y = X.mean(axis=1) + rng.normal(scale=0.0005, size=T)
    return X, y


@pytest.mark.parametrize("seed", range(2))
def test_large_k_meets_every_constraint(seed):
    X, y = _big(seed, 300)
    groups = (GroupBound("first fifty", np.arange(50), 0.1, 0.3),)
    cons = {"max_names": 100, "upper": 0.03, "min_weight": 0.002, "groups": groups}
    problem = TrackingProblem.from_returns(X, y, **cons)
    sol = solve_tracking(problem)
    w = sol.weights
    assert np.count_nonzero(w) <= 100
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= 0).all() and (w <= 0.03 + 1e-9).all()
    assert ((w == 0) | (w >= 0.002 - 1e-9)).all()
    assert 0.1 - 1e-9 <= w[:50].sum() <= 0.3 + 1e-9
    assert sol.tracking_variance == pytest.approx(np.var(y - X @ w, ddof=1), rel=1e-9)
    assert sol.lower_bound <= sol.objective and sol.gap >= 0


def test_large_k_swap_bounds_equal_the_leave_one_out_inverses():
    from hedgekit.optimize import _search
    from hedgekit.optimize._search import _Engine

    X, y = _big(0, 120)
    problem = TrackingProblem.from_returns(X, y, max_names=40, upper=0.05, ridge=1e-6)
    problem.validate()
    eng = _Engine(problem, math.inf)
    relax = eng.relax()
    fit = eng.fit_support(relax.idx[np.argsort(-relax.w)[:40]])
    fast = eng.swap_bounds(fit)
    old = _search._DOWNDATE_K
    try:
        _search._DOWNDATE_K = 10**6
        slow = eng.swap_bounds(fit)
    finally:
        _search._DOWNDATE_K = old
    assert fast is not None and slow is not None
    out = np.setdiff1d(np.arange(eng.n), fit.idx)
    np.testing.assert_allclose(fast[:, out], slow[:, out], rtol=1e-7, atol=1e-12 * eng.obj_scale)


# ---------------------------------------------------------------------- relaxation
@pytest.mark.parametrize("max_names", [None, 60])
def test_relaxation_without_max_names_matches_the_full_qp(max_names):
    """The working set grows by column generation to the QP over every candidate."""
    X, y = _big(2, 600, T=200)
    problem = TrackingProblem.from_returns(X, y, upper=0.02, max_names=max_names)
    sol = solve_tracking(problem, method="relaxation")
    n = X.shape[1]
    S, c = problem.covariance, problem.cross
    H = 2 * (S + 1e-12 * np.eye(n))
    sense = np.zeros(n + 1, dtype=np.int32)
    sense[n] = 5
    bu = np.concatenate([np.full(n, 0.02), [1.0]])
    bl = np.concatenate([np.zeros(n), [1.0]])
    x, _, flag, _ = daqp.solve(
        H, -2 * c, np.ones((1, n)), bu, bl, sense, primal_tol=1e-12, dual_tol=1e-14
    )
    assert flag >= 1
    full = float(x @ S @ x - 2 * c @ x)
    tv = problem.target_variance
    assert sol.objective == pytest.approx(full, abs=1e-6 * tv)
    assert sol.lower_bound <= full + 1e-9 * tv
    assert sol.gap <= 1e-4
