"""Trading and borrow cost model of a hedge basket.

For a name traded ``q`` shares at price ``P``, with average daily volume ``V`` shares,
daily volatility ``sigma`` and a participation rate ``rho`` (fraction of daily volume):

- cost in bps of the traded notional = ``half_spread_bps + 1e4 * Y * sigma * sqrt(q / V)``
  (half the bid-ask spread plus the square-root market-impact law with coefficient ``Y``);
- marginal cost (cost of one more dollar) = ``half_spread_bps + 1.5e4 * Y * sigma * sqrt(q / V)``,
  the derivative of ``q * P * cost``;
- days to trade = ``q / (rho * V)``: the participation rate sets how long execution takes,
  not the fit;
- borrow cost per year = borrow bps x notional (hard-to-borrow list, else a default rate).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["trading_costs"]


def trading_costs(
    shares: npt.ArrayLike,
    price: npt.ArrayLike,
    adv_shares: npt.ArrayLike,
    daily_volatility: npt.ArrayLike,
    *,
    half_spread_bps: float = 5.0,
    impact_coefficient: float = 1.0,
    participation_rate: float = 0.10,
) -> dict[str, np.ndarray]:
    """Per-name cost estimates.

    Parameters
    ----------
    shares : array-like of shape (n_assets,)
        Shares to trade (sign ignored).
    price : array-like of shape (n_assets,)
        Price per share.
    adv_shares : array-like of shape (n_assets,)
        Average daily volume in shares.
    daily_volatility : array-like of shape (n_assets,)
        Standard deviation of daily returns (decimal).
    half_spread_bps, impact_coefficient, participation_rate : float
        Model constants; ``participation_rate`` as a fraction (0.10 = 10% of volume).

    Returns
    -------
    dict of str to ndarray
        ``cost_bps``, ``cost_usd``, ``marginal_cost_bps``, ``days_to_trade``, ``notional``.
    """
    q = np.abs(np.asarray(shares, dtype="float64"))
    px = np.asarray(price, dtype="float64")
    v = np.asarray(adv_shares, dtype="float64")
    sig = np.asarray(daily_volatility, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(v > 0, q / v, np.inf)
    impact = 1e4 * impact_coefficient * sig * np.sqrt(frac)
    cost_bps = half_spread_bps + impact
    notional = q * px
    return {
        "notional": notional,
        "cost_bps": cost_bps,
        "cost_usd": notional * cost_bps / 1e4,
        "marginal_cost_bps": half_spread_bps + 1.5 * impact,
        "days_to_trade": frac / participation_rate,
    }
