"""Corporate actions derived from prices: distributions (spin-offs, special dividends).

Vendors such as Yahoo publish a ``close`` that is adjusted for splits (not for
dividends) and an ``adj_close`` adjusted for both. On day ``t`` the ratio
``(close_t / close_{t-1}) / (adj_t / adj_{t-1})`` is 1 on an ordinary day, slightly
below 1 on an ex-dividend day, and well below 1 on the ex-date of a spin-off or a
special dividend. Days where it falls below ``1 / 1.2`` (a distribution worth more
than about 17% of the price) are recorded as ``action_type='distribution'`` with
``ratio`` the adjustment factor ``1 / ratio_t`` (e.g. 1.33 when a third of the value
was paid out). A split cannot be seen this way when ``close`` is split-adjusted;
splits enter the store only from a ``corporate_actions`` file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ACTION_TYPES", "canonical_action_type", "detect_distributions"]

_THRESHOLD = 0.2

#: the corporate-action types hedgekit knows (a store may add its own)
ACTION_TYPES: tuple[str, ...] = (
    "acquisition",
    "bankruptcy",
    "delisting",
    "distribution",
    "dividend",
    "merger",
    "name_change",
    "quote_lot_adjustment",
    "reorganization",
    "reverse_split",
    "rights_issue",
    "spin_off",
    "split",
    "tender_offer",
)

# the names users bring from Marquee and vendors, mapped to hedgekit's
_ALIASES: dict[str, str] = {
    "mergers": "merger",
    "mergers_and_acquisitions": "merger",
    "m&a": "merger",
    "acquisitions": "acquisition",
    "takeover": "acquisition",
    "spinoff": "spin_off",
    "spin_offs": "spin_off",
    "spinoffs": "spin_off",
    "demerger": "spin_off",
    "splits": "split",
    "stock_split": "split",
    "reverse_splits": "reverse_split",
    "dividends": "dividend",
    "special_dividend": "distribution",
    "distributions": "distribution",
    "rights_issues": "rights_issue",
    "rights": "rights_issue",
    "cash_dividends": "dividend",
    "stock_splits": "split",
    "reorganisation": "reorganization",
    "reorganizations": "reorganization",
    "quote_lot_adjustments": "quote_lot_adjustment",
    "rights_offering": "rights_issue",
    "delistings": "delisting",
    "tender_offers": "tender_offer",
    "name_changes": "name_change",
    "bankruptcies": "bankruptcy",
}


def canonical_action_type(name: str) -> str:
    """``name`` in hedgekit's spelling: lower case, ``_`` for spaces and hyphens, plural
    and vendor names mapped (``'Spin-Offs'`` -> ``'spin_off'``, ``'Mergers'`` ->
    ``'merger'``). Unknown names come back normalised, not checked."""
    key = "_".join(str(name).strip().lower().replace("-", " ").split())
    return _ALIASES.get(key, key)


def detect_distributions(prices: pd.DataFrame) -> pd.DataFrame:
    """Find large distributions (spin-offs, special dividends) in long-format prices.

    Parameters
    ----------
    prices : DataFrame
        Columns ``date, ticker, close, adj_close``.

    Returns
    -------
    DataFrame
        Rows of the ``corporate_actions`` table with ``action_type='distribution'``,
        ``effective_date`` the ex-date and ``announce_date`` equal to it (the real
        announcement date is unknown, so the event is known no earlier than it happened).
    """
    df = prices[["date", "ticker", "close", "adj_close"]].sort_values(["ticker", "date"])
    same = df["ticker"].eq(df["ticker"].shift())
    raw = df["close"] / df["close"].shift()
    adj = df["adj_close"] / df["adj_close"].shift()
    ratio = (raw / adj).where(same)
    hit = (np.log(ratio) < -np.log1p(_THRESHOLD)).fillna(False)
    rows = df.loc[hit]
    return pd.DataFrame(
        {
            "ticker": rows["ticker"].astype("string"),
            "action_type": "distribution",
            "announce_date": rows["date"],
            "effective_date": rows["date"],
            "ratio": (1.0 / ratio[hit]).astype("float64"),
            "details": "derived: close vs adj_close (spin-off or special dividend)",
        }
    ).reset_index(drop=True)
