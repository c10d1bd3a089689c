"""``hedgekit data pull``: incremental, cached, atomic Yahoo pulls, without the network.

A :class:`FakeYahooClient` serves a small deterministic market built here and counts
calls; yfinance's own entry points are monkeypatched to exercise the parsing of its
real response shapes.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError, DataError, MissingDependencyError, UnknownIdentifierError
from hedgekit.data import MarketData, Store
from hedgekit.data.yahoo import (
    HISTORY_COLUMNS,
    YAHOO_TO_GICS_SECTOR,
    YFinanceClient,
    parse_download,
    pull,
)

DAYS = pd.bdate_range("2024-01-02", periods=30)
FIRST_END = DAYS[19]  # first pulls stop at day 20
LAST_END = DAYS[-1]
TODAY = LAST_END + pd.Timedelta(days=3)  # every bar in DAYS is a closed session

PROFILES: dict[str, dict[str, Any]] = {
    "AAA": {
        "name": "Aaa Software Inc.",
        "sector": "Technology",
        "industry": "Software - Infrastructure",
        "country": "United States",
        "currency": "USD",
        "summary": "Aaa Software makes database software.",
        "shares_outstanding": 1_000_000,
        "exchange": "NasdaqGS",
        "employees": 1200,
    },
    "BBB": {
        "name": "Bbb Health Corp.",
        "sector": "Healthcare",
        "industry": "Medical Devices",
        "country": "Ireland",
        "currency": "USD",
        "summary": "Bbb Health sells stents and catheters.",
        "shares_outstanding": 2_500_000,
        "exchange": "NYSE",
        "employees": 800,
    },
    "CCC": {
        "name": "Ccc Motors K.K.",
        "sector": "Consumer Cyclical",
        "industry": "Auto Manufacturers",
        "country": "Japan",
        "currency": "JPY",
        "summary": "Ccc Motors builds cars.",
        "shares_outstanding": 9_000_000,
        "exchange": "Tokyo",
        "employees": 50_000,
    },
}


def _raw_market() -> pd.DataFrame:
    """Unadjusted daily bars of AAA, BBB, CCC on DAYS (a seeded random walk)."""
    rng = np.random.default_rng(7)
    rows = []
    for ticker, level in (("AAA", 100.0), ("BBB", 40.0), ("CCC", 2500.0)):
        close = level * np.exp(np.cumsum(rng.normal(0, 0.01, len(DAYS))))
        rows.append(
            pd.DataFrame(
                {
                    "date": DAYS,
                    "ticker": ticker,
                    "open": close * 0.995,
                    "high": close * 1.01,
                    "low": close * 0.99,
                    "close": close,
                    "volume": rng.integers(1_000, 5_000, len(DAYS)).astype(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


class FakeYahooClient:
    """Serves the raw market as Yahoo would on ``self.now``, and counts calls.

    Corporate actions dated on or before ``now`` adjust every earlier bar, backwards
    from ``now``, as Yahoo's closes (splits) and adjusted closes (splits and dividends)
    do: ``splits`` maps ticker -> (date, ratio), ``dividends`` ticker -> (date, amount).
    """

    def __init__(
        self,
        *,
        now: pd.Timestamp = TODAY,
        splits: dict[str, tuple[pd.Timestamp, float]] | None = None,
        dividends: dict[str, tuple[pd.Timestamp, float]] | None = None,
    ) -> None:
        self.raw = _raw_market()
        self.now = now
        self.splits = splits or {}
        for ticker, (day, ratio) in self.splits.items():  # the real unadjusted drop
            hit = (self.raw["ticker"] == ticker) & (self.raw["date"] >= day)
            for col in ("open", "high", "low", "close"):
                self.raw.loc[hit, col] /= ratio
            self.raw.loc[hit, "volume"] *= ratio
        self.dividends = dividends or {}
        self.history_calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = []
        self.profile_calls: list[str] = []

    def served(self) -> pd.DataFrame:
        """The whole market as Yahoo shows it on ``self.now``."""
        out = self.raw[self.raw["date"] <= self.now].copy()
        out["adj_close"] = out["close"]
        for ticker, (day, ratio) in self.splits.items():
            if day <= self.now:
                hit = (out["ticker"] == ticker) & (out["date"] < day)
                for col in ("open", "high", "low", "close", "adj_close"):
                    out.loc[hit, col] /= ratio
                out.loc[hit, "volume"] *= ratio
        for ticker, (day, amount) in self.dividends.items():
            if day <= self.now:
                mine = out[out["ticker"] == ticker]
                prev_close = mine.loc[mine["date"] < day, "close"].iloc[-1]
                hit = (out["ticker"] == ticker) & (out["date"] < day)
                out.loc[hit, "adj_close"] *= 1 - amount / prev_close
        return out.reset_index(drop=True)

    def history(self, tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
        self.history_calls.append((tuple(tickers), start, end))
        out = self.served()
        hit = (
            out["ticker"].isin(tickers)
            & (out["date"] >= pd.Timestamp(start))
            & (out["date"] <= pd.Timestamp(end))
        )
        return out.loc[hit, list(HISTORY_COLUMNS)].reset_index(drop=True)

    def profile(self, ticker: str) -> dict[str, Any]:
        self.profile_calls.append(ticker)
        return dict(PROFILES.get(ticker, {}))


class FailingClient(FakeYahooClient):
    """Fails like a dropped connection on the n-th history call or on one profile."""

    def __init__(self, *, fail_history_call: int | None = None, fail_profile: str | None = None):
        super().__init__()
        self.fail_history_call = fail_history_call
        self.fail_profile = fail_profile

    def history(self, tickers: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
        if len(self.history_calls) + 1 == self.fail_history_call:
            raise DataError(f"Yahoo Finance prices request for {', '.join(tickers)} failed")
        return super().history(tickers, start, end)

    def profile(self, ticker: str) -> dict[str, Any]:
        if ticker == self.fail_profile:
            raise DataError(f"Yahoo Finance profile request for {ticker} failed")
        return super().profile(ticker)


TICKERS = ["AAA", "BBB", "CCC", "ZZZ"]  # CCC is quoted in JPY, ZZZ does not exist


def _pull(store: Store, client: FakeYahooClient, end: pd.Timestamp = FIRST_END, **kw: Any):
    kw.setdefault("start", DAYS[0])
    kw.setdefault("today", TODAY)
    return pull(TICKERS, store, end=end, client=client, **kw)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "home")


# ------------------------------------------------------------------ first pull
def test_first_pull_writes_prices_securities_descriptions_and_snapshot(store):
    client = FakeYahooClient()
    report = _pull(store, client)

    assert len(client.history_calls) == 1
    called, start, end = client.history_calls[0]
    assert sorted(called) == TICKERS
    assert (start, end) == (DAYS[0].date(), FIRST_END.date())

    prices = store.read("prices")
    assert set(prices["ticker"]) == {"AAA", "BBB"}
    assert len(prices) == 2 * 20
    expected = client.served()
    expected = expected[expected["ticker"].isin(["AAA", "BBB"]) & (expected["date"] <= FIRST_END)]
    got = prices.set_index(["ticker", "date"]).sort_index()
    want = expected.set_index(["ticker", "date"]).sort_index()
    np.testing.assert_allclose(got["close"], want["close"])
    np.testing.assert_allclose(got["adj_close"], want["adj_close"])

    sec = store.read("securities").set_index("ticker")
    assert sec.loc["AAA", "name"] == "Aaa Software Inc."
    assert sec.loc["BBB", "country"] == "Ireland"
    assert sec.loc["BBB", "region"] == "Europe"
    assert sec.loc["AAA", "exchange"] == "NasdaqGS"
    assert set(sec["currency"]) == {"USD"}
    assert sec.loc["AAA", "first_price_date"] == DAYS[0]
    assert sec.loc["AAA", "last_price_date"] == FIRST_END

    desc = store.read("descriptions")
    assert set(desc["ticker"]) == {"AAA", "BBB"}
    assert set(desc["source"]) == {"yahoo_profile"}
    assert set(desc["as_of"]) == {TODAY}
    assert desc.set_index("ticker").loc["AAA", "text"] == PROFILES["AAA"]["summary"]

    snap = store.read("fundamentals_snapshots").set_index("ticker")
    last_close = prices[prices["date"] == FIRST_END].set_index("ticker")["close"]
    for t in ("AAA", "BBB"):
        assert snap.loc[t, "snapshot_date"] == TODAY
        assert snap.loc[t, "price"] == pytest.approx(last_close[t])
        assert snap.loc[t, "market_cap"] == pytest.approx(
            PROFILES[t]["shares_outstanding"] * last_close[t]
        )
    assert report.rows["prices"] == 40
    assert report.derived["price_rows_new"] == 40
    assert report.derived["history_requests"] == 1


def test_snapshot_gives_point_in_time_market_cap(store):
    _pull(store, FakeYahooClient(), end=LAST_END)
    market = MarketData(store)
    cap = market.as_of(LAST_END + pd.Timedelta(days=3)).market_cap(["AAA"])
    assert cap.loc["AAA", "shares_source"] == "snapshot"
    assert cap.loc["AAA", "shares"] == pytest.approx(PROFILES["AAA"]["shares_outstanding"])
    before = market.as_of(LAST_END).market_cap(["AAA"])
    assert before.loc["AAA", "shares_source"] == "missing"  # not known before the pull date


def test_yahoo_sectors_map_to_gics(store):
    _pull(store, FakeYahooClient())
    sec = store.read("securities").set_index("ticker")
    assert sec.loc["AAA", "gics_sector"] == "Information Technology"
    assert sec.loc["BBB", "gics_sector"] == "Health Care"
    assert YAHOO_TO_GICS_SECTOR["Financial Services"] == "Financials"
    assert YAHOO_TO_GICS_SECTOR["Consumer Cyclical"] == "Consumer Discretionary"
    assert YAHOO_TO_GICS_SECTOR["Consumer Defensive"] == "Consumer Staples"
    assert YAHOO_TO_GICS_SECTOR["Basic Materials"] == "Materials"
    from hedgekit.data._gics import GICS_SECTORS

    assert set(YAHOO_TO_GICS_SECTOR.values()) == set(GICS_SECTORS)


def test_unmapped_sector_is_left_empty_with_a_warning(store, monkeypatch):
    monkeypatch.setitem(PROFILES, "AAA", {**PROFILES["AAA"], "sector": "Conglomerates"})
    report = _pull(store, FakeYahooClient())
    sec = store.read("securities").set_index("ticker")
    assert pd.isna(sec.loc["AAA", "gics_sector"])
    assert any("Conglomerates (AAA)" in w for w in report.warnings)


def test_gics_sector_in_the_store_wins_over_yahoo(store):
    from hedgekit.data import TABLES
    from hedgekit.data._validate import coerce_table

    with store.transaction(source="bundle") as tx:
        tx.write(
            "securities",
            coerce_table(
                pd.DataFrame(
                    {
                        "ticker": ["AAA"],
                        "gics_sector": ["Financials"],
                        "gics_sub_industry": ["Transaction & Payment Processing Services"],
                        "cik": [123],
                    }
                ),
                TABLES["securities"],
                "test",
            ),
        )
    _pull(store, FakeYahooClient())
    sec = store.read("securities").set_index("ticker")
    assert sec.loc["AAA", "gics_sector"] == "Financials"
    assert sec.loc["AAA", "gics_sub_industry"] == "Transaction & Payment Processing Services"
    assert sec.loc["AAA", "cik"] == 123
    assert sec.loc["AAA", "name"] == "Aaa Software Inc."  # Yahoo fills what was missing


def test_non_usd_ticker_is_skipped_with_a_warning(store):
    report = _pull(store, FakeYahooClient())
    assert "CCC" not in set(store.read("prices")["ticker"])
    assert "CCC" not in set(store.read("securities")["ticker"])
    assert "CCC" not in set(store.read("descriptions")["ticker"])
    (warning,) = [w for w in report.warnings if "another currency" in w]
    assert "CCC (JPY)" in warning
    assert "US-dollar" in warning


def test_unknown_ticker_is_a_warning_when_others_resolve(store):
    report = _pull(store, FakeYahooClient())
    (warning,) = [w for w in report.warnings if "no Yahoo prices" in w]
    assert "ZZZ" in warning


def test_all_unknown_tickers_raise(store):
    client = FakeYahooClient()
    with pytest.raises(UnknownIdentifierError, match=r"'ZZZ, QQQQ'.*Yahoo Finance has no daily"):
        pull(["ZZZ", "qqqq"], store, start=DAYS[0], end=FIRST_END, client=client, today=TODAY)
    assert not store.exists()
    assert client.profile_calls == []


# ------------------------------------------------------- incremental and cached
def test_second_pull_with_the_same_end_makes_no_history_call(store):
    client = FakeYahooClient()
    _pull(store, client)
    version = store.version
    before = store.read("prices")

    again = FakeYahooClient()
    report = _pull(store, again)
    assert again.history_calls == []  # AAA, BBB up to date; CCC, ZZZ from the cache
    assert again.profile_calls == []  # profiles younger than 7 days
    assert report.derived["history_cache_hits"] == 2
    assert report.derived["tickers_up_to_date"] == 2
    assert report.rows == {}
    assert store.version == version  # nothing changed, so no new snapshot
    pd.testing.assert_frame_equal(store.read("prices"), before)


def test_later_end_fetches_only_the_new_dates(store):
    _pull(store, FakeYahooClient())
    client = FakeYahooClient()
    report = _pull(store, client, end=LAST_END)

    calls = {frozenset(c[0]): (c[1], c[2]) for c in client.history_calls}
    # stored tickers: from their last stored day (one day of overlap) to the new end
    assert calls[frozenset({"AAA", "BBB"})] == (FIRST_END.date(), LAST_END.date())
    # tickers not in the store (skipped, unknown) are asked for their whole range
    assert calls[frozenset({"CCC", "ZZZ"})] == (DAYS[0].date(), LAST_END.date())
    assert report.derived["price_rows_new"] == 2 * 10
    prices = store.read("prices")
    assert len(prices) == 2 * 30
    assert not prices.duplicated(["date", "ticker"]).any()
    assert store.read("securities").set_index("ticker").loc["AAA", "last_price_date"] == LAST_END


def test_pull_does_not_store_the_pull_dates_own_bar(store):
    client = FakeYahooClient()
    today = DAYS[10]
    report = pull(["AAA"], store, start=DAYS[0], client=client, today=today)  # end = today
    assert client.history_calls[0][2] == DAYS[9].date()
    assert store.read("prices")["date"].max() == DAYS[9]
    assert report.rows["prices"] == 10


def test_profiles_are_refetched_after_max_age(store):
    _pull(store, FakeYahooClient())
    fresh = FakeYahooClient()
    _pull(store, fresh, today=TODAY + pd.Timedelta(days=6))
    assert fresh.profile_calls == []
    stale = FakeYahooClient()
    _pull(store, stale, today=TODAY + pd.Timedelta(days=7))
    assert sorted(stale.profile_calls) == ["AAA", "BBB", "CCC"]
    desc = store.read("descriptions")
    assert sorted(desc.loc[desc["ticker"] == "AAA", "as_of"]) == [
        TODAY,
        TODAY + pd.Timedelta(days=7),
    ]  # a new vintage each time the profile is fetched


def test_cache_lives_under_the_store_home_and_holds_raw_responses(store):
    _pull(store, FakeYahooClient())
    root = store.home / "cache" / "yahoo"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    stamp = f"{DAYS[0]:%Y%m%d}_{FIRST_END:%Y%m%d}"
    assert files == [f"history/{t}/{stamp}.parquet" for t in TICKERS]
    assert pd.read_parquet(root / "history" / "ZZZ" / f"{stamp}.parquet").empty
    prof = json.loads((root / "profiles" / "AAA.json").read_text())
    assert prof["fetched_on"] == f"{TODAY:%Y-%m-%d}"


def test_a_new_store_is_filled_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    _pull(Store(tmp_path / "one"), FakeYahooClient(), cache_dir=cache)
    client = FakeYahooClient()
    _pull(Store(tmp_path / "two"), client, cache_dir=cache)
    assert client.history_calls == []
    assert client.profile_calls == []
    pd.testing.assert_frame_equal(
        Store(tmp_path / "one").read("prices"), Store(tmp_path / "two").read("prices")
    )


def test_split_and_dividend_since_last_pull_rebase_stored_history(store):
    split_day, div_day = DAYS[24], DAYS[22]
    actions = {"splits": {"BBB": (split_day, 2.0)}, "dividends": {"AAA": (div_day, 1.5)}}
    _pull(store, FakeYahooClient(now=FIRST_END + pd.Timedelta(days=1), **actions))
    later = FakeYahooClient(now=TODAY, **actions)
    report = _pull(store, later, end=LAST_END)

    prices = store.read("prices").set_index(["ticker", "date"]).sort_index()
    full = later.served()
    full = full[full["ticker"].isin(["AAA", "BBB"])].set_index(["ticker", "date"]).sort_index()
    # the stored series is exactly what one full download today would give
    for col in ("open", "high", "low", "close", "adj_close", "volume"):
        np.testing.assert_allclose(prices[col], full[col], rtol=1e-12, err_msg=col)
    assert report.derived["tickers_rebased_for_splits"] == 1
    assert any("BBB" in w and "split" in w for w in report.warnings)
    returns = prices.loc["BBB", "close"].pct_change().dropna()
    assert returns.abs().max() < 0.1  # no fake -50% on the split day


# --------------------------------------------------------------- atomicity
def test_history_failure_mid_way_leaves_the_store_unchanged(store):
    _pull(store, FakeYahooClient())
    version, before = store.version, store.read("prices")
    client = FailingClient(fail_history_call=2)
    with pytest.raises(DataError, match="prices request for CCC, ZZZ failed"):
        _pull(store, client, end=LAST_END)
    assert len(client.history_calls) == 1  # the first group was fetched, then it failed
    assert store.version == version
    pd.testing.assert_frame_equal(store.read("prices"), before)
    # a rerun reuses what was fetched before the failure
    rerun = FakeYahooClient()
    _pull(store, rerun, end=LAST_END)
    assert [set(c[0]) for c in rerun.history_calls] == [{"CCC", "ZZZ"}]


def test_profile_failure_writes_nothing(store):
    with pytest.raises(DataError, match="profile request for BBB failed"):
        _pull(store, FailingClient(fail_profile="BBB"))
    assert not store.exists()


def test_validation_failure_writes_nothing(store, monkeypatch):
    _pull(store, FakeYahooClient())
    version = store.version

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr("hedgekit.data.yahoo._merge._profile_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _pull(store, FakeYahooClient(), end=LAST_END)
    assert store.version == version
    assert store.read("prices")["date"].max() == FIRST_END
    staging = [p for p in (store.home / "snapshots").iterdir() if p.name.startswith(".")]
    assert staging == []


# ---------------------------------------------------------------- no profiles
def test_no_profiles_pull_warns_that_currency_is_unverified(store):
    client = FakeYahooClient()
    report = pull(
        ["AAA", "CCC"], store, start=DAYS[0], end=FIRST_END, client=client,
        today=TODAY, profiles=False,
    )  # fmt: skip
    assert client.profile_calls == []
    assert any("not verified" in w and "AAA, CCC" in w for w in report.warnings)
    assert store.read("descriptions").empty
    assert store.read("fundamentals_snapshots").empty
    assert set(store.read("securities")["currency"]) == {"USD"}


def test_bad_dates_and_empty_input_are_configuration_errors(store):
    client = FakeYahooClient()
    with pytest.raises(ConfigurationError, match="start=2024-02-01 is after end=2024-01-05"):
        pull(["AAA"], store, start="2024-02-01", end="2024-01-05", client=client, today=TODAY)
    with pytest.raises(ConfigurationError, match="not a date"):
        pull(["AAA"], store, end="yesterday-ish", client=client, today=TODAY)
    with pytest.raises(ConfigurationError, match="no tickers"):
        pull([], store, client=client, today=TODAY)
    with pytest.raises(ConfigurationError, match="last complete trading day"):
        pull(["AAA"], store, start=TODAY, client=client, today=TODAY)
    assert client.history_calls == []


def test_non_positive_prices_are_repaired_not_fatal(store):
    class Zeros(FakeYahooClient):
        def history(self, tickers, start, end):
            out = super().history(tickers, start, end)
            out.loc[out.index[0], "low"] = 0.0
            out.loc[out.index[1], "close"] = 0.0
            return out

    report = pull(["AAA"], store, start=DAYS[0], end=FIRST_END, client=Zeros(), today=TODAY)
    prices = store.read("prices")
    assert len(prices) == 19
    assert prices["low"].isna().sum() == 1
    assert any("without a positive close" in w for w in report.warnings)


# ----------------------------------------------------------- YFinanceClient
def test_yfinance_client_needs_yfinance(monkeypatch, store):
    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hedgekit\[yahoo\]'"):
        YFinanceClient()
    with pytest.raises(MissingDependencyError, match="yfinance"):
        pull(["AAA"], store, today=TODAY)
    assert not store.exists()


def _yf_frame(tickers: dict[str, pd.DataFrame], index: pd.DatetimeIndex) -> pd.DataFrame:
    """What ``yf.download(group_by='ticker', auto_adjust=False)`` returns: (Ticker, Price)."""
    fields = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    parts = {t: f.reindex(index)[fields] for t, f in tickers.items()}
    out = pd.concat(parts.values(), axis=1, keys=parts.keys(), names=["Ticker", "Price"])
    out.index.name = "Date"
    return out


def _bars(index: pd.DatetimeIndex, level: float) -> pd.DataFrame:
    close = level + np.arange(len(index), dtype=float)
    return pd.DataFrame(
        {
            "Open": close - 0.5,
            "High": close + 1,
            "Low": close - 1,
            "Close": close,
            "Adj Close": close * 0.98,
            "Volume": np.full(len(index), 1_000_000, dtype=np.int64),
        },
        index=index,
    )


class _FakeTicker:
    """Stands in for ``yf.Ticker``: ``history`` raises or returns ``frame``; ``info``."""

    error: BaseException | None = None
    frame: pd.DataFrame | None = None
    info: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def history(self, **kwargs: Any) -> pd.DataFrame:
        import yfinance

        type(self).seen.append((self.symbol, kwargs))
        assert yfinance.config.debug.hide_exceptions is False  # so errors surface
        if self.error is not None:
            raise self.error
        return self.frame if self.frame is not None else pd.DataFrame()


@pytest.fixture
def yf(monkeypatch):
    yfinance = pytest.importorskip("yfinance")
    ticker = type("T", (_FakeTicker,), {"seen": [], "info": {}})
    monkeypatch.setattr(yfinance, "Ticker", ticker)
    return yfinance, ticker


def test_yfinance_download_is_parsed_from_its_multi_index_shape(monkeypatch, yf):
    yfinance, ticker = yf
    from yfinance.exceptions import YFPricesMissingError

    index = pd.DatetimeIndex(pd.bdate_range("2024-03-04", periods=5), name="Date")
    msft = _bars(index, 400.0)
    aapl = _bars(index, 170.0).drop(index[2])  # a day AAPL did not trade: NaN after reindex
    raw = _yf_frame({"MSFT": msft, "AAPL": aapl, "XXXX": _bars(index[:0], 1.0)}, index)
    assert raw["XXXX"].isna().all().all()  # a failed ticker comes back as all-NaN columns
    calls: list[dict[str, Any]] = []

    def download(tickers, **kwargs):
        calls.append({"tickers": tickers, **kwargs})
        return raw

    monkeypatch.setattr(yfinance, "download", download)
    ticker.error = YFPricesMissingError("XXXX", "")
    client = YFinanceClient(threads=False)
    out = client.history(["MSFT", "AAPL", "XXXX"], dt.date(2024, 3, 4), dt.date(2024, 3, 8))

    (call,) = calls
    assert call["auto_adjust"] is False  # keeps both Close and Adj Close
    assert call["actions"] is False
    assert call["group_by"] == "ticker"
    assert call["progress"] is False
    assert call["threads"] is False
    assert (call["start"], call["end"]) == ("2024-03-04", "2024-03-09")  # yfinance end exclusive
    assert list(out.columns) == list(HISTORY_COLUMNS)
    assert sorted(set(out["ticker"])) == ["AAPL", "MSFT"]
    assert len(out[out["ticker"] == "AAPL"]) == 4
    m = out[out["ticker"] == "MSFT"].set_index("date")
    np.testing.assert_allclose(m["close"], msft["Close"])
    np.testing.assert_allclose(m["adj_close"], msft["Adj Close"])
    np.testing.assert_allclose(m["volume"], 1_000_000)
    assert list(m.index) == list(index)
    assert [s for s, _ in ticker.seen] == ["XXXX"]  # the empty one was asked again


def test_yfinance_column_level_order_does_not_matter():
    index = pd.DatetimeIndex(pd.bdate_range("2024-03-04", periods=3), name="Date")
    raw = _yf_frame({"MSFT": _bars(index, 400.0)}, index)
    swapped = raw.swaplevel(0, 1, axis=1)  # group_by='column'
    pd.testing.assert_frame_equal(parse_download(raw, ["MSFT"]), parse_download(swapped, ["MSFT"]))
    single = raw["MSFT"]  # multi_level_index=False
    pd.testing.assert_frame_equal(parse_download(raw, ["MSFT"]), parse_download(single, ["MSFT"]))
    assert parse_download(None, ["MSFT"]).empty


def test_yfinance_without_adj_close_is_a_clear_error():
    index = pd.DatetimeIndex(pd.bdate_range("2024-03-04", periods=3), name="Date")
    raw = _yf_frame({"MSFT": _bars(index, 400.0)}, index).drop(columns="Adj Close", level=1)
    with pytest.raises(DataError, match="auto_adjust=False"):
        parse_download(raw, ["MSFT"])


def test_yfinance_network_failure_of_an_empty_ticker_is_a_data_error(monkeypatch, yf):
    yfinance, ticker = yf
    index = pd.DatetimeIndex(pd.bdate_range("2024-03-04", periods=3), name="Date")
    monkeypatch.setattr(
        yfinance, "download", lambda *a, **k: _yf_frame({"MSFT": _bars(index[:0], 1)}, index)
    )
    ticker.error = ConnectionError("Could not resolve host: query2.finance.yahoo.com")
    before = yfinance.config.debug.hide_exceptions
    with pytest.raises(DataError, match=r"MSFT failed \(ConnectionError.*internet connection"):
        YFinanceClient().history(["MSFT"], dt.date(2024, 3, 4), dt.date(2024, 3, 6))
    assert yfinance.config.debug.hide_exceptions == before  # global config restored


def test_yfinance_download_crash_is_a_data_error(monkeypatch, yf):
    yfinance, _ = yf

    def download(*args: Any, **kwargs: Any) -> pd.DataFrame:
        raise RuntimeError("Too Many Requests. Rate limited. Try after a while.")

    monkeypatch.setattr(yfinance, "download", download)
    with pytest.raises(DataError, match=r"AAPL, MSFT failed.*rate-limiting"):
        YFinanceClient().history(["AAPL", "MSFT"], dt.date(2024, 3, 4), dt.date(2024, 3, 6))


def test_yfinance_ticker_history_keeps_the_exchange_local_date(monkeypatch, yf):
    yfinance, ticker = yf
    index = pd.DatetimeIndex(pd.bdate_range("2024-03-04", periods=3), name="Date")
    monkeypatch.setattr(
        yfinance, "download", lambda *a, **k: _yf_frame({"7203.T": _bars(index[:0], 1)}, index)
    )
    # Ticker.history labels daily bars with midnight in the exchange's timezone
    ticker.frame = _bars(index.tz_localize("Asia/Tokyo"), 2500.0)
    out = YFinanceClient().history(["7203.T"], dt.date(2024, 3, 4), dt.date(2024, 3, 6))
    assert list(out["date"]) == list(index)  # not shifted to the UTC day before


def test_yfinance_profile_reads_ticker_info(yf):
    _, ticker = yf
    ticker.info = {
        "longName": "Microsoft Corporation",
        "shortName": "Microsoft",
        "sector": "Technology",
        "industry": "Software - Infrastructure",
        "country": "United States",
        "currency": "USD",
        "longBusinessSummary": "Microsoft develops software.",
        "sharesOutstanding": 7_430_000_000,
        "exchange": "NMS",
        "fullExchangeName": "NasdaqGS",
        "fullTimeEmployees": 228000,
    }
    prof = YFinanceClient().profile("MSFT")
    assert prof == {
        "name": "Microsoft Corporation",
        "sector": "Technology",
        "industry": "Software - Infrastructure",
        "country": "United States",
        "currency": "USD",
        "summary": "Microsoft develops software.",
        "shares_outstanding": 7_430_000_000,
        "exchange": "NasdaqGS",
        "employees": 228000,
    }


# ----------------------------------------------------------------------- CLI
def test_cli_data_pull_json(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from hedgekit.cli import app

    client = FakeYahooClient()
    monkeypatch.setattr("hedgekit.data.yahoo._pull.YFinanceClient", lambda: client)
    home = tmp_path / "home"
    args = ["data", "pull", "AAA", "bbb", "--start", "2024-01-02", "--end", "2024-01-29"]
    result = CliRunner().invoke(app, [*args, "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["source"] == "yahoo"
    assert out["rows"]["prices"] == 40
    assert sorted(client.history_calls[0][0]) == ["AAA", "BBB"]

    result = CliRunner().invoke(app, [*args, "--home", str(home), "--no-profiles"])
    assert result.exit_code == 0, result.output
    assert "already up to date" in result.stdout
