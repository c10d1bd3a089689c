"""Risk and performance measures as plain functions.

All take periodic simple returns (1-D array-like) and, where they annualise, the
number of periods per year (252 daily, 52 weekly, 12 monthly). Missing values are
dropped pairwise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "annualized_return",
    "annualized_volatility",
    "beta",
    "correlation",
    "max_drawdown",
    "r_squared",
    "risk_reduction_bps",
    "tracking_error",
    "variance_reduction",
]

ArrayLike = npt.ArrayLike


def _pair(a: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype="float64").ravel()
    y = np.asarray(b, dtype="float64").ravel()
    if x.shape != y.shape:
        raise ValueError(f"series lengths differ: {x.shape[0]} and {y.shape[0]}")
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def annualized_volatility(returns: ArrayLike, periods_per_year: int = 252) -> float:
    """Sample standard deviation (ddof=1) times sqrt(periods per year)."""
    r = np.asarray(returns, dtype="float64").ravel()
    r = r[np.isfinite(r)]
    if r.size < 2:
        return float("nan")
    return float(np.std(r, ddof=1) * np.sqrt(periods_per_year))


def annualized_return(returns: ArrayLike, periods_per_year: int = 252) -> float:
    """Geometric annualised return: ``prod(1 + r) ** (periods_per_year / n) - 1``."""
    r = np.asarray(returns, dtype="float64").ravel()
    r = r[np.isfinite(r)]
    if r.size == 0:
        return float("nan")
    growth = float(np.prod(1.0 + r))
    if growth <= 0:
        return -1.0
    return float(growth ** (periods_per_year / r.size) - 1.0)


def tracking_error(returns: ArrayLike, benchmark: ArrayLike, periods_per_year: int = 252) -> float:
    """Annualised volatility of ``returns - benchmark``."""
    x, y = _pair(returns, benchmark)
    return annualized_volatility(x - y, periods_per_year)


def correlation(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson correlation."""
    x, y = _pair(a, b)
    if x.size < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def r_squared(a: ArrayLike, b: ArrayLike) -> float:
    """Squared correlation (R^2 of a regression of one on the other with intercept)."""
    c = correlation(a, b)
    return c * c


def beta(returns: ArrayLike, benchmark: ArrayLike) -> float:
    """OLS slope of ``returns`` on ``benchmark``: cov / var (ddof=1)."""
    x, y = _pair(returns, benchmark)
    if x.size < 2:
        return float("nan")
    var = np.var(y, ddof=1)
    return float(np.cov(x, y, ddof=1)[0, 1] / var) if var > 0 else float("nan")


def max_drawdown(returns: ArrayLike) -> float:
    """Largest peak-to-trough fall of the compounded wealth path, as a negative fraction."""
    r = np.asarray(returns, dtype="float64").ravel()
    r = np.where(np.isfinite(r), r, 0.0)
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + r)])
    peak = np.maximum.accumulate(wealth)
    return float(np.min(wealth / peak - 1.0))


def variance_reduction(unhedged: ArrayLike, hedged: ArrayLike) -> float:
    """``1 - var(hedged) / var(unhedged)``: share of variance the hedge removes."""
    x, y = _pair(unhedged, hedged)
    vx = np.var(x, ddof=1)
    return float(1.0 - np.var(y, ddof=1) / vx) if vx > 0 else float("nan")


def risk_reduction_bps(
    unhedged: ArrayLike, hedged: ArrayLike, periods_per_year: int = 252
) -> float:
    """Fall in annualised volatility, in basis points (positive = less risk)."""
    x, y = _pair(unhedged, hedged)
    return 1e4 * (
        annualized_volatility(x, periods_per_year) - annualized_volatility(y, periods_per_year)
    )
