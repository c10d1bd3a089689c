"""``RiskForecast``: a factor risk forecast on one date and the risk figures it answers.

A forecast of :class:`~hedgekit.risk.FactorRiskModel` at a date ``D`` holds the exposures
``B`` (tickers x factors), the annualised factor covariance ``F`` and the annualised
specific volatilities ``s``, all from data dated on or before ``D``. It gives the stock
covariance ``B F B' + diag(s^2)`` and the total, factor and specific risk of a portfolio
with each factor's share of the variance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError

__all__ = ["RiskForecast"]


@dataclass(frozen=True, eq=False)
class RiskForecast:
    """A risk forecast on one date: exposures, factor covariance and specific risk.

    Attributes
    ----------
    date : Timestamp
        Forecast date; nothing after it was used.
    exposures : DataFrame
        Tickers x factors: ``market`` (1), sector dummies, the seven styles.
    factor_covariance : DataFrame
        Factors x factors, annualised.
    specific_risk : Series
        Annualised specific volatility per ticker.
    market_cap : Series
        Market cap in USD per ticker on ``exposures_date`` (NaN where unknown).
    exposures_date : Timestamp
        Date the exposures were computed on (``date`` or the month end before it).
    notes : list of str
        Data limits that affect the forecast.
    """

    date: pd.Timestamp
    exposures: pd.DataFrame
    factor_covariance: pd.DataFrame
    specific_risk: pd.Series
    market_cap: pd.Series
    exposures_date: pd.Timestamp
    notes: list[str] = field(default_factory=list)

    @property
    def factors(self) -> list[str]:
        """Factor names, ``market`` first."""
        return [str(c) for c in self.exposures.columns]

    def _check(self, tickers: list[str]) -> None:
        missing = [t for t in tickers if t not in self.exposures.index]
        if missing:
            raise ConfigurationError(
                f"no exposures on {self.exposures_date:%Y-%m-%d} for {', '.join(missing[:10])}"
                f"{' and more' if len(missing) > 10 else ''}; the model covers the index "
                "members trading on that date"
            )

    def covariance(self, tickers: list[str] | None = None) -> pd.DataFrame:
        """Annualised stock covariance ``B F B' + diag(s^2)``."""
        names = list(self.exposures.index) if tickers is None else [str(t) for t in tickers]
        self._check(names)
        B = self.exposures.loc[names].to_numpy()
        S = B @ self.factor_covariance.to_numpy() @ B.T
        S[np.diag_indices(len(names))] += self.specific_risk.loc[names].to_numpy() ** 2
        return pd.DataFrame(S, index=names, columns=names)

    def risk_decomposition(self, weights: pd.Series | dict[str, float]) -> dict[str, Any]:
        """Total, factor and specific volatility (annualised) of a portfolio.

        Parameters
        ----------
        weights : Series or dict
            Ticker to weight (fractions of capital; shorts negative).

        Returns
        -------
        dict
            ``total_volatility``, ``factor_volatility``, ``specific_volatility``,
            ``exposures`` (Series per factor) and ``contributions`` (Series per factor plus
            ``specific``: each one's share of the total variance, Euler allocation; they
            sum to 1).
        """
        w = pd.Series(weights, dtype="float64")
        self._check([str(t) for t in w.index])
        w = w.reindex(self.exposures.index).fillna(0.0)
        b = self.exposures.to_numpy().T @ w.to_numpy()
        F = self.factor_covariance.to_numpy()
        Fb = F @ b
        factor_var = float(b @ Fb)
        specific_var = float(np.sum((w.to_numpy() * self.specific_risk.to_numpy()) ** 2))
        total = factor_var + specific_var
        contrib = pd.Series(b * Fb, index=self.exposures.columns)
        contrib["specific"] = specific_var
        return {
            "total_volatility": float(np.sqrt(max(total, 0.0))),
            "factor_volatility": float(np.sqrt(max(factor_var, 0.0))),
            "specific_volatility": float(np.sqrt(specific_var)),
            "exposures": pd.Series(b, index=self.exposures.columns, name="exposure"),
            "contributions": (contrib / total if total > 0 else contrib * 0.0).rename(
                "share_of_variance"
            ),
        }
