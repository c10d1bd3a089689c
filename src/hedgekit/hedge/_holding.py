"""Holding error: the tracking error of the basket held against the basket intended.

hedgekit's definition (gs-quant documents no such measure): the annualised standard
deviation of the return gap between two hedges of the same position, per unit of the
position's value,

    holding_error = sqrt(periods_per_year * (w_held - w_ideal)' S (w_held - w_ideal))

with ``S`` the sample covariance (ddof 1) of the instruments' periodic returns. For a new
hedge ``w_ideal`` are the optimiser's weights and ``w_held`` those of the whole-share
basket, over the observation window: the same returns, and so the same covariance, as the
hedge's in-sample statistics (it is ``annualized_volatility(R @ (w_held - w_ideal))``). In
the monitor ``w_ideal`` are the hedge's weights at inception and ``w_held`` the drifted
ones today, both per unit of the position's value today, over the year of daily returns
up to the monitoring date.
"""

from __future__ import annotations

import numpy as np

from hedgekit.measures import annualized_volatility

__all__ = ["HOLDING_ERROR", "holding_error"]

#: the statistics row and the diagnostics key
HOLDING_ERROR = "holding_error"


def holding_error(
    returns: np.ndarray, ideal: np.ndarray, held: np.ndarray, periods_per_year: int
) -> float:
    """``annualized_volatility(returns @ (held - ideal))``: the holding error of weights
    ``held`` against ``ideal`` (one per column of ``returns``, periods x instruments; rows
    with a missing return are left out)."""
    diff = np.asarray(held, dtype="float64") - np.asarray(ideal, dtype="float64")
    cols = np.flatnonzero(diff != 0)
    if not len(cols):
        return 0.0
    R = np.asarray(returns, dtype="float64")[:, cols]
    R = R[np.isfinite(R).all(axis=1)]
    return annualized_volatility(R @ diff[cols], periods_per_year)
