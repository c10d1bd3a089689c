"""The tracking-error optimizer against exact answers (cvxpy over every support)."""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit import ConfigurationError, InfeasibleError
from hedgekit.optimize import GroupBound, TrackingProblem, TrackingSolution, solve_tracking

try:  # the exact references need cvxpy; the other tests do not
    import cvxpy as cp
except ImportError:  # pragma: no cover - cvxpy is in the dev extra
    cp = None
needs_cvxpy = pytest.mark.skipif(cp is None, reason="cvxpy is not installed (pip install cvxpy)")

SEEDS = range(10)


# ---------------------------------------------------------------------- small problems
def _returns(seed: int, n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Factor-model returns: candidates share 3 factors with the target."""
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=0.01, size=(T, 3))
    B = rng.normal(size=(n, 3))
    X = f @ B.T + rng.normal(scale=0.008, size=(T, n))
    y = f @ rng.normal(size=3) + rng.normal(scale=0.006, size=T)
    return X, y


def _small(seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """A small problem; the seed also picks which constraints are active."""
    n = 10 if seed % 2 else 12
    X, y = _returns(seed, n, 80)
    cons: dict = {"max_names": 3 if seed % 3 else 4, "upper": 0.5}
    kind = seed % 4
    if kind == 1:
        cons.update(min_weight=0.2, upper=0.6)
    elif kind == 2:
        cons["groups"] = (
            GroupBound("sector A", np.arange(0, 4), 0.3, 0.8),
            GroupBound("sector B", np.arange(4, 8), 0.0, 0.4),
        )
    elif kind == 3:
        mu = X.mean(axis=0) * 252
        dev = 0.5 * float(np.std(mu))
        target = float(y.mean() * 252)
        cons.update(
            A_ub=np.vstack([mu, -mu]),
            b_ub=np.array([target + dev, dev - target]),
            ub_names=["return band (above)", "return band (below)"],
            ridge=1e-5,
        )
    return X, y, cons


@functools.cache
def _exact(seed: int) -> tuple[float, np.ndarray]:
    """Global optimum: every support of size <= K, each support's QP solved by cvxpy."""
    X, y, cons = _small(seed)
    T, n = X.shape
    Xc, yc = X - X.mean(0), y - y.mean()
    K = cons["max_names"]
    upper = np.broadcast_to(cons["upper"], (n,))
    mw = np.broadcast_to(cons.get("min_weight", 0.0), (n,))
    w = cp.Variable(n)
    lo, hi = cp.Parameter(n, nonneg=True), cp.Parameter(n, nonneg=True)
    constraints = [cp.sum(w) == 1.0, w >= lo, w <= hi]
    for g in cons.get("groups", ()):
        constraints += [cp.sum(w[g.members]) >= g.lower, cp.sum(w[g.members]) <= g.upper]
    if "A_ub" in cons:
        constraints.append(cons["A_ub"] @ w <= cons["b_ub"])
    obj = cp.sum_squares(Xc @ w - yc) / (T - 1) + cons.get("ridge", 0.0) * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(obj), constraints)
    best, best_w = np.inf, np.zeros(n)
    for k in range(1, K + 1):
        for support in itertools.combinations(range(n), k):
            mask = np.zeros(n)
            mask[list(support)] = 1.0
            lo.value, hi.value = mw * mask, upper * mask
            prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-13, tol_gap_rel=1e-11, tol_feas=1e-11)
            if prob.status == "optimal" and prob.value < best:
                best, best_w = float(prob.value), np.asarray(w.value).copy()
    return best, best_w


def _value(sol: TrackingSolution, problem: TrackingProblem) -> float:
    """The exact reference's objective: tracking variance plus the ridge term."""
    return sol.objective + problem.target_variance


def _check_invariants(sol: TrackingSolution, X: np.ndarray, y: np.ndarray, cons: dict) -> None:
    w = sol.weights
    budget = cons.get("budget", 1.0)
    n = X.shape[1]
    assert w.sum() == pytest.approx(budget, abs=1e-9)
    assert (w >= 0).all()
    assert (w <= np.broadcast_to(cons.get("upper", budget), (n,)) + 1e-9).all()
    if cons.get("max_names") is not None:
        assert np.count_nonzero(w) <= cons["max_names"]
    mw = np.broadcast_to(cons.get("min_weight", 0.0), (n,))
    assert ((w == 0) | (w >= mw - 1e-9)).all()
    for g in cons.get("groups", ()):
        assert g.lower - 1e-9 <= w[g.members].sum() <= g.upper + 1e-9
    if "A_ub" in cons:
        assert (cons["A_ub"] @ w <= cons["b_ub"] + 1e-9).all()
    np.testing.assert_array_equal(sol.support, np.flatnonzero(w))
    # reported tracking variance equals the variance of (target - hedge) from the returns
    assert sol.tracking_variance == pytest.approx(np.var(y - X @ w, ddof=1), rel=1e-9)
    assert sol.tracking_error == pytest.approx(np.std(y - X @ w, ddof=1), rel=1e-9)


@needs_cvxpy
def test_fast_matches_the_exact_optimum_on_most_seeds():
    exact_hits = 0
    for seed in SEEDS:
        X, y, cons = _small(seed)
        problem = TrackingProblem.from_returns(X, y, **cons)
        sol = solve_tracking(problem, method="fast")
        _check_invariants(sol, X, y, cons)
        best, _ = _exact(seed)
        got = _value(sol, problem)
        assert got >= best * (1 - 1e-6), seed  # never better than the global optimum
        assert np.sqrt(got) <= np.sqrt(best) * 1.005, seed
        exact_hits += got <= best * (1 + 1e-6)
    assert exact_hits >= 8


@needs_cvxpy
@pytest.mark.parametrize("seed", SEEDS)
def test_exhaustive_matches_the_exact_optimum(seed):
    X, y, cons = _small(seed)
    problem = TrackingProblem.from_returns(X, y, **cons)
    sol = solve_tracking(problem, method="exhaustive", seed=seed)
    _check_invariants(sol, X, y, cons)
    best, _ = _exact(seed)
    assert _value(sol, problem) == pytest.approx(best, rel=1e-6)
    assert sol.method == "exhaustive"
    assert sol.status in {"optimal", "local_optimum"}
    assert sol.evaluations > 0
    assert sol.seconds > 0


def test_solution_fields_and_to_dict():
    X, y, cons = _small(0)
    sol = solve_tracking(TrackingProblem.from_returns(X, y, **cons))
    d = sol.to_dict()
    assert d["method"] == "fast"
    assert len(d["weights"]) == X.shape[1]
    assert d["tracking_error"] == pytest.approx(sol.tracking_error)
    assert solve_tracking(TrackingProblem.from_returns(X, y, **cons), method="FAST").method == (
        "fast"
    )


# ---------------------------------------------------------------------- relaxation
def _cvxpy_relaxation(X, y, cons) -> tuple[float, np.ndarray]:
    T, n = X.shape
    Xc, yc = X - X.mean(0), y - y.mean()
    w = cp.Variable(n)
    c = [cp.sum(w) == cons.get("budget", 1.0), w >= 0, w <= cons["upper"]]
    for g in cons.get("groups", ()):
        c += [cp.sum(w[g.members]) >= g.lower, cp.sum(w[g.members]) <= g.upper]
    if "A_ub" in cons:
        c.append(cons["A_ub"] @ w <= cons["b_ub"])
    obj = cp.sum_squares(Xc @ w - yc) / (T - 1) + cons.get("ridge", 0.0) * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(obj), c)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert prob.status == "optimal"
    return float(prob.value), np.asarray(w.value)


@needs_cvxpy
@pytest.mark.parametrize("ridge", [0.0, 1e-4])
def test_relaxation_equals_cvxpy(ridge):
    # more candidates than observations: S is singular
    X, y = _returns(3, 80, 60)
    mu = X.mean(axis=0) * 252
    cons = {
        "upper": 0.15,
        "ridge": ridge,
        "budget": 0.9,
        "groups": (
            GroupBound("first ten", np.arange(10), 0.2, 0.5),
            GroupBound("last twenty", np.arange(60, 80), 0.0, 0.1),
        ),
        "A_ub": np.vstack([mu, -mu]),
        "b_ub": np.array([np.abs(mu).max(), 0.1 * np.abs(mu).max()]),
        "ub_names": ["mu above", "mu below"],
    }
    problem = TrackingProblem.from_returns(X, y, **cons)
    sol = solve_tracking(problem, method="relaxation")
    _check_invariants(sol, X, y, cons)
    value, w_ref = _cvxpy_relaxation(X, y, cons)
    assert _value(sol, problem) == pytest.approx(value, rel=1e-6)
    assert sol.status == "optimal"
    if ridge:  # strictly convex: the weights are unique too
        np.testing.assert_allclose(sol.weights, w_ref, atol=1e-5)


def test_relaxation_is_returned_when_it_meets_max_names():
    X, y = _returns(5, 30, 120)
    problem = TrackingProblem.from_returns(X, y, upper=0.6)
    relax = solve_tracking(problem, method="relaxation")
    fast = solve_tracking(
        TrackingProblem.from_returns(X, y, upper=0.6, max_names=relax.support.size)
    )
    assert fast.status == "optimal"
    np.testing.assert_allclose(fast.weights, relax.weights)


# ---------------------------------------------------------------------- factor model
def test_factor_model_equals_returns_when_exact():
    X, y = _returns(7, 40, 30)  # T < N: rank-deficient covariance
    T = X.shape[0]
    Xc, yc = X - X.mean(0), y - y.mean()
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    B = Vt.T * s / np.sqrt(T - 1)  # S = B B'
    b = U.T @ yc / np.sqrt(T - 1)  # c = B b
    resid = max(float(yc @ yc) / (T - 1) - float(b @ b), 0.0)
    cons = {"upper": 0.3, "max_names": 5}
    pf = TrackingProblem.from_factor_model(B, np.eye(B.shape[1]), np.zeros(40), b, resid, **cons)
    pr = TrackingProblem.from_returns(X, y, **cons)
    np.testing.assert_allclose(pf.covariance, pr.covariance, atol=1e-14)
    np.testing.assert_allclose(pf.cross, pr.cross, atol=1e-14)
    assert pf.target_variance == pytest.approx(pr.target_variance, rel=1e-12)
    a, r = solve_tracking(pf), solve_tracking(pr)
    np.testing.assert_allclose(a.weights, r.weights, atol=1e-8)
    assert a.tracking_variance == pytest.approx(r.tracking_variance, rel=1e-8)


def test_factor_model_formulas():
    rng = np.random.default_rng(0)
    n, k = 15, 4
    B = rng.normal(size=(n, k))
    L = rng.normal(size=(k, k))
    F = L @ L.T
    D = rng.uniform(0.1, 0.2, n)
    b = rng.normal(size=k)
    s = rng.uniform(0, 0.05, n)
    p = TrackingProblem.from_factor_model(B, F, D, b, 0.3, specific_cross=s, upper=0.5)
    np.testing.assert_allclose(p.covariance, B @ F @ B.T + np.diag(D))
    np.testing.assert_allclose(p.cross, B @ F @ b + s)
    assert p.target_variance == pytest.approx(b @ F @ b + 0.3)
    sol = solve_tracking(p)
    w = sol.weights
    assert sol.tracking_variance == pytest.approx(
        w @ p.covariance @ w - 2 * p.cross @ w + p.target_variance
    )
    with pytest.raises(ConfigurationError, match=r"factor_covariance has shape \(3, 3\)"):
        TrackingProblem.from_factor_model(B, np.eye(3), D, b, 0.3)
    with pytest.raises(ConfigurationError, match="specific_variance has shape"):
        TrackingProblem.from_factor_model(B, F, D[:-1], b, 0.3)


# ---------------------------------------------------------------------- penalties
def _crowd(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Twenty noisy copies of the target's driver: the relaxation spreads over many."""
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=0.01, size=250)
    X = f[:, None] * rng.uniform(0.8, 1.2, 20) + rng.normal(scale=0.01, size=(250, 20))
    return X, f + rng.normal(scale=0.003, size=250)


@pytest.mark.parametrize("method", ["relaxation", "fast"])
def test_lasso_reduces_the_number_of_names(method):
    X, y = _crowd()
    base = solve_tracking(TrackingProblem.from_returns(X, y), method=method)
    scale = float(np.mean(X.var(axis=0, ddof=1)))
    sparse = solve_tracking(TrackingProblem.from_returns(X, y, lasso=0.05 * scale), method=method)
    assert base.support.size >= 10
    assert sparse.support.size < base.support.size
    assert sparse.weights.sum() == pytest.approx(1.0)
    # the log penalty is in the objective, not in the tracking variance
    P = np.log1p(sparse.weights / 0.01).sum()
    assert sparse.objective == pytest.approx(
        sparse.tracking_variance
        - TrackingProblem.from_returns(X, y).target_variance
        + 0.05 * scale * P
    )


def test_ridge_increases_effective_names():
    X, y = _returns(2, 30, 200)
    scale = float(np.mean(X.var(axis=0, ddof=1)))
    base = solve_tracking(TrackingProblem.from_returns(X, y, max_names=10))
    spread = solve_tracking(TrackingProblem.from_returns(X, y, max_names=10, ridge=scale))

    def effective(w: np.ndarray) -> float:
        return 1.0 / float(np.sum(w**2))

    assert effective(spread.weights) > effective(base.weights) + 0.5
    assert spread.tracking_variance >= base.tracking_variance


# ---------------------------------------------------------------------- infeasibility
def _problem(n: int = 30, **cons) -> TrackingProblem:
    X, y = _returns(1, n, 60)
    return TrackingProblem.from_returns(X, y, **cons)


@pytest.mark.parametrize(
    ("cons", "match"),
    [
        (
            {"upper": 0.05, "max_names": 10},
            r"max_weight=5% with max_names=10 cannot reach a 100% hedge ratio; "
            r"raise max_weight to >= 10% or max_names to >= 20",
        ),
        (
            {"upper": np.r_[np.full(5, 0.1), np.full(25, 0.02)], "max_names": 8},
            r"the 8 largest weight caps add to only 56%, below the 100% hedge ratio with "
            r"max_names=8; raise max_weight or max_adv_percentage, or max_names to >= 30",
        ),
        (
            {"upper": 0.02},
            r"the ADV/weight caps of the 30 candidates add to only 60% of the 100% hedge; "
            r"raise max_adv_percentage or max_weight, or widen the universe",
        ),
        (
            {"upper": 0.25, "min_weight": np.r_[0.3, np.zeros(29)]},
            r"min_weight=30% exceeds the weight cap 25% of candidate 0; lower min_weight",
        ),
        (
            {"groups": (GroupBound("sector Energy", np.array([], dtype=int), 0.05),)},
            r"group 'sector Energy' needs at least 5% but has no candidates; "
            r"set its lower bound to 0",
        ),
        (
            {"upper": 0.1, "groups": (GroupBound("sector Energy", np.arange(3), 0.5),)},
            r"the weight caps of the 3 candidates in group 'sector Energy' add to only 30%, "
            r"below its lower bound 50%",
        ),
        (
            {
                "upper": np.r_[np.full(10, 0.05), np.full(20, 0.2)],
                "max_names": 5,
                "groups": (GroupBound("sector Energy", np.arange(10), 0.3),),
            },
            r"group 'sector Energy' needs at least 6 names to reach its lower bound 30%, "
            r"more than max_names=5; raise max_names to >= 6",
        ),
        (
            {
                "groups": (
                    GroupBound("sector A", np.arange(10), 0.6),
                    GroupBound("sector B", np.arange(10, 20), 0.5),
                ),
            },
            r"group lower bounds add to 110% \(sector A 60%, sector B 50%\), "
            r"above the 100% hedge ratio; lower them",
        ),
        (
            {
                "upper": 0.1,
                "max_names": 10,
                "groups": (
                    GroupBound("sector A", np.arange(10), 0.55),
                    GroupBound("sector B", np.arange(10, 20), 0.45),
                ),
            },
            r"need at least 11 names \(sector A 6, sector B 5\), more than max_names=10; "
            r"raise max_names to >= 11",
        ),
        (
            {
                "groups": (
                    GroupBound("sector A", np.arange(15), 0.0, 0.3),
                    GroupBound("sector B", np.arange(15, 30), 0.0, 0.4),
                ),
            },
            r"group upper bounds \(sector A 30%, sector B 40%\) and the weight caps allow at "
            r"most 70% in total",
        ),
    ],
)
def test_infeasible_before_solving(cons, match):
    with pytest.raises(InfeasibleError, match=match):
        solve_tracking(_problem(**cons))


def test_group_lower_bounds_needing_exactly_max_names_are_feasible():
    groups = (
        GroupBound("sector A", np.arange(10), 0.45),
        GroupBound("sector B", np.arange(10, 20), 0.45),
    )
    sol = solve_tracking(_problem(upper=0.1, max_names=10, groups=groups))
    assert np.count_nonzero(sol.weights) == 10
    assert sol.weights[:10].sum() >= 0.45 - 1e-9
    assert sol.weights[10:20].sum() >= 0.45 - 1e-9


def test_infeasible_rows_are_named():
    X, y = _returns(1, 30, 60)
    mu = X.mean(axis=0)
    # the hedge's mean return must exceed every candidate's: impossible
    p = TrackingProblem.from_returns(
        X, y, A_ub=-mu[None, :], b_ub=np.array([-2 * mu.max()]), ub_names=["max_return_deviation"]
    )
    with pytest.raises(
        InfeasibleError,
        match=r"even without the max_names and min_weight limits; the best attempt breaks "
        r"max_return_deviation \(violated by .*\); relax",
    ):
        solve_tracking(p)


def test_infeasible_rows_with_max_names():
    # 60% in the first five names and 30% in the next five, capped at 25%: five names
    # are needed; the relaxation is feasible, four names are not
    X, y = _returns(1, 30, 60)
    rows = np.zeros((2, 30))
    rows[0, :5] = rows[1, 5:10] = -1.0
    cons = {
        "upper": 0.25,
        "A_ub": rows,
        "b_ub": np.array([-0.6, -0.3]),
        "ub_names": ["core names", "satellite names"],
    }
    sol = solve_tracking(TrackingProblem.from_returns(X, y, max_names=5, **cons))
    _check_invariants(sol, X, y, {"max_names": 5, **cons})
    with pytest.raises(
        InfeasibleError,
        match=r"with max_names=4 and the minimum weights; the best attempt breaks "
        r"(core|satellite) names \(violated by .*\); relax these constraints, raise max_names",
    ):
        solve_tracking(TrackingProblem.from_returns(X, y, max_names=4, **cons))


def test_no_candidates():
    with pytest.raises(InfeasibleError, match="no hedge candidates"):
        solve_tracking(TrackingProblem(np.zeros((0, 0)), np.zeros(0)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_names": 0}, r"max_names=0 must be an integer >= 1"),
        ({"upper": -0.1}, r"upper must be >= 0"),
        ({"upper": np.ones(3)}, r"upper has shape \(3,\); pass a scalar or an array of shape"),
        ({"budget": 0.0}, r"budget=0.0 must be a positive number"),
        ({"ridge": -1.0}, r"ridge=-1.0 must be a finite number >= 0"),
        ({"groups": (GroupBound("x", np.array([99]), 0.0, 1.0),)}, r"group 'x' has member"),
        ({"groups": (GroupBound("x", np.array([1]), 0.5, 0.2),)}, r"lower=0.5 > upper=0.2"),
        ({"A_ub": np.ones((1, 30))}, r"pass both A_ub and b_ub"),
        (
            {"A_ub": np.ones((2, 30)), "b_ub": np.ones(2), "ub_names": ["a"]},
            r"ub_names has 1 labels for 2 rows",
        ),
        ({"asset_names": ["a"]}, r"asset_names has 1 labels for 30 candidates"),
    ],
)
def test_configuration_errors(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        solve_tracking(_problem(**kwargs))


def test_input_errors():
    X, y = _returns(1, 5, 20)
    with pytest.raises(ConfigurationError, match="method='best' is not one of"):
        solve_tracking(TrackingProblem.from_returns(X, y), method="best")
    X[3, 2] = np.nan
    with pytest.raises(ConfigurationError, match=r"candidate column\(s\) 2 hold missing"):
        TrackingProblem.from_returns(X, y)
    with pytest.raises(ConfigurationError, match="target has shape"):
        TrackingProblem.from_returns(X, y[:-1])
    with pytest.raises(ConfigurationError, match="covariance is not symmetric"):
        S = np.eye(3)
        S[0, 1] = 1.0
        solve_tracking(TrackingProblem(S, np.zeros(3)))


def test_time_limit_returns_the_best_so_far():
    X, y = _returns(4, 200, 120)
    p = TrackingProblem.from_returns(X, y, max_names=8, upper=0.3)
    sol = solve_tracking(p, method="exhaustive", starts=1000, time_limit=0.3)
    assert sol.status == "time_limit"
    assert np.count_nonzero(sol.weights) <= 8
    assert sol.weights.sum() == pytest.approx(1.0)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(4, 25),
    k=st.integers(1, 6),
    budget=st.floats(0.2, 1.5),
    min_frac=st.floats(0.0, 0.2),
)
def test_invariants_hold_on_random_problems(seed, n, k, budget, min_frac):
    X, y = _returns(seed, n, 40)
    upper = max(budget / k, budget / n) * 1.5
    cons = {"budget": budget, "upper": upper, "max_names": k, "min_weight": min_frac * upper}
    try:
        sol = solve_tracking(TrackingProblem.from_returns(X, y, **cons))
    except InfeasibleError:
        return
    _check_invariants(sol, X, y, cons)


# ---------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.parametrize("target", ["WDC", "MOS", "AAPL"])
def test_real_data_fast_within_half_a_percent_of_exhaustive(real_market, target):
    view = real_market.as_of("2022-12-30")
    siblings = real_market.share_classes.get(target, frozenset({target}))
    members = [t for t in view.tradable(view.members()) if t not in siblings]
    rets = view.returns([target, *members], window=252)
    X = rets[members].dropna(axis=1)
    y = rets[target].to_numpy()
    assert X.shape[0] == 252
    assert X.shape[1] > 400
    cons = {"max_names": 10, "upper": 0.25}
    t0 = time.perf_counter()
    fast = solve_tracking(TrackingProblem.from_returns(X, y, **cons))
    seconds = time.perf_counter() - t0
    best = solve_tracking(TrackingProblem.from_returns(X, y, **cons), method="exhaustive")
    _check_invariants(fast, X.to_numpy(), y, cons)
    _check_invariants(best, X.to_numpy(), y, cons)
    assert fast.tracking_error <= best.tracking_error * 1.005
    assert seconds < 0.5


# ---------------------------------------------------------------------- swap pruning
def _engine(problem: TrackingProblem):
    from hedgekit.optimize._search import _Engine

    problem.validate()
    return _Engine(problem, deadline=float("inf"))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("ridge", "lasso"), [(0.0, 0.0), (1e-4, 0.0), (0.0, 1e-5)])
def test_swap_bounds_never_exceed_the_refit(seed, ridge, lasso):
    """Every swap's bound is below the objective of its exact refit (all constraints)."""
    X, y, cons = _small(seed)
    cons = {**cons, "ridge": cons.get("ridge", 0.0) + ridge, "lasso": lasso}
    eng = _engine(TrackingProblem.from_returns(X, y, **cons))
    fit = eng.fit_support(np.arange(min(eng.K, 3)))
    bounds = eng.swap_bounds(fit)
    if fit.viol > eng.feas_tol:
        assert bounds is None
        return
    assert bounds is not None and bounds.shape == (fit.idx.size, eng.n)
    for i in range(fit.idx.size):
        for j in np.setdiff1d(np.arange(eng.n), fit.idx):
            trial = fit.idx.copy()
            trial[i] = j
            refit = eng.fit_support(trial)
            if refit.viol <= eng.feas_tol:
                assert bounds[i, j] <= refit.obj + 1e-12 * eng.obj_scale


@pytest.mark.parametrize("method", ["fast", "exhaustive"])
def test_pruning_changes_no_answer(method, monkeypatch):
    """Skipping the swaps the bounds rule out leaves every solution as it was, with fewer QPs."""
    from hedgekit.optimize._search import _Engine

    problems = [
        TrackingProblem.from_returns(*_returns(s, 60, 150), max_names=8, upper=0.3)
        for s in range(4)
    ]
    problems += [TrackingProblem.from_returns(*_small(s)[:2], **_small(s)[2]) for s in range(4)]
    pruned = [solve_tracking(p, method=method) for p in problems]
    monkeypatch.setattr(_Engine, "swap_bounds", lambda self, fit: None)
    plain = [solve_tracking(p, method=method) for p in problems]
    for a, b in zip(pruned, plain, strict=True):
        np.testing.assert_array_equal(a.support, b.support)
        np.testing.assert_allclose(a.weights, b.weights, atol=1e-12)
    assert sum(a.evaluations for a in pruned) < 0.5 * sum(b.evaluations for b in plain)


def test_presolve_drops_rows_that_cannot_bind():
    """A return band wider than any hedge can reach and a group as wide as the budget are
    dropped before solving; the answer equals the problem without them."""
    X, y = _returns(3, 40, 120)
    mu = X.mean(axis=0) * 252
    loose = TrackingProblem.from_returns(
        X,
        y,
        max_names=6,
        upper=0.4,
        A_ub=np.vstack([mu, -mu]),
        b_ub=np.array([1e6, 1e6]),
        ub_names=["above", "below"],
        groups=(GroupBound("all", np.arange(40), 0.0, 1.0),),
    )
    bare = TrackingProblem.from_returns(X, y, max_names=6, upper=0.4)
    assert _engine(loose).m == 0
    tight = TrackingProblem.from_returns(
        X, y, max_names=6, upper=0.4, A_ub=mu[None, :], b_ub=np.array([float(np.median(mu))])
    )
    assert _engine(tight).m == 1
    a, b = solve_tracking(loose), solve_tracking(bare)
    np.testing.assert_array_equal(a.support, b.support)
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-12)
