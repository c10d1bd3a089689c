"""Style exposures: definitions, processing, point in time, fills, industry dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.data import MarketData
from hedgekit.risk import (
    STYLE_FACTORS,
    ExposureFrame,
    compute_exposure_history,
    compute_exposures,
    industry_dummies,
)
from hedgekit.risk._exposures import DESCRIPTORS, N_MAD, standardise, winsorise

D = pd.Timestamp("2019-06-28")


@pytest.fixture(scope="module")
def frame(real_market: MarketData) -> ExposureFrame:
    return compute_exposures(real_market, D)


def _cap_mean(values: pd.Series, weights: pd.Series) -> float:
    w = weights.reindex(values.index).fillna(0.0)
    return float((values * w).sum() / w.sum())


# ---------------------------------------------------------------------- pure functions
def test_winsorise_clips_at_five_robust_sigmas():
    rng = np.random.default_rng(0)
    x = pd.Series(np.r_[rng.normal(size=200), 50.0, -40.0, np.nan])
    clipped, lower, upper = winsorise(x)
    ok = x.dropna()
    med = ok.median()
    mad = (ok - med).abs().median()
    assert lower == pytest.approx(med - N_MAD * 1.4826 * mad)
    assert upper == pytest.approx(med + N_MAD * 1.4826 * mad)
    assert clipped.iloc[200] == pytest.approx(upper)
    assert clipped.iloc[201] == pytest.approx(lower)
    assert np.isnan(clipped.iloc[202])
    assert clipped.iloc[:200].equals(x.iloc[:200].clip(lower, upper))


def test_winsorise_with_zero_mad_falls_back_to_mean_deviation():
    x = pd.Series([0.0] * 10 + [1.0, 100.0])
    clipped, _, upper = winsorise(x)
    assert upper == pytest.approx(5 * 1.2533 * 101 / 12)
    assert clipped.max() == pytest.approx(upper) and clipped.iloc[10] == 1.0
    same, lo, hi = winsorise(pd.Series([2.0, 2.0, 2.0]))
    assert (same == 2.0).all() and lo == -np.inf and hi == np.inf


def test_standardise_cap_weighted_mean_and_equal_weighted_std():
    x = pd.Series([1.0, 2.0, 3.0, 10.0, np.nan], index=list("abcde"))
    w = pd.Series([1.0, 1.0, 1.0, 7.0, 5.0], index=list("abcde"))
    z = standardise(x, w)
    assert np.isnan(z["e"])
    assert _cap_mean(z.dropna(), w) == pytest.approx(0.0, abs=1e-12)
    assert z.dropna().std(ddof=0) == pytest.approx(1.0)
    assert standardise(x).dropna().mean() == pytest.approx(0.0, abs=1e-12)
    assert (standardise(pd.Series([3.0, 3.0]), None) == 0.0).all()


def test_industry_dummies_one_per_stock_and_unclassified_only_when_needed():
    sec = pd.DataFrame(
        {"gics_sector": ["Energy", "Utilities", None, "Energy"]}, index=["A", "B", "C", "D"]
    )
    dummies = industry_dummies(sec)
    assert list(dummies.columns) == ["Energy", "Utilities", "Unclassified"]
    assert (dummies.sum(axis=1) == 1).all()
    assert dummies.loc["C", "Unclassified"] == 1
    assert "Unclassified" not in industry_dummies(sec.dropna()).columns
    with pytest.raises(ConfigurationError, match="not a GICS level"):
        industry_dummies(sec, level="country")
    with pytest.raises(ConfigurationError, match="no 'gics_industry' column"):
        industry_dummies(sec, level="gics_industry")


# ---------------------------------------------------------------------- real data
@pytest.mark.realdata
def test_raw_descriptors_match_direct_computation(real_market, frame):
    view = real_market.as_of(D)
    names = ["AAPL", "MSFT", "XOM", "JPM"]
    raw = frame.raw.loc[names]
    cap = view.market_cap(names)
    np.testing.assert_allclose(raw["log_market_cap"], np.log(cap["market_cap"]))
    # momentum: adjusted price 21 trading days ago over the price 252 days ago
    px = view.prices(names, start=D - pd.Timedelta(days=400))
    expected = px.iloc[-22] / px.iloc[-253] - 1.0
    np.testing.assert_allclose(raw["momentum_12_1"], expected, rtol=1e-10)
    fund = view.fundamentals(names)
    aapl = fund.loc["AAPL"]
    assert raw.at["AAPL", "leverage"] == pytest.approx(
        (aapl["short_term_debt"] + aapl["long_term_debt"]) / aapl["total_assets"]
    )
    assert raw.at["AAPL", "book_to_price"] == pytest.approx(
        aapl["total_equity"] / cap.at["AAPL", "market_cap"]
    )
    assert raw.at["AAPL", "return_on_equity"] == pytest.approx(
        aapl["net_income"] / aapl["total_equity"]
    )
    assert raw.at["AAPL", "gross_profitability"] == pytest.approx(
        aapl["gross_profit"] / aapl["total_assets"]
    )
    vol = view.prices(names, start=D - pd.Timedelta(days=120), field="volume").iloc[-63:]
    turnover = (vol / cap["shares"]).mean()
    np.testing.assert_allclose(raw["log_turnover"], np.log(turnover), rtol=1e-10)
    assert frame.fundamentals_age_days["AAPL"] == (D - aapl["period_end"]).days


@pytest.mark.realdata
def test_return_descriptors_match_a_regression(real_market, frame):
    view = real_market.as_of(D)
    names = list(frame.exposures.index)
    rets = view.returns(names, window=252)
    caps = frame.weights.fillna(0.0)
    # buy-and-hold cap weights at the start of each day
    growth = (1 + rets.fillna(0.0)).iloc[::-1].cumprod().iloc[::-1]
    w = (caps / growth).where(rets.notna(), 0.0)
    mkt = (w * rets.fillna(0.0)).sum(axis=1) / w.sum(axis=1)
    y = rets["AAPL"].dropna()
    x = mkt.loc[y.index]
    beta, alpha = np.polyfit(x, y, 1)
    resid = y - alpha - beta * x
    assert frame.raw.at["AAPL", "beta"] == pytest.approx(beta, rel=1e-8)
    assert frame.raw.at["AAPL", "residual_volatility"] == pytest.approx(
        np.sqrt((resid**2).sum() / (len(y) - 2) * 252), rel=1e-8
    )
    tail = rets["AAPL"].iloc[-63:]
    wts = 0.5 ** (np.arange(62, -1, -1) / 42.0)
    mu = np.average(tail, weights=wts)
    ewma = np.sqrt(np.average((tail - mu) ** 2, weights=wts) * 252)
    assert frame.raw.at["AAPL", "daily_volatility"] == pytest.approx(ewma, rel=1e-10)


@pytest.mark.realdata
def test_exposures_are_standardised_and_winsorised(frame):
    expo = frame.exposures
    assert list(expo.columns) == list(STYLE_FACTORS)
    assert expo.notna().all().all()
    for factor in STYLE_FACTORS:
        assert _cap_mean(expo[factor], frame.weights) == pytest.approx(0.0, abs=1e-10)
        assert expo[factor].std(ddof=0) == pytest.approx(1.0)
    # single-descriptor factors: the processed values are an increasing affine map of the
    # winsorised raw values, so raw values beyond a bound share the exposure of the bound
    for factor in ("size", "value", "momentum", "leverage", "trading_activity"):
        (desc,) = DESCRIPTORS[factor]
        lower, upper = frame.bounds.loc[desc]
        raw = frame.raw[desc]
        assert np.isfinite(lower) and np.isfinite(upper)
        real = ~frame.filled[factor]
        top = expo.loc[real & (raw >= upper), factor]
        bottom = expo.loc[real & (raw <= lower), factor]
        inside = expo.loc[real & raw.between(lower, upper), factor]
        if len(top):
            assert top.nunique() == 1 and top.iloc[0] >= inside.max() - 1e-12
        if len(bottom):
            assert bottom.nunique() == 1 and bottom.iloc[0] <= inside.min() + 1e-12
    assert (frame.raw["return_on_equity"] > frame.bounds.at["return_on_equity", "upper"]).any()


@pytest.mark.realdata
def test_fundamentals_are_point_in_time(real_market, real_store):
    fund = real_store.read("fundamentals")
    row = fund[(fund["ticker"] == "AAPL") & (fund["fiscal_year"] == 2018)].iloc[0]
    published = pd.Timestamp(row["publish_date"])
    before = published - pd.tseries.offsets.BDay(1)
    names = ["AAPL", "MSFT", "JPM", "XOM", "JNJ"]
    early = compute_exposures(real_market, before, names)
    late = compute_exposures(real_market, published, names)
    view = real_market.as_of(before)
    used = view.fundamentals(names)
    assert (used["publish_date"] <= before).all()
    assert used.at["AAPL", "fiscal_year"] == 2017
    assert early.fundamentals_age_days["AAPL"] == (before - used.at["AAPL", "period_end"]).days
    assets_2017 = used.at["AAPL", "total_assets"]
    assert early.raw.at["AAPL", "gross_profitability"] == pytest.approx(
        used.at["AAPL", "gross_profit"] / assets_2017
    )
    assert late.raw.at["AAPL", "gross_profitability"] == pytest.approx(
        row["gross_profit"] / row["total_assets"]
    )
    assert early.raw.at["AAPL", "leverage"] != pytest.approx(late.raw.at["AAPL", "leverage"])


@pytest.mark.realdata
def test_a_planted_future_price_change_leaves_exposures_unchanged(real_market, real_store):
    names = ["AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "INTC"]
    base = compute_exposures(real_market, D, names)
    shocked = MarketData(real_store)
    panels = {k: v.copy() for k, v in real_market._panels.items()}
    after = panels["adj_close"].index > D
    for key in ("adj_close", "close", "volume"):
        panels[key].loc[after, "AAPL"] *= 3.0
        panels[key].loc[after, "JPM"] = np.nan
    shocked.__dict__["_panels"] = panels
    moved = compute_exposures(shocked, D, names)
    pd.testing.assert_frame_equal(base.exposures, moved.exposures)
    pd.testing.assert_frame_equal(base.raw, moved.raw)
    later = D + pd.Timedelta(days=40)
    assert not compute_exposures(shocked, later, names).raw.equals(
        compute_exposures(real_market, later, names).raw
    )


@pytest.mark.realdata
def test_missing_fundamentals_are_filled_with_the_sector_median(real_market):
    date = pd.Timestamp("2015-12-31")
    result = compute_exposures(real_market, date)
    no_statement = result.fundamentals_age_days.isna()
    assert no_statement.sum() > 0
    assert result.filled.loc[no_statement, "leverage"].all()
    assert result.fill_counts["leverage"] == result.filled["leverage"].sum() > 0
    sectors = real_market.as_of(date).securities(result.exposures.index)["gics_sector"]
    for ticker in result.filled.index[no_statement][:5]:
        sector = sectors[ticker]
        if pd.isna(sector):
            assert result.exposures.at[ticker, "leverage"] == pytest.approx(0.0)
            continue
        peers = (sectors == sector) & ~result.filled["leverage"]
        assert result.exposures.at[ticker, "leverage"] == pytest.approx(
            result.exposures.loc[peers, "leverage"].median()
        )
    assert any("no statement" in note for note in result.notes)


@pytest.mark.realdata
def test_industry_dummies_on_real_securities(real_market, frame):
    sec = real_market.as_of(D).securities(frame.exposures.index)
    dummies = industry_dummies(sec)
    classified = sec["gics_sector"].notna()
    assert (
        dummies.loc[classified].drop(columns="Unclassified", errors="ignore").sum(axis=1) == 1
    ).all()
    assert (dummies.sum(axis=1) == 1).all()
    assert 10 <= dummies.shape[1] <= 13
    assert industry_dummies(sec, level="sub_industry").shape[1] > 50


@pytest.mark.realdata
def test_history_stacks_dates(real_market):
    dates = pd.to_datetime(["2012-06-29", "2016-06-30"])
    hist = compute_exposure_history(real_market, dates, ["AAPL", "MSFT", "JPM", "XOM", "JNJ"])
    assert hist.index.names == ["date", "ticker"]
    assert list(hist.columns) == list(STYLE_FACTORS)
    assert hist.shape == (10, 7)
    counts = hist.attrs["fill_counts"]
    # before the first statement and valuation snapshot everything fundamental is filled
    assert counts.loc["2012-06-29", "value"] == 5
    # JNJ has no statement published by mid-2016 in this data; the others do
    assert counts.loc["2016-06-30", "value"] == 1
    assert (hist.loc["2012-06-29", "size"] == 0.0).all()


# ---------------------------------------------------------------------- demo market
def test_runs_on_the_demo_market(demo_market):
    result = compute_exposures(demo_market, demo_market.end)
    expo = result.exposures
    assert expo.shape[1] == 7 and len(expo) > 50
    assert expo.notna().all().all()
    for factor in STYLE_FACTORS:
        assert _cap_mean(expo[factor], result.weights) == pytest.approx(0.0, abs=1e-10)
        assert expo[factor].std(ddof=0) == pytest.approx(1.0)
    assert result.filled.dtypes.eq(bool).all()
    hist = compute_exposure_history(demo_market, [demo_market.end - pd.Timedelta(days=31)])
    assert hist.index.nlevels == 2


def test_errors_say_what_to_pass(demo_market):
    from hedgekit import DataError

    with pytest.raises(DataError, match="no stocks to compute exposures for"):
        compute_exposures(demo_market, demo_market.end, [])
    with pytest.raises(ConfigurationError, match="dates is empty"):
        compute_exposure_history(demo_market, [])
