"""Batched Huber regressions against statsmodels' RLM, day by day."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.risk import HuberFit, HuberRegression, huber_irls

N_DAYS, N_ASSETS, N_FACTORS = 5, 300, 8
EPS = 1.35

Data = tuple[np.ndarray, np.ndarray, np.ndarray]


def _day_mask(X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    mask = ~np.isnan(y) & ~np.isnan(X).any(axis=1)
    if w is not None:
        mask &= ~np.isnan(w) & (np.nan_to_num(w) > 0)
    return mask


def rlm_day(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    *,
    maxiter: int = 50,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, float, int, np.ndarray, np.ndarray]:
    """statsmodels RLM(HuberT) on the sqrt(w)-scaled rows of one day.

    Returns params, scale, iterations, Huber weights and the mask of used assets.
    """
    mask = _day_mask(X, y, w)
    sw = np.ones(mask.sum()) if w is None else np.sqrt(w[mask])
    yy = y[mask] - (0.0 if offset is None else offset[mask])
    res = sm.RLM(yy * sw, X[mask] * sw[:, None], M=sm.robust.norms.HuberT(t=EPS)).fit(
        maxiter=maxiter, tol=1e-10
    )
    return res.params, float(res.scale), int(res.fit_history["iteration"]), res.weights, mask


@pytest.fixture
def data() -> Data:
    """Per-day X (intercept + 7 factors), fat-tailed y, sqrt(market cap) weights."""
    rng = np.random.default_rng(42)
    X = np.concatenate(
        [np.ones((N_DAYS, N_ASSETS, 1)), rng.normal(size=(N_DAYS, N_ASSETS, N_FACTORS - 1))],
        axis=2,
    )
    f = rng.normal(0.0, 0.01, size=(N_DAYS, N_FACTORS))
    y = np.einsum("tnk,tk->tn", X, f) + 0.02 * rng.standard_t(3, size=(N_DAYS, N_ASSETS))
    cap = np.exp(rng.normal(1.5, 1.2, size=(N_DAYS, N_ASSETS)))
    return X, y, np.sqrt(cap)


def _assert_matches_rlm(fit: HuberFit, X: np.ndarray, y: np.ndarray, w: np.ndarray | None) -> None:
    for d in range(y.shape[0]):
        Xd = X if X.ndim == 2 else X[d]
        params, scale, iters, u, mask = rlm_day(Xd, y[d], None if w is None else w[d])
        np.testing.assert_allclose(fit.coef[d], params, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(fit.scale[d], scale, rtol=1e-6)
        np.testing.assert_allclose(fit.weights[d, mask], u, rtol=1e-6, atol=1e-12)
        assert np.isnan(fit.weights[d, ~mask]).all()
        assert np.isnan(fit.residuals[d, ~mask]).all()
        np.testing.assert_allclose(
            fit.residuals[d, mask], y[d, mask] - Xd[mask] @ params, rtol=1e-6, atol=1e-12
        )
        # same stopping rule; an absolute tol of 1e-10 on a deviance of ~1e4 can flip on
        # the last rounding bit, so the counts may differ by one
        assert abs(fit.n_iter[d] - iters) <= 1
        assert fit.n_obs[d] == mask.sum()
    assert fit.converged.all()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sqrt_cap"])
@pytest.mark.parametrize("shared_x", [False, True], ids=["per_day_X", "shared_X"])
def test_matches_statsmodels_rlm(data: Data, weighted: bool, shared_x: bool) -> None:
    X, y, w = data
    Xin = X[0] if shared_x else X
    weights = w if weighted else None
    fit = huber_irls(Xin, y, weights, epsilon=EPS)
    assert fit.coef.shape == (N_DAYS, N_FACTORS)
    assert fit.residuals.shape == fit.weights.shape == (N_DAYS, N_ASSETS)
    _assert_matches_rlm(fit, Xin, y, weights)
    # fat tails: some assets are downweighted on every day
    assert (np.nanmin(fit.weights, axis=1) < 0.5).all()


@pytest.mark.parametrize("shared_x", [False, True], ids=["per_day_X", "shared_X"])
def test_masked_assets_match_statsmodels_on_the_rest(data: Data, shared_x: bool) -> None:
    X, y, w = data
    X = X.copy()
    y = y.copy()
    w = w.copy()
    y[0, :7] = np.nan
    y[3, 100:140] = np.nan
    w[1, 5] = 0.0
    w[2, 9] = np.nan
    if shared_x:
        Xin = X[0]
        Xin[11, 2] = np.nan  # excludes asset 11 on every day
    else:
        Xin = X
        Xin[4, 20, 5] = np.nan
    fit = huber_irls(Xin, y, w)
    _assert_matches_rlm(fit, Xin, y, w)
    assert fit.n_obs[0] == N_ASSETS - 7 - (1 if shared_x else 0)


def test_max_iter_matches_statsmodels_maxiter(data: Data) -> None:
    X, y, w = data
    fit = huber_irls(X, y, w, max_iter=3)
    for d in range(N_DAYS):
        params, scale, iters, _, _ = rlm_day(X[d], y[d], w[d], maxiter=3)
        np.testing.assert_allclose(fit.coef[d], params, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(fit.scale[d], scale, rtol=1e-9)
        assert fit.n_iter[d] == iters == 3
    assert not fit.converged.any()


def test_r_squared_is_weighted_least_squares_r2_for_huge_epsilon(data: Data) -> None:
    X, y, w = data
    fit = huber_irls(X, y, w, epsilon=1e9)  # every Huber weight is 1: plain WLS
    for d in range(N_DAYS):
        wls = sm.WLS(y[d], X[d], weights=w[d]).fit()
        np.testing.assert_allclose(fit.coef[d], wls.params, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(fit.r_squared[d], wls.rsquared, rtol=1e-9)
    assert fit.converged.all()


# ------------------------------------------------------------------------- constraints


def _industry_data(
    n_days: int = 4, n_assets: int = 250, n_ind: int = 5, n_styles: int = 2, seed: int = 7
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """X = [market, industry dummies, styles]; the dummies sum to the market column."""
    rng = np.random.default_rng(seed)
    ind = rng.integers(0, n_ind, size=n_assets)
    ind[:n_ind] = np.arange(n_ind)
    k = 1 + n_ind + n_styles
    X = np.zeros((n_days, n_assets, k))
    X[:, :, 0] = 1.0
    X[:, np.arange(n_assets), 1 + ind] = 1.0
    X[:, :, 1 + n_ind :] = rng.normal(size=(n_days, n_assets, n_styles))
    f = rng.normal(0.0, 0.01, size=(n_days, k))
    y = np.einsum("tnk,tk->tn", X, f) + 0.02 * rng.standard_t(3, size=(n_days, n_assets))
    cap = np.exp(rng.normal(1.5, 1.2, size=(n_days, n_assets)))
    return X, y, cap, list(range(1, 1 + n_ind))


def _rlm_constrained(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, c: np.ndarray, d: float
) -> np.ndarray:
    """Eliminate the last coefficient with c_j != 0 and run unconstrained RLM; map back."""
    k = X.shape[1]
    j = int(np.flatnonzero(c)[-1])
    others = [i for i in range(k) if i != j]
    M = np.zeros((k, k - 1))
    M[others, np.arange(k - 1)] = 1.0
    M[j] = -c[others] / c[j]
    b0 = np.zeros(k)
    b0[j] = d / c[j]
    params, *_ = rlm_day(X @ M, y, w, offset=X @ b0)
    return b0 + M @ params


def test_industry_constraint_matches_reparametrised_statsmodels() -> None:
    X, y, cap, industries = _industry_data()
    y[1, :10] = np.nan
    w = np.sqrt(cap)
    fit = huber_irls(X, y, w, constraint=("sum_to_zero", industries, cap))
    assert fit.converged.all()
    for d in range(X.shape[0]):
        used = ~np.isnan(y[d])
        c = np.zeros(X.shape[2])
        c[industries] = (cap[d, used, None] * X[d, used][:, industries]).sum(axis=0)
        share = c / c.sum()
        assert abs(share @ fit.coef[d]) < 1e-10
        expected = _rlm_constrained(X[d], y[d], w[d], c, 0.0)
        np.testing.assert_allclose(fit.coef[d], expected, rtol=1e-6, atol=1e-12)


def test_general_per_day_constraint_matches_reparametrised_statsmodels() -> None:
    X, y, cap, _ = _industry_data(n_ind=1, n_styles=4, seed=3)
    X = X[:, :, [0, 2, 3, 4, 5]]  # market + 4 styles, no dummies
    w = np.sqrt(cap)
    rng = np.random.default_rng(0)
    C = rng.normal(size=(X.shape[0], 1, X.shape[2]))
    dvec = rng.normal(0.0, 0.01, size=(X.shape[0], 1))
    fit = huber_irls(X, y, w, constraint=(C, dvec))
    for d in range(X.shape[0]):
        np.testing.assert_allclose(C[d] @ fit.coef[d], dvec[d], rtol=0, atol=1e-10)
        expected = _rlm_constrained(X[d], y[d], w[d], C[d, 0], float(dvec[d, 0]))
        np.testing.assert_allclose(fit.coef[d], expected, rtol=1e-6, atol=1e-12)
    # one (C, d) shared by all days is broadcast
    shared = huber_irls(X, y, w, constraint=(C[0], dvec[0]))
    np.testing.assert_allclose(shared.coef[0], fit.coef[0], rtol=1e-12, atol=1e-15)


def test_empty_industry_gets_zero_and_leaves_the_rest_unchanged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    X, y, cap, industries = _industry_data(n_ind=5)
    empty = ~(X[0, :, 3] == 1.0)
    y_empty = np.where(empty[None, :], y, np.nan)  # industry 3 (column 3) has no asset
    with caplog.at_level(logging.WARNING, logger="hedgekit.risk._regression"):
        fit = huber_irls(X, y_empty, np.sqrt(cap), constraint=("sum_to_zero", industries, cap))
    assert "rank-deficient" in caplog.text
    np.testing.assert_allclose(fit.coef[:, 3], 0.0, atol=1e-12)
    keep = [j for j in range(X.shape[2]) if j != 3]
    reduced = huber_irls(
        X[:, :, keep],
        y_empty,
        np.sqrt(cap),
        constraint=("sum_to_zero", [1, 2, 3, 4], cap),
    )
    np.testing.assert_allclose(fit.coef[:, keep], reduced.coef, rtol=1e-7, atol=1e-12)


# ----------------------------------------------------------------------------- robustness


def test_planted_outlier_barely_moves_huber_but_moves_ols(data: Data) -> None:
    X, y, _ = data
    X1, y1 = X[:1].copy(), y[:1].copy()
    i = int(np.argmax(np.abs(X1[0, :, 1])))  # a high-leverage asset
    clean = huber_irls(X1, y1)
    ols_clean = np.linalg.lstsq(X1[0], y1[0], rcond=None)[0]
    y1[0, i] += 50 * clean.scale[0]
    dirty = huber_irls(X1, y1)
    ols_dirty = np.linalg.lstsq(X1[0], y1[0], rcond=None)[0]
    huber_move = np.abs(dirty.coef[0] - clean.coef[0]).max()
    ols_move = np.abs(ols_dirty - ols_clean).max()
    assert ols_move > 10 * huber_move
    assert dirty.weights[0, i] < 0.05


def test_days_with_too_few_observations_are_nan(
    data: Data, caplog: pytest.LogCaptureFixture
) -> None:
    X, y, w = data
    y = y.copy()
    y[1, N_FACTORS:] = np.nan  # n_obs == n_factors: no residual degree of freedom
    y[3] = np.nan
    with caplog.at_level(logging.WARNING, logger="hedgekit.risk._regression"):
        fit = huber_irls(X, y, w)
    assert "2 of 5 day(s)" in caplog.text
    for d in (1, 3):
        assert np.isnan(fit.coef[d]).all()
        assert np.isnan(fit.scale[d])
        assert np.isnan(fit.residuals[d]).all()
        assert not fit.converged[d]
        assert fit.n_iter[d] == 0
    assert fit.n_obs.tolist() == [N_ASSETS, N_FACTORS, N_ASSETS, 0, N_ASSETS]
    good = [0, 2, 4]
    assert fit.converged[good].all()
    assert np.isfinite(fit.coef[good]).all()


def test_one_observation_more_than_free_coefficients_is_fitted() -> None:
    X, y, cap, industries = _industry_data(n_days=2, n_ind=3, n_styles=1)
    k = X.shape[2]  # 5 columns, 1 constraint: 4 free coefficients
    y[0, 5:] = np.nan  # 5 observations (the first assets cover every industry)
    fit = huber_irls(X, y, constraint=("sum_to_zero", industries, cap))
    assert fit.n_obs[0] == 5 == k
    assert np.isfinite(fit.coef[0]).all()


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epsilon": 0.0}, r"epsilon=0\.0 must be a finite number > 0"),
        ({"epsilon": -1.0}, r"epsilon=-1\.0"),
        ({"max_iter": 0}, r"max_iter=0 must be an integer >= 1"),
        ({"max_iter": 2.5}, r"max_iter=2\.5"),
        ({"tol": -1e-3}, r"tol=-0\.001 must be a finite number >= 0"),
        ({"scale": "huber"}, r"scale='huber' is not supported; use scale='mad'"),
    ],
)
def test_parameter_errors(data: Data, kwargs: dict[str, Any], match: str) -> None:
    X, y, _ = data
    with pytest.raises(ConfigurationError, match=match):
        huber_irls(X, y, **kwargs)


def test_shape_and_value_errors(data: Data) -> None:
    X, y, w = data
    with pytest.raises(ConfigurationError, match=r"y has shape \(300,\); pass an array"):
        huber_irls(X[0], y[0])
    with pytest.raises(ConfigurationError, match=r"X has shape \(5, 299, 8\) but y has shape"):
        huber_irls(X[:, 1:], y)
    with pytest.raises(ConfigurationError, match=r"X has shape \(5,\); pass"):
        huber_irls(np.ones(5), y)
    with pytest.raises(ConfigurationError, match=r"weights has shape \(5, 299\)"):
        huber_irls(X, y, w[:, 1:])
    w_neg = w.copy()
    w_neg[2, 3] = -1.0
    with pytest.raises(ConfigurationError, match=r"negative value \(-1 at index \(2, 3\)\)"):
        huber_irls(X, y, w_neg)
    y_inf = y.copy()
    y_inf[1, 4] = np.inf
    with pytest.raises(ConfigurationError, match=r"y holds an infinite value at index \(1, 4\)"):
        huber_irls(X, y_inf)


def test_constraint_errors() -> None:
    X, y, cap, industries = _industry_data(n_days=2)
    k = X.shape[2]
    with pytest.raises(ConfigurationError, match=r"industry_columns=\[1, 99\] must be distinct"):
        huber_irls(X, y, constraint=("sum_to_zero", [1, 99], cap))
    with pytest.raises(ConfigurationError, match=r"market_cap has shape \(2, 3\)"):
        huber_irls(X, y, constraint=("sum_to_zero", industries, cap[:, :3]))
    with pytest.raises(ConfigurationError, match=r"constraint matrix C has shape \(1, 3\)"):
        huber_irls(X, y, constraint=(np.ones((1, 3)), np.zeros(1)))
    with pytest.raises(ConfigurationError, match=r"constraint vector d has shape \(2,\)"):
        huber_irls(X, y, constraint=(np.ones((1, k)), np.zeros(2)))
    with pytest.raises(ConfigurationError, match=rf"{k} constraints on {k} coefficients"):
        huber_irls(X, y, constraint=(np.eye(k), np.zeros(k)))
    with pytest.raises(ConfigurationError, match=r"linearly dependent .* first day index 0"):
        huber_irls(X, y, constraint=(np.ones((2, k)), np.zeros(2)))
    with pytest.raises(ConfigurationError, match=r"constraint must be None, a pair \(C, d\)"):
        huber_irls(X, y, constraint=("sum_to_one", industries))


# ------------------------------------------------------------------------------ estimator


def test_huber_regression_estimator(data: Data) -> None:
    X, y, w = data
    est = HuberRegression(epsilon=EPS, max_iter=50, tol=1e-10)
    assert (est.epsilon, est.max_iter, est.tol) == (EPS, 50, 1e-10)
    assert est.fit(X[2], y[2], sample_weight=w[2]) is est
    params, scale, iters, _, _ = rlm_day(X[2], y[2], w[2])
    np.testing.assert_allclose(est.coef_, params, rtol=1e-6, atol=1e-12)
    assert est.scale_ == pytest.approx(scale, rel=1e-6)
    assert abs(est.n_iter_ - iters) <= 1
    assert est.converged_
    assert est.n_features_in_ == N_FACTORS
    np.testing.assert_allclose(est.predict(X[2]), X[2] @ params, rtol=1e-6, atol=1e-12)
    assert repr(est) == "HuberRegression(epsilon=1.35, max_iter=50, tol=1e-10)"


def test_huber_regression_errors(data: Data) -> None:
    X, y, _ = data
    with pytest.raises(DataError, match=r"3 usable asset\(s\) for 8 factor\(s\); .* at least 9"):
        HuberRegression().fit(X[0, :3], y[0, :3])
    with pytest.raises(ConfigurationError, match=r"X has shape \(5, 300, 8\) and y"):
        HuberRegression().fit(X, y)
    with pytest.raises(ConfigurationError, match=r"sample_weight has shape \(2,\)"):
        HuberRegression().fit(X[0], y[0], sample_weight=np.ones(2))
    with pytest.raises(ConfigurationError, match=r"epsilon=-2"):
        HuberRegression(epsilon=-2).fit(X[0], y[0])
