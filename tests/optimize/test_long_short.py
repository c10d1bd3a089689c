"""Long/short tracking hedges (``TrackingProblem(long_short=True)``) against cvxpy, brute
force over every support and the long-only optimizer, on synthetic and real returns."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from hedgekit import ConfigurationError, InfeasibleError
from hedgekit.optimize import GroupBound, TrackingProblem, solve_tracking

try:  # the exact references need cvxpy; the other tests do not
    import cvxpy as cp
except ImportError:  # pragma: no cover - cvxpy is in the dev extra
    cp = None
needs_cvxpy = pytest.mark.skipif(cp is None, reason="cvxpy is not installed (pip install cvxpy)")


def _returns(seed: int, n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Factor-model returns; the target loads on a factor the candidates hold with either
    sign, so buying some names helps."""
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=0.01, size=(T, 3))
    B = rng.normal(size=(n, 3))
    X = f @ B.T + rng.normal(scale=0.008, size=(T, n))
    y = f @ np.array([1.0, -0.6, 0.3]) + rng.normal(scale=0.006, size=T)
    return X, y


def _cons(X: np.ndarray, y: np.ndarray, **kw) -> dict:
    mu = X.mean(axis=0) * 252
    cons = {
        "upper": 0.35,
        "long_short": True,
        "max_gross": 1.6,
        "net_lower": 0.8,
        "net_upper": 1.0,
        "ridge": 1e-6,
        "groups": (GroupBound("first five", np.arange(5), -0.2, 0.6),),
        "A_ub": np.vstack([mu, -mu]),
        "b_ub": np.array([abs(y.mean() * 252) + 0.5, 0.5 - y.mean() * 252]),
        "ub_names": ["mu above", "mu below"],
    }
    cons.update(kw)
    return cons


def _cvxpy(X, y, cons, support=None) -> tuple[float, np.ndarray]:
    """The long/short QP in cvxpy (|w| caps, gross, net, groups, rows), on ``support``
    (every candidate when None)."""
    T, n = X.shape
    Xc, yc = X - X.mean(0), y - y.mean()
    w = cp.Variable(n)
    c = [
        cp.abs(w) <= cons["upper"],
        cp.norm1(w) <= cons["max_gross"],
        cp.sum(w) >= cons["net_lower"],
        cp.sum(w) <= cons["net_upper"],
        cons["A_ub"] @ w <= cons["b_ub"],
    ]
    for g in cons["groups"]:
        c += [cp.sum(w[g.members]) >= g.lower, cp.sum(w[g.members]) <= g.upper]
    if support is not None:
        c.append(w[np.setdiff1d(np.arange(n), support)] == 0)
    obj = cp.sum_squares(Xc @ w - yc) / (T - 1) + cons["ridge"] * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(obj), c)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert prob.status == "optimal"
    return float(prob.value) - float(yc @ yc) / (T - 1), np.asarray(w.value)


def _check(sol, cons: dict, X: np.ndarray) -> None:
    """Every constraint of a long/short problem holds at the solution."""
    w = sol.weights
    tol = 1e-7
    upper = np.broadcast_to(np.asarray(cons["upper"], dtype="float64"), w.shape)
    assert (np.abs(w) <= upper + tol).all()
    assert np.abs(w).sum() <= cons.get("max_gross", 1.5 * cons.get("budget", 1.0)) + tol
    lo = cons.get("net_lower", cons.get("budget", 1.0))
    hi = cons.get("net_upper", cons.get("budget", 1.0))
    assert lo - tol <= w.sum() <= hi + tol
    if cons.get("max_names") is not None:
        assert np.count_nonzero(w) <= cons["max_names"]
    for g in cons.get("groups", ()):
        assert g.lower - tol <= w[g.members].sum() <= g.upper + tol
    if "A_ub" in cons:
        assert (cons["A_ub"] @ w <= cons["b_ub"] + tol).all()
    assert sol.lower_bound <= sol.objective + 1e-12
    assert sol.gap >= 0


@needs_cvxpy
@pytest.mark.parametrize("seed", range(3))
def test_relaxation_equals_cvxpy(seed):
    X, y = _returns(seed, 40, 60)  # fewer observations than candidates: S is singular
    cons = _cons(X, y)
    problem = TrackingProblem.from_returns(X, y, **cons)
    sol = solve_tracking(problem, method="relaxation")
    value, w_ref = _cvxpy(X, y, cons)
    _check(sol, cons, X)
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(value, rel=1e-6, abs=1e-12)
    assert (sol.weights < -1e-6).any()  # the hedge buys names: long/short is used
    np.testing.assert_allclose(sol.weights, w_ref, atol=2e-4)  # ridge: unique weights
    # the certificate is tight at the relaxation
    assert sol.gap < 1e-6


@needs_cvxpy
@pytest.mark.parametrize("seed", range(4))
def test_the_qp_on_a_fixed_support_equals_cvxpy(seed):
    from hedgekit.optimize._long_short import _LSEngine

    X, y = _returns(seed, 30, 90)
    cons = _cons(X, y)
    problem = TrackingProblem.from_returns(X, y, **cons)
    problem.validate()
    eng = _LSEngine(problem, float("inf"))
    support = np.sort(np.random.default_rng(seed).choice(30, size=6, replace=False))
    fit = eng.qp(support)
    value, w_ref = _cvxpy(X, y, cons, support)
    assert fit.viol <= eng.feas_tol
    assert fit.obj == pytest.approx(value, rel=1e-6, abs=1e-12)
    np.testing.assert_allclose(fit.w, w_ref[support], atol=2e-4)


def _brute_force(problem: TrackingProblem, K: int) -> float:
    """The best objective over every support of at most ``K`` names (each QP exact)."""
    from hedgekit.optimize._long_short import _LSEngine

    eng = _LSEngine(problem, float("inf"))
    best = np.inf
    for k in range(1, K + 1):
        for idx in itertools.combinations(range(eng.n), k):
            fit = eng.qp(np.array(idx))
            if fit.viol <= eng.feas_tol:
                best = min(best, fit.obj)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_fast_finds_the_best_support_of_small_problems(seed):
    X, y = _returns(seed, 12, 80)
    cons = {"upper": 0.6, "long_short": True, "max_gross": 1.8, "max_names": 3}
    problem = TrackingProblem.from_returns(X, y, **cons)
    sol = solve_tracking(problem)
    _check(sol, cons, X)
    exact = _brute_force(problem, 3)
    assert sol.objective <= exact + 1e-7 * abs(exact)
    assert sol.lower_bound <= exact + 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_long_short_is_never_worse_than_long_only(seed):
    """Long-only weights are feasible for the long/short problem: its optimum is lower."""
    X, y = _returns(seed, 60, 120)
    base = {"upper": 0.3, "max_names": 6}
    long_only = solve_tracking(TrackingProblem.from_returns(X, y, **base))
    for gross in (1.0, 1.5, 2.0):
        cons = {**base, "long_short": True, "max_gross": gross}
        sol = solve_tracking(TrackingProblem.from_returns(X, y, **cons))
        _check(sol, cons, X)
        assert sol.tracking_variance <= long_only.tracking_variance * (1 + 1e-7)
        if gross == 1.0:  # the gross equals the net: every weight on one side
            assert (sol.weights >= -1e-9).all()


def test_exhaustive_and_time_limit():
    X, y = _returns(1, 50, 100)
    cons = {"upper": 0.3, "long_short": True, "max_names": 5}
    problem = TrackingProblem.from_returns(X, y, **cons)
    fast = solve_tracking(problem)
    full = solve_tracking(problem, method="exhaustive", starts=4)
    assert full.objective <= fast.objective + 1e-12
    assert full.method == "exhaustive"
    quick = solve_tracking(problem, time_limit=1e-4)
    assert quick.status in ("time_limit", "local_optimum")
    _check(quick, cons, X)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_gross": 1.5}, "max_gross bound a long/short hedge: pass long_short=True"),
        ({"long_short": True, "max_gross": 0.5}, "max_gross=0.5 is below the smallest net"),
        ({"long_short": True, "net_lower": 1.0, "net_upper": 0.5}, "net_lower=1 is above"),
        ({"long_short": True, "min_weight": 0.05}, "does not combine with min_weight"),
        ({"long_short": True, "lasso": 1e-4}, "does not combine with lasso"),
        ({"long_short": True, "min_names": 2}, "does not combine with min_names"),
        ({"long_short": True, "max_gross": float("nan")}, "max_gross=nan must be a finite"),
    ],
)
def test_configuration_errors(kwargs, match):
    X, y = _returns(0, 10, 40)
    with pytest.raises(ConfigurationError, match=match):
        solve_tracking(TrackingProblem.from_returns(X, y, **kwargs))


def test_infeasible_is_named():
    X, y = _returns(0, 10, 40)
    with pytest.raises(InfeasibleError, match="below the net 100% the long/short hedge"):
        solve_tracking(TrackingProblem.from_returns(X, y, long_short=True, upper=0.1, max_names=5))
    group = (GroupBound("all", np.arange(10), 2.0, 3.0),)
    with pytest.raises(InfeasibleError, match="no long/short hedge meets the net bounds"):
        solve_tracking(TrackingProblem.from_returns(X, y, long_short=True, groups=group))


# ---------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.parametrize("target", ["WDC", "MOS", "AAPL"])
def test_real_data_long_short_beats_long_only_in_sample(real_market, target):
    view = real_market.as_of("2022-12-30")
    siblings = real_market.share_classes.get(target, frozenset({target}))
    members = [t for t in view.tradable(view.members()) if t not in siblings]
    rets = view.returns([target, *members], window=252)
    X = rets[members].dropna(axis=1)
    y = rets[target].to_numpy()
    assert X.shape[1] > 400
    base = {"max_names": 10, "upper": 0.25}
    long_only = solve_tracking(TrackingProblem.from_returns(X, y, **base))
    for gross in (1.5, 2.0):
        cons = {**base, "long_short": True, "max_gross": gross}
        t0 = time.perf_counter()
        sol = solve_tracking(TrackingProblem.from_returns(X, y, **cons))
        seconds = time.perf_counter() - t0
        _check(sol, cons, X.to_numpy())
        assert sol.tracking_variance <= long_only.tracking_variance * (1 + 1e-7)
        assert seconds < 10
