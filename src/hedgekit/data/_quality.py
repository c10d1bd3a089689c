"""Data quality report of a market data store (``hedgekit data check``).

:func:`check_data` inspects an imported store and returns a :class:`QualityReport`
with one :class:`QualitySection` per concern, each with a status (``ok``, ``warn``
or ``fail``), a one-line reason, headline metrics and detail tables:

1. ``coverage``: rows, tickers and date span of every table in the store;
2. ``prices``: per ticker life span, missing days and gaps, stale closes, spikes,
   zero-volume days and non-positive values;
3. ``identity``: possible ticker reuse, names without a name or GICS, index members
   without prices (survivorship), ticker changes (aliases);
4. ``descriptions``: coverage of each vintage and source;
5. ``fundamentals``: coverage by fiscal year and source, estimated publish dates,
   staleness at the last date;
6. ``market_cap``: where the share counts of index members come from, at each year end;
7. ``limits``: the data's known limits as plain text, and the import history.

The price checks run on the wide (dates x tickers) panels of
:class:`~hedgekit.data.MarketData`, without Python loops over rows.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hedgekit._errors import ConfigurationError
from hedgekit._json import jsonable as _jsonable
from hedgekit.data._market import MarketData
from hedgekit.data._schema import TABLES
from hedgekit.typing import CaseInsensitiveEnum

__all__ = ["QualityReport", "QualitySection", "Status", "check_data", "plot_coverage"]

logger = logging.getLogger(__name__)

#: a one-day move at least this large near a ticker change points at a spliced history
_ALIAS_JUMP = 0.5
#: trading days either side of a ticker change searched for such a move
_ALIAS_WINDOW = 5
#: an index membership this many calendar days before the first price is suspicious
_MEMBER_SLACK_DAYS = 30
#: prices starting this many years before the first membership (or description)
_LEAD_YEARS = 5.0
#: a series of a reference table ending this many days before the prices is reported
_EARLY_END_DAYS = 30
#: the tables a full hedgekit store is expected to hold beyond prices and securities
_EXPECTED_TABLES = ("index_membership", "descriptions", "fundamentals")
#: simple split ratios: a move of (ratio - 1) that is one of them looks like an unadjusted split
_SPLIT_RATIOS = np.array([2.0, 3.0, 4.0, 5.0, 10.0, 1.5, 20.0])


class Status(CaseInsensitiveEnum):
    """Outcome of one section: ``'ok'``, ``'warn'`` or ``'fail'`` (case-insensitive)."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        """0 for ok, 1 for warn, 2 for fail."""
        return {"ok": 0, "warn": 1, "fail": 2}[self.value]


@dataclass(frozen=True, eq=False)
class QualitySection:
    """One section of a :class:`QualityReport`.

    Parameters
    ----------
    name : str
        Section name (``'prices'``, ``'identity'``...).
    status : Status
        ``ok``, ``warn`` or ``fail``.
    reason : str
        One line saying why.
    metrics : dict of str to scalar
        Headline numbers.
    frames : dict of str to DataFrame
        Detail tables, worst offenders first.
    lines : tuple of str
        Plain-text lines (the ``limits`` section).
    """

    name: str
    status: Status
    reason: str
    metrics: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    lines: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: dates as ISO strings, missing values as None."""
        return {
            "status": str(self.status),
            "reason": self.reason,
            "metrics": {k: _jsonable(v) for k, v in self.metrics.items()},
            "tables": {k: _records(v) for k, v in self.frames.items()},
            "lines": list(self.lines),
        }


@dataclass(frozen=True, eq=False)
class QualityReport:
    """Result of :func:`check_data`: one section per concern plus per-date counts.

    Parameters
    ----------
    home : str
        Data home of the store checked.
    version : str
        Snapshot identifier of the store.
    synthetic : bool
        True when the store holds a simulated market.
    start, end : Timestamp
        First and last trading date of the prices.
    parameters : dict
        Thresholds used: ``spike``, ``stale_days``, ``gap_days``.
    coverage, prices, identity, descriptions, fundamentals, market_cap, limits : QualitySection
        The sections, in report order.
    daily : DataFrame
        Indexed by trading date: ``priced`` (names with a close), ``members`` (index
        members per the membership table) and ``members_priced`` (members with a close
        that day). Used by :func:`plot_coverage` and :meth:`to_frames`; left out of
        :meth:`to_dict` to keep the JSON small.
    warnings : tuple of str
        The importer's warnings, when the store's manifest records them.
    """

    home: str
    version: str
    synthetic: bool
    start: pd.Timestamp
    end: pd.Timestamp
    parameters: dict[str, float]
    coverage: QualitySection
    prices: QualitySection
    identity: QualitySection
    descriptions: QualitySection
    fundamentals: QualitySection
    market_cap: QualitySection
    limits: QualitySection
    daily: pd.DataFrame
    warnings: tuple[str, ...] = ()

    @property
    def sections(self) -> dict[str, QualitySection]:
        """The sections by name, in report order."""
        return {
            s.name: s
            for s in (
                self.coverage,
                self.prices,
                self.identity,
                self.descriptions,
                self.fundamentals,
                self.market_cap,
                self.limits,
            )
        }

    @property
    def status(self) -> Status:
        """The worst status of all sections."""
        return max((s.status for s in self.sections.values()), key=lambda s: s.rank)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per section: ``status`` and ``reason``, indexed by section name."""
        rows = [(n, str(s.status), s.reason) for n, s in self.sections.items()]
        return pd.DataFrame(rows, columns=["section", "status", "reason"]).set_index("section")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``json.dumps`` works on it): ISO dates, None for missing values."""
        return {
            "home": self.home,
            "version": self.version,
            "synthetic": self.synthetic,
            "start": _jsonable(self.start),
            "end": _jsonable(self.end),
            "status": str(self.status),
            "parameters": {k: _jsonable(v) for k, v in self.parameters.items()},
            "summary": _records(self.summary),
            "sections": {n: s.to_dict() for n, s in self.sections.items()},
            "warnings": list(self.warnings),
        }

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """All tables by name: ``summary``, ``daily`` and every section's detail tables."""
        out: dict[str, pd.DataFrame] = {"summary": self.summary, "daily": self.daily}
        for section in self.sections.values():
            out.update(section.frames)
        return out


# ---------------------------------------------------------------------------- helpers


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` (its named index as a column) as JSON-ready dicts."""
    if frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    cols = [str(c) for c in frame.columns]
    return [
        {c: _jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of True down each column of a 2-D boolean array.

    Parameters
    ----------
    mask : ndarray of bool of shape (n_dates, n_tickers)

    Returns
    -------
    col, start, length : ndarray of int
        One entry per run: its column, first row and number of rows, ordered by
        column then start.
    """
    n_rows, n_cols = mask.shape
    padded = np.zeros((n_cols, n_rows + 2), dtype=np.int8)
    padded[:, 1:-1] = mask.T
    step = np.diff(padded, axis=1)
    col, start = np.nonzero(step == 1)
    _, stop = np.nonzero(step == -1)
    return col, start, stop - start


def _tuples(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows of some columns as plain tuples (for the few loops over small tables)."""
    return list(frame[columns].itertuples(index=False, name=None))


def _date(value: Any) -> pd.Timestamp | None:
    ts = pd.Timestamp(value) if value is not None else None
    return None if ts is None or pd.isna(ts) else ts


def _main_index(membership: pd.DataFrame) -> str | None:
    if membership.empty:
        return None
    return str(membership["index"].value_counts().index[0])


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")


# ---------------------------------------------------------------------------- coverage
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


# ---------------------------------------------------------------------------- prices
def _run_frame(
    tickers: np.ndarray,
    cal: pd.DatetimeIndex,
    col: np.ndarray,
    start: np.ndarray,
    length: np.ndarray,
) -> pd.DataFrame:
    stop = start + length - 1
    return pd.DataFrame(
        {
            "ticker": tickers[col],
            "start": cal[start],
            "end": cal[stop],
            "days": length.astype(int),
        }
    )


def _spike_hint(ret: np.ndarray, close_ret: np.ndarray, next_ret: np.ndarray) -> np.ndarray:
    """Why a spike may be bad data: reverts next day, split-like ratio, or a distribution."""
    move = np.log1p(ret)
    back = np.log1p(np.where(np.isnan(next_ret), 0.0, next_ret))
    reverts = np.abs(move + back) < np.abs(move) / 2
    ratio = np.where(ret > 0, 1 + ret, 1 / (1 + ret))
    split = np.any(np.abs(ratio[:, None] / _SPLIT_RATIOS[None, :] - 1) < 0.005, axis=1)
    distribution = np.abs(np.log1p(close_ret) - move) > np.log(1.1)
    hint = np.full(len(ret), "", dtype=object)
    hint[split] = "split-like ratio"
    hint[distribution] = "distribution (close and adj_close differ)"
    hint[reverts] = "reverts next day"
    return hint


def _prices(
    market: MarketData, spike: float, stale_days: int, gap_days: int
) -> tuple[QualitySection, np.ndarray, pd.DataFrame]:
    panels = market._panels
    cal = market.calendar
    tickers = np.asarray(market.tickers, dtype=object)
    close = panels["close"].to_numpy()
    adj = panels["adj_close"].to_numpy()
    volume = panels["volume"].to_numpy()
    n_dates, n_tickers = close.shape
    valid = ~np.isnan(close)
    has = valid.any(axis=0)
    first = np.argmax(valid, axis=0)
    last = n_dates - 1 - np.argmax(valid[::-1], axis=0)
    rows = np.arange(n_dates)[:, None]
    inside = (rows >= first) & (rows <= last) & has
    missing = inside & ~valid

    # gaps: runs of missing closes inside a ticker's life
    g_col, g_start, g_len = _runs(missing)
    keep = g_len >= gap_days
    gaps = _run_frame(tickers, cal, g_col[keep], g_start[keep], g_len[keep])
    gaps["business_days"] = np.busday_count(
        gaps["start"].to_numpy().astype("datetime64[D]"),
        (gaps["end"] + pd.Timedelta(days=1)).to_numpy().astype("datetime64[D]"),
    )

    # stale: runs of identical consecutive closes
    with np.errstate(invalid="ignore"):
        same = valid[1:] & valid[:-1] & (close[1:] == close[:-1])
    s_col, s_start, s_len = _runs(same)
    keep = s_len + 1 >= stale_days
    stale = _run_frame(tickers, cal, s_col[keep], s_start[keep], s_len[keep] + 1)
    stale["close"] = close[s_start[keep], s_col[keep]]

    # spikes: |return| against the previous available close above the threshold
    adj_frame = panels["adj_close"]
    prev_adj = adj_frame.ffill().shift(1).to_numpy()
    prev_close = panels["close"].ffill().shift(1).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ret = np.where(valid, adj / prev_adj - 1.0, np.nan)
        close_ret = np.where(valid, close / prev_close - 1.0, np.nan)
    next_ret = pd.DataFrame(ret).shift(-1).bfill().to_numpy(copy=True)
    next_ret[~inside] = np.nan
    next_ret[last, np.arange(n_tickers)] = np.nan
    with np.errstate(invalid="ignore"):
        hit = np.abs(ret) > spike
    sr, sc = np.nonzero(hit)
    order = np.lexsort((sr, sc))
    sr, sc = sr[order], sc[order]
    spikes = pd.DataFrame(
        {
            "ticker": tickers[sc],
            "date": cal[sr],
            "return": ret[sr, sc],
            "close_return": close_ret[sr, sc],
            "next_return": next_ret[sr, sc],
            "hint": _spike_hint(ret[sr, sc], close_ret[sr, sc], next_ret[sr, sc]),
        }
    )

    # zero volume and non-positive values
    with np.errstate(invalid="ignore"):
        zero = valid & (volume == 0)
        bad = (close <= 0) | (adj <= 0) | (volume < 0)
    z_col, z_start, z_len = _runs(zero)
    zero_runs = _run_frame(tickers, cal, z_col, z_start, z_len)
    br, bc = np.nonzero(bad)
    non_positive = pd.DataFrame(
        {
            "ticker": tickers[bc],
            "date": cal[br],
            "close": close[br, bc],
            "adj_close": adj[br, bc],
            "volume": volume[br, bc],
        }
    )

    index = pd.Index(tickers, name="ticker")

    def per_ticker(frame: pd.DataFrame, how: str = "size") -> pd.Series:
        if how == "size":
            counts = frame.groupby("ticker").size()
        else:
            counts = frame.groupby("ticker")["days"].max()
        return counts.reindex(index).fillna(0).astype(int)

    summary = pd.DataFrame(
        {
            "first": pd.DatetimeIndex(cal[first]).where(has),
            "last": pd.DatetimeIndex(cal[last]).where(has),
            "trading_days": valid.sum(axis=0),
            "missing_days": missing.sum(axis=0),
            "gaps": per_ticker(gaps).to_numpy(),
            "longest_gap": per_ticker(gaps, "max").to_numpy(),
            "stale_runs": per_ticker(stale).to_numpy(),
            "longest_stale": per_ticker(stale, "max").to_numpy(),
            "spikes": per_ticker(spikes).to_numpy(),
            "zero_volume_days": zero.sum(axis=0),
            "non_positive": bad.sum(axis=0),
        },
        index=index,
    )
    summary["issues"] = (
        summary["gaps"]
        + summary["stale_runs"]
        + summary["spikes"]
        + per_ticker(zero_runs).to_numpy()
        + summary["non_positive"]
    )
    summary = summary.sort_values(
        ["issues", "missing_days", "zero_volume_days"], ascending=False, kind="stable"
    )

    # calendar: weekdays with no price at all (holidays give short runs)
    weekdays = pd.bdate_range(market.start, market.end)
    closed = ~weekdays.isin(cal)
    _c_col, _c_start, c_len = _runs(closed[:, None])
    longest_closed = int(c_len.max()) if len(c_len) else 0

    gaps = gaps.sort_values(["days", "ticker"], ascending=[False, True], kind="stable")
    stale = stale.sort_values(["days", "ticker"], ascending=[False, True], kind="stable")
    spikes = spikes.assign(_abs=spikes["return"].abs()).sort_values(
        ["_abs", "ticker"], ascending=[False, True], kind="stable"
    )
    spikes = spikes.drop(columns="_abs").reset_index(drop=True)
    zero_runs = zero_runs.sort_values(["days", "ticker"], ascending=[False, True], kind="stable")
    frames = {
        "prices": summary,
        "gaps": gaps.reset_index(drop=True),
        "stale": stale.reset_index(drop=True),
        "spikes": spikes,
        "zero_volume": zero_runs.reset_index(drop=True),
        "non_positive": non_positive,
    }
    n_zero = int(zero.sum())
    metrics = {
        "tickers": int(has.sum()),
        "observations": int(valid.sum()),
        "missing_days": int(missing.sum()),
        "gaps": len(gaps),
        "tickers_with_gaps": int(gaps["ticker"].nunique()),
        "stale_runs": len(stale),
        "tickers_with_stale_runs": int(stale["ticker"].nunique()),
        "spikes": len(spikes),
        "tickers_with_spikes": int(spikes["ticker"].nunique()),
        "spikes_reverting_next_day": int((spikes["hint"] == "reverts next day").sum()),
        "zero_volume_days": n_zero,
        "unchanged_zero_volume_days": int((zero[1:] & same).sum()),
        "tickers_with_zero_volume": int((zero.sum(axis=0) > 0).sum()),
        "non_positive": int(bad.sum()),
        "longest_market_closure_weekdays": longest_closed,
    }
    counts = [
        _plural(len(gaps), "gap"),
        _plural(len(stale), "stale run"),
        _plural(len(spikes), "spike"),
        _plural(n_zero, "zero-volume day"),
    ]
    flagged = int((summary["issues"] > 0).sum())
    if metrics["non_positive"]:
        status = Status.FAIL
        reason = (
            f"{_plural(metrics['non_positive'], 'non-positive value')} (the import should "
            "have rejected them); " + ", ".join(counts)
        )
    elif len(gaps) or len(stale) or len(spikes) or n_zero:
        status = Status.WARN
        reason = f"{', '.join(counts)} in {_plural(flagged, 'ticker')}"
    else:
        status = Status.OK
        reason = f"{int(has.sum()):,} tickers; no gaps, stale runs, spikes or zero volume"
    returns = pd.DataFrame(ret, index=adj_frame.index, columns=adj_frame.columns)
    return QualitySection("prices", status, reason, metrics, frames), valid, returns


# ---------------------------------------------------------------------------- identity
def _member_matrix(membership: pd.DataFrame, cal: pd.DatetimeIndex) -> tuple[np.ndarray, pd.Index]:
    """Boolean (n_dates, n_member_tickers) matrix: ticker is an index member on that date."""
    names = pd.Index(sorted(set(membership["ticker"])), name="ticker")
    out = np.zeros((len(cal), len(names)), dtype=bool)
    if membership.empty:
        return out, names
    lo = cal.searchsorted(membership["start_date"].to_numpy())
    end = membership["end_date"]
    hi = np.where(end.isna(), len(cal), cal.searchsorted(end.fillna(cal[-1]).to_numpy()))
    cols = names.get_indexer(membership["ticker"])
    for c, a, b in zip(cols, lo, hi, strict=True):  # one slice per interval
        out[a:b, c] = True
    return out, names


def _identity(
    market: MarketData, valid: np.ndarray, rets: pd.DataFrame
) -> tuple[QualitySection, pd.DataFrame]:
    cal = market.calendar
    sec = market.securities
    price_tickers = market.tickers
    membership = market._membership
    code = _main_index(membership)
    members = membership[membership["index"] == code] if code else membership
    fp = sec["first_price_date"].reindex(price_tickers)
    lp = sec["last_price_date"].reindex(price_tickers)
    aliases = market.aliases
    reasons: dict[str, list[tuple[str, str]]] = {}

    def add(ticker: str, kind: str, text: str) -> None:
        reasons.setdefault(str(ticker), []).append((kind, text))

    # 1. the source's own flag
    if "possible_ticker_reuse" in sec.columns:
        flagged = sec.index[sec["possible_ticker_reuse"].fillna(False).astype(bool)]
        for t in flagged:
            if t in price_tickers:
                add(t, "source", "flagged by the data source (possible_ticker_reuse)")

    # 2. index member on dates before its price history starts (inside the data)
    priced_members = members[members["ticker"].isin(price_tickers)]
    if len(priced_members):
        first_px = priced_members["ticker"].map(fp)
        start = priced_members["start_date"]
        clipped = start.where(start > market.start, market.start)
        end = priced_members["end_date"]
        early = (clipped < first_px - pd.Timedelta(days=_MEMBER_SLACK_DAYS)) & (
            end.isna() | (end > market.start)
        )
        hits = priced_members[early].assign(first_price=first_px[early])
        for ticker, begin, stop, px in _tuples(
            hits, ["ticker", "start_date", "end_date", "first_price"]
        ):
            until = "now" if pd.isna(stop) else f"{stop:%Y-%m-%d}"
            add(
                ticker,
                "strong",
                f"index member {begin:%Y-%m-%d}..{until} but prices start {px:%Y-%m-%d}",
            )

    # 3. an old ticker of another company that has prices of its own
    alias_rows = aliases[
        aliases["alias"].isin(price_tickers) & (aliases["alias"] != aliases["ticker"])
    ]
    for alias, ticker, stop in _tuples(alias_rows, ["alias", "ticker", "end_date"]):
        until = "" if pd.isna(stop) else f" until {stop:%Y-%m-%d}"
        add(alias, "strong", f"was the ticker of {ticker}{until}")

    # 4. a >50% one-day move near a ticker change
    changes = aliases[aliases["end_date"].notna()]
    jumps: list[dict[str, Any]] = []
    for alias, ticker, change in _tuples(changes, ["alias", "ticker", "end_date"]):
        i = int(cal.searchsorted(pd.Timestamp(change)))
        lo, hi = max(0, i - _ALIAS_WINDOW), min(len(cal), i + _ALIAS_WINDOW + 1)
        for t in dict.fromkeys([str(ticker), str(alias)]):
            if t not in rets.columns:
                continue
            window = rets[t].iloc[lo:hi]
            big = window[window.abs() > _ALIAS_JUMP]
            for when, r in zip(big.index, big.to_numpy(), strict=True):
                jumps.append({"ticker": t, "date": when, "return": r, "change": change})
                add(
                    t,
                    "strong",
                    f"{r:+.0%} on {when:%Y-%m-%d} near the {alias}->{ticker} change "
                    f"on {change:%Y-%m-%d}",
                )

    # 5. (weak) prices start long before the first membership, or the first description
    desc_dates = market.store.read("descriptions", columns=["ticker", "as_of"])
    desc_first = desc_dates.groupby("ticker")["as_of"].min()
    first_member = members.groupby("ticker")["start_date"].min()
    ref = first_member.reindex(price_tickers)
    ref_kind = pd.Series("first index membership", index=price_tickers)
    no_member = ref.isna()
    ref[no_member] = desc_first.reindex(price_tickers)[no_member]
    ref_kind[no_member] = "first description"
    lead = (ref - fp).dt.days / 365.25
    for t in price_tickers[(lead > _LEAD_YEARS).to_numpy()]:
        add(
            t,
            "weak",
            f"prices start {fp[t]:%Y-%m-%d}, {lead[t]:.0f} years before its "
            f"{ref_kind[t]} ({ref[t]:%Y-%m-%d})",
        )

    names = sec["name"].reindex(price_tickers)
    reuse_rows = []
    for t, items in reasons.items():
        kinds = [k for k, _ in items]
        reuse_rows.append(
            {
                "ticker": t,
                "name": names.get(t),
                "strength": "strong"
                if "strong" in kinds
                else ("source" if "source" in kinds else "weak"),
                "signals": len(items),
                "first_price": fp.get(t),
                "first_member": first_member.get(t),
                "reasons": "; ".join(text for _, text in items),
            }
        )
    reuse = pd.DataFrame(
        reuse_rows,
        columns=["ticker", "name", "strength", "signals", "first_price", "first_member", "reasons"],
    )
    rank = reuse["strength"].map({"strong": 0, "source": 1, "weak": 2})
    reuse = (
        reuse.assign(_rank=rank)
        .sort_values(["_rank", "signals", "ticker"], ascending=[True, False, True], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )

    # tickers with prices but no name or no GICS sector
    unnamed_mask = (
        sec["name"].reindex(price_tickers).isna() | sec["gics_sector"].reindex(price_tickers).isna()
    )
    ever_member = pd.Index(price_tickers).isin(members["ticker"])
    unnamed = pd.DataFrame(
        {
            "ticker": price_tickers,
            "has_name": sec["name"].reindex(price_tickers).notna().to_numpy(),
            "has_gics": sec["gics_sector"].reindex(price_tickers).notna().to_numpy(),
            "index_member": ever_member,
            "first_price": fp.to_numpy(),
            "last_price": lp.to_numpy(),
        }
    )[unnamed_mask.to_numpy()].reset_index(drop=True)

    # index members without prices: per ticker and per year
    lost_mask = ~members["ticker"].isin(price_tickers)
    lost = (
        members[lost_mask]
        .groupby("ticker")
        .agg(first_start=("start_date", "min"), last_end=("end_date", "max"))
    )
    open_ended = members[lost_mask & members["end_date"].isna()]["ticker"].unique()
    lost.loc[lost.index.isin(open_ended), "last_end"] = pd.NaT
    alias_of = aliases.drop_duplicates("alias", keep="last").set_index("alias")["ticker"]
    lost["alias_of"] = alias_of.reindex(lost.index)
    lost = lost.reset_index().sort_values(
        ["last_end", "ticker"], ascending=[False, True], na_position="first", kind="stable"
    )
    lost = lost.reset_index(drop=True)
    years = []
    for year in range(market.start.year, market.end.year + 1):
        y0 = max(pd.Timestamp(year=year, month=1, day=1), market.start)
        y1 = min(pd.Timestamp(year=year, month=12, day=31), market.end)
        during = members[
            (members["start_date"] <= y1)
            & (members["end_date"].isna() | (members["end_date"] > y0))
        ]
        names_y = set(during["ticker"])
        lost_y = {t for t in names_y if t not in price_tickers}
        left = during[during["end_date"].notna() & (during["end_date"] <= y1)]
        left_lost = set(left["ticker"]) & lost_y
        years.append(
            {
                "year": year,
                "members": len(names_y),
                "without_prices": len(lost_y),
                "share_without_prices": _share(len(lost_y), len(names_y)),
                "left_without_prices": len(left_lost),
            }
        )
    survivorship = pd.DataFrame(
        years,
        columns=[
            "year",
            "members",
            "without_prices",
            "share_without_prices",
            "left_without_prices",
        ],
    )

    # aliases applied, and overlapping membership intervals
    alias_frame = aliases.assign(
        ticker_has_prices=aliases["ticker"].isin(price_tickers),
        alias_has_prices=aliases["alias"].isin(price_tickers),
        alias_still_in_membership=aliases["alias"].isin(membership["ticker"]),
    ).reset_index(drop=True)
    ordered = membership.sort_values(["index", "ticker", "start_date"]).reset_index(drop=True)
    far = pd.Timestamp("2262-01-01")
    ends = ordered["end_date"].fillna(far)
    prev_end = ends.groupby([ordered["index"], ordered["ticker"]]).cummax()
    prev_end = prev_end.groupby([ordered["index"], ordered["ticker"]]).shift(1)
    overlap = ordered[(ordered["start_date"] < prev_end).fillna(False).to_numpy()]
    overlaps = overlap[["index", "ticker", "start_date", "end_date"]].reset_index(drop=True)

    # daily counts: names with a price, members, members with a price
    mat, member_names = _member_matrix(members, cal)
    cols = pd.Index(price_tickers).get_indexer(member_names)
    priced_member = np.zeros_like(mat)
    ok = cols >= 0
    priced_member[:, ok] = mat[:, ok] & valid[:, cols[ok]]
    daily = pd.DataFrame(
        {
            "priced": valid.sum(axis=1),
            "members": mat.sum(axis=1),
            "members_priced": priced_member.sum(axis=1),
        },
        index=pd.DatetimeIndex(cal, name="date"),
    )

    strong = int((reuse["strength"] == "strong").sum())
    source = int((reuse["strength"] == "source").sum())
    weak = int((reuse["strength"] == "weak").sum())
    unmerged = int(lost["alias_of"].notna().sum())
    last_day = daily.iloc[-1] if len(daily) else None
    metrics: dict[str, Any] = {
        "index": code,
        "reuse_candidates": int(strong + source),
        "reuse_strong": strong,
        "reuse_source_flag_only": source,
        "reuse_weak_only": weak,
        "alias_jumps": len(jumps),
        "no_name_or_gics": len(unnamed),
        "members_ever": int(members["ticker"].nunique()),
        "members_without_prices": len(lost),
        "members_without_prices_filed_under_old_ticker": unmerged,
        "members_at_end": None if last_day is None else int(last_day["members"]),
        "members_priced_at_end": None if last_day is None else int(last_day["members_priced"]),
        "aliases": len(alias_frame),
        "overlapping_membership_intervals": len(overlaps),
    }
    frames = {
        "reuse": reuse,
        "no_name": unnamed,
        "members_without_prices": lost,
        "survivorship": survivorship,
        "aliases": alias_frame,
        "membership_overlaps": overlaps,
        "alias_jumps": pd.DataFrame(jumps, columns=["ticker", "date", "return", "change"]),
    }
    parts = []
    if strong + source:
        parts.append(f"{strong + source:,} possible ticker reuses ({strong} strong)")
    if len(lost):
        parts.append(
            f"{len(lost):,} index members without prices (survivorship"
            + (f"; {unmerged} filed under an old ticker)" if unmerged else ")")
        )
    if len(unnamed):
        parts.append(f"{len(unnamed):,} priced tickers without name or GICS")
    if len(overlaps):
        parts.append(_plural(len(overlaps), "overlapping membership interval"))
    if members.empty:
        parts.append("no index membership: survivorship and reuse by membership not checked")
    if parts:
        status, reason = Status.WARN, "; ".join(parts)
    else:
        status, reason = Status.OK, "every priced ticker named and classified; no reuse signals"
    return QualitySection("identity", status, reason, metrics, frames), daily


# ---------------------------------------------------------------------------- descriptions
def _descriptions(market: MarketData, current: list[str]) -> QualitySection:
    desc = market.store.read("descriptions", columns=["ticker", "as_of", "source", "text"])
    cols = [
        "as_of",
        "source",
        "tickers",
        "members_covered",
        "median_words",
        "empty_texts",
        "after_data_end",
    ]
    if desc.empty:
        frame = pd.DataFrame(columns=cols)
        return QualitySection(
            "descriptions",
            Status.WARN,
            "no descriptions: text-based peers cannot be built",
            {"vintages": 0},
            {"descriptions": frame},
        )
    text = desc["text"].fillna("").astype(str)
    desc = desc.assign(
        words=text.str.count(r"\S+"),
        empty=text.str.strip().eq(""),
        member=desc["ticker"].isin(current),
    )
    desc["source"] = desc["source"].fillna("(none)")
    grouped = desc.groupby(["as_of", "source"])
    tickers = grouped["ticker"].nunique()
    covered = desc[desc["member"]].groupby(["as_of", "source"])["ticker"].nunique()
    covered = covered.reindex(tickers.index, fill_value=0)
    frame = pd.DataFrame(
        {
            "tickers": tickers,
            "members_covered": covered / len(current) if current else np.nan,
            "median_words": grouped["words"].median(),
            "empty_texts": grouped["empty"].sum().astype(int),
        }
    ).reset_index()
    frame["after_data_end"] = frame["as_of"] > market.end
    frame = frame[cols]
    best = frame["members_covered"].max()
    inside = frame[~frame["after_data_end"]]
    metrics = {
        "vintages": len(frame),
        "first_vintage": frame["as_of"].min(),
        "last_vintage": frame["as_of"].max(),
        "tickers": int(desc["ticker"].nunique()),
        "current_members": len(current),
        "best_member_coverage": best,
        "vintages_after_data_end": int(frame["after_data_end"].sum()),
        "empty_texts": int(desc["empty"].sum()),
        "median_words": float(desc["words"].median()),
    }
    problems = []
    if metrics["empty_texts"]:
        problems.append(_plural(metrics["empty_texts"], "empty text"))
    if current and not best >= 0.9:
        problems.append(f"best vintage covers {best:.0%} of current members")
    if len(inside) == 0:
        problems.append("every vintage postdates the prices (all look-ahead)")
    first = pd.Timestamp(metrics["first_vintage"])
    if first > market.start:
        problems.append(f"none before {first:%Y-%m-%d}")
    summary = (
        f"{len(frame)} vintages from {first:%Y-%m-%d} to "
        f"{pd.Timestamp(metrics['last_vintage']):%Y-%m-%d}"
    )
    if current:
        summary += f", up to {best:.0%} of current members"
    status = Status.WARN if problems else Status.OK
    reason = summary + ("; " + "; ".join(problems) if problems else "")
    return QualitySection("descriptions", status, reason, metrics, {"descriptions": frame})


# ---------------------------------------------------------------------------- fundamentals
def _fundamentals(market: MarketData, current: list[str]) -> QualitySection:
    fund = market.store.read(
        "fundamentals",
        columns=[
            "ticker",
            "fiscal_year",
            "source",
            "period_end",
            "publish_date",
            "publish_date_estimated",
        ],
    )
    cols = [
        "fiscal_year",
        "source",
        "rows",
        "tickers",
        "priced_tickers",
        "estimated_share",
        "median_publish_lag_days",
    ]
    if fund.empty:
        return QualitySection(
            "fundamentals",
            Status.WARN,
            "no fundamentals: market caps and fundamental factors are unavailable",
            {"rows": 0},
            {"fundamentals": pd.DataFrame(columns=cols), "fiscal_year_mismatch": pd.DataFrame()},
        )
    priced = pd.Index(market.tickers)
    est = fund["publish_date_estimated"].fillna(False).astype(bool)
    lag = (fund["publish_date"] - fund["period_end"]).dt.days
    fund = fund.assign(
        est=est, lag=lag, priced=fund["ticker"].isin(priced), source=fund["source"].fillna("(none)")
    )
    grouped = fund.groupby(["fiscal_year", "source"])
    tickers = grouped["ticker"].nunique()
    priced_count = fund[fund["priced"]].groupby(["fiscal_year", "source"])["ticker"].nunique()
    frame = pd.DataFrame(
        {
            "rows": grouped.size(),
            "tickers": tickers,
            "priced_tickers": priced_count.reindex(tickers.index, fill_value=0),
            "estimated_share": grouped["est"].mean(),
            "median_publish_lag_days": grouped["lag"].median(),
        }
    ).reset_index()[cols]
    frame["fiscal_year"] = frame["fiscal_year"].astype("int64")
    year_gap = fund["fiscal_year"].astype("float64") - fund["period_end"].dt.year
    mismatch = fund[(year_gap.abs() > 1).fillna(False).to_numpy()][
        ["ticker", "fiscal_year", "source", "period_end", "publish_date"]
    ].reset_index(drop=True)

    known = fund[(fund["publish_date"] <= market.end) & fund["priced"]]
    latest = known.groupby("ticker")["period_end"].max()
    stale = (market.end - latest).dt.days
    in_members = known[known["ticker"].isin(current)]
    without = sorted(set(current) - set(in_members["ticker"]))
    # the main body of fiscal years: years holding at least a tenth of the busiest year
    per_year = fund[fund["priced"]].groupby("fiscal_year")["ticker"].nunique()
    body = per_year[per_year >= 0.1 * per_year.max()].index if len(per_year) else per_year.index
    metrics: dict[str, Any] = {
        "rows": len(fund),
        "tickers": int(fund["ticker"].nunique()),
        "priced_tickers": int(fund.loc[fund["priced"], "ticker"].nunique()),
        "first_fiscal_year": int(min(body)) if len(body) else None,
        "last_fiscal_year": int(max(body)) if len(body) else None,
        "outlier_fiscal_years": sorted(int(y) for y in per_year.index if y not in set(body)),
        "estimated_publish_share": float(est.mean()),
        "staleness_median_days": float(stale.median()) if len(stale) else None,
        "staleness_max_days": int(stale.max()) if len(stale) else None,
        "current_members": len(current),
        "members_without_fundamentals": len(without),
        "members_without_fundamentals_share": _share(len(without), len(current)),
        "fiscal_year_mismatches": len(mismatch),
    }
    problems = []
    med = metrics["staleness_median_days"]
    if med is not None and med > 400:
        problems.append(
            f"median {med:.0f} days since the latest period end at {market.end:%Y-%m-%d}"
        )
    if metrics["members_without_fundamentals_share"] > 0.1:
        problems.append(
            f"{metrics['members_without_fundamentals_share']:.0%} of current members have none"
        )
    if len(mismatch):
        problems.append(_plural(len(mismatch), "fiscal year inconsistent with its period end"))
    span = f"FY{metrics['first_fiscal_year']}-FY{metrics['last_fiscal_year']}"
    reason = f"{span}, {metrics['estimated_publish_share']:.0%} of publish dates estimated" + (
        "; " + "; ".join(problems) if problems else ""
    )
    status = Status.WARN if problems else Status.OK
    frames = {
        "fundamentals": frame,
        "fiscal_year_mismatch": mismatch,
        "members_without_fundamentals": pd.DataFrame({"ticker": without}),
    }
    return QualitySection("fundamentals", status, reason, metrics, frames)


# ---------------------------------------------------------------------------- market cap
def _market_cap(market: MarketData) -> QualitySection:
    cal = market.calendar
    dates = pd.Series(cal, index=cal).groupby(cal.year).max().tolist()
    snaps = market._cap_anchors
    statements = market._statements
    firsts = [snaps["snapshot_date"].min()] if len(snaps) else []
    firsts += [g["publish_date"].min() for g in statements.values()]
    earliest = min(firsts) if firsts else None
    rows = []
    for d in dates:
        view = market.as_of(d)
        members = view.members(with_prices=True) if market.indices else []
        if not members:
            continue
        counts: dict[Any, int]
        if earliest is None or d < earliest:
            counts = {"missing": len(members)}
        else:
            counts = view.market_cap(members)["shares_source"].value_counts().to_dict()
        n = len(members)
        rows.append(
            {
                "date": pd.Timestamp(d),
                "members": n,
                "snapshot": _share(counts.get("snapshot", 0), n),
                "statement": _share(counts.get("statement", 0), n),
                "missing": _share(counts.get("missing", 0), n),
            }
        )
    frame = pd.DataFrame(rows, columns=["date", "members", "snapshot", "statement", "missing"])
    if frame.empty:
        return QualitySection(
            "market_cap",
            Status.WARN,
            "no index membership: market caps of members not checked",
            {"dates": 0},
            {"market_cap": frame},
        )
    last = frame.iloc[-1]
    usable = frame[frame["missing"] < 0.5]
    metrics = {
        "dates": len(frame),
        "last_date": last["date"],
        "snapshot_share_at_end": float(last["snapshot"]),
        "statement_share_at_end": float(last["statement"]),
        "missing_share_at_end": float(last["missing"]),
        "first_usable_date": usable["date"].iloc[0] if len(usable) else None,
    }
    reason = (
        f"at {last['date']:%Y-%m-%d}: {last['snapshot']:.0%} snapshot, "
        f"{last['statement']:.0%} statement, {last['missing']:.0%} missing"
    )
    if len(usable) and usable["date"].iloc[0] > frame["date"].iloc[0]:
        reason += f"; mostly missing before {usable['date'].iloc[0]:%Y}"
    status = Status.WARN if last["missing"] > 0.05 or len(usable) < len(frame) else Status.OK
    return QualitySection("market_cap", status, reason, metrics, {"market_cap": frame})


# ---------------------------------------------------------------------------- limits
def _manifest_warnings(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The importer's warnings, if the manifest (or an entry of its history) keeps them."""
    out: list[str] = []
    for entry in [manifest, *manifest.get("history", [])]:
        if isinstance(entry, dict):
            for key in ("warnings", "repairs"):
                value = entry.get(key)
                if isinstance(value, list):
                    out.extend(str(v) for v in value)
                elif isinstance(value, dict):
                    out.extend(f"{k}: {v}" for k, v in value.items())
    return tuple(dict.fromkeys(out))


def _limits(
    market: MarketData,
    coverage: QualitySection,
    identity: QualitySection,
    descriptions: QualitySection,
    fundamentals: QualitySection,
    market_cap: QualitySection,
    warnings: tuple[str, ...],
) -> QualitySection:
    lines: list[str] = []
    if market.is_synthetic:
        lines.append(
            "SYNTHETIC: this store holds a simulated market; no number built on it "
            "describes real securities."
        )
    im = identity.metrics
    if im.get("members_without_prices"):
        lines.append(
            f"Survivorship bias: {im['members_without_prices']:,} of {im['members_ever']:,} "
            f"{im['index']} members in the membership table have no prices (delisted, "
            "acquired or renamed names the source lacks); past universes look better than "
            "they were."
        )
    if im.get("reuse_candidates"):
        lines.append(
            f"Identity: {im['reuse_candidates']:,} priced tickers may carry another company's "
            f"history ({im['reuse_strong']} with strong signals); check them before hedging "
            "with them over old dates."
        )
    fm = fundamentals.metrics
    if fm.get("last_fiscal_year") is not None:
        lines.append(
            f"Fundamentals are annual, FY{fm['first_fiscal_year']}-FY{fm['last_fiscal_year']}, "
            f"{fm['estimated_publish_share']:.0%} with estimated publish dates; at "
            f"{market.end:%Y-%m-%d} the latest statement is a median "
            f"{fm['staleness_median_days']:.0f} days old (carried forward)."
        )
    elif fm.get("rows") == 0:
        lines.append("No fundamentals: market caps and fundamental factors are unavailable.")
    dm = descriptions.metrics
    if dm.get("vintages"):
        first = pd.Timestamp(dm["first_vintage"])
        if first > market.start:
            lines.append(
                f"Descriptions start {first:%Y-%m-%d}: for a hedge dated before that, any "
                "description is a look-ahead and is flagged as such."
            )
        if dm.get("vintages_after_data_end"):
            lines.append(
                f"{dm['vintages_after_data_end']} description vintage(s) postdate the last "
                f"price ({market.end:%Y-%m-%d}): look-ahead for every date in the data."
            )
    elif dm.get("vintages") == 0:
        lines.append("No descriptions: text-based peers cannot be built.")
    mm = market_cap.metrics
    if mm.get("first_usable_date") is not None:
        first_usable = pd.Timestamp(mm["first_usable_date"])
        if first_usable > market.start + pd.Timedelta(days=366):
            lines.append(
                f"Market caps of index members are mostly missing before {first_usable:%Y}: "
                "no share counts are known earlier."
            )
    early = coverage.frames.get("early_ends", pd.DataFrame())
    for row in early.itertuples():
        lines.append(
            f"{row.table} series {row.series} ends {row.last:%Y-%m-%d}, before the prices "
            f"({market.end:%Y-%m-%d})."
        )
    history = [h for h in market.manifest.get("history", []) if isinstance(h, dict)]
    hist_frame = pd.DataFrame(
        [
            {
                "committed_at": h.get("committed_at"),
                "source": h.get("source"),
                "tables": ", ".join(h.get("tables", [])),
                "deleted": ", ".join(h.get("deleted", [])),
            }
            for h in history
        ],
        columns=["committed_at", "source", "tables", "deleted"],
    )
    for h in history:
        lines.append(
            f"Import {h.get('committed_at', '?')}: {h.get('source', '?')} "
            f"({len(h.get('tables', []))} tables)"
        )
    if warnings:
        lines.extend(f"Import warning: {w}" for w in warnings)
    else:
        lines.append(
            "The importer's repairs (dropped duplicates, fixed labels, renamed tickers) are not "
            "kept in the store manifest; re-run `hedgekit data import` to see them."
        )
    real_limits = [line for line in lines if not line.startswith(("Import ", "The importer's"))]
    status = Status.WARN if real_limits else Status.OK
    reason = (
        f"{_plural(len(real_limits), 'known limit')}; read them before trusting a result"
        if real_limits
        else "no known limits beyond the checks above"
    )
    metrics = {
        "limits": len(real_limits),
        "imports": len(history),
        "synthetic": market.is_synthetic,
    }
    return QualitySection("limits", status, reason, metrics, {"history": hist_frame}, tuple(lines))


# ---------------------------------------------------------------------------- entry points
def check_data(
    market: MarketData, *, spike: float = 0.5, stale_days: int = 5, gap_days: int = 5
) -> QualityReport:
    """Check the quality of the data in a store.

    Parameters
    ----------
    market : MarketData
        The market data to check (the whole store, not a point-in-time view).
    spike : float
        Report daily adjusted-close moves with ``|return| > spike`` (0.5 is 50%).
    stale_days : int
        Report runs of at least this many identical consecutive closes.
    gap_days : int
        Report runs of at least this many missing closes (trading days of the store's
        calendar) inside a ticker's life, its first to its last price.

    Returns
    -------
    QualityReport
        Sections ``coverage, prices, identity, descriptions, fundamentals, market_cap,
        limits``, each with a status, a one-line reason, metrics and detail tables.

    Raises
    ------
    ConfigurationError
        A threshold is out of range.

    Notes
    -----
    A daily return is measured against the previous available close of the same
    ticker, so a move across a gap still counts. A spike's ``hint`` says
    ``'reverts next day'`` when the next return undoes more than half of it (a bad
    tick), ``'split-like ratio'`` when ``1 + r`` is within 0.5% of 2, 3, 4, 5, 10, 20
    or 1.5 (or their inverses) and ``'distribution ...'`` when the raw close moved
    differently from the adjusted close.

    Examples
    --------
    >>> report = check_data(MarketData("/tmp/hk"))            # doctest: +SKIP
    >>> report.summary                                         # doctest: +SKIP
    >>> report.prices.frames["spikes"].head()                 # doctest: +SKIP
    """
    if not (isinstance(spike, (int, float)) and spike > 0):
        raise ConfigurationError(f"spike={spike!r} must be a positive return, e.g. 0.5 for 50%")
    if int(stale_days) != stale_days or stale_days < 2:
        raise ConfigurationError(
            f"stale_days={stale_days!r} must be an integer >= 2 (identical closes in a row)"
        )
    if int(gap_days) != gap_days or gap_days < 1:
        raise ConfigurationError(f"gap_days={gap_days!r} must be an integer >= 1")
    coverage = _coverage(market)
    prices, valid, returns = _prices(market, float(spike), int(stale_days), int(gap_days))
    identity, daily = _identity(market, valid, returns)
    current = market.as_of(market.end).members(with_prices=False) if market.indices else []
    descriptions = _descriptions(market, current)
    fundamentals = _fundamentals(market, current)
    market_cap = _market_cap(market)
    warnings = _manifest_warnings(market.manifest)
    limits = _limits(market, coverage, identity, descriptions, fundamentals, market_cap, warnings)
    return QualityReport(
        home=str(market.store.home),
        version=market.store.version,
        synthetic=market.is_synthetic,
        start=market.start,
        end=market.end,
        parameters={
            "spike": float(spike),
            "stale_days": int(stale_days),
            "gap_days": int(gap_days),
        },
        coverage=coverage,
        prices=prices,
        identity=identity,
        descriptions=descriptions,
        fundamentals=fundamentals,
        market_cap=market_cap,
        limits=limits,
        daily=daily,
        warnings=warnings,
    )


def plot_coverage(report: QualityReport, path: str | os.PathLike[str]) -> None:
    """Save a PNG: names priced and index members priced per date, spikes per year.

    Parameters
    ----------
    report : QualityReport
        A report from :func:`check_data`.
    path : path-like
        Where to write the PNG.

    Raises
    ------
    ConfigurationError
        matplotlib is not installed.
    """
    try:
        # a Figure, not pyplot: the caller's backend (e.g. Jupyter's inline) is untouched
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigurationError(
            "plotting needs matplotlib: pip install 'hedgekit[plot]' (or matplotlib)"
        ) from None

    daily = report.daily
    spikes = report.prices.frames["spikes"]
    years = range(report.start.year, report.end.year + 1)
    per_year = spikes.groupby(pd.DatetimeIndex(spikes["date"]).year).size().reindex(years)
    per_year = per_year.fillna(0).astype(int)
    fig = Figure(figsize=(10, 7), constrained_layout=True)
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": [2, 1]})
    top.plot(daily.index, daily["priced"], label="names with a price", lw=1.2)
    if daily["members"].any():
        top.plot(daily.index, daily["members"], label="index members", lw=1.0, color="grey")
        top.plot(daily.index, daily["members_priced"], label="index members with a price", lw=1.2)
    top.set_ylabel("names")
    kind = "SYNTHETIC store" if report.synthetic else "store"
    top.set_title(f"Coverage per date ({kind} {report.home})", fontsize=10)
    top.legend(loc="lower right", fontsize=8)
    top.grid(alpha=0.3)
    bottom.bar([str(y) for y in per_year.index], per_year.to_numpy(), color="tab:red")
    bottom.set_ylabel(f"|return| > {report.parameters['spike']:.0%}")
    bottom.set_title("Spikes per year", fontsize=10)
    bottom.tick_params(axis="x", labelrotation=90, labelsize=8)
    bottom.grid(alpha=0.3, axis="y")
    fig.savefig(os.fspath(path), dpi=110)
