"""Point-in-time access, derived series and identifiers on the real bundle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import (
    ConfigurationError,
    DataError,
    InsufficientHistoryError,
    PointInTimeError,
    UnknownIdentifierError,
)
from hedgekit.data import MarketData, Sampling, Store, import_bundle

pytestmark = pytest.mark.realdata

D = pd.Timestamp("2015-06-30")


def test_import_counts_match_the_files(real_store, real_data_dir):
    rows = real_store.manifest()["rows"]
    assert rows["prices"] == len(
        pd.read_parquet(real_data_dir / "prices.parquet", columns=["ticker"])
    )
    assert rows["securities"] == 683
    assert rows["descriptions"] == 1425
    assert real_store.manifest()["synthetic"] is False


def test_prices_never_pass_the_as_of_date(real_market):
    view = real_market.as_of(D)
    px = view.prices(["AAPL", "MSFT"])
    assert px.index.max() == pd.Timestamp("2015-06-30")
    rets = view.returns(["AAPL", "MSFT"], window=252)
    assert len(rets) == 252 and rets.index.max() <= D
    assert view.adv(["AAPL"]).notna().all()
    with pytest.raises(
        PointInTimeError, match=r"end=2015-07-01 is after the as-of date 2015-06-30"
    ):
        view.prices("AAPL", end="2015-07-01")


def test_weekend_as_of_uses_friday(real_market):
    view = real_market.as_of("2015-07-05")
    assert view.last_trading_date == pd.Timestamp("2015-07-02")
    assert view.prices("AAPL").index.max() == pd.Timestamp("2015-07-02")


def test_returns_match_direct_computation(real_market, real_data_dir):
    raw = pd.read_parquet(real_data_dir / "prices.parquet", filters=[("ticker", "==", "AAPL")])
    raw = raw.set_index("date")["adj_close"]
    expected = raw.pct_change().loc["2015-01-02":"2015-06-30"]
    got = real_market.as_of(D).returns("AAPL", start="2015-01-02")["AAPL"]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
    weekly = real_market.as_of(D).returns("AAPL", sampling="Weekly", start="2015-01-01")
    assert weekly.index.max() == D  # partial last week ends at the as-of date
    wk = raw.loc[:"2015-06-30"].resample("W-FRI").last().pct_change()
    np.testing.assert_allclose(
        weekly["AAPL"].iloc[:-1].to_numpy(), wk.loc["2015-01-02":"2015-06-26"].to_numpy()
    )
    monthly = real_market.as_of(D).returns("AAPL", sampling=Sampling.MONTHLY, window=12)
    assert len(monthly) == 12 and monthly.index[-1] == D
    assert Sampling("M") is Sampling.MONTHLY and Sampling.WEEKLY.periods_per_year == 52


def test_membership_is_point_in_time(real_market, real_data_dir):
    m = pd.read_parquet(real_data_dir / "index_membership.parquet")
    active = m[(m.start_date <= D) & (m.end_date.isna() | (m.end_date > D))]
    al = real_market.aliases

    def current(ticker):
        """The store ticker an interval active on D is filed under after the import."""
        for r in al[al.alias == ticker].itertuples():
            started = pd.isna(r.start_date) or r.start_date <= D
            running = pd.isna(r.end_date) or r.end_date > D
            continued = not running and ticker not in real_market.tickers
            if started and (running or continued):
                return r.ticker
        return ticker

    expected = sorted({current(r.ticker) for r in active.itertuples()})
    assert real_market.as_of(D).members("SPX", with_prices=False) == expected
    with_px = real_market.as_of(D).members("SPX")
    assert with_px == [t for t in expected if t in real_market.tickers]
    assert "META" in with_px and "FB" not in with_px  # FB's interval is stored under META
    assert "BRK-B" not in with_px and 400 < len(with_px) < 500  # survivorship: ~83% in 2015
    assert real_market.as_of(D).members("S&P 500") == real_market.as_of(D).members("spx index")
    members_2015 = set(real_market.as_of(D).members())
    assert "TSLA" not in members_2015  # joined in December 2020
    assert "TSLA" in real_market.as_of("2021-01-04").members()
    with pytest.raises(UnknownIdentifierError, match="NOPE"):
        real_market.as_of(D).members("NOPE")


def test_descriptions_use_the_vintage_known_then(real_market):
    before = real_market.as_of("2022-06-01").descriptions(["AAPL", "WDC"])
    assert before.empty
    later = real_market.as_of("2022-06-01").descriptions(["AAPL", "WDC"], allow_later=True)
    assert later["look_ahead"].all() and (later["as_of"] > pd.Timestamp("2022-06-01")).all()
    d23 = real_market.as_of("2023-12-29").descriptions(["AAPL"])
    assert d23.loc["AAPL", "as_of"] == pd.Timestamp("2022-12-01")
    assert not d23["look_ahead"].any()


def test_fundamentals_only_after_publication(real_market):
    f = real_market.as_of("2019-06-28").fundamentals()
    assert (f["publish_date"] <= pd.Timestamp("2019-06-28")).all()
    assert f.loc["AAPL", "fiscal_year"] == 2018
    assert (f["staleness_days"] >= 0).all()
    early = real_market.as_of("2018-12-01").fundamentals(["AAPL"])
    assert early.loc["AAPL", "fiscal_year"] == 2018  # FY ends in September, filed early November


def test_market_cap_is_sane_and_split_invariant(real_market):
    cap = real_market.as_of("2020-12-31").market_cap(["AAPL", "MSFT", "WDC"])
    assert 1.9e12 < cap.loc["AAPL", "market_cap"] < 2.5e12  # ~2.26T at the time
    assert 1.4e12 < cap.loc["MSFT", "market_cap"] < 1.9e12  # ~1.68T
    assert 8e9 < cap.loc["WDC", "market_cap"] < 2e10  # ~15B
    assert (cap["shares_source"] == "snapshot").all()
    # AAPL split 4:1 effective 2020-08-31: the cap moves with the price, not by a factor 4
    before = real_market.as_of("2020-08-28").market_cap("AAPL").loc["AAPL", "market_cap"]
    after = real_market.as_of("2020-08-31").market_cap("AAPL").loc["AAPL", "market_cap"]
    assert 0.9 < after / before < 1.1
    # renamed tickers find their old fundamentals (FISV -> FI, ANTM -> ELV)
    late = real_market.as_of("2023-12-29").market_cap(["FI", "ELV", "META"])
    assert late["market_cap"].notna().all()
    assert 7e11 < late.loc["META", "market_cap"] < 1.2e12  # ~0.91T


def test_distributions_are_derived(real_market):
    events = real_market.as_of("2009-01-02").corporate_actions(["distribution"])
    mo = events[events.ticker == "MO"]
    assert pd.Timestamp("2008-03-31") in set(mo.effective_date)  # Philip Morris Intl spin-off
    before = real_market.as_of("2008-03-28").corporate_actions(["distribution"])
    assert pd.Timestamp("2008-03-31") not in set(before.effective_date)
    assert (before.announce_date <= pd.Timestamp("2008-03-28")).all()


def test_classification_prefers_dated_snapshots(real_market):
    sec = real_market.as_of("2016-06-30").securities(["AAPL", "GOOGL"])
    assert sec["classification_source"].str.startswith("snapshot").all()
    assert sec.loc["AAPL", "gics_sector"] == "Information Technology"
    # GOOGL was Information Technology before the 2018 GICS change
    assert sec.loc["GOOGL", "gics_sector"] == "Information Technology"
    now = real_market.as_of("2023-12-29").securities(["GOOGL"])
    assert now.loc["GOOGL", "gics_sector"] == "Communication Services"
    assert now.loc["GOOGL", "gics_industry_group"] is not None


def test_errors_are_clear(real_market):
    with pytest.raises(DataError, match=r"outside the data \(2005-01-03 to 2023-12-29\)"):
        real_market.as_of("2030-01-01")
    with pytest.raises(ConfigurationError, match="is not a date"):
        real_market.as_of("yesterday-ish")
    with pytest.raises(UnknownIdentifierError, match="AAPL"):
        real_market.as_of(D).prices("APPL")
    with pytest.raises(InsufficientHistoryError, match="252 needed"):
        real_market.as_of("2005-03-01").returns("AAPL", window=252, min_periods=252)


def test_identifier_forms_resolve_on_real_data(real_market):
    assert real_market.resolve_many(["AAPL UW", "aapl.oq", " msft ", "GS UN Equity"]) == [
        "AAPL",
        "AAPL",
        "MSFT",
        "GS",
    ]
    assert real_market.resolve("FB", "2021-01-04") == "META"
    with pytest.raises(UnknownIdentifierError, match="META"):
        real_market.resolve("FB", "2023-06-01")


def _subset_bundle(src, dst, tickers, end=None, plant_after=None):
    """Write a small bundle of ``tickers``; optionally corrupt everything after a date."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in ["prices", "securities", "index_membership", "descriptions", "fundamentals_annual"]:
        df = pd.read_parquet(src / f"{name}.parquet")
        df = df[df["ticker"].isin(tickers)]
        if plant_after is not None:
            if name == "prices":
                late = df["date"] > plant_after
                df.loc[late, ["close", "adj_close", "open", "high", "low"]] *= 7.0
                df.loc[late, "volume"] = df.loc[late, "volume"] * 50
            if name == "index_membership":
                df = pd.concat(
                    [
                        df,
                        pd.DataFrame(
                            {
                                "ticker": ["AMD"],
                                "start_date": [plant_after + pd.Timedelta(days=5)],
                                "end_date": [pd.NaT],
                            }
                        ),
                    ]
                )
            if name == "descriptions":
                df = pd.concat(
                    [
                        df,
                        df.assign(
                            as_of=plant_after + pd.Timedelta(days=1), text="planted future text"
                        ),
                    ]
                )
            if name == "fundamentals_annual":
                df.loc[df["publish_date"] > plant_after, "shares_basic"] *= 1000
        df.to_parquet(dst / f"{name}.parquet")


def test_a_planted_future_changes_nothing_before_it(real_data_dir, tmp_path):
    tickers = ["AAPL", "MSFT", "WDC", "STX", "MOS", "CF", "NVDA", "AMD", "XOM", "JPM"]
    cut = pd.Timestamp("2018-03-29")
    _subset_bundle(real_data_dir, tmp_path / "clean", tickers)
    _subset_bundle(real_data_dir, tmp_path / "planted", tickers, plant_after=cut)
    views = []
    for name in ("clean", "planted"):
        store = Store(tmp_path / f"home_{name}")
        import_bundle(tmp_path / name, store)
        views.append(MarketData(store).as_of(cut))
    a, b = views
    names = [t for t in tickers if t != "AMD"]
    pd.testing.assert_frame_equal(a.returns(names, window=500), b.returns(names, window=500))
    pd.testing.assert_frame_equal(
        a.returns(names, sampling="monthly"), b.returns(names, sampling="monthly")
    )
    pd.testing.assert_series_equal(a.adv(names), b.adv(names))
    pd.testing.assert_frame_equal(a.market_cap(names), b.market_cap(names))
    assert a.members() == b.members()
    pd.testing.assert_frame_equal(a.fundamentals(names), b.fundamentals(names))
    pd.testing.assert_frame_equal(a.descriptions(names), b.descriptions(names))
    later = b.descriptions(names, allow_later=True)
    assert later.loc[later.text.str.contains("planted"), "look_ahead"].all()
    assert not b.descriptions(names)["text"].str.contains("planted").any()
    pd.testing.assert_frame_equal(a.corporate_actions(), b.corporate_actions())
