"""Fetching prices: each request served from the cache or, in chunks, from the client.

The answers are brought to :data:`~hedgekit.data.yahoo.HISTORY_COLUMNS` and cleaned of
non-positive prices; validation against the store's schema comes later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hedgekit._errors import DataError, MalformedDataError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._validate import normalize_ticker_column
from hedgekit.data.yahoo._cache import _Cache
from hedgekit.data.yahoo._client import HISTORY_COLUMNS, YahooClient, _empty_history
from hedgekit.data.yahoo._common import _count, _names

_CHUNK = 50  # tickers per history request: a failure loses at most one chunk


@dataclass(frozen=True)
class _Request:
    ticker: str
    start: pd.Timestamp
    end: pd.Timestamp


def _as_history(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check a client response and bring it to :data:`HISTORY_COLUMNS` (no validation)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"{source}: the Yahoo client returned {type(frame).__name__}, not a DataFrame"
        )
    missing = [c for c in ("date", "ticker", "close") if c not in frame.columns]
    if missing:
        raise MalformedDataError(source, f"response lacks column(s) {missing}; see HISTORY_COLUMNS")
    out = frame.reset_index(drop=True).reindex(columns=list(HISTORY_COLUMNS))
    dates = pd.to_datetime(out["date"])
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    out["date"] = dates.dt.normalize().astype("datetime64[ns]")
    out["ticker"] = normalize_ticker_column(out["ticker"])
    for col in HISTORY_COLUMNS[2:]:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out


def _fetch_history(
    requests: list[_Request],
    client: YahooClient,
    cache: _Cache,
    report: ImportReport,
    say: Callable[[str], None],
) -> pd.DataFrame:
    """Serve every request from the cache or the client; cache what the client returns."""
    frames: list[pd.DataFrame] = []
    groups: dict[tuple[pd.Timestamp, pd.Timestamp], list[str]] = {}
    for req in requests:
        cached = cache.load_history(req.ticker, req.start, req.end)
        if cached is not None:
            frames.append(_as_history(cached, f"cache of {req.ticker}"))
            _count(report, "history_cache_hits")
        else:
            groups.setdefault((req.start, req.end), []).append(req.ticker)
    for (lo, hi), names in groups.items():
        for i in range(0, len(names), _CHUNK):
            chunk = names[i : i + _CHUNK]
            say(f"downloading prices {lo:%Y-%m-%d}..{hi:%Y-%m-%d} for {_names(chunk, 5)}")
            raw = client.history(list(chunk), lo.date(), hi.date())
            _count(report, "history_requests")
            got = _as_history(raw, f"Yahoo prices {lo:%Y-%m-%d}..{hi:%Y-%m-%d}")
            got = got[(got["date"] >= lo) & (got["date"] <= hi)]
            for ticker in chunk:
                part = got[got["ticker"] == ticker].reset_index(drop=True)
                cache.save_history(ticker, lo, hi, part)
                frames.append(part)
    frames = [f for f in frames if len(f)]
    if not frames:
        return _as_history(_empty_history(), "empty")
    return pd.concat(frames, ignore_index=True)


def _clean_prices(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Drop rows without a positive close, blank other non-positive prices, count both."""
    out = frame.copy()
    blanked = 0
    for col in ("open", "high", "low", "adj_close"):
        bad = out[col] <= 0
        blanked += int(bad.sum())
        out.loc[bad, col] = np.nan
    out.loc[out["volume"] < 0, "volume"] = np.nan
    keep = out["close"] > 0
    dropped = int((~keep).sum())
    if blanked:
        report.warnings.append(
            f"{blanked} non-positive Yahoo open/high/low/adj_close value(s) set to missing"
        )
    if dropped:
        report.warnings.append(f"{dropped} Yahoo row(s) without a positive close dropped")
    return out[keep].reset_index(drop=True)
