"""Risk, performance and cost measures: plain functions on arrays."""

from __future__ import annotations

from hedgekit.measures._costs import trading_costs
from hedgekit.measures._measures import (
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

__all__ = [
    "annualized_return",
    "annualized_volatility",
    "beta",
    "correlation",
    "max_drawdown",
    "r_squared",
    "risk_reduction_bps",
    "tracking_error",
    "trading_costs",
    "variance_reduction",
]
