"""``FactorRiskModel``: a Barra-style equity risk model, point in time.

For each trading day ``t`` in the estimation period the model regresses the day's stock
returns on the exposures known at the previous month end (market, GICS sector dummies and
the seven standardised styles of :mod:`hedgekit.risk._exposures`):

    r_ti = b_t,market + sum_j x_ij b_t,sector_j + sum_k z_ik b_t,style_k + e_ti

with weights ``sqrt(market cap)``, a Huber loss (``epsilon = 1.35``, batched IRLS in
:func:`~hedgekit.risk.huber_irls`) and the constraint ``sum_j cap_j b_t,sector_j = 0`` that
makes the market factor identifiable next to a full set of sector dummies. Exposures are
refreshed monthly and used from the next trading day on, so a day's regression never sees
an exposure computed with that day's data.

At the end date the model holds the factor covariance (EWMA with Newey-West,
:func:`~hedgekit.risk._covariance.factor_covariance`), each stock's specific volatility
(EWMA of its residuals shrunk toward its size decile) and the latest exposures, so
``covariance(tickers) = B F B' + diag(s^2)``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit.data._market import MarketData
from hedgekit.risk._covariance import factor_covariance, specific_risk
from hedgekit.risk._exposures import STYLE_FACTORS, compute_exposures
from hedgekit.risk._regression import huber_irls
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["FactorRiskModel"]

logger = logging.getLogger(__name__)


class FactorRiskModel:
    """Barra-style factor risk model estimated on ``[start, end]`` (see the module docstring).

    Parameters
    ----------
    start, end : date-like
        Estimation period; nothing after ``end`` is used.
    half_life_vol, half_life_corr : float
        Factor covariance half-lives in days (USE4-like 84 and 504).
    newey_west_lags : int
        Newey-West lags of the factor covariance.
    specific_half_life : float
        Half-life of the specific variance.
    epsilon : float
        Huber threshold.

    Attributes
    ----------
    factor_returns_ : DataFrame
        Days x factors (``market``, sectors, styles).
    residuals_ : DataFrame
        Days x tickers specific returns (NaN when a stock was not in the regression).
    r_squared_ : Series
        Weighted R^2 per day.
    exposures_ : DataFrame
        Tickers x factors at ``end`` (market column of ones, sector dummies, styles).
    factor_covariance_ : DataFrame
        Annualised factor covariance at ``end``.
    specific_risk_ : Series
        Annualised specific volatility per ticker at ``end``.
    """

    def __init__(
        self,
        start: DateLike,
        end: DateLike,
        *,
        half_life_vol: float = 84.0,
        half_life_corr: float = 504.0,
        newey_west_lags: int = 2,
        specific_half_life: float = 84.0,
        epsilon: float = 1.35,
    ) -> None:
        self.start = start
        self.end = end
        self.half_life_vol = half_life_vol
        self.half_life_corr = half_life_corr
        self.newey_west_lags = newey_west_lags
        self.specific_half_life = specific_half_life
        self.epsilon = epsilon

    def fit(self, market: MarketData) -> FactorRiskModel:
        """Estimate factor returns, covariance and specific risk from ``market``."""
        began = time.perf_counter()
        start, end = to_timestamp(self.start, "start"), to_timestamp(self.end, "end")
        if start >= end:
            raise ConfigurationError(f"start={start:%Y-%m-%d} must be before end={end:%Y-%m-%d}")
        cal = market.calendar
        days = cal[(cal >= start) & (cal <= end)]
        if len(days) < 60:
            raise InsufficientHistoryError(
                f"{len(days)} trading days from {start:%Y-%m-%d} to {end:%Y-%m-%d}; a risk "
                "model needs at least 60 (two years or more is usual)"
            )
        # rebalance at the last trading day of each month before each block of days
        month = (
            pd.Series(cal[cal <= end], index=cal[cal <= end])
            .groupby(cal[cal <= end].to_period("M"))
            .max()
        )
        rebal = [d for d in month if d < days[-1]]
        blocks: list[tuple[pd.Timestamp, pd.DatetimeIndex]] = []
        for i, d in enumerate(rebal):
            nxt = rebal[i + 1] if i + 1 < len(rebal) else days[-1] + pd.Timedelta(days=1)
            block = days[(days > d) & (days <= nxt)]
            if len(block):
                blocks.append((d, block))
        sectors: list[str] = sorted({s for s in market.securities["gics_sector"].dropna().unique()})
        factors = ["market", *[f"sector: {s}" for s in sectors], *STYLE_FACTORS]
        fr_rows, res_frames, r2_rows = [], [], []
        last_expo = None
        for d, block in blocks:
            frame = compute_exposures(market, d)
            names = list(frame.exposures.index)
            sec = market.as_of(d).securities(names)["gics_sector"]
            dummies = np.stack([(sec == s).to_numpy(dtype="float64") for s in sectors], axis=1)
            X = np.column_stack([np.ones(len(names)), dummies, frame.exposures.to_numpy()])
            X[sec.isna().to_numpy()] = np.nan  # unclassified stocks stay out of the regression
            cap = frame.weights.reindex(names).to_numpy(dtype="float64")
            if not np.isfinite(cap).any():
                cap = np.ones(len(names))  # no caps known (before 2013): equal weights
            cap = np.where(np.isfinite(cap) & (cap > 0), cap, np.nanmedian(cap))
            rets = market.as_of(block[-1]).returns(names, start=block[0]).reindex(block)
            y = rets.to_numpy()
            w = np.broadcast_to(np.sqrt(cap), y.shape)
            sector_cols = list(range(1, 1 + len(sectors)))
            fit = huber_irls(
                X,
                y,
                w,
                epsilon=self.epsilon,
                constraint=("sum_to_zero", sector_cols, np.broadcast_to(cap, y.shape)),
            )
            fr_rows.append(pd.DataFrame(fit.coef, index=block, columns=factors))
            res_frames.append(pd.DataFrame(fit.residuals, index=block, columns=names))
            r2_rows.append(pd.Series(fit.r_squared, index=block))
            last_expo = (frame, sec, X, names, cap)
        assert last_expo is not None
        self.factor_returns_ = pd.concat(fr_rows)
        self.residuals_ = pd.concat(res_frames)
        self.r_squared_ = pd.concat(r2_rows).rename("r_squared")
        self.factors_ = factors
        # exposures known at the end date (used for forecasts from end on)
        frame = compute_exposures(market, end)
        names = list(frame.exposures.index)
        sec = market.as_of(end).securities(names)["gics_sector"]
        expo = pd.DataFrame(0.0, index=pd.Index(names, name="ticker"), columns=factors)
        expo["market"] = 1.0
        for s in sectors:
            expo[f"sector: {s}"] = (sec == s).to_numpy(dtype="float64")
        expo[list(STYLE_FACTORS)] = frame.exposures.to_numpy()
        self.exposures_ = expo
        fr = self.factor_returns_.fillna(0.0).to_numpy()
        cov = factor_covariance(
            fr,
            half_life_vol=self.half_life_vol,
            half_life_corr=self.half_life_corr,
            newey_west_lags=self.newey_west_lags,
        )
        self.factor_covariance_ = pd.DataFrame(cov, index=factors, columns=factors)
        resid = self.residuals_.reindex(columns=names).iloc[-252:]
        caps = frame.weights.reindex(names).to_numpy(dtype="float64")
        self.specific_risk_ = pd.Series(
            specific_risk(resid.to_numpy(), caps, half_life=self.specific_half_life),
            index=expo.index,
            name="specific_volatility",
        )
        self.seconds_ = time.perf_counter() - began
        logger.info("risk model %s..%s in %.1f s", start, end, self.seconds_)
        return self

    def covariance(self, tickers: list[str] | None = None) -> pd.DataFrame:
        """Annualised stock covariance ``B F B' + diag(s^2)`` at the end date."""
        self._check_fitted()
        names = list(self.exposures_.index) if tickers is None else list(tickers)
        missing = [t for t in names if t not in self.exposures_.index]
        if missing:
            raise ConfigurationError(
                f"no exposures at the model's end date for {', '.join(missing[:10])}"
            )
        B = self.exposures_.loc[names].to_numpy()
        F = self.factor_covariance_.to_numpy()
        S = B @ F @ B.T + np.diag(self.specific_risk_.loc[names].to_numpy() ** 2)
        return pd.DataFrame(S, index=names, columns=names)

    def risk_decomposition(self, weights: pd.Series) -> dict[str, Any]:
        """Total, factor and specific volatility (annualised) of a portfolio of ``weights``."""
        self._check_fitted()
        w = weights.reindex(self.exposures_.index).fillna(0.0).to_numpy()
        b = self.exposures_.to_numpy().T @ w
        factor_var = float(b @ self.factor_covariance_.to_numpy() @ b)
        specific_var = float(np.sum((w * self.specific_risk_.to_numpy()) ** 2))
        return {
            "total_volatility": float(np.sqrt(factor_var + specific_var)),
            "factor_volatility": float(np.sqrt(factor_var)),
            "specific_volatility": float(np.sqrt(specific_var)),
            "exposures": pd.Series(b, index=self.exposures_.columns),
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "factor_covariance_"):
            raise ConfigurationError("the model is not fitted; call fit(market) first")
