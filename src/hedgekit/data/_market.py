"""Market data of one store: the panels in memory, metadata, identifiers and the dated views.

:class:`MarketData` opens a store and keeps the wide price panels in memory (pivoted and
kept on disk by :mod:`._panels`), resolves identifiers and index names, derives the data's
limits and coverage, and holds the reference tables (classification snapshots, membership,
statement share counts, valuation snapshots) that its views read.
:meth:`MarketData.as_of` returns a :class:`~hedgekit.data.PointInTimeData` (:mod:`._view`),
the only way the rest of hedgekit reads data for a hedge; :func:`shared_market` keeps one
market per data home for the process.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from hedgekit._errors import ConfigurationError, DataError, UnknownIdentifierError
from hedgekit.data._aliases import share_class_groups
from hedgekit.data._cache import Cache
from hedgekit.data._gics import fill_gics_levels
from hedgekit.data._panels import _load_panels, _save_panels, _wide
from hedgekit.data._resolver import IdentifierResolver
from hedgekit.data._store import Store
from hedgekit.data._view import PointInTimeData
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["INDEX_ALIASES", "MarketData"]

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


#: entries kept per cache region of a market (see :class:`hedgekit.data.Cache`)
_CACHE_SIZES = {
    "securities": 64,  # classification vintages
    "hedge_universe": 8,  # hedge dates' candidates
    "estimate": 8,  # covariance fits
    "exposures": 4,  # risk-model exposures per date (both backtest models read one)
    "text_index": 4,  # semantic indexes per vintage and embedder
    "risk_model": 2,  # kept risk models read from the data home
    "risk_on_the_fly": 2,  # factor hedges' risk models fitted for a date (~40 MB each)
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
