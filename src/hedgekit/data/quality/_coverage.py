"""The ``coverage`` check: rows, tickers and date span of every table in the store, and
reference series (Fama-French factors, benchmarks) that end before the prices.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hedgekit.data._market import MarketData
from hedgekit.data._schema import TABLES
from hedgekit.data.quality._common import _plural
from hedgekit.data.quality._report import QualitySection, Status

#: a series of a reference table ending this many days before the prices is reported
_EARLY_END_DAYS = 30
#: the tables a full hedgekit store is expected to hold beyond prices and securities
_EXPECTED_TABLES = ("index_membership", "descriptions", "fundamentals")


def _date(value: Any) -> pd.Timestamp | None:
    ts = pd.Timestamp(value) if value is not None else None
    return None if ts is None or pd.isna(ts) else ts


def _coverage(market: MarketData) -> QualitySection:
    store = market.store
    rows: list[dict[str, Any]] = []
    early: list[dict[str, Any]] = []
    present = [t for t in store.tables() if t in TABLES]
    for name in present:
        spec = TABLES[name]
        path = store.path(name)
        if path is None:
            continue
        pfile = pq.ParquetFile(path)
        names = set(pfile.schema_arrow.names)
        cols = [c for c in ("ticker", *spec.date_columns) if c in names]
        tbl = pfile.read(columns=cols) if cols else None
        tickers = None
        first = last = None
        if tbl is not None and "ticker" in cols:
            tickers = int(pc.count_distinct(tbl["ticker"]).as_py())
        for c in spec.date_columns:
            if tbl is None or c not in cols:
                continue
            bounds: Any = pc.min_max(tbl[c])
            lo, hi = _date(bounds["min"].as_py()), _date(bounds["max"].as_py())
            if lo is not None:
                first = lo if first is None else min(first, lo)
            if hi is not None:
                last = hi if last is None else max(last, hi)
        rows.append(
            {
                "table": name,
                "rows": int(pfile.metadata.num_rows),
                "tickers": tickers,
                "first": first,
                "last": last,
            }
        )
    limit = market.end - pd.Timedelta(days=_EARLY_END_DAYS)
    if "fama_french" in present:
        ff = store.read("fama_french").set_index("date")
        for col in ff.columns:
            when = _date(ff[col].last_valid_index())
            if when is not None and when < limit:
                early.append({"table": "fama_french", "series": str(col), "last": when})
    bench = market._bench_panels["adj_close"]
    for ticker in bench.columns:
        when = _date(bench[ticker].last_valid_index())
        if when is not None and when < limit:
            early.append({"table": "benchmarks", "series": str(ticker), "last": when})
    frame = pd.DataFrame(rows, columns=["table", "rows", "tickers", "first", "last"])
    frame["tickers"] = frame["tickers"].astype("Int64")
    early_frame = pd.DataFrame(early, columns=["table", "series", "last"])
    absent = [t for t in _EXPECTED_TABLES if t not in present]
    metrics = {
        "tables": len(frame),
        "price_tickers": len(market.tickers),
        "trading_days": len(market.calendar),
        "start": market.start,
        "end": market.end,
        "absent_tables": absent,
        "series_ending_early": len(early_frame),
    }
    span = f"{market.start:%Y-%m-%d} to {market.end:%Y-%m-%d}"
    if "securities" not in present:
        status, reason = Status.FAIL, "no securities table; re-import the bundle"
    elif absent:
        status = Status.WARN
        reason = f"no {', '.join(absent)} table(s); the sections built on them are empty"
    elif len(early_frame):
        status = Status.WARN
        reason = (
            f"{_plural(len(early_frame), 'reference series', 'reference series')} end before "
            f"the prices: {', '.join(early_frame['series'].head(5))}"
        )
    else:
        status = Status.OK
        reason = f"{len(frame)} tables; prices for {len(market.tickers):,} tickers, {span}"
    return QualitySection(
        "coverage", status, reason, metrics, {"coverage": frame, "early_ends": early_frame}
    )
