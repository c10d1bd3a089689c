"""Factor covariance and specific risk, USE4-style.

Factor covariance (``factor_covariance``): exponentially weighted, with separate half-lives
for volatilities and correlations, and a Newey-West correction for serial correlation:

- weights ``lambda^(T-1-t)`` with ``lambda = 0.5 ** (1 / half_life)``, normalised to sum to 1;
- ``C_0 = sum_t w_t (f_t - m)(f_t - m)'`` (``m`` the weighted mean, or 0 with ``demean=False``);
- Newey-West: ``C = C_0 + sum_{l=1..L} (1 - l / (L + 1)) (C_l + C_l')`` with
  ``C_l = sum_t w_t (f_t - m)(f_{t-l} - m)'`` (Bartlett weights);
- the result combines the volatilities of ``C`` at ``half_life_vol`` with the correlations of
  ``C`` at ``half_life_corr``: ``Sigma = D_vol R_corr D_vol``;
- annualised by ``periods_per_year``.

The study's plain estimate is ``window_covariance``: the sample covariance of the last
``window`` periods.

Volatility regime adjustment (``volatility_regime_multiplier``, USE4's VRA): when volatility
changes regime faster than the covariance half-lives follow, every forecast is too low (or too
high) at once. The multiplier ``lambda^2`` is the EWMA (half-life ``half_life``, 42 days in USE4)
of the daily cross-sectional bias ``B_t^2 = sum_k v_k (f_kt / sigma_kt)^2``, where ``sigma_kt``
is each series' EWMA volatility forecast made with data up to ``t - 1`` and ``v_k`` the
weights (equal for factors, market caps for stocks). Scaling the covariance by ``lambda^2``
(volatilities by ``lambda``) brings the recent standardised returns back to unit variance.

Specific risk (``specific_risk``): EWMA variance of each stock's residual return, then
Bayesian shrinkage toward the cap-weighted mean of its size decile (USE4):
``sigma_shrunk = v * mean_decile + (1 - v) * sigma`` with
``v = q |sigma - mean_decile| / (dev_decile + q |sigma - mean_decile|)``, ``dev_decile`` the
decile's cap-weighted standard deviation of ``sigma`` and ``q`` the shrinkage intensity.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError, InsufficientHistoryError

#: returns at or below this size count as missing in the regime adjustment
_ZERO_RETURN = 1e-12

__all__ = [
    "ewma_weights",
    "factor_covariance",
    "specific_risk",
    "volatility_regime_multiplier",
    "window_covariance",
]


def ewma_weights(n: int, half_life: float) -> np.ndarray:
    """Weights of ``n`` periods, newest last, halving every ``half_life`` periods; sum 1."""
    if half_life <= 0:
        raise ConfigurationError(f"half_life={half_life} must be positive")
    lam = 0.5 ** (1.0 / half_life)
    w = lam ** np.arange(n - 1, -1, -1, dtype="float64")
    return w / w.sum()


def _weighted_cov(x: np.ndarray, w: np.ndarray, lags: int, demean: bool) -> np.ndarray:
    m = w @ x if demean else np.zeros(x.shape[1])
    d = x - m
    c = (d * w[:, None]).T @ d
    for lag in range(1, lags + 1):
        if lag >= len(x):
            break
        cl = (d[lag:] * w[lag:, None]).T @ d[:-lag]
        c = c + (1.0 - lag / (lags + 1.0)) * (cl + cl.T)
    return c


def factor_covariance(
    returns: npt.ArrayLike,
    *,
    half_life_vol: float = 84.0,
    half_life_corr: float = 504.0,
    newey_west_lags: int = 2,
    periods_per_year: int = 252,
    demean: bool = True,
) -> np.ndarray:
    """EWMA factor covariance with Newey-West correction (see the module docstring).

    Parameters
    ----------
    returns : array-like of shape (n_periods, n_factors)
        Factor returns, oldest first. Rows with any NaN are dropped.
    half_life_vol, half_life_corr : float
        Half-lives in periods for the volatilities and the correlations (USE4: 84 and 504 days).
    newey_west_lags : int
        Serial-correlation lags (0 disables the correction).
    periods_per_year : int
        Annualisation factor.

    Returns
    -------
    ndarray of shape (n_factors, n_factors)
        Annualised covariance, symmetric positive semi-definite.
    """
    x = np.asarray(returns, dtype="float64")
    if x.ndim != 2:
        raise ConfigurationError("returns must be a 2-D array (periods x factors)")
    x = x[np.isfinite(x).all(axis=1)]
    if len(x) < max(2, newey_west_lags + 2):
        raise InsufficientHistoryError(
            f"{len(x)} complete periods of factor returns; at least {newey_west_lags + 2} needed"
        )
    if newey_west_lags < 0:
        raise ConfigurationError(f"newey_west_lags={newey_west_lags} must be >= 0")
    c_vol = _weighted_cov(x, ewma_weights(len(x), half_life_vol), newey_west_lags, demean)
    c_cor = _weighted_cov(x, ewma_weights(len(x), half_life_corr), newey_west_lags, demean)
    vol = np.sqrt(np.clip(np.diag(c_vol), 0.0, None))
    sd = np.sqrt(np.clip(np.diag(c_cor), 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = c_cor / np.outer(sd, sd)
    corr = np.where(np.isfinite(corr), corr, 0.0)
    np.fill_diagonal(corr, 1.0)
    cov = corr * np.outer(vol, vol) * periods_per_year
    # Newey-West with Bartlett weights keeps C_0-based matrices PSD; clip tiny negatives
    vals, vecs = np.linalg.eigh((cov + cov.T) / 2.0)
    return np.asarray((vecs * np.clip(vals, 0.0, None)) @ vecs.T)


def window_covariance(
    returns: npt.ArrayLike, window: int = 504, periods_per_year: int = 252
) -> np.ndarray:
    """Sample covariance (ddof=1) of the last ``window`` complete periods, annualised."""
    x = np.asarray(returns, dtype="float64")
    x = x[np.isfinite(x).all(axis=1)][-window:]
    if len(x) < 2:
        raise InsufficientHistoryError("at least 2 complete periods are needed")
    return np.atleast_2d(np.cov(x, rowvar=False, ddof=1)) * periods_per_year


def specific_risk(
    residuals: npt.ArrayLike,
    market_cap: npt.ArrayLike,
    *,
    half_life: float = 84.0,
    shrinkage: float = 0.1,
    deciles: int = 10,
    min_periods: int = 42,
    periods_per_year: int = 252,
) -> np.ndarray:
    """Annualised specific volatility per stock, shrunk toward its size decile.

    Parameters
    ----------
    residuals : array-like of shape (n_periods, n_assets)
        Specific (residual) returns, oldest first; NaN where a stock has none.
    market_cap : array-like of shape (n_assets,)
        Capitalisations that define the size deciles and the decile means.
    shrinkage : float
        Shrinkage intensity ``q`` (0 = none).
    min_periods : int
        Stocks with fewer residuals get the decile mean.

    Returns
    -------
    ndarray of shape (n_assets,)
        Specific volatility (not variance), annualised.
    """
    e = np.asarray(residuals, dtype="float64")
    cap = np.asarray(market_cap, dtype="float64")
    if e.ndim != 2 or e.shape[1] != cap.shape[0]:
        raise ConfigurationError("residuals must be (periods x assets) with one cap per asset")
    w = ewma_weights(len(e), half_life)
    ok = np.isfinite(e)
    wm = np.where(ok, w[:, None], 0.0)
    denom = wm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(ok, e, 0.0) ** 2 * wm
        sigma = np.sqrt(var.sum(axis=0) / denom * periods_per_year)
    enough = ok.sum(axis=0) >= min_periods
    sigma = np.where(enough, sigma, np.nan)
    valid_cap = np.isfinite(cap) & (cap > 0)
    ranks = np.full(len(cap), -1)
    if valid_cap.any():
        edges = np.quantile(cap[valid_cap], np.linspace(0, 1, deciles + 1)[1:-1])
        ranks[valid_cap] = np.searchsorted(edges, cap[valid_cap], side="right")
    out = sigma.copy()
    for d in range(deciles):
        members = (ranks == d) & np.isfinite(sigma)
        if not members.any():
            continue
        wc = cap[members] / cap[members].sum()
        mean = float(wc @ sigma[members])
        dev = float(np.sqrt(wc @ (sigma[members] - mean) ** 2))
        gap = np.abs(sigma - mean)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = shrinkage * gap / (dev + shrinkage * gap)
        v = np.where(dev + shrinkage * gap > 0, v, 0.0)
        idx = ranks == d
        out[idx] = np.where(
            np.isfinite(sigma[idx]), v[idx] * mean + (1.0 - v[idx]) * sigma[idx], mean
        )
    fallback = np.nanmedian(out) if np.isfinite(out).any() else np.nan
    return np.where(np.isfinite(out), out, fallback)


def volatility_regime_multiplier(
    returns: npt.ArrayLike,
    *,
    half_life: float = 42.0,
    half_life_vol: float = 84.0,
    weights: npt.ArrayLike | None = None,
    warmup: int = 21,
) -> float:
    """USE4 volatility regime adjustment ``lambda^2`` (see the module docstring).

    Parameters
    ----------
    returns : array-like of shape (n_periods, n_series)
        Factor returns or specific returns, oldest first; NaN where a series has none.
        Returns of magnitude <= 1e-12 count as missing (factors without data).
    half_life : float
        Half-life in periods of the EWMA of the cross-sectional bias.
    half_life_vol : float
        Half-life of each series' own EWMA volatility forecast.
    weights : array-like of shape (n_series,), optional
        Cross-sectional weights (e.g. market caps); default equal. NaN or <= 0 counts as 0.
    warmup : int
        Periods used to start each series' volatility (no bias is measured in them).

    Returns
    -------
    float
        The variance multiplier ``lambda^2`` (1.0 when there is nothing to measure).
    """
    x = np.asarray(returns, dtype="float64")
    if x.ndim != 2:
        raise ConfigurationError("returns must be a 2-D array (periods x series)")
    if half_life <= 0 or half_life_vol <= 0:
        raise ConfigurationError("half-lives must be positive")
    n, k = x.shape
    v = np.ones(k) if weights is None else np.asarray(weights, dtype="float64")
    if v.shape != (k,):
        raise ConfigurationError(f"weights has shape {v.shape}; expected ({k},)")
    v = np.where(np.isfinite(v) & (v > 0), v, 0.0)
    lam = 0.5 ** (1.0 / half_life_vol)
    # a series that is (numerically) zero, e.g. a factor without members or data, carries
    # no information about the regime: its zeros count as missing
    ok = np.isfinite(x) & (np.abs(x) > _ZERO_RETURN)
    sq = np.where(ok, x, 0.0) ** 2
    # each series' variance starts as the mean square of its first `warmup` observations
    seen = np.cumsum(ok, axis=0)
    var = np.full(k, np.nan)
    bias = np.full(n, np.nan)
    total = np.zeros(k)
    for t in range(n):
        have = ok[t]
        ready = np.isfinite(var) & (var > 0) & have
        if ready.any() and v[ready].sum() > 0:
            z2 = sq[t, ready] / var[ready]
            bias[t] = float(v[ready] @ z2 / v[ready].sum())
        total += sq[t]
        starting = have & ~np.isfinite(var) & (seen[t] >= warmup)
        if starting.any():
            var[starting] = total[starting] / seen[t][starting]
        update = have & np.isfinite(var) & ~starting
        var[update] = lam * var[update] + (1.0 - lam) * sq[t, update]
    good = np.isfinite(bias)
    if not good.any():
        return 1.0
    w = ewma_weights(n, half_life)[good]
    return float(w @ bias[good] / w.sum())
