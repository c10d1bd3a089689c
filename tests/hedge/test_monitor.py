"""Monitoring a hedge after day one (issue 16): measured from the data, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import (
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
    monitor_hedge,
)

INCEPTION, AS_OF = "2022-06-30", "2023-12-29"


@pytest.fixture(scope="module")
def wdc_hedge(real_market):
    ps = PositionSet([Position("WDC", 1_000_000)], INCEPTION)
    return PerformanceHedge(PerformanceHedgeParameters(ps), real_market).calculate()


def test_realised_tracking_error_is_the_held_baskets(real_market, wdc_hedge):
    mon = wdc_hedge.monitor(AS_OF, real_market)
    names = ["WDC", *wdc_hedge.constituents.index]
    view = real_market.as_of(AS_OF)
    adj = view.prices(names, start=INCEPTION, end=AS_OF).ffill()
    close0 = real_market.as_of(INCEPTION).last_prices(names)
    held = {"WDC": 1_000_000.0, **wdc_hedge.constituents["shares"].astype(float).to_dict()}
    # each holding's value: shares x close at inception x adjusted growth since then
    value = adj / adj.iloc[0] * pd.Series(held) * close0
    P, H = value["WDC"], value.drop(columns="WDC").sum(axis=1)
    hedged = (P.diff() - H.diff()) / P.shift()
    direct = float(hedged.iloc[1:].std(ddof=1) * np.sqrt(252))
    assert mon.observations == len(hedged) - 1
    assert mon.realised_tracking_error == pytest.approx(direct, rel=1e-6)
    assert mon.predicted_tracking_error == pytest.approx(
        wdc_hedge.statistics.loc["tracking_error", ("in_sample", "Hedge")]
    )
    assert mon.hedge_ratio["inception"] == pytest.approx(1.0, abs=1e-3)
    assert mon.hedge_ratio["now"] == pytest.approx(float(H.iloc[-1] / P.iloc[-1]), rel=1e-6)
    assert mon.names["weight_now"].sum() == pytest.approx(1.0)


def test_verdict_reasons_and_trades(real_market, wdc_hedge, tmp_path):
    mon = wdc_hedge.monitor(AS_OF, real_market)
    assert mon.rebalance and mon.verdict == "rebalance recommended"
    assert any("hedge ratio drifted" in r for r in mon.reasons)
    # LNC was in the basket and left the S&P 500 in 2023
    assert mon.names.loc["LNC", "status"] == "left index"
    t = mon.trades
    assert t is not None and (t["current_shares"] + t["trade_shares"] == t["target_shares"]).all()
    fresh = PerformanceHedge(
        PerformanceHedgeParameters(PositionSet([Position("WDC", 1_000_000)], AS_OF)),
        real_market,
    ).calculate()
    target = t["target_shares"][t["target_shares"] > 0]
    pd.testing.assert_series_equal(
        target.sort_index(),
        fresh.constituents["shares"].astype(float).sort_index(),
        check_names=False,
    )
    assert (t.loc[t["trade_shares"] < 0, "side"] == "BUY_TO_COVER").all()
    png = mon.plot(tmp_path / "monitor.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert mon.to_dict()["verdict"] == "rebalance recommended"


@pytest.fixture(scope="module")
def planted(planted_demo):
    """The demo market with every price after 2022-12-30 scaled at random."""
    return planted_demo("2022-12-30", 1)


def test_nothing_after_as_of_changes_the_report(demo_market, planted):
    ps = PositionSet([Position("KSTD", 1_000_000)], "2022-06-30")
    res = PerformanceHedge(PerformanceHedgeParameters(ps), demo_market).calculate()
    a = res.monitor("2022-12-30", demo_market)
    b = res.monitor("2022-12-30", planted)
    pd.testing.assert_frame_equal(a.series, b.series)
    pd.testing.assert_frame_equal(a.names, b.names)
    pd.testing.assert_frame_equal(a.trades, b.trades)
    assert a.reasons == b.reasons


def test_bad_input_is_a_clear_error(demo_market):
    with pytest.raises(ConfigurationError, match="must be after inception"):
        monitor_hedge({"KSTD": 1}, {"FRLX": 1}, "2022-06-30", "2022-06-30", demo_market)
    weights = PositionSet([Position("KSTD", weight=1.0)], "2022-06-30", reference_notional=1e6)
    with pytest.raises(ConfigurationError, match="given by weight"):
        monitor_hedge(weights, {"FRLX": 1}, "2022-06-30", "2022-12-30", demo_market)
    with pytest.raises(ConfigurationError, match="at least one position"):
        monitor_hedge({"KSTD": 1}, {}, "2022-06-30", "2022-12-30", demo_market)
