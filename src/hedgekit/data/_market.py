"""Market data access, point in time.

:class:`MarketData` opens a store and keeps the wide price panels in memory;
:meth:`MarketData.as_of` returns a :class:`PointInTimeData`, the only way the rest of
hedgekit reads data for a hedge. A view dated ``D`` never returns a price, volume,
index membership, classification snapshot, description vintage, fundamental,
list entry or corporate action that was not known on ``D``:

- prices, volumes and returns: rows dated ``<= D``;
- index membership: intervals with ``start_date <= D`` (and ``end_date > D`` to be a member);
- GICS: the latest classification snapshot ``<= D``; the static table (latest known
  classification) only where no snapshot exists, flagged in ``classification_source``;
- descriptions: the latest vintage with ``as_of <= D``; a later vintage only on
  request (``allow_later=True``), flagged ``look_ahead=True``;
- fundamentals: statements with ``publish_date <= D``;
- hard-to-borrow, restricted, scores: entries with ``start_date``/``date <= D``;
- corporate actions: events with ``announce_date <= D``.

Asking for an ``end`` after ``D`` raises :class:`~hedgekit.PointInTimeError`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    InsufficientHistoryError,
    PointInTimeError,
    UnknownIdentifierError,
)
from hedgekit.data._cache import Cache
from hedgekit.data._corporate import canonical_action_type
from hedgekit.data._gics import fill_gics_levels
from hedgekit.data._identifiers import IdentifierResolver, share_class_groups
from hedgekit.data._store import Store
from hedgekit.typing import CaseInsensitiveEnum, DateLike, to_timestamp

__all__ = ["INDEX_ALIASES", "MarketData", "PointInTimeData", "Sampling"]

logger = logging.getLogger(__name__)


#: user spellings of an index -> index code in the membership table
INDEX_ALIASES: dict[str, str] = {
    "SPX": "SPX",
    "SPX INDEX": "SPX",
    "SP500": "SPX",
    "S&P500": "SPX",
    "S&P 500": "SPX",
    "^GSPC": "SPX",
    "GSPC": "SPX",
    "SPY": "SPX",
    "IVV": "SPX",
    "VOO": "SPX",
}

_DESCRIPTION_SOURCE_RANK = {"yahoo_profile": 0, "financedatabase": 1}


class Sampling(CaseInsensitiveEnum):
    """Return sampling period; accepts ``'Daily'``, ``'daily'``, ``'D'`` and so on."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @classmethod
    def _missing_(cls, value: object) -> Sampling | None:
        short = {"d": "daily", "w": "weekly", "m": "monthly", "1d": "daily", "1w": "weekly"}
        text = str(value).strip().lower()
        found = super()._missing_(short.get(text, text))
        return found if isinstance(found, Sampling) else None

    @property
    def periods_per_year(self) -> int:
        """Annualisation factor: 252, 52 or 12."""
        return {"daily": 252, "weekly": 52, "monthly": 12}[self.value]


def _load_panels(directory: Any, fields: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Panels kept by :func:`_save_panels`, memory-mapped read-only."""
    meta = json.loads((directory / "index.json").read_text())
    index = pd.DatetimeIndex(pd.to_datetime(meta["dates"]), name="date")
    columns = pd.Index(np.asarray(meta["tickers"], dtype=object), name="ticker")
    out = {}
    for f in fields:
        arr = np.load(directory / f"{f}.npy", mmap_mode="r")
        if arr.shape != (len(index), len(columns)):
            raise ValueError(f"kept panel {f} has shape {arr.shape}")
        out[f] = pd.DataFrame(arr, index=index, columns=columns, copy=False)
    return out


def _save_panels(directory: Any, panels: dict[str, pd.DataFrame]) -> None:
    """Keep panels for the next process (atomically; a read-only home keeps nothing)."""
    tmp = directory.parent / f".{directory.name}.tmp-{os.getpid()}"
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        first = next(iter(panels.values()))
        meta = {
            "dates": [f"{d:%Y-%m-%d}" for d in first.index],
            "tickers": [str(t) for t in first.columns],
        }
        for f, frame in panels.items():
            np.save(tmp / f"{f}.npy", np.ascontiguousarray(frame.to_numpy(dtype="float64")))
        (tmp / "index.json").write_text(json.dumps(meta))
        os.replace(tmp, directory)
    except OSError as exc:
        logger.debug("could not keep the price panels at %s: %s", directory, exc)
        shutil.rmtree(tmp, ignore_errors=True)


def _wide(frame: pd.DataFrame, fields: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Pivot long (date, ticker, fields...) rows into one dates x tickers frame per field."""
    d_codes, dates = pd.factorize(frame["date"], sort=True)
    t_codes, tickers = pd.factorize(frame["ticker"], sort=True)
    index = pd.DatetimeIndex(dates, name="date")
    columns = pd.Index(np.asarray(tickers, dtype=object), name="ticker")
    out = {}
    for f in fields:
        arr = np.full((len(index), len(columns)), np.nan)
        arr[d_codes, t_codes] = frame[f].to_numpy(dtype="float64", na_value=np.nan)
        out[f] = pd.DataFrame(arr, index=index, columns=columns)
    return out


#: entries kept per cache region of a market (see :class:`hedgekit.data.Cache`)
_CACHE_SIZES = {
    "securities": 64,  # classification vintages
    "hedge_universe": 8,  # hedge dates' candidates
    "estimate": 8,  # covariance fits
    "exposures": 4,  # risk-model exposures per date (both backtest models read one)
    "text_index": 4,  # semantic indexes per vintage and embedder
}

_SHARED: dict[str, MarketData] = {}
_SHARED_LOCK = threading.Lock()


def shared_market(home: str | os.PathLike[str] | None = None) -> MarketData:
    """The process's market of data home ``home`` (default: ``HEDGEKIT_DATA`` / the user
    data dir): opened once, then reused with its cache until the store's live snapshot
    changes (a new import), when a fresh one replaces it.

    Code that builds many hedges without passing a market (``PerformanceHedge(params)``
    in a loop) pays the opening once.
    """
    store = Store(home)
    version = store.version  # raises StoreNotFoundError with the fix when empty
    key = str(store.home.resolve())
    with _SHARED_LOCK:
        hit = _SHARED.get(key)
        if hit is not None and hit.version == version:
            return hit
        market = MarketData(store)
        _SHARED[key] = market
        return market


class MarketData:
    """The market data of one store, with point-in-time views.

    Parameters
    ----------
    store : Store or path-like, optional
        The store, or its data home; defaults to ``HEDGEKIT_DATA`` / the user data dir.

    Examples
    --------
    >>> md = MarketData()                                     # doctest: +SKIP
    >>> view = md.as_of("2023-12-29")                         # doctest: +SKIP
    >>> rets = view.returns(["AAPL", "MSFT"], window=252)     # doctest: +SKIP
    """

    def __init__(self, store: Store | str | Any | None = None) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        #: the store snapshot this market was opened on
        self.version = self.store.version
        #: what higher layers derive from this market (universes, fits, exposures...)
        self.cache = Cache(_CACHE_SIZES)

    def __repr__(self) -> str:
        kind = "synthetic demo" if self.is_synthetic else "market"
        return (
            f"MarketData({self.store.home!s}, {kind}, {self.start:%Y-%m-%d}..{self.end:%Y-%m-%d})"
        )

    # -------------------------------------------------------------- metadata
    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The store's manifest."""
        return self.store.manifest()

    @property
    def is_synthetic(self) -> bool:
        """True when the store holds the simulated demo market."""
        return bool(self.manifest.get("synthetic", False))

    @cached_property
    def limits(self) -> tuple[str, ...]:
        """The data's known limits (survivorship, stale fundamentals, look-ahead text...),
        one sentence each, derived from the data by the quality checks
        (:func:`hedgekit.data.check_data`, section ``limits``), not written in code.

        Derived once per store snapshot (a few seconds) and kept in the data home
        (``cache/limits/<version>.json``); ``hedgekit data import`` derives them eagerly.
        """
        path = self.store.home / "cache" / "limits" / f"{self.version}.json"
        try:
            return tuple(json.loads(path.read_text()))
        except (FileNotFoundError, ValueError):
            pass
        from hedgekit.data.quality import check_data  # the checks read this module

        section = check_data(self).limits
        lines = tuple(
            line for line in section.lines if not line.startswith(("Import ", "The importer's"))
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(json.dumps(list(lines), indent=1))
            os.replace(tmp, path)
        except OSError as exc:  # a read-only home: derive again next time
            logger.debug("could not keep the data limits at %s: %s", path, exc)
        return lines

    @cached_property
    def securities(self) -> pd.DataFrame:
        """Static securities table indexed by ticker (latest known classification)."""
        return self.store.read("securities").set_index("ticker")

    @cached_property
    def aliases(self) -> pd.DataFrame:
        """Ticker changes: alias, ticker, start_date, end_date, source."""
        return self.store.read("aliases")

    @cached_property
    def resolver(self) -> IdentifierResolver:
        """Identifier resolver over stock and benchmark tickers, aliases and names."""
        names = self.securities["name"].dropna()
        tickers = list(self.securities.index) + list(self._bench_panels["adj_close"].columns)
        return IdentifierResolver(
            tickers, aliases=self.aliases, names={str(k): str(v) for k, v in names.items()}
        )

    @cached_property
    def share_classes(self) -> dict[str, frozenset[str]]:
        """Ticker -> all tickers of the same issuer (share classes), itself included."""
        return share_class_groups(self.securities.reset_index())

    def resolve(self, identifier: str, date: DateLike | None = None) -> str:
        """Store ticker for a user identifier (ticker, Bloomberg, RIC, old ticker...)."""
        when = None if date is None else to_timestamp(date)
        return self.resolver.resolve(identifier, when)

    def resolve_many(self, identifiers: Iterable[str], date: DateLike | None = None) -> list[str]:
        """Resolve several identifiers; all unknown ones are reported in one error."""
        when = None if date is None else to_timestamp(date)
        return self.resolver.resolve_many(list(identifiers), when)

    def resolve_index(self, name: str) -> str:
        """Index code of the membership table for a user spelling (``'S&P 500'`` -> ``'SPX'``)."""
        key = " ".join(str(name).upper().split())
        key = key.removesuffix(" INDEX") if key not in INDEX_ALIASES else key
        code = INDEX_ALIASES.get(key, key)
        if code not in self.indices:
            raise UnknownIdentifierError(
                str(name), sorted(self.indices), detail="not an index with membership data"
            )
        return code

    @cached_property
    def indices(self) -> frozenset[str]:
        """Index codes with membership data."""
        return frozenset(self._membership["index"].unique())

    # -------------------------------------------------------------- panels
    @cached_property
    def _panels(self) -> dict[str, pd.DataFrame]:
        """Dates x tickers ``adj_close``, ``close`` and ``volume``: pivoted from the long
        prices table once per store snapshot and kept in the data home
        (``cache/panels/<version>/``, memory-mapped, read-only), so a new process opens
        them in milliseconds."""
        path = self.store.path("prices")
        if path is None:
            raise DataError("the store has no prices; import a bundle first")
        fields = ["adj_close", "close", "volume"]
        kept = self.store.home / "cache" / "panels" / self.version
        try:
            return _load_panels(kept, fields)
        except (OSError, ValueError, KeyError):
            pass
        frame = pq.read_table(path, columns=["date", "ticker", *fields])
        panels = _wide(frame.to_pandas(), fields)
        if self.store.version == self.version:  # not kept under a snapshot it is not from
            _save_panels(kept, panels)
        return panels

    @cached_property
    def _bench_panels(self) -> dict[str, pd.DataFrame]:
        bench = self.store.read("benchmarks")
        if bench.empty:
            empty = pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
            return {"adj_close": empty, "volume": empty}
        return _wide(bench, ["adj_close", "volume"])

    @cached_property
    def _classifications(self) -> pd.DataFrame:
        """Dated GICS snapshots with a sector, sorted by date (kept in memory)."""
        snaps = self.store.read(
            "classifications",
            columns=["snapshot_date", "ticker", "gics_sector", "gics_sub_industry"],
        )
        snaps = snaps[snaps["gics_sector"].notna()]
        return snaps.sort_values(["snapshot_date", "ticker"], kind="stable").reset_index(drop=True)

    def _securities_known(self, known: int) -> pd.DataFrame:
        """All securities with the GICS classification of the first ``known`` snapshot rows
        (those dated on or before a view's date), cached: many dates share one value."""
        hit = self.cache.get("securities", known)
        if hit is not None:
            return hit
        snaps = self._classifications.iloc[:known]
        everyone = self.securities.index.union(pd.Index(snaps["ticker"].unique()))
        out = self.securities.reindex(everyone)
        out["classification_source"] = "static"
        if len(snaps):
            latest = snaps.drop_duplicates("ticker", keep="last").set_index("ticker")
            idx = latest.index
            sub = latest["gics_sub_industry"]
            static_sector = out.loc[idx, "gics_sector"]
            # a snapshot with a sector only keeps the static sub-industry when the two agree;
            # otherwise the levels below the sector are unknown on this date
            agree = sub.notna() | static_sector.eq(latest["gics_sector"]).fillna(False)
            new_sub = sub.where(sub.notna(), out.loc[idx, "gics_sub_industry"].where(agree))
            fresh = fill_gics_levels(
                pd.DataFrame(
                    {
                        "gics_sector": latest["gics_sector"].to_numpy(),
                        "gics_sub_industry": new_sub.to_numpy(),
                    },
                    index=idx,
                )
            )
            for col in ("gics_sector", "gics_industry_group", "gics_industry", "gics_sub_industry"):
                out.loc[idx, col] = fresh[col].to_numpy()
            out.loc[idx, "classification_source"] = (
                "snapshot " + latest["snapshot_date"].dt.strftime("%Y-%m-%d")
            ).to_numpy()
        out.index.name = "ticker"
        self.cache.put("securities", known, out)
        return out

    @cached_property
    def _ticker_set(self) -> frozenset[str]:
        """Tickers with prices, as a set (fast membership tests)."""
        return frozenset(self.tickers)

    # ------------------------------------------------------------ for other layers
    @property
    def priced_tickers(self) -> frozenset[str]:
        """Tickers with prices, as a set (fast membership tests)."""
        return self._ticker_set

    def benchmark_panel(self, field: str = "adj_close") -> pd.DataFrame:
        """Daily ``adj_close`` or ``volume`` of the benchmarks (ETFs, indices): dates x
        tickers; empty when the store has none."""
        panels = self._bench_panels
        if field not in panels:
            raise ConfigurationError(
                f"field={field!r}; benchmark panels hold {', '.join(map(repr, panels))}"
            )
        return panels[field]

    @property
    def classification_history(self) -> pd.DataFrame:
        """Dated GICS snapshots (``snapshot_date, ticker, gics_sector, gics_sub_industry``)
        with a sector, sorted by date."""
        return self._classifications

    @cached_property
    def _plain_tickers(self) -> frozenset[str]:
        """Store tickers that are nobody's alias: they resolve to themselves on any date."""
        return self._ticker_set - frozenset(self.aliases["alias"])

    @cached_property
    def _membership(self) -> pd.DataFrame:
        return self.store.read("index_membership")

    @cached_property
    def _statements(self) -> dict[str, pd.DataFrame]:
        """Share counts of annual statements per ticker, by publish date."""
        fund = self.store.read(
            "fundamentals",
            columns=[
                "ticker",
                "source",
                "period_end",
                "publish_date",
                "publish_date_estimated",
                "shares_basic",
                "shares_diluted",
            ],
        )
        fund = fund.assign(shares=fund["shares_basic"].fillna(fund["shares_diluted"]))
        fund = fund[fund["shares"] > 0].assign(
            est=fund["publish_date_estimated"].fillna(False).astype(bool)
        )
        fund = fund.sort_values(["publish_date", "period_end"])
        return {str(t): g.reset_index(drop=True) for t, g in fund.groupby("ticker")}

    @cached_property
    def _statement_arrays(self) -> dict[str, tuple[np.ndarray, ...]]:
        """Per ticker, sorted by publish date: publish, period end, shares, source code,
        estimated flag, as numpy arrays (the hot path of ``market_cap``)."""
        out: dict[str, tuple[np.ndarray, ...]] = {}
        for t, g in self._statements.items():
            codes = pd.factorize(g["source"])[0]
            out[t] = (
                g["publish_date"].to_numpy(dtype="datetime64[ns]"),
                g["period_end"].to_numpy(dtype="datetime64[ns]"),
                g["shares"].to_numpy(dtype="float64"),
                codes,
                g["est"].to_numpy(dtype=bool),
            )
        return out

    @cached_property
    def _cap_anchors(self) -> pd.DataFrame:
        """Valuation snapshots as (ticker, date, shares in the close's units)."""
        snap = self.store.read(
            "fundamentals_snapshots", columns=["snapshot_date", "ticker", "market_cap"]
        )
        snap = snap[(snap["market_cap"] > 0) & snap["ticker"].isin(self.tickers)]
        close = self._panels["close"].ffill(limit=5)
        rows = close.index.searchsorted(snap["snapshot_date"].to_numpy(), side="right") - 1
        cols = close.columns.get_indexer(pd.Index(snap["ticker"]))
        ok = rows >= 0
        px = np.full(len(snap), np.nan)
        px[ok] = close.to_numpy()[rows[ok], cols[ok]]
        out = snap.assign(shares=snap["market_cap"].to_numpy() / px)
        out = out[np.isfinite(out["shares"])]
        return out.sort_values("snapshot_date").reset_index(drop=True)

    @property
    def calendar(self) -> pd.DatetimeIndex:
        """Trading dates with at least one stock price."""
        return pd.DatetimeIndex(self._panels["adj_close"].index)

    @property
    def tickers(self) -> pd.Index:
        """Tickers with prices."""
        return self._panels["adj_close"].columns

    @property
    def start(self) -> pd.Timestamp:
        """First trading date in the store."""
        return pd.Timestamp(self.calendar[0])

    @property
    def end(self) -> pd.Timestamp:
        """Last trading date in the store."""
        return pd.Timestamp(self.calendar[-1])

    @cached_property
    def coverage_end(self) -> pd.Timestamp:
        """Last date on which at least half as many stocks have a price as on the best-covered
        day of the year before: :attr:`end` unless a few stocks were imported with later
        rows than the rest."""
        counts = self._panels["adj_close"].notna().sum(axis=1)
        recent = counts.iloc[-260:]
        broad = recent[recent >= 0.5 * recent.max()]
        return pd.Timestamp(broad.index[-1]) if len(broad) else self.end

    def end_hint(self, date: DateLike) -> str:
        """Why prices may be missing on ``date``: empty unless ``date`` is after
        :attr:`coverage_end`, i.e. only the few stocks with later rows trade on it."""
        ts = to_timestamp(date)
        if ts <= self.coverage_end:
            return ""
        late = self._panels["adj_close"].loc[self.coverage_end + pd.Timedelta(days=1) :]
        names = list(late.columns[late.notna().any().to_numpy()])
        return (
            f"; the data end {self.end:%Y-%m-%d} comes from {len(names)} stock(s) imported with "
            f"rows after the rest ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}), "
            f"most stocks end {self.coverage_end:%Y-%m-%d}: hedge on that date"
        )

    def as_of(self, date: DateLike) -> PointInTimeData:
        """View of what was known at the close of ``date``.

        Raises
        ------
        DataError
            ``date`` is before the first or after the last date of the data.
        """
        ts = to_timestamp(date)
        if ts < self.start or ts > self.end + pd.Timedelta(days=7):
            raise DataError(
                f"date {ts:%Y-%m-%d} is outside the data ({self.start:%Y-%m-%d} to "
                f"{self.end:%Y-%m-%d}); pick a date inside it or import more data"
            )
        return PointInTimeData(self, ts)


class PointInTimeData:
    """Everything known at the close of one date. Obtain it from :meth:`MarketData.as_of`."""

    def __init__(self, market: MarketData, date: pd.Timestamp) -> None:
        self.market = market
        self.date = date
        self._n = int(market.calendar.searchsorted(date, side="right"))

    def __repr__(self) -> str:
        return f"PointInTimeData({self.date:%Y-%m-%d})"

    @property
    def last_trading_date(self) -> pd.Timestamp:
        """Last trading date on or before the view's date."""
        return pd.Timestamp(self.market.calendar[self._n - 1])

    # -------------------------------------------------------------- helpers
    def resolve(self, identifiers: str | Iterable[str] | None) -> list[str]:
        """Store tickers for identifiers as they were known on the view's date."""
        if identifiers is None:
            return list(self.market.tickers)
        if isinstance(identifiers, str):
            identifiers = [identifiers]
        names = list(identifiers)
        plain = self.market._plain_tickers
        if all(isinstance(n, str) and n in plain for n in names):
            return names  # store tickers: nothing to resolve
        return self.market.resolve_many(names, self.date)

    def _rows(self, start: DateLike | None, end: DateLike | None, index: pd.DatetimeIndex) -> slice:
        stop = int(index.searchsorted(self.date, side="right"))
        if end is not None:
            end_ts = to_timestamp(end, "end")
            if end_ts > self.date:
                raise PointInTimeError(
                    f"end={end_ts:%Y-%m-%d} is after the as-of date {self.date:%Y-%m-%d}; "
                    "a point-in-time view cannot see the future: use an end on or before it, "
                    "or a later as-of date"
                )
            stop = int(index.searchsorted(end_ts, side="right"))
        begin = 0 if start is None else int(index.searchsorted(to_timestamp(start, "start")))
        return slice(begin, max(begin, stop))

    def _select(self, panel: pd.DataFrame, tickers: list[str]) -> pd.DataFrame:
        cols = panel.columns.get_indexer(pd.Index(tickers))
        if (cols < 0).any():
            absent = [t for t, c in zip(tickers, cols, strict=True) if c < 0]
            raise DataError(f"no price history for {', '.join(absent)} in the store")
        return panel.iloc[:, cols]

    # -------------------------------------------------------------- prices
    def prices(
        self,
        tickers: str | Iterable[str] | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        field: str = "adj_close",
    ) -> pd.DataFrame:
        """Daily prices, dates x tickers, for dates in ``[start, end]`` and ``<= D``.

        Parameters
        ----------
        field : {'adj_close', 'close', 'volume'}
            Adjusted close (splits and dividends), raw close, or volume in shares.
        """
        panels = self.market._panels
        if field not in panels:
            raise ConfigurationError(f"field={field!r} is not one of {sorted(panels)}")
        names = self.resolve(tickers)
        panel = panels[field]
        rows = self._rows(start, end, pd.DatetimeIndex(panel.index))
        return self._select(panel, names).iloc[rows]

    def returns(
        self,
        tickers: str | Iterable[str] | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        *,
        window: int | None = None,
        sampling: Sampling | str = Sampling.DAILY,
        min_periods: int | None = None,
    ) -> pd.DataFrame:
        """Simple total returns from adjusted closes, dates x tickers.

        A return dated ``t`` runs from the previous sampled close to the close of ``t``.
        Weekly and monthly returns sample the last available close of each calendar
        week (ending Friday) or month; the last period ends at the as-of date and may
        be partial. Missing prices give missing returns (no filling).

        Parameters
        ----------
        start, end : date-like, optional
            Keep returns dated in ``[start, end]``; ``end`` may not pass the as-of date.
        window : int, optional
            Keep only the last ``window`` returns (after applying ``start``/``end``).
        sampling : Sampling or str
            ``'daily'``, ``'weekly'`` or ``'monthly'``.
        min_periods : int, optional
            Raise InsufficientHistoryError if fewer return dates remain.
        """
        sampling = Sampling(sampling)
        names = self.resolve(tickers)
        panel = self.market._panels["adj_close"]
        rows = self._rows(None, end, pd.DatetimeIndex(panel.index))
        begin = 0
        if start is not None:
            begin = max(0, int(panel.index.searchsorted(to_timestamp(start, "start"))) - 1)
        if sampling is Sampling.DAILY and window is not None and start is None:
            begin = max(0, rows.stop - window - 1)
        sub = self._select(panel, names)
        values = sub.to_numpy()[begin : rows.stop] if sampling is Sampling.DAILY else None
        if sampling is Sampling.DAILY:
            assert values is not None
            idx = sub.index[begin : rows.stop]
            with np.errstate(invalid="ignore", divide="ignore"):
                rets = values[1:] / values[:-1] - 1.0
            out = pd.DataFrame(rets, index=idx[1:], columns=sub.columns)
        else:
            prices = sub.iloc[: rows.stop]
            freq = "W-FRI" if sampling is Sampling.WEEKLY else "M"
            keys = pd.DatetimeIndex(prices.index).to_period(freq)
            last = prices.groupby(keys).last()
            last_dates = pd.Series(prices.index, index=prices.index).groupby(keys).max()
            last.index = pd.DatetimeIndex(last_dates.to_numpy(), name="date")
            out = last.pct_change(fill_method=None).iloc[1:]
        if start is not None:
            out = out.loc[out.index >= to_timestamp(start, "start")]
        if window is not None:
            if window <= 0:
                raise ConfigurationError(f"window={window} must be a positive number of periods")
            out = out.iloc[-window:]
        if min_periods is not None and len(out) < min_periods:
            raise InsufficientHistoryError(
                f"only {len(out)} {sampling.value} returns up to {self.date:%Y-%m-%d}, "
                f"{min_periods} needed; start earlier, shorten the window or sample more often"
            )
        return out

    def adv(self, tickers: str | Iterable[str] | None = None, window: int = 20) -> pd.Series:
        """Average daily dollar volume (raw close x shares traded) over the last ``window`` days.

        Days without a print are skipped; at least half the window must have one,
        else the value is missing.
        """
        if window <= 0:
            raise ConfigurationError(f"window={window} must be a positive number of days")
        names = self.resolve(tickers)
        close = self._select(self.market._panels["close"], names)
        vol = self._select(self.market._panels["volume"], names)
        lo = max(0, self._n - window)
        dollar = close.to_numpy()[lo : self._n] * vol.to_numpy()[lo : self._n]
        count = np.sum(~np.isnan(dollar), axis=0)
        with np.errstate(invalid="ignore"):
            mean = np.nansum(dollar, axis=0) / np.where(count == 0, np.nan, count)
        mean[count < max(1, window // 2)] = np.nan
        return pd.Series(mean, index=pd.Index(names, name="ticker"), name=f"adv_{window}d_usd")

    def last_prices(
        self, tickers: str | Iterable[str] | None = None, field: str = "close", max_age: int = 10
    ) -> pd.Series:
        """Last price on or before the view's date, missing if older than ``max_age`` days."""
        names = self.resolve(tickers)
        panel = self._select(self.market._panels[field], names).iloc[: self._n]
        tail = panel.iloc[-max_age:] if max_age else panel
        return (
            tail.ffill().iloc[-1].rename(field)
            if len(tail)
            else pd.Series(np.nan, index=pd.Index(names), name=field)
        )

    def market_cap(self, tickers: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Market capitalisation in USD, point in time.

        Vendor closes (e.g. Yahoo's) are split-adjusted to the vendor's latest share
        basis, and statement share counts come in mixed bases, so hedgekit anchors the
        share count on a source that states market cap in dollars. In order of preference:

        1. ``'snapshot'``: the latest valuation snapshot on or before ``D`` gives
           ``shares = market_cap(s) / close(s)`` in the close's own units; it is rolled
           forward to ``D`` by the change in basic shares from the last statement whose
           period ended on or before ``s`` to the latest statement known on ``D`` (same
           source; a change beyond 2x either way is taken for a split or a restatement and
           ignored). ``market_cap = close(D) * shares``.
        2. ``'statement'``: no snapshot yet: basic shares (diluted if missing) of the latest
           annual statement published on or before ``D``, times ``close(D)``. A split
           between the statement and the vendor's basis date makes this wrong by the split
           ratio; that is why it comes second.
        3. ``'missing'``: neither is known on ``D``; ``market_cap`` is NaN.

        Returns
        -------
        DataFrame
            Indexed by ticker: ``market_cap, close, shares, shares_source, shares_date``
            (date of the snapshot or statement period end) and ``shares_age_days``.
        """
        names = self.resolve(tickers)
        close = self.last_prices(names, field="close").to_numpy()
        anchors = self.market._cap_anchors
        anchors = anchors[(anchors["snapshot_date"] <= self.date) & anchors["ticker"].isin(names)]
        latest = anchors.drop_duplicates("ticker", keep="last").set_index("ticker")
        arrays = self.market._statement_arrays
        snap_date = latest["snapshot_date"].to_numpy(dtype="datetime64[ns]")
        snap_shares = latest["shares"].to_numpy(dtype="float64")
        snap_pos = {t: i for i, t in enumerate(latest.index)}
        day = self.date.to_datetime64()
        shares = np.full(len(names), np.nan)
        source = np.full(len(names), "missing", dtype=object)
        when = np.full(len(names), np.datetime64("NaT"), dtype="datetime64[ns]")
        for i, t in enumerate(names):
            arr = arrays.get(t)
            k = 0 if arr is None else int(np.searchsorted(arr[0], day, side="right"))
            j = snap_pos.get(t)
            if j is not None:
                growth = 1.0 if arr is None or k == 0 else _share_growth(arr, k, snap_date[j])
                shares[i] = snap_shares[j] * growth
                source[i] = "snapshot"
                when[i] = snap_date[j]
            elif arr is not None and k:
                # latest period end among the known statements; a real publish date wins ties
                pe, est = arr[1][:k], arr[4][:k]
                order = np.lexsort((~est, pe))
                best = order[-1]
                shares[i] = arr[2][best]
                source[i] = "statement"
                when[i] = pe[best]
        out = pd.DataFrame(
            {
                "market_cap": close * shares,
                "close": close,
                "shares": shares,
                "shares_source": source,
                "shares_date": when,
            },
            index=pd.Index(names, name="ticker"),
        )
        out["shares_age_days"] = (self.date - out["shares_date"]).dt.days
        return out

    # -------------------------------------------------------------- reference data
    def members(self, index: str = "SPX", *, with_prices: bool = True) -> list[str]:
        """Tickers in ``index`` on the view's date (membership intervals known then).

        Parameters
        ----------
        with_prices : bool
            Keep only members with a price history in the store (default). Members without
            one (delisted names missing from a survivorship-biased source, share classes
            the source lacks) are logged at INFO level.
        """
        code = self.market.resolve_index(index)
        m = self.market._membership
        m = m[(m["index"] == code) & (m["start_date"] <= self.date)]
        active = sorted(set(m[m["end_date"].isna() | (m["end_date"] > self.date)]["ticker"]))
        if not with_prices:
            return active
        have = self.market._ticker_set
        missing = [t for t in active if t not in have]
        if missing:
            logger.info("%d %s members have no prices: %s", len(missing), code, missing[:20])
        return [t for t in active if t in have]

    def tradable(self, tickers: str | Iterable[str] | None = None, max_age: int = 5) -> list[str]:
        """Tickers with a price in the last ``max_age`` trading days up to the view's date."""
        names = self.resolve(tickers)
        close = self.last_prices(names, max_age=max_age)
        return [str(t) for t, p in close.items() if np.isfinite(p)]

    def securities(self, tickers: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Securities with the GICS classification known on the view's date.

        ``classification_source`` says where each row's GICS came from: a dated
        index snapshot on or before ``D``, or ``'static'`` (the latest classification in
        the data, which may postdate ``D``).
        """
        names = None if tickers is None else self.resolve(tickers)
        snaps = self.market._classifications
        known = int(snaps["snapshot_date"].searchsorted(self.date, side="right"))
        full = self.market._securities_known(known)
        out = full.reindex(self.market.securities.index if names is None else names)
        out = out.copy()
        out.index.name = "ticker"
        return out

    def descriptions(
        self,
        tickers: str | Iterable[str] | None = None,
        source: str | None = None,
        *,
        allow_later: bool = False,
    ) -> pd.DataFrame:
        """One business description per ticker: the latest vintage known on the view's date.

        Parameters
        ----------
        source : str, optional
            Only this source (e.g. ``'yahoo_profile'``).
        allow_later : bool
            For tickers with no vintage on or before ``D``, return the earliest later
            vintage, with ``look_ahead=True``. Results built on such rows are not point in time.
        """
        desc = self.market.store.read("descriptions")
        if tickers is not None:
            desc = desc[desc["ticker"].isin(self.resolve(tickers))]
        if source is not None:
            desc = desc[desc["source"] == source]
        rank = desc["source"].map(_DESCRIPTION_SOURCE_RANK).fillna(9)
        desc = desc.assign(_rank=rank.to_numpy())
        known = desc[desc["as_of"] <= self.date].sort_values(
            ["as_of", "_rank"], ascending=[True, False]
        )
        known = known.drop_duplicates("ticker", keep="last").assign(look_ahead=False)
        parts = [known]
        if allow_later:
            later = desc[(desc["as_of"] > self.date) & ~desc["ticker"].isin(known["ticker"])]
            later = later.sort_values(["as_of", "_rank"]).drop_duplicates("ticker", keep="first")
            parts.append(later.assign(look_ahead=True))
        out = pd.concat(parts, ignore_index=True).drop(columns="_rank")
        return out.sort_values("ticker").set_index("ticker")

    def fundamentals(self, tickers: str | Iterable[str] | None = None) -> pd.DataFrame:
        """Latest annual statement per ticker published on or before the view's date.

        Adds ``staleness_days`` (view date minus period end). When two sources cover the
        same fiscal year, a real publish date is preferred over an estimated one.
        """
        fund = self.market.store.read(
            "fundamentals", filters=[("publish_date", "<=", self.date.to_pydatetime())]
        )
        if tickers is not None:
            fund = fund[fund["ticker"].isin(self.resolve(tickers))]
        fund = fund.assign(_est=fund["publish_date_estimated"].fillna(False).astype(int))
        fund = fund.sort_values(["period_end", "_est"], ascending=[True, False])
        out = fund.drop_duplicates("ticker", keep="last").drop(columns="_est")
        out = out.assign(staleness_days=(self.date - out["period_end"]).dt.days)
        return out.set_index("ticker").sort_index()

    def benchmark_prices(
        self,
        tickers: str | Iterable[str],
        start: DateLike | None = None,
        end: DateLike | None = None,
    ) -> pd.DataFrame:
        """Adjusted closes of benchmarks (ETFs, indices), dates x tickers."""
        panel = self.market._bench_panels["adj_close"]
        names = [tickers] if isinstance(tickers, str) else list(tickers)
        names = [" ".join(n.upper().split()) for n in names]
        missing = [n for n in names if n not in panel.columns]
        if missing:
            import difflib

            guess = difflib.get_close_matches(missing[0], list(panel.columns), n=5)
            raise UnknownIdentifierError(missing[0], guess, detail="not a benchmark in the store")
        rows = self._rows(start, end, pd.DatetimeIndex(panel.index))
        return panel[names].iloc[rows]

    def benchmark_returns(
        self,
        tickers: str | Iterable[str],
        start: DateLike | None = None,
        end: DateLike | None = None,
    ) -> pd.DataFrame:
        """Daily simple returns of benchmarks, dates x tickers."""
        before = None if start is None else to_timestamp(start, "start") - pd.Timedelta(days=10)
        px = self.benchmark_prices(tickers, before, end)
        rets = px.pct_change(fill_method=None).iloc[1:]
        return rets if start is None else rets.loc[rets.index >= to_timestamp(start, "start")]

    def fama_french(
        self, start: DateLike | None = None, end: DateLike | None = None
    ) -> pd.DataFrame:
        """Fama-French daily factor returns known on the view's date."""
        ff = self.market.store.read("fama_french").set_index("date")
        rows = self._rows(start, end, pd.DatetimeIndex(ff.index))
        return ff.iloc[rows]

    def _active(self, table: str) -> pd.DataFrame:
        df = self.market.store.read(table)
        start = df["start_date"].isna() | (df["start_date"] <= self.date)
        end = df["end_date"].isna() | (df["end_date"] > self.date)
        return df[start & end]

    def hard_to_borrow(self) -> pd.Series:
        """Annual borrow cost in bps of names on the hard-to-borrow list on the view's date."""
        df = self._active("hard_to_borrow").drop_duplicates("ticker", keep="last")
        return df.set_index("ticker")["borrow_cost_bps"].sort_index()

    def restricted(self) -> list[str]:
        """Tickers on the restricted list on the view's date."""
        return sorted(set(self._active("restricted")["ticker"]))

    def scores(self, score: str) -> pd.Series:
        """Latest value per ticker of a numeric score (e.g. ``'esg'``) known on the view's date."""
        df = self.market.store.read("scores")
        names = sorted(set(df["score"]))
        match = [n for n in names if n.lower() == score.lower()]
        if not match:
            raise DataError(
                f"no score named {score!r} in the store (known: {', '.join(names) or 'none'}); "
                "import one with `hedgekit data import-list scores FILE`"
            )
        df = df[(df["score"] == match[0]) & (df["date"] <= self.date)]
        df = df.sort_values("date").drop_duplicates("ticker", keep="last")
        return df.set_index("ticker")["value"].rename(match[0]).sort_index()

    def corporate_actions(
        self, types: Iterable[str] | None = None, *, pending_only: bool = False
    ) -> pd.DataFrame:
        """Corporate actions announced on or before the view's date.

        Parameters
        ----------
        types : iterable of str, optional
            Keep these ``action_type`` values (case-insensitive), e.g. ``['merger', 'spin_off']``.
        pending_only : bool
            Keep only events whose effective date is after the view's date.
        """
        df = self.market.store.read("corporate_actions")
        announced = df["announce_date"].fillna(df["effective_date"])
        df = df[announced <= self.date]
        if types is not None:
            wanted = {canonical_action_type(t) for t in types}
            have = df["action_type"].map(canonical_action_type)
            df = df[have.isin(wanted).to_numpy()]
        if pending_only:
            df = df[df["effective_date"] > self.date]
        return df.reset_index(drop=True)


def _share_growth(arrays: tuple[np.ndarray, ...], known: int, anchor: np.datetime64) -> float:
    """Change in shares since ``anchor``, from the first ``known`` statements (by publish date).

    The latest known statement (by period end) is compared with the latest statement of the
    same source whose period ended on or before ``anchor``. Returns 1 when the latest
    statement is not newer than the anchor (the snapshot already reflects it), when no such
    pair exists, or when the change exceeds 2x either way (a split or a restatement).
    """
    period_end, shares, source = arrays[1][:known], arrays[2][:known], arrays[3][:known]
    last = int(np.argmax(period_end))
    if period_end[last] <= anchor:
        return 1.0
    base = (source == source[last]) & (period_end <= anchor)
    if not base.any():
        return 1.0
    idx = np.flatnonzero(base)
    prior = idx[int(np.argmax(period_end[idx]))]
    growth = float(shares[last] / shares[prior])
    return growth if 0.5 <= growth <= 2.0 else 1.0
