"""Each estimator against a direct computation; the registry and the tracking moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import median_abs_deviation
from sklearn.base import clone
from sklearn.covariance import OAS, LedoitWolf

from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit.estimate import (
    ESTIMATORS,
    AveragedCovariance,
    EWMACovariance,
    FactorShrinkage,
    MultiDayCovariance,
    SampleCovariance,
    ShrunkCovariance,
    TargetShrinkage,
    Winsorized,
    get_estimator,
    target_shrinkage_intensity,
    tracking_moments,
)
from hedgekit.optimize import TrackingProblem


@pytest.fixture
def X() -> np.ndarray:  # noqa: N802 (a returns matrix)
    rng = np.random.default_rng(3)
    common = rng.standard_t(4, size=(400, 1)) * 0.01
    return common * rng.uniform(0.5, 1.5, 12) + rng.standard_t(3, size=(400, 12)) * 0.01


def test_sample_is_numpy_cov_of_the_window(X):
    est = SampleCovariance(window=250).fit(X)
    np.testing.assert_allclose(est.covariance_, np.cov(X[-250:].T, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(SampleCovariance().fit(X).covariance_, np.cov(X.T), rtol=1e-12)


def test_ewma_is_numpy_weighted_cov(X):
    est = EWMACovariance(halflife=60, window=300).fit(X)
    age = np.arange(299, -1, -1)
    a = 0.5 ** (age / 60)
    np.testing.assert_allclose(est.covariance_, np.cov(X[-300:].T, aweights=a), rtol=1e-10)
    flat = EWMACovariance(halflife=1e12, window=None).fit(X).covariance_
    np.testing.assert_allclose(flat, np.cov(X.T), rtol=1e-8)


@pytest.mark.parametrize(("method", "ref"), [("ledoit_wolf", LedoitWolf), ("oas", OAS)])
def test_shrunk_is_sklearn_rescaled_to_t_minus_1(X, method, ref):
    est = ShrunkCovariance(method, window=200).fit(X)
    direct = ref().fit(X[-200:])
    np.testing.assert_allclose(est.covariance_, direct.covariance_ * 200 / 199, rtol=1e-12)
    assert est.shrinkage_ == pytest.approx(direct.shrinkage_)


def test_winsorized_clips_at_robust_sigma(X):
    est = Winsorized(SampleCovariance(300), threshold=3.0).fit(X)
    A = X[-300:]
    med = np.median(A, axis=0)
    sig = median_abs_deviation(A, axis=0, scale="normal")
    clipped = np.clip(A, med - 3 * sig, med + 3 * sig)
    np.testing.assert_allclose(est.covariance_, np.cov(clipped.T), rtol=1e-6)
    assert est.lookback == 300
    # clipping bounds what one day can contribute
    spiked = X.copy()
    spiked[-1, 0] = 0.5
    a = Winsorized(SampleCovariance(300)).fit(spiked).covariance_[0, 0]
    b = SampleCovariance(300).fit(spiked).covariance_[0, 0]
    assert a < 0.5 * b  # the spike alone adds 0.25 / 299 to the sample variance


def test_factor_shrinkage_keeps_variances_and_blends(X):
    base = SampleCovariance().fit(X).covariance_
    est = FactorShrinkage(SampleCovariance(), n_factors=1, shrinkage=0.4).fit(X)
    np.testing.assert_allclose(np.diag(est.covariance_), np.diag(base), rtol=1e-12)
    sd = np.sqrt(np.diag(base))
    corr = base / np.outer(sd, sd)
    vals, vecs = np.linalg.eigh(corr)
    one = vals[-1] * np.outer(vecs[:, -1], vecs[:, -1])
    np.fill_diagonal(one, 1.0)
    target = one * np.outer(sd, sd)
    np.testing.assert_allclose(est.covariance_, 0.6 * base + 0.4 * target, rtol=1e-10)
    none = FactorShrinkage(SampleCovariance(), n_factors=3, shrinkage=0.0).fit(X)
    np.testing.assert_allclose(none.covariance_, base)
    assert np.linalg.eigvalsh(est.covariance_).min() > 0


def test_target_intensity_is_ledoit_wolf_for_the_identity_target(X):
    # with T = mu I the fixed-target formula is scikit-learn's Ledoit-Wolf intensity
    Y = X - X.mean(axis=0)
    S = Y.T @ Y / len(X)
    mu = np.trace(S) / S.shape[0]
    got = target_shrinkage_intensity(X, S, mu * np.eye(S.shape[0]))
    assert got == pytest.approx(LedoitWolf().fit(X).shrinkage_, rel=1e-10)


def test_target_shrinkage_blends_toward_the_given_target(X):
    rng = np.random.default_rng(5)
    B = rng.normal(size=(12, 2))
    prior = B @ B.T * 1e-4 + np.diag(rng.uniform(1, 2, 12) * 1e-4)
    S = np.cov(X[-300:].T)
    raw = TargetShrinkage(SampleCovariance(300), 0.4, keep_variances=False)
    np.testing.assert_allclose(raw.fit(X, target=prior).covariance_, 0.6 * S + 0.4 * prior)
    kept = TargetShrinkage(SampleCovariance(300), 0.4).fit(X, target=prior)
    # the target's correlations on the sample's variances: the diagonal is the sample's
    np.testing.assert_allclose(np.diag(kept.covariance_), np.diag(S), rtol=1e-12)
    sd, psd = np.sqrt(np.diag(S)), np.sqrt(np.diag(prior))
    T = prior / np.outer(psd, psd) * np.outer(sd, sd)
    np.testing.assert_allclose(kept.covariance_, 0.6 * S + 0.4 * T, rtol=1e-12)
    auto = TargetShrinkage(SampleCovariance(300)).fit(X, target=prior)
    assert 0.0 < auto.shrinkage_ < 1.0
    assert auto.shrinkage_ == pytest.approx(target_shrinkage_intensity(X[-300:], S, T))
    # a target equal to the sample itself: any intensity returns the sample
    same = TargetShrinkage(SampleCovariance(300), "auto").fit(X, target=S)
    np.testing.assert_allclose(same.covariance_, S, rtol=1e-10)
    assert clone(raw).get_params(deep=False)["shrinkage"] == 0.4


def test_target_entries_it_does_not_know_keep_the_sample(X):
    S = np.cov(X[-300:].T)
    prior = np.diag(np.diag(S)) * 1.0
    prior[:, 0] = prior[0, :] = np.nan  # the model does not cover stock 0
    got = TargetShrinkage(SampleCovariance(300), 0.5, keep_variances=False).fit(X, target=prior)
    np.testing.assert_allclose(got.covariance_[0], S[0], rtol=1e-12)
    np.testing.assert_allclose(got.covariance_[1, 2], 0.5 * S[1, 2], rtol=1e-12)
    auto = TargetShrinkage(SampleCovariance(300), "auto").fit(X, target=prior)
    assert 0.0 <= auto.shrinkage_ <= 1.0
    np.testing.assert_allclose(auto.covariance_[0], S[0], rtol=1e-12)


def test_target_shrinkage_errors(X):
    with pytest.raises(ConfigurationError, match="needs target="):
        TargetShrinkage().fit(X)
    with pytest.raises(ConfigurationError, match=r"shape \(3, 3\)"):
        TargetShrinkage().fit(X, target=np.eye(3))
    with pytest.raises(ConfigurationError, match="shrinkage=2"):
        TargetShrinkage(shrinkage=2).fit(X, target=np.eye(12))


def test_multi_day_is_overlapping_sums_per_day(X):
    est = MultiDayCovariance(SampleCovariance(), horizon=5).fit(X)
    sums = pd.DataFrame(X).rolling(5).sum().dropna().to_numpy()
    np.testing.assert_allclose(est.covariance_, np.cov(sums.T) / 5, rtol=1e-9)
    one = MultiDayCovariance(SampleCovariance(), horizon=1).fit(X)
    np.testing.assert_allclose(one.covariance_, np.cov(X.T), rtol=1e-10)


def test_averaged_is_the_mean_of_its_members(X):
    est = AveragedCovariance([SampleCovariance(100), SampleCovariance(300)], weights=[1, 3])
    est.fit(X)
    want = 0.25 * np.cov(X[-100:].T) + 0.75 * np.cov(X[-300:].T)
    np.testing.assert_allclose(est.covariance_, want, rtol=1e-12)
    assert est.lookback == 300
    with pytest.raises(ConfigurationError, match="estimators is empty"):
        AveragedCovariance([]).fit(X)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_named_estimator_clones_and_fits(name, X):
    est = get_estimator(name)
    twin = clone(est)
    assert repr(twin) == repr(est)
    big = np.vstack([X, X, X])  # 1,200 rows: every lookback fits
    # a structured-target estimator takes its target at fit time (the hedge passes the
    # risk model's forecast); here a one-factor matrix of the same assets
    kw = {"target": np.outer(X.std(axis=0), X.std(axis=0)) * 0.3 + np.diag(X.var(axis=0))}
    cov = twin.fit(big, **(kw if isinstance(twin, TargetShrinkage) else {})).covariance_
    assert cov.shape == (12, 12)
    np.testing.assert_allclose(cov, cov.T, atol=1e-15)


def test_names_and_errors():
    assert isinstance(get_estimator("Ledoit-Wolf"), ShrunkCovariance)
    with pytest.raises(ConfigurationError, match=r"estimator='nope' is not known; choose one of"):
        get_estimator("nope")
    with pytest.raises(ConfigurationError, match="has no fit method"):
        get_estimator(42)
    lw = get_estimator(LedoitWolf())
    assert isinstance(lw, LedoitWolf)
    with pytest.raises(InsufficientHistoryError, match="at least 12"):
        SampleCovariance().fit(np.zeros((5, 3)))
    with pytest.raises(ConfigurationError, match="missing or infinite"):
        SampleCovariance().fit(np.full((20, 3), np.nan))


def test_sample_moments_equal_the_returns_problem(X):
    y, R = X[:, 0] + 0.001, X[:, 1:]
    m = tracking_moments(SampleCovariance(), y, R)
    ref = TrackingProblem.from_returns(R, y)
    np.testing.assert_allclose(m.covariance, ref.covariance, rtol=1e-12)
    np.testing.assert_allclose(m.cross, ref.cross, rtol=1e-12)
    assert m.target_variance == pytest.approx(ref.target_variance)
    assert m.observations == len(X)
    short = tracking_moments(SampleCovariance(100), y, R)
    assert short.observations == 100
