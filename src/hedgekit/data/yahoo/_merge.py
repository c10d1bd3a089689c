"""Merging what was fetched into the stored tables, per ticker.

Stored prices are rescaled onto Yahoo's latest split and dividend basis where the new
rows overlap them; securities, descriptions and snapshots of the pulled tickers are
replaced, and only tables that change are returned.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data._bundle import ImportReport
from hedgekit.data._schema import TABLES
from hedgekit.data._store import Transaction
from hedgekit.data._validate import coerce_table
from hedgekit.data.yahoo._common import _count
from hedgekit.data.yahoo._convert import _profile_rows, _securities_rows

_SPLIT_TOLERANCE = 0.05  # a change of close basis beyond 5% is a split, not a revision


def _merge_ticker_prices(
    old: pd.DataFrame, new: pd.DataFrame, ticker: str, report: ImportReport
) -> pd.DataFrame:
    """New rows replace stored ones; stored rows left over are rescaled to the new basis."""
    if old.empty:
        return new
    if new.empty:
        return old
    rest = old[~old["date"].isin(new["date"])].copy()
    if rest.empty:
        return new
    common = sorted(set(old["date"]) & set(new["date"]))
    if not common:
        report.warnings.append(
            f"{ticker}: Yahoo's prices do not overlap the stored ones, so a split or dividend "
            "since the last pull cannot be adjusted for; check the series around "
            f"{new['date'].min():%Y-%m-%d}"
        )
        return pd.concat([rest, new], ignore_index=True)
    day = common[-1]
    o = old.loc[old["date"] == day].iloc[0]
    n = new.loc[new["date"] == day].iloc[0]
    r_close = float(n["close"] / o["close"])
    if abs(np.log(r_close)) > np.log1p(_SPLIT_TOLERANCE):
        for col in ("open", "high", "low", "close"):
            rest[col] = rest[col] * r_close
        rest["volume"] = rest["volume"] / r_close
        _count(report, "tickers_rebased_for_splits")
        report.warnings.append(
            f"{ticker}: Yahoo's close basis changed by x{r_close:.4g} since the last pull "
            f"(a split or consolidation); stored prices before {day:%Y-%m-%d} rescaled"
        )
    r_adj = float(n["adj_close"] / o["adj_close"])
    if np.isfinite(r_adj) and r_adj > 0 and r_adj != 1.0:
        rest["adj_close"] = rest["adj_close"] * r_adj
        if abs(np.log(r_adj)) > 1e-9:
            _count(report, "tickers_rebased_adj_close")
    return pd.concat([rest, new], ignore_index=True)


def _replace_rows(
    old: pd.DataFrame, rows: pd.DataFrame, tickers: set[str], table: str
) -> tuple[pd.DataFrame, bool]:
    """The table with every row of ``tickers`` replaced by ``rows``; and whether it changed."""
    spec = TABLES[table]
    mine = old["ticker"].isin(list(tickers)) if len(old) else pd.Series(False, index=old.index)
    before = coerce_table(old[mine], spec, f"{table} (stored)")
    after = coerce_table(rows, spec, f"{table} (from Yahoo)")
    changed = not before.reset_index(drop=True).equals(after.reset_index(drop=True))
    if not changed:
        return old, False
    frames = [f for f in (old[~mine], after) if len(f)]
    merged = pd.concat(frames, ignore_index=True) if frames else after
    return coerce_table(merged, spec, f"{table} (merged)"), True


def _upsert(old: pd.DataFrame, new: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Rows of ``new`` win on their key; their missing values are filled from ``old``."""
    if old.empty:
        return new
    if new.empty:
        return old
    a = new.set_index(key)
    b = old.set_index(key)
    return a.combine_first(b).reset_index()


def _merge_into(
    tx: Transaction,
    touched: list[str],
    new_prices: pd.DataFrame,
    profs: dict[str, tuple[dict[str, Any], pd.Timestamp]],
    report: ImportReport,
) -> dict[str, pd.DataFrame]:
    """Merge what was fetched into the tables ``tx`` sees; return the tables that changed."""
    mine = set(touched)
    old_prices = tx.read("prices")
    old_mine = coerce_table(
        old_prices[old_prices["ticker"].isin(touched)], TABLES["prices"], "prices (stored)"
    )
    merged = [
        _merge_ticker_prices(
            old_mine[old_mine["ticker"] == t], new_prices[new_prices["ticker"] == t], t, report
        )
        for t in touched
    ]
    merged = [m for m in merged if len(m)]
    ticker_prices = pd.concat(merged, ignore_index=True) if merged else new_prices.iloc[:0]
    keys = pd.MultiIndex.from_frame(ticker_prices[["date", "ticker"]])
    stored_keys = pd.MultiIndex.from_frame(old_mine[["date", "ticker"]])
    report.derived["price_rows_new"] = int((~keys.isin(stored_keys)).sum())

    frames: dict[str, pd.DataFrame] = {}
    prices, changed = _replace_rows(old_prices, ticker_prices, mine, "prices")
    if changed:
        frames["prices"] = prices

    old_sec = tx.read("securities")
    sec_rows = _securities_rows(
        old_sec[old_sec["ticker"].isin(touched)], touched, profs, ticker_prices, report
    )
    sec, changed = _replace_rows(old_sec, sec_rows, mine, "securities")
    if changed:
        frames["securities"] = sec

    desc_new, snap_new = _profile_rows(touched, profs, ticker_prices)
    for table, new, key in (
        ("descriptions", desc_new, ["ticker", "as_of", "source"]),
        ("fundamentals_snapshots", snap_new, ["snapshot_date", "ticker"]),
    ):
        old = tx.read(table)
        rows = _upsert(old[old["ticker"].isin(touched)], new, key)
        out, changed = _replace_rows(old, rows, mine, table)
        if changed:
            frames[table] = out
    return frames
