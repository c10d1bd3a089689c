"""The point-in-time view: everything known at the close of one date.

:meth:`MarketData.as_of <hedgekit.data.MarketData.as_of>` returns a :class:`PointInTimeData`,
the only way the rest of hedgekit reads data for a hedge. A view dated ``D`` never returns a
price, volume, index membership, classification snapshot, description vintage, fundamental,
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
:class:`Sampling` names the return periods :meth:`PointInTimeData.returns` samples.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    InsufficientHistoryError,
    PointInTimeError,
    UnknownIdentifierError,
)
from hedgekit.data._corporate import canonical_action_type
from hedgekit.typing import CaseInsensitiveEnum, DateLike, to_timestamp

if TYPE_CHECKING:
    from hedgekit.data._market import MarketData

__all__ = ["PointInTimeData", "Sampling"]

logger = logging.getLogger(__name__)

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

    def returns(self, prices: pd.DataFrame) -> pd.DataFrame:
        """Simple returns of a price table (dates x names) at this period: day to day, or
        from the last price of one week (Friday-ended) or month to the next, each dated on
        the last day of its period that has a row."""
        if self is Sampling.DAILY:
            return prices.pct_change(fill_method=None).iloc[1:]
        freq = "W-FRI" if self is Sampling.WEEKLY else "M"
        keys = pd.DatetimeIndex(prices.index).to_period(freq)
        last = prices.groupby(keys).last()
        last_dates = pd.Series(prices.index, index=prices.index).groupby(keys).max()
        last.index = pd.DatetimeIndex(last_dates.to_numpy(), name="date")
        return last.pct_change(fill_method=None).iloc[1:]


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
            out = sampling.returns(sub.iloc[: rows.stop])
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
