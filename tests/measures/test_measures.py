"""Measures against direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit.measures import (
    annualized_return,
    annualized_volatility,
    beta,
    correlation,
    max_drawdown,
    r_squared,
    risk_reduction_bps,
    tracking_error,
    variance_reduction,
)

rng = np.random.default_rng(7)
X = rng.normal(0.0005, 0.01, 500)
Y = 0.8 * X + rng.normal(0, 0.005, 500)


def test_volatility_and_tracking_error():
    assert annualized_volatility(X) == pytest.approx(np.std(X, ddof=1) * np.sqrt(252))
    assert annualized_volatility(X, 12) == pytest.approx(np.std(X, ddof=1) * np.sqrt(12))
    assert tracking_error(X, Y) == pytest.approx(np.std(X - Y, ddof=1) * np.sqrt(252))
    assert np.isnan(annualized_volatility([0.01]))


def test_return_is_geometric():
    r = np.array([0.1, -0.05, 0.02])
    assert annualized_return(r, 3) == pytest.approx(np.prod(1 + r) - 1)
    assert annualized_return([-1.0, 0.5], 252) == -1.0


def test_correlation_beta_r2():
    assert correlation(X, Y) == pytest.approx(np.corrcoef(X, Y)[0, 1])
    assert r_squared(X, Y) == pytest.approx(np.corrcoef(X, Y)[0, 1] ** 2)
    slope = np.polyfit(X, Y, 1)[0]
    assert beta(Y, X) == pytest.approx(slope)
    assert np.isnan(correlation(np.ones(5), np.arange(5.0)))


def test_missing_values_are_dropped_pairwise():
    x = X.copy()
    x[3] = np.nan
    ok = np.isfinite(x)
    assert correlation(x, Y) == pytest.approx(np.corrcoef(X[ok], Y[ok])[0, 1])
    with pytest.raises(ValueError, match="lengths differ"):
        correlation(X, Y[:-1])


def test_drawdown():
    assert max_drawdown([0.1, -0.5, 0.2]) == pytest.approx(-0.5)
    assert max_drawdown([0.01, 0.02]) == 0.0
    assert max_drawdown([-0.1, -0.1]) == pytest.approx(0.9 * 0.9 - 1)


def test_variance_and_risk_reduction():
    hedged = X - Y
    assert variance_reduction(X, hedged) == pytest.approx(
        1 - np.var(hedged, ddof=1) / np.var(X, ddof=1)
    )
    expected = 1e4 * (annualized_volatility(X) - annualized_volatility(hedged))
    assert risk_reduction_bps(X, hedged) == pytest.approx(expected)
