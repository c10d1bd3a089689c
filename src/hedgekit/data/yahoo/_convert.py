"""Yahoo's company profiles as store rows: securities, descriptions and market-cap snapshots."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data._bundle import ImportReport
from hedgekit.data._geography import regions_of
from hedgekit.data._gics import fill_gics_levels
from hedgekit.data._schema import TABLES
from hedgekit.data.yahoo._common import _names

__all__ = ["YAHOO_TO_GICS_SECTOR"]

#: Yahoo (Morningstar) sector names whose GICS sector is unambiguous.
YAHOO_TO_GICS_SECTOR: dict[str, str] = {
    "Basic Materials": "Materials",
    "Communication Services": "Communication Services",
    "Consumer Cyclical": "Consumer Discretionary",
    "Consumer Defensive": "Consumer Staples",
    "Energy": "Energy",
    "Financial": "Financials",
    "Financial Services": "Financials",
    "Healthcare": "Health Care",
    "Industrials": "Industrials",
    "Real Estate": "Real Estate",
    "Technology": "Information Technology",
    "Utilities": "Utilities",
}

_SOURCE = "yahoo_profile"


def _none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def _number(value: Any) -> float | None:
    value = _none(value)
    try:
        out = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return out if out is not None and np.isfinite(out) else None


def _securities_rows(
    old: pd.DataFrame,
    tickers: list[str],
    profiles: dict[str, tuple[dict[str, Any], pd.Timestamp]],
    prices: pd.DataFrame,
    report: ImportReport,
) -> pd.DataFrame:
    """Securities rows of ``tickers``: Yahoo updates names and listing; GICS only fills gaps.

    A sector or sub-industry already in the store (e.g. from an index constituent list)
    is kept: Yahoo's sectors are Morningstar's, mapped to GICS only where obvious.
    """
    prev = old.set_index("ticker") if len(old) else pd.DataFrame(columns=list(old.columns))
    span = prices.groupby("ticker", observed=True)["date"].agg(["min", "max"])
    unmapped: set[str] = set()
    rows = []
    for t in tickers:
        base: dict[str, Any] = (
            {str(k): _none(v) for k, v in prev.loc[t].items()} if t in prev.index else {}
        )
        row = {c: base.get(c) for c in TABLES["securities"].columns if c != "ticker"}
        row["ticker"] = t
        prof = profiles.get(t, ({}, None))[0]
        for field in ("name", "country", "exchange"):
            if _none(prof.get(field)) is not None:
                row[field] = _none(prof.get(field))
        sector = _none(prof.get("sector"))
        gics = YAHOO_TO_GICS_SECTOR.get(sector) if sector else None
        if sector and gics is None:
            unmapped.add(f"{sector} ({t})")
        if row.get("gics_sector") is None and gics is not None:
            row["gics_sector"] = gics
        row["currency"] = "USD"
        if t in span.index:
            row["first_price_date"] = span.loc[t, "min"]
            row["last_price_date"] = span.loc[t, "max"]
        rows.append(row)
    if unmapped:
        report.warnings.append(
            "Yahoo sector(s) with no obvious GICS sector left unclassified: " + _names(unmapped)
        )
    frame = pd.DataFrame(rows, columns=list(TABLES["securities"].columns))
    for col in ("gics_sector", "gics_industry_group", "gics_industry", "gics_sub_industry"):
        frame[col] = frame[col].astype("string")
    frame = fill_gics_levels(frame)
    frame["region"] = regions_of(frame["country"]).fillna(frame["region"].astype("string"))
    return frame


def _profile_rows(
    tickers: list[str],
    profiles: dict[str, tuple[dict[str, Any], pd.Timestamp]],
    prices: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Description rows (as of the fetch date) and market-cap snapshots of ``tickers``."""
    desc, snaps = [], []
    for t in tickers:
        if t not in profiles:
            continue
        prof, fetched = profiles[t]
        text = _none(prof.get("summary"))
        if text is not None:
            desc.append(
                {
                    "ticker": t,
                    "as_of": fetched,
                    "source": _SOURCE,
                    "name": _none(prof.get("name")),
                    "sector": _none(prof.get("sector")),
                    "industry": _none(prof.get("industry")),
                    "country": _none(prof.get("country")),
                    "employees": _number(prof.get("employees")),
                    "text": text,
                }
            )
        shares = _number(prof.get("shares_outstanding"))
        px = prices[(prices["ticker"] == t) & (prices["date"] <= fetched)]
        if shares and shares > 0 and len(px):
            close = float(px.sort_values("date")["close"].iloc[-1])
            snaps.append(
                {
                    "snapshot_date": fetched,
                    "ticker": t,
                    "price": close,
                    "market_cap": shares * close,
                }
            )
    return (
        pd.DataFrame(desc, columns=list(TABLES["descriptions"].columns)),
        pd.DataFrame(snaps, columns=["snapshot_date", "ticker", "price", "market_cap"]),
    )
