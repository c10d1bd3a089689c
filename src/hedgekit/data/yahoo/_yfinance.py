"""The :class:`YahooClient` backed by the ``yfinance`` package, and the parsing of its frames.

Network calls only: caching, validation and storage are :func:`~hedgekit.data.yahoo.pull`'s
job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import DataError
from hedgekit._optional import import_optional
from hedgekit.data.yahoo._client import _empty_history

__all__ = ["YFinanceClient", "parse_download"]

logger = logging.getLogger(__name__)

_YF_FIELDS: dict[str, str] = {
    "Open": "open",
    "High": "high",
    "Low": "low",
    "Close": "close",
    "Adj Close": "adj_close",
    "Volume": "volume",
}


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
