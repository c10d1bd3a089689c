"""Pull prices and company profiles from Yahoo Finance, incrementally and cached.

:func:`pull` brings a list of tickers up to date in the store:

- **incremental**: a ticker already in the store is fetched from its last stored date
  (one overlapping day, see below) to ``end``; a new ticker from ``start``;
- **cached**: every raw response is kept as Parquet under ``<home>/cache/yahoo/``,
  keyed by ticker and requested date range, and reused whenever a cached range covers
  the one asked for; profiles are reused while younger than ``profile_max_age`` days;
- **atomic**: prices, securities, descriptions and a market-cap snapshot are validated
  with :func:`~hedgekit.data._validate.coerce_table` and committed in one store
  transaction, after every network call has succeeded.

Yahoo's prices are adjusted *backwards from the day they are fetched*: ``close`` for
splits, ``adj_close`` for splits and dividends. When a split or a dividend happens
after the last pull, the stored history is on an older basis than the new rows. The
overlapping day measures the change of basis, and the stored rows are rescaled onto
the new one, so the stored series always equals what a full download would return.

The network lives behind the small :class:`YahooClient` protocol;
:class:`YFinanceClient` implements it with ``yfinance`` (``pip install
'hedgekit[yahoo]'``), tests use an in-memory fake.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    MalformedDataError,
    UnknownIdentifierError,
)
from hedgekit._optional import import_optional
from hedgekit.data._bundle import ImportReport
from hedgekit.data._geography import regions_of
from hedgekit.data._gics import fill_gics_levels
from hedgekit.data._schema import TABLES
from hedgekit.data._store import Store, Transaction
from hedgekit.data._validate import coerce_table, normalize_ticker_column
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "HISTORY_COLUMNS",
    "PROFILE_FIELDS",
    "YAHOO_TO_GICS_SECTOR",
    "YFinanceClient",
    "YahooClient",
    "parse_download",
    "pull",
]

logger = logging.getLogger(__name__)

#: Columns of a :meth:`YahooClient.history` frame, one row per (date, ticker).
HISTORY_COLUMNS: tuple[str, ...] = (
    "date",
    "ticker",
    "open",
    "high",
    "low",
    "close",
    "adj_close",
    "volume",
)

#: Keys of a :meth:`YahooClient.profile` dict; any may be None.
PROFILE_FIELDS: tuple[str, ...] = (
    "name",
    "sector",
    "industry",
    "country",
    "currency",
    "summary",
    "shares_outstanding",
    "exchange",
    "employees",
)

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
_DEFAULT_YEARS = 10
_CHUNK = 50  # tickers per history request: a failure loses at most one chunk
_SPLIT_TOLERANCE = 0.05  # a change of close basis beyond 5% is a split, not a revision
_YF_FIELDS: dict[str, str] = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}


# ============================================================================ client
class YahooClient(Protocol):
    """What :func:`pull` needs from Yahoo Finance.

    Implementations do the network calls and nothing else; caching, validation and
    storage are :func:`pull`'s job.
    """

    def history(self, tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
        """Daily prices of ``tickers`` from ``start`` to ``end``, both inclusive.

        Returns
        -------
        DataFrame
            Long format with the columns :data:`HISTORY_COLUMNS`: ``date`` (the
            exchange-local trading date, tz-naive), ``ticker``, raw ``open``,
            ``high``, ``low``, ``close`` split-adjusted, ``adj_close`` split- and
            dividend-adjusted (as Yahoo serves them), ``volume`` in shares. A ticker
            Yahoo does not know has no rows.

        Raises
        ------
        DataError
            The request failed (network, rate limit); the message names the tickers.
        """
        ...

    def profile(self, ticker: str) -> dict[str, Any]:
        """Company profile of ``ticker`` with the keys :data:`PROFILE_FIELDS`.

        ``summary`` is the long business summary, ``shares_outstanding`` the share
        count of the listed class, ``currency`` the quote currency (ISO code).

        Raises
        ------
        DataError
            The request failed.
        """
        ...


def _import_yfinance() -> ModuleType:
    return import_optional("yfinance", extra="yahoo", purpose="pulling from Yahoo Finance")


class _SilenceErrors(logging.Filter):
    """Keep yfinance's ERROR records off the console; :func:`pull` reports them itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            logger.debug("yfinance: %s", record.getMessage())
            return False
        return True


@contextlib.contextmanager
def _quiet_yfinance() -> Iterator[None]:
    yf_logger = logging.getLogger("yfinance")
    silencer = _SilenceErrors()
    yf_logger.addFilter(silencer)
    try:
        yield
    finally:
        yf_logger.removeFilter(silencer)


def _empty_history() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="float64") for c in HISTORY_COLUMNS})
    out["date"] = pd.Series(dtype="datetime64[ns]")
    out["ticker"] = pd.Series(dtype="string")
    return out


def _local_dates(index: pd.Index) -> pd.DatetimeIndex:
    """Trading dates of a yfinance index: tz dropped, wall-clock date kept.

    ``Ticker.history`` labels daily bars with midnight in the exchange's timezone;
    converting to UTC first would move every Asian or Australian bar to the day before.
    """
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def _parse_one(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """One ticker's ``Open .. Volume`` frame to long rows; rows without a close dropped."""
    if "Adj Close" not in frame.columns or "Close" not in frame.columns:
        raise DataError(
            f"yfinance returned {ticker} without 'Close' and 'Adj Close' columns (got "
            f"{[str(c) for c in frame.columns]}); hedgekit asks for auto_adjust=False, "
            "which needs yfinance>=0.2.40; upgrade it with "
            "`pip install --upgrade 'hedgekit[yahoo]'`"
        )
    out = pd.DataFrame(
        {
            new: pd.to_numeric(frame[old], errors="coerce").to_numpy(dtype="float64")
            if old in frame.columns
            else np.nan
            for old, new in _YF_FIELDS.items()
        },
        index=pd.RangeIndex(len(frame)),
    )
    out.insert(0, "ticker", ticker)
    out.insert(0, "date", _local_dates(frame.index))
    return out[out["close"].notna()].reset_index(drop=True)


def parse_download(raw: pd.DataFrame | None, tickers: Sequence[str]) -> pd.DataFrame:
    """Turn the frame ``yf.download`` returns into long :data:`HISTORY_COLUMNS` rows.

    Parameters
    ----------
    raw : DataFrame or None
        ``yf.download(..., auto_adjust=False, group_by='ticker')`` output: a date index
        and two column levels ``(Ticker, Price)`` with ``Price`` in ``Open, High, Low,
        Close, Adj Close, Volume`` (either level order is accepted). A single-level
        frame is read as the one ticker in ``tickers``. A ticker whose download failed
        has all-NaN columns and yields no rows.
    tickers : sequence of str
        The symbols that were requested.

    Returns
    -------
    DataFrame
        Columns :data:`HISTORY_COLUMNS`, sorted by ticker and date.

    Raises
    ------
    DataError
        The frame does not have the expected shape.
    """
    if raw is None or raw.empty:
        return _empty_history()
    cols = raw.columns
    parts: dict[str, pd.DataFrame] = {}
    if isinstance(cols, pd.MultiIndex):
        field_level = next(
            (i for i in range(cols.nlevels) if "Close" in set(cols.get_level_values(i))), None
        )
        if cols.nlevels != 2 or field_level is None:
            raise DataError(
                f"unexpected yfinance column layout {list(cols.names)}; expected the two "
                "levels (Ticker, Price); upgrade yfinance or report the version you use"
            )
        ticker_level = 1 - field_level
        symbols = cols.get_level_values(ticker_level)
        for sym in symbols.unique():
            sub = raw.loc[:, symbols == sym]
            sub.columns = sub.columns.get_level_values(field_level)
            parts[str(sym)] = sub
    elif len(tickers) == 1:
        parts[str(tickers[0])] = raw
    else:
        raise DataError(
            f"yfinance returned single-level columns for {len(tickers)} tickers; "
            "expected (Ticker, Price) columns; upgrade yfinance"
        )
    frames = [_parse_one(sub, sym) for sym, sub in parts.items()]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty_history()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)


class YFinanceClient:
    """:class:`YahooClient` backed by the ``yfinance`` package.

    Parameters
    ----------
    threads : bool or int, default True
        Passed to ``yf.download``: download tickers in parallel.
    timeout : float, default 30
        Seconds to wait for each response.

    Raises
    ------
    MissingDependencyError
        yfinance is not installed.

    Notes
    -----
    Prices come from ``yf.download(auto_adjust=False, actions=False, ignore_tz=True)``:
    with ``auto_adjust=False`` yfinance returns Yahoo's split-adjusted ``Close`` and a
    separate ``Adj Close`` that also reflects dividends (with the default
    ``auto_adjust=True`` there is no ``Adj Close`` and ``Close`` is total-return
    adjusted). ``end`` is exclusive in yfinance and inclusive here. ``yf.download``
    logs failures instead of raising them, so a ticker that comes back empty is asked
    again through ``Ticker.history`` with ``yf.config.debug.hide_exceptions = False``:
    Yahoo's "no data / possibly delisted" errors mean no rows, anything else (network,
    rate limit) raises :class:`~hedgekit.DataError`.
    """

    def __init__(self, *, threads: bool | int = True, timeout: float = 30.0) -> None:
        self.threads = threads
        self.timeout = timeout
        _import_yfinance()  # fail now, with the install hint, not mid-pull

    def __repr__(self) -> str:
        return f"YFinanceClient(threads={self.threads!r}, timeout={self.timeout!r})"

    def history(self, tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
        """Daily prices from ``yf.download``; see :meth:`YahooClient.history`."""
        yf = _import_yfinance()
        symbols = list(dict.fromkeys(tickers))
        if not symbols:
            return _empty_history()
        stop = end + dt.timedelta(days=1)  # yfinance's end is exclusive
        with _quiet_yfinance():
            try:
                raw = yf.download(
                    symbols,
                    start=start.isoformat(),
                    end=stop.isoformat(),
                    interval="1d",
                    auto_adjust=False,
                    actions=False,
                    group_by="ticker",
                    ignore_tz=True,
                    progress=False,
                    threads=self.threads,
                    timeout=self.timeout,
                    multi_level_index=True,
                )
            except Exception as exc:
                raise _network_error(symbols, "prices", exc) from exc
            frame = parse_download(raw, symbols)
            got = set(frame["ticker"])
            retried = [self._history_one(yf, s, start, stop) for s in symbols if s not in got]
        frames = [f for f in (frame, *retried) if len(f)]
        if not frames:
            return _empty_history()
        return pd.concat(frames, ignore_index=True)

    def _history_one(
        self, yf: ModuleType, symbol: str, start: dt.date, stop: dt.date
    ) -> pd.DataFrame:
        """Ask again for one empty ticker, with exceptions on, to tell why it is empty."""
        errors = getattr(yf, "exceptions", None)
        missing = tuple(
            e
            for e in (getattr(errors, "YFTickerMissingError", None),)
            if isinstance(e, type) and issubclass(e, BaseException)
        )
        config = getattr(yf, "config", None)
        debug = getattr(config, "debug", None)
        previous = getattr(debug, "hide_exceptions", None)
        if debug is not None:
            debug.hide_exceptions = False
        try:
            hist = yf.Ticker(symbol).history(
                start=start.isoformat(),
                end=stop.isoformat(),
                interval="1d",
                auto_adjust=False,
                actions=False,
                timeout=self.timeout,
            )
        except missing:
            return _empty_history()
        except Exception as exc:
            raise _network_error([symbol], "prices", exc) from exc
        finally:
            if debug is not None:
                debug.hide_exceptions = previous
        if hist is None or hist.empty:
            return _empty_history()
        return _parse_one(hist, symbol)

    def profile(self, ticker: str) -> dict[str, Any]:
        """Company profile from ``Ticker.info``; see :meth:`YahooClient.profile`."""
        yf = _import_yfinance()
        with _quiet_yfinance():
            try:
                info = yf.Ticker(ticker).info or {}
            except Exception as exc:
                raise _network_error([ticker], "profile", exc) from exc
        return {
            "name": info.get("longName") or info.get("shortName"),
            "sector": info.get("sector"),
            "industry": info.get("industry"),
            "country": info.get("country"),
            "currency": info.get("currency"),
            "summary": info.get("longBusinessSummary"),
            "shares_outstanding": info.get("sharesOutstanding"),
            "exchange": info.get("fullExchangeName") or info.get("exchange"),
            "employees": info.get("fullTimeEmployees"),
        }


def _network_error(symbols: Sequence[str], what: str, exc: BaseException) -> DataError:
    names = ", ".join(symbols[:10]) + (
        f" and {len(symbols) - 10} more" if len(symbols) > 10 else ""
    )
    hint = "check the internet connection and retry"
    text = str(exc).lower()
    if type(exc).__name__ == "YFRateLimitError" or "rate limit" in text or "too many" in text:
        hint = "Yahoo is rate-limiting: wait a few minutes and retry"
    extra = "; or pass --no-profiles" if what == "profile" else ""
    return DataError(
        f"Yahoo Finance {what} request for {names} failed ({type(exc).__name__}: {exc}); "
        f"{hint} (responses already received are cached, nothing was written){extra}"
    )


# ============================================================================= cache
def _safe(ticker: str) -> str:
    return re.sub(r"[^A-Za-z0-9._^=-]", "_", ticker)


def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class _Cache:
    """Raw Yahoo responses on disk: history per (ticker, requested range), profiles per ticker.

    A history file ``history/<ticker>/<start>_<end>.parquet`` holds what the client
    returned for that inclusive range (possibly nothing); it answers any request for a
    range inside it. Profiles are JSON with the date they were fetched.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def load_history(
        self, ticker: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        folder = self.root / "history" / _safe(ticker)
        best: tuple[float, Path] | None = None
        for path in folder.glob("*.parquet") if folder.is_dir() else ():
            m = re.fullmatch(r"(\d{8})_(\d{8})", path.stem)
            if not m:
                continue
            lo, hi = pd.Timestamp(m.group(1)), pd.Timestamp(m.group(2))
            if lo <= start and hi >= end:
                mtime = path.stat().st_mtime
                if best is None or mtime > best[0]:
                    best = (mtime, path)
        if best is None:
            return None
        try:
            frame = pd.read_parquet(best[1])
        except (OSError, ValueError):  # a damaged cache file is a miss, not an error
            logger.warning("ignoring unreadable cache file %s", best[1])
            return None
        dates = pd.to_datetime(frame["date"])
        return frame[(dates >= start) & (dates <= end)].reset_index(drop=True)

    def save_history(
        self, ticker: str, start: pd.Timestamp, end: pd.Timestamp, frame: pd.DataFrame
    ) -> None:
        path = self.root / "history" / _safe(ticker) / f"{start:%Y%m%d}_{end:%Y%m%d}.parquet"
        _atomic_write(path, lambda p: frame.to_parquet(p, index=False))

    def load_profile(
        self, ticker: str, today: pd.Timestamp, max_age: int | None
    ) -> tuple[dict[str, Any], pd.Timestamp] | None:
        path = self.root / "profiles" / f"{_safe(ticker)}.json"
        try:
            payload = json.loads(path.read_text())
            fetched = pd.Timestamp(payload["fetched_on"])
            profile = dict(payload["profile"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if max_age is not None and (today - fetched).days >= max_age:
            return None
        return profile, fetched

    def save_profile(self, ticker: str, profile: dict[str, Any], fetched: pd.Timestamp) -> None:
        path = self.root / "profiles" / f"{_safe(ticker)}.json"
        text = json.dumps({"fetched_on": f"{fetched:%Y-%m-%d}", "profile": profile}, default=str)
        _atomic_write(path, lambda p: p.write_text(text))


# ============================================================================== pull
@dataclass(frozen=True)
class _Request:
    ticker: str
    start: pd.Timestamp
    end: pd.Timestamp


def _count(report: ImportReport, key: str, n: int = 1) -> None:
    report.derived[key] = report.derived.get(key, 0) + n


def _names(tickers: Iterable[str], limit: int = 10) -> str:
    items = sorted(tickers)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


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


class _NothingToCommitError(Exception):
    """Raised inside a transaction to drop it: committing would only copy the snapshot."""


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


def _stored(store: Store, table: str, tickers: list[str], columns: list[str]) -> pd.DataFrame:
    if not store.exists():
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return store.read(table, columns=columns, filters=[("ticker", "in", tickers)])


def pull(
    tickers: str | Sequence[str],
    store: Store | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    client: YahooClient | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    profiles: bool = True,
    today: DateLike | None = None,
    profile_max_age: int = 7,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Bring ``tickers`` up to date in the store from Yahoo Finance.

    Parameters
    ----------
    tickers : str or sequence of str
        Yahoo symbols (``AAPL``, ``BRK-B``; ``BRK.B`` is normalised to ``BRK-B``).
    store : Store, optional
        Target store; defaults to the data home. Created if it does not exist.
    start : date-like, optional
        First date for tickers new to the store; default 10 years before ``end``. A
        ``start`` before a ticker's first stored date re-fetches it from ``start``.
    end : date-like, optional
        Last date, inclusive; default ``today``. Bars dated on or after ``today`` are
        never requested: during the session Yahoo serves a live price, not a close,
        and an incremental pull would never revisit it.
    client : YahooClient, optional
        Where data comes from; default :class:`YFinanceClient`.
    cache_dir : path-like, optional
        Cache of raw responses; default ``<store.home>/cache/yahoo``.
    profiles : bool, default True
        Fetch company profiles (name, sector, country, currency, business summary,
        shares outstanding). Without them the quote currency cannot be checked.
    today : date-like, optional
        The pull date; default today's UTC date (every exchange has closed the
        previous UTC day's session by then).
    profile_max_age : int, default 7
        Days a cached profile is reused before it is fetched again.
    progress : callable, optional
        Receives one short message per step (the CLI shows them).

    Returns
    -------
    ImportReport
        ``rows`` per table written (full table sizes); ``derived`` counts new price
        rows, requests and cache hits; ``warnings`` what the user should check.

    Raises
    ------
    UnknownIdentifierError
        No requested ticker has prices on Yahoo (and none is in the store).
    DataError
        A Yahoo request failed; nothing is written.
    ConfigurationError
        Dates are invalid.
    MissingDependencyError
        yfinance is not installed.

    Notes
    -----
    What is written, in one transaction:

    - ``prices``: upserted by ``(date, ticker)``. Each known ticker is fetched from its
      last stored date: on that overlapping day ``r = adj_close_new / adj_close_stored``
      and every older stored ``adj_close`` is multiplied by ``r``, so the whole series
      sits on Yahoo's latest dividend basis. When the close itself moved by more than
      5% on the overlap (a split since the last pull), OHLC are multiplied and volume
      divided by ``close_new / close_stored`` as well.
    - ``securities``: name, country, region, exchange, currency from the profile; the
      Yahoo sector mapped to GICS by :data:`YAHOO_TO_GICS_SECTOR` only where the store
      has none.
    - ``descriptions``: the long business summary, ``source='yahoo_profile'``,
      ``as_of`` = the day the profile was fetched.
    - ``fundamentals_snapshots``: ``market_cap = shares_outstanding * close`` with the
      last close on or before the profile's fetch date, dated that day, so market cap
      is known point in time from then on.

    A ticker whose profile names a currency other than USD is skipped with a warning:
    hedgekit stores USD prices only.

    Examples
    --------
    >>> report = pull(["AAPL", "MSFT"], Store("/tmp/hk"))  # doctest: +SKIP
    >>> report.rows["prices"]  # doctest: +SKIP
    5030
    """
    t0 = time.perf_counter()
    store = store if store is not None else Store()
    say = progress or (lambda _msg: None)
    raw_tickers = [tickers] if isinstance(tickers, str) else list(tickers)
    names = list(
        dict.fromkeys(
            t for t in normalize_ticker_column(pd.Series(raw_tickers, dtype="string")).dropna() if t
        )
    )
    if not names:
        raise ConfigurationError("no tickers to pull; pass Yahoo symbols like AAPL MSFT BRK-B")
    if profile_max_age < 0:
        raise ConfigurationError(f"profile_max_age={profile_max_age} must be >= 0 days")
    today_ts = (
        to_timestamp(today, "today")
        if today is not None
        else pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    )
    end_ts = to_timestamp(end, "end") if end is not None else today_ts
    start_ts = (
        to_timestamp(start, "start")
        if start is not None
        else end_ts - pd.DateOffset(years=_DEFAULT_YEARS)
    )
    if start_ts > end_ts:
        raise ConfigurationError(
            f"start={start_ts:%Y-%m-%d} is after end={end_ts:%Y-%m-%d}; swap them"
        )
    last_bar = min(end_ts, today_ts - pd.Timedelta(days=1))
    if start_ts > last_bar:
        raise ConfigurationError(
            f"nothing to pull between {start_ts:%Y-%m-%d} and {end_ts:%Y-%m-%d}: the last "
            f"complete trading day before the pull date {today_ts:%Y-%m-%d} is "
            f"{last_bar:%Y-%m-%d}; pick an earlier start"
        )
    client = client if client is not None else YFinanceClient()
    cache = _Cache(
        Path(cache_dir).expanduser() if cache_dir is not None else store.home / "cache" / "yahoo"
    )
    report = ImportReport(source="yahoo")
    for key in ("history_requests", "history_cache_hits", "profile_requests", "profile_cache_hits"):
        report.derived[key] = 0
    if store.exists() and store.manifest().get("synthetic"):
        report.warnings.append(
            f"the store at {store.home} holds the synthetic demo market; Yahoo prices are "
            "added next to it and results stay flagged synthetic (use another --home)"
        )

    # ---------------------------------------------------------------- plan
    stored = _stored(store, "prices", names, ["date", "ticker"])
    span = stored.groupby("ticker", observed=True)["date"].agg(["min", "max"])
    requests: list[_Request] = []
    for t in names:
        if t in span.index:
            first, last = pd.Timestamp(span.loc[t, "min"]), pd.Timestamp(span.loc[t, "max"])
            if start is not None and start_ts < first:
                requests.append(_Request(t, start_ts, last_bar))
            elif last < last_bar:
                requests.append(_Request(t, last, last_bar))  # one day of overlap
        else:
            requests.append(_Request(t, start_ts, last_bar))
    up_to_date = [t for t in names if t in span.index and all(r.ticker != t for r in requests)]
    if up_to_date:
        report.derived["tickers_up_to_date"] = len(up_to_date)

    # --------------------------------------------------------------- fetch
    fetched = _fetch_history(requests, client, cache, report, say)
    fetched = _clean_prices(fetched, report)
    have = set(fetched["ticker"])
    unknown = [t for t in names if t not in have and t not in span.index]
    if unknown and len(unknown) == len(names):
        raise UnknownIdentifierError(
            ", ".join(unknown),
            detail=(
                f"Yahoo Finance has no daily prices for {'it' if len(unknown) == 1 else 'them'} "
                f"between {start_ts:%Y-%m-%d} and {last_bar:%Y-%m-%d}; use Yahoo's symbol "
                "(share classes with a dash: BRK-B; hedgekit stores US-dollar listings only)"
            ),
        )
    if unknown:
        report.warnings.append(
            f"no Yahoo prices for {len(unknown)} ticker(s), skipped (misspelt, delisted or "
            f"not a Yahoo symbol): {_names(unknown)}"
        )
    silent = [r.ticker for r in requests if r.ticker in span.index and r.ticker not in have]
    if silent:
        report.warnings.append(
            f"Yahoo returned no new prices for {_names(silent)} (delisted or renamed?)"
        )
    known = [t for t in names if t not in unknown]

    # ------------------------------------------------------------ profiles
    profs: dict[str, tuple[dict[str, Any], pd.Timestamp]] = {}
    if profiles:
        for t in known:
            hit = cache.load_profile(t, today_ts, profile_max_age)
            if hit is not None:
                profs[t] = hit
                _count(report, "profile_cache_hits")
                continue
            say(f"downloading the profile of {t}")
            prof = dict(client.profile(t) or {})
            _count(report, "profile_requests")
            prof = {k: _none(prof.get(k)) for k in PROFILE_FIELDS}
            cache.save_profile(t, prof, today_ts)
            profs[t] = (prof, today_ts)

    # ------------------------------------------------------------ currency
    sec_stored = _stored(store, "securities", known, ["ticker", "currency"])
    stored_ccy = dict(zip(sec_stored["ticker"], sec_stored["currency"], strict=True))
    foreign: dict[str, str] = {}
    unverified: list[str] = []
    for t in known:
        ccy = _none(profs[t][0].get("currency")) if t in profs else None
        ccy = ccy if ccy is not None else _none(stored_ccy.get(t))
        if ccy is None:
            unverified.append(t)
        elif str(ccy).upper() != "USD":
            foreign[t] = str(ccy)
    if foreign:
        report.warnings.append(
            f"skipped {len(foreign)} ticker(s) quoted in another currency than USD: "
            f"{_names(f'{t} ({c})' for t, c in foreign.items())}; hedgekit stores US-dollar "
            "prices only (use the US listing or ADR, or import converted prices as a bundle)"
        )
    if unverified:
        report.warnings.append(
            f"quote currency of {_names(unverified)} not verified "
            f"({'pulled without profiles' if not profiles else 'Yahoo gave none'}); "
            "stored as USD: check they are US-dollar listings"
        )
    touched = [t for t in known if t not in foreign]
    fetched = fetched[fetched["ticker"].isin(touched)]
    report.derived["tickers_updated"] = len(set(fetched["ticker"]))

    # --------------------------------------------------------------- write
    say("writing the store")
    new_prices = coerce_table(fetched, TABLES["prices"], "Yahoo prices", duplicates="repair")
    frames: dict[str, pd.DataFrame] = {}
    try:
        with store.transaction(source="yahoo") as tx:
            frames = _merge_into(tx, touched, new_prices, profs, report)
            if not frames:
                raise _NothingToCommitError
            for table, frame in frames.items():
                tx.write(table, frame)
                report.rows[table] = len(frame)
    except _NothingToCommitError:
        say("the store is already up to date")
    report.seconds = time.perf_counter() - t0
    logger.info(
        "pulled %d ticker(s) from Yahoo in %.1f s (%s)",
        len(touched),
        report.seconds,
        ", ".join(sorted(frames)) or "no change",
    )
    return report
