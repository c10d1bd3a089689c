"""Factor covariance and specific risk against direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit import ConfigurationError, InsufficientHistoryError
from hedgekit.risk._covariance import (
    ewma_weights,
    factor_covariance,
    specific_risk,
    window_covariance,
)

rng = np.random.default_rng(3)
F = rng.multivariate_normal(np.zeros(4), np.diag([1e-4, 4e-5, 2e-5, 1e-5]), size=800)


def test_ewma_weights_halve_every_half_life():
    w = ewma_weights(200, 20)
    assert w.sum() == pytest.approx(1.0)
    assert w[-21] / w[-1] == pytest.approx(0.5)


def test_equal_half_lives_without_nw_is_the_weighted_covariance():
    got = factor_covariance(
        F, half_life_vol=60, half_life_corr=60, newey_west_lags=0, periods_per_year=1
    )
    w = ewma_weights(len(F), 60)
    expected = np.cov(F, rowvar=False, aweights=w, bias=True)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)


def test_newey_west_matches_the_formula():
    lags = 3
    got = factor_covariance(
        F, half_life_vol=1e9, half_life_corr=1e9, newey_west_lags=lags, periods_per_year=1
    )
    d = F - F.mean(axis=0)
    n = len(F)
    c = d.T @ d / n
    for lag in range(1, lags + 1):
        cl = d[lag:].T @ d[:-lag] / n
        c += (1 - lag / (lags + 1)) * (cl + cl.T)
    np.testing.assert_allclose(got, c, rtol=1e-6, atol=1e-14)


def test_vol_and_corr_half_lives_combine():
    cov = factor_covariance(
        F, half_life_vol=42, half_life_corr=504, newey_west_lags=0, periods_per_year=252
    )
    short = factor_covariance(
        F, half_life_vol=42, half_life_corr=42, newey_west_lags=0, periods_per_year=252
    )
    long = factor_covariance(
        F, half_life_vol=504, half_life_corr=504, newey_west_lags=0, periods_per_year=252
    )
    np.testing.assert_allclose(np.diag(cov), np.diag(short), rtol=1e-9)
    corr = lambda c: c / np.sqrt(np.outer(np.diag(c), np.diag(c)))  # noqa: E731
    np.testing.assert_allclose(corr(cov), corr(long), rtol=1e-9, atol=1e-12)
    assert np.linalg.eigvalsh(cov).min() >= -1e-15


def test_window_covariance_is_numpy():
    np.testing.assert_allclose(window_covariance(F, 504, 252), np.cov(F[-504:], rowvar=False) * 252)


def test_errors():
    with pytest.raises(InsufficientHistoryError, match="complete periods"):
        factor_covariance(F[:2], newey_west_lags=2)
    with pytest.raises(ConfigurationError, match="half_life"):
        ewma_weights(10, 0)


def test_specific_risk_shrinks_toward_the_decile():
    n = 400
    cap = np.exp(rng.normal(23, 1.5, n))
    true = np.where(cap > np.median(cap), 0.2, 0.4)
    e = rng.normal(size=(500, n)) * true / np.sqrt(252)
    raw = specific_risk(e, cap, shrinkage=0.0, half_life=1e9)
    np.testing.assert_allclose(raw, np.sqrt((e**2).mean(axis=0) * 252), rtol=1e-6)
    shrunk = specific_risk(e, cap, shrinkage=1.0, half_life=1e9)
    # shrinkage pulls each estimate toward its decile mean, never past it
    assert np.abs(shrunk - true).mean() <= np.abs(raw - true).mean()
    e[:, 0] = np.nan
    filled = specific_risk(e, cap)
    assert np.isfinite(filled).all()


def test_volatility_regime_multiplier():
    from hedgekit.risk import volatility_regime_multiplier

    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 0.01, size=(1500, 15))
    steady = volatility_regime_multiplier(x)
    assert steady == pytest.approx(1.0, abs=0.1)
    hot = x.copy()
    hot[-60:] *= 2.0  # volatility doubles for the last three months
    assert volatility_regime_multiplier(hot) > 1.6
    calm = x.copy()
    calm[-60:] *= 0.5
    assert volatility_regime_multiplier(calm) < 0.6
    # weights: only the series with weight count
    mixed = x.copy()
    mixed[-60:, :5] *= 3.0
    w = np.r_[np.zeros(5), np.ones(10)]
    assert volatility_regime_multiplier(mixed, weights=w) == pytest.approx(steady, rel=0.05)
    # missing values are skipped, and nothing to measure gives 1
    gappy = hot.copy()
    gappy[rng.random(gappy.shape) < 0.2] = np.nan
    assert volatility_regime_multiplier(gappy) > 1.5
    assert volatility_regime_multiplier(np.full((10, 3), np.nan)) == 1.0
    with pytest.raises(ConfigurationError, match="weights"):
        volatility_regime_multiplier(x, weights=np.ones(3))
