"""Corporate actions derived from prices: stock splits.

A split shows as a jump in the raw close that the adjusted close does not share.
On day ``t`` the ratio ``(close_t / close_{t-1}) / (adj_t / adj_{t-1})`` is 1 on an
ordinary day, slightly below 1 on an ex-dividend day and ``1 / k`` on the day of a
``k``-for-1 split. Ratios far from 1 that sit close to a simple fraction ``p/q``
(``p, q <= 20``) are recorded as splits with ``ratio = k`` (new shares per old).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

__all__ = ["detect_splits", "split_factor_panel"]

_THRESHOLD = 0.2  # |log ratio| above log(1.2): a special dividend rarely moves it this far
_TOLERANCE = 0.03  # relative distance to the nearest simple fraction


def _as_fraction(k: float) -> float | None:
    frac = Fraction(k).limit_denominator(20)
    if frac.numerator > 50 or frac.numerator == 0:
        return None
    if abs(float(frac) - k) / k > _TOLERANCE:
        return None
    return float(frac)


def detect_splits(prices: pd.DataFrame) -> pd.DataFrame:
    """Find stock splits in long-format prices.

    Parameters
    ----------
    prices : DataFrame
        Columns ``date, ticker, close, adj_close``, sorted by ticker then date.

    Returns
    -------
    DataFrame
        One row per split with columns of the ``corporate_actions`` table:
        ``action_type='split'``, ``effective_date`` the first day at the new price,
        ``announce_date`` equal to it (the real announcement is unknown), ``ratio``
        the number of new shares per old share (2.0 for a 2-for-1, 0.1 for 1-for-10).
    """
    df = prices[["date", "ticker", "close", "adj_close"]].sort_values(["ticker", "date"])
    same = df["ticker"].eq(df["ticker"].shift())
    raw = df["close"] / df["close"].shift()
    adj = df["adj_close"] / df["adj_close"].shift()
    ratio = (raw / adj).where(same)
    cand = np.abs(np.log(ratio)) > np.log1p(_THRESHOLD)
    hits = df.loc[cand.fillna(False)].copy()
    hits["ratio"] = (1.0 / ratio[cand.fillna(False)]).map(_as_fraction)
    hits = hits.dropna(subset=["ratio"])
    out = pd.DataFrame(
        {
            "ticker": hits["ticker"].astype("string"),
            "action_type": "split",
            "announce_date": hits["date"],
            "effective_date": hits["date"],
            "ratio": hits["ratio"].astype("float64"),
            "details": "derived from close vs adj_close",
        }
    )
    return out.reset_index(drop=True)


def split_factor_panel(
    splits: pd.DataFrame, dates: pd.DatetimeIndex, tickers: pd.Index
) -> pd.DataFrame:
    """Cumulative split factor per date and ticker.

    ``factor[t] / factor[s]`` is the number of shares at ``t`` per share held at ``s``;
    the factor is 1 before a ticker's first split.
    """
    factor = pd.DataFrame(1.0, index=dates, columns=tickers)
    if splits.empty:
        return factor
    sp = splits[splits["ticker"].isin(tickers) & (splits["action_type"] == "split")]
    for ticker, grp in sp.groupby("ticker"):
        col = np.ones(len(dates))
        for d, r in zip(grp["effective_date"], grp["ratio"], strict=True):
            col[dates.searchsorted(d) :] *= r
        factor[ticker] = col
    return factor
