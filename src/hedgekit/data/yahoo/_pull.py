"""The entry point :func:`pull`: plan the requests, fetch, check currencies, write once."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hedgekit._errors import ConfigurationError, UnknownIdentifierError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._schema import TABLES
from hedgekit.data._store import Store
from hedgekit.data._validate import coerce_table, normalize_ticker_column
from hedgekit.data.yahoo._cache import _Cache
from hedgekit.data.yahoo._client import PROFILE_FIELDS, YahooClient
from hedgekit.data.yahoo._common import _count, _names
from hedgekit.data.yahoo._convert import _none
from hedgekit.data.yahoo._fetch import _clean_prices, _fetch_history, _Request
from hedgekit.data.yahoo._merge import _merge_into
from hedgekit.data.yahoo._yfinance import YFinanceClient
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["pull"]

logger = logging.getLogger(__name__)

_DEFAULT_YEARS = 10


class _NothingToCommitError(Exception):
    """Raised inside a transaction to drop it: committing would only copy the snapshot."""


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
