"""ETFs as positions, in a rebalance and in the monitor; the holding error of the basket
held and of the drifted hedge; the NLP basket as a benchmark curve (issue 16), on the real
data."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import (
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
    monitor_hedge,
)
from hedgekit.hedge._holding import holding_error
from hedgekit.hedge._instruments import instrument_returns
from hedgekit.measures import annualized_volatility

DATE, LATER = "2022-12-30", "2023-06-30"


@pytest.fixture(scope="module")
def xlk_hedge(real_market):
    """A holding of the XLK fund hedged with S&P 500 stocks."""
    ps = PositionSet([Position("XLK", quantity=100_000)], DATE)
    params = PerformanceHedgeParameters(ps, out_of_sample_days=63)
    return PerformanceHedge(params, real_market).calculate()


def test_an_etf_position_is_hedged_with_stocks(xlk_hedge, real_market):
    view = real_market.as_of(DATE)
    px = float(view.benchmark_prices(["XLK"]).iloc[-1, 0])  # its adjusted close
    assert xlk_hedge.portfolio.loc["XLK", "price"] == pytest.approx(px)
    c = xlk_hedge.constituents
    assert "XLK" not in c.index and len(c) == 10
    assert set(view.securities(list(c.index))["gics_sector"].dropna()) <= {
        "Information Technology",
        "Financials",
        "Communication Services",
        "Consumer Discretionary",
        "Industrials",
    }
    assert c["weight"].sum() == pytest.approx(100.0, abs=0.05)
    stats = xlk_hedge.statistics
    assert stats.loc["variance_reduction", ("in_sample", "Hedge")] > 0.9
    # the fund's own sector fund is XLK itself: the benchmark curves are SPY and XLK
    assert list(xlk_hedge.benchmarks.columns) == ["SPY", "XLK"]


def test_a_rebalance_and_the_monitor_hold_etf_names(real_market):
    ps = PositionSet([Position("WDC", quantity=1_000_000)], "2022-06-30")
    base = dict(universe=("XLK", "SPY", "QQQ", "MU", "STX"), explode_universe=False,
                max_weight=50.0, max_return_deviation=1e6, out_of_sample_days=0)  # fmt: skip
    first = PerformanceHedge(PerformanceHedgeParameters(ps, **base), real_market).calculate()
    funds = {"XLK", "SPY", "QQQ"} & set(first.constituents.index)
    assert funds
    held = PositionSet(
        [Position(str(t), quantity=float(q)) for t, q in first.constituents["shares"].items()],
        DATE,
    )
    ps2 = PositionSet([Position("WDC", quantity=1_000_000)], DATE)
    params = PerformanceHedgeParameters(ps2, current_hedge=held, max_turnover=30.0, **base)
    reb = PerformanceHedge(params, real_market).calculate()
    trades = reb.get_trades()
    info = reb.diagnostics["rebalance"]
    assert info["turnover_pct"] <= 30.0 + 1e-6
    assert not info.get("sold")  # the funds are candidates, priced like stocks
    view = real_market.as_of(DATE)
    for etf in funds & set(trades.index):
        px = float(view.benchmark_prices([etf]).iloc[-1, 0])
        assert trades.loc[etf, "price"] == pytest.approx(px)
    # the monitor of the first hedge reads the funds' prices and returns
    mon = first.monitor(DATE, real_market, rebalance_trades=False)
    assert funds <= set(mon.names.index)
    assert (mon.names.loc[list(funds), "status"] == "ok").all()
    assert np.isfinite(mon.realised_tracking_error)


def test_the_monitor_holds_an_etf_position(xlk_hedge, real_market):
    mon = xlk_hedge.monitor(LATER, real_market, rebalance_trades=True)
    assert mon.observations > 100 and np.isfinite(mon.realised_tracking_error)
    assert mon.trades is not None and len(mon.trades)


def test_holding_error_is_the_tracking_error_of_held_against_ideal(real_market):
    ps = PositionSet([Position("MU", quantity=2_000)], DATE)  # small: rounding shows
    res = PerformanceHedge(PerformanceHedgeParameters(ps, out_of_sample_days=0), real_market)
    res = res.calculate()
    h = res.get_holding_error()
    stats = res.statistics.loc["holding_error"]
    assert stats[("in_sample", "Hedge")] == pytest.approx(h["holding_error"])
    assert np.isnan(stats[("in_sample", "Portfolio")])
    assert h["holding_error"] > 1e-4
    # the triangle inequality of standard deviations: |TE_ideal - TE_held| <= holding error
    assert abs(h["ideal_tracking_error"] - h["held_tracking_error"]) <= h["holding_error"] + 1e-12
    assert h["held_tracking_error"] == pytest.approx(
        res.statistics.loc["tracking_error", ("in_sample", "Hedge")]
    )
    # a position 1000 times larger rounds to a far smaller holding error
    big = PositionSet([Position("MU", quantity=2_000_000)], DATE)
    res_big = PerformanceHedge(
        PerformanceHedgeParameters(big, out_of_sample_days=0), real_market
    ).calculate()
    assert res_big.get_holding_error()["holding_error"] < h["holding_error"] / 20
    assert "holding_error" in res.to_dict()["statistics"]["in_sample.Hedge"]


def test_holding_error_is_sqrt_of_the_quadratic_form():
    rng = np.random.default_rng(0)
    R = rng.normal(0, 0.01, (300, 4))
    ideal, held = np.array([0.3, 0.2, 0.5, 0.0]), np.array([0.31, 0.18, 0.5, 0.01])
    d = held - ideal
    S = np.cov(R, rowvar=False, ddof=1)
    assert holding_error(R, ideal, held, 252) == pytest.approx(np.sqrt(252 * d @ S @ d))
    assert holding_error(R, ideal, ideal, 252) == 0.0


def test_the_monitor_holding_error_is_the_drift_against_inception(xlk_hedge, real_market):
    mon = xlk_hedge.monitor(LATER, real_market, rebalance_trades=False)
    t = mon.names
    w0 = t["weight_inception"] * mon.hedge_ratio["inception"]
    w1 = t["weight_now"] * mon.hedge_ratio["now"]
    R = instrument_returns(real_market.as_of(LATER), list(t.index), window=252)
    expected = annualized_volatility(R.to_numpy() @ (w1 - w0).to_numpy(), 252)
    assert mon.holding_error == pytest.approx(expected, rel=1e-9)
    assert mon.holding_error > 0 and mon.to_dict()["holding_error"] == pytest.approx(expected)


def test_the_nlp_basket_is_a_point_in_time_benchmark_curve(real_market):
    ps = PositionSet([Position("WDC", quantity=1_000_000)], DATE)
    params = PerformanceHedgeParameters(
        ps, benchmarks=("SPY", "sector", "NLP"), embedder="tfidf", out_of_sample_days=63
    )
    res = PerformanceHedge(params, real_market).calculate()
    perf = res.get_backtest_performance()
    assert {"SPY", "XLK", "NLP basket"} <= set(perf.columns)
    info = res.diagnostics["nlp_benchmark"]
    members = info["members"]
    assert len(members) == 10 and "WDC" not in members
    # descriptions known at the date only
    desc = real_market.as_of(DATE).descriptions(members, allow_later=False)
    assert set(members) <= set(desc.index)
    # the curve is the equal-weight basket of its members, from 1 before the window
    later = real_market.as_of(perf.index[-1])
    rets = later.returns(members, start=perf.index[0])
    growth = np.cumprod(1 + rets.mean(axis=1))
    np.testing.assert_allclose(perf["NLP basket"].to_numpy(), growth.to_numpy(), rtol=1e-9)
    assert res.parameters["benchmarks"] == ("SPY", "sector", "nlp")
    plot = res.plot
    assert callable(plot)


def test_benchmarks_default_and_bad_value(xlk_hedge):
    assert "benchmarks" not in xlk_hedge.parameters
    assert "nlp_benchmark" not in xlk_hedge.diagnostics
    ps = PositionSet([Position("WDC", quantity=1_000)], DATE)
    with pytest.raises(ConfigurationError, match="'gold'"):
        PerformanceHedgeParameters(ps, benchmarks=("gold",))


def test_monitor_hedge_takes_etf_positions_and_names(real_market):
    mon = monitor_hedge({"XLK": 20_000}, {"QQQ": 4_000, "AAPL": 1_000}, DATE, LATER, real_market)
    assert set(mon.names.index) == {"QQQ", "AAPL"}
    assert mon.hedge_ratio["inception"] == pytest.approx(0.96, abs=0.02)  # at adjusted closes
    assert np.isfinite(mon.holding_error) and mon.realised_tracking_error < 0.1
