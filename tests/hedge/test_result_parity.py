"""Results parity with Marquee (issue 16): benchmarks, exposures, value at risk, positions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet


@pytest.fixture(scope="module")
def result(demo_market):
    ps = PositionSet([Position("KSTD", 1_000_000)], "2022-06-30")
    return PerformanceHedge(PerformanceHedgeParameters(ps), demo_market).calculate()


def test_benchmark_curves_beside_the_hedge(result, demo_market):
    perf = result.get_backtest_performance()
    assert "SPY" in perf.columns
    first = perf.index[0]
    view = demo_market.as_of(perf.index[-1])
    spy = view.benchmark_prices(["SPY"], first - np.timedelta64(14, "D"), perf.index[-1])["SPY"]
    base = spy[spy.index < first].iloc[-1]
    assert perf["SPY"].iloc[-1] == pytest.approx(spy.iloc[-1] / base)
    assert abs(perf["SPY"].iloc[0] - 1.0) < 0.1  # one period's growth
    payload = json.loads(json.dumps(result.to_dict()))
    assert len(payload["backtest"]["benchmarks"]["SPY"]) == len(perf)


def test_exposure_summary_identities(result):
    e = result.get_exposure_summary()
    assert e["gross_usd"] == pytest.approx(e["long_usd"] + e["short_usd"])
    assert e["net_usd"] == pytest.approx(e["long_usd"] - e["short_usd"])
    assert e["long_usd"] == pytest.approx(result.portfolio["notional"].sum())
    assert e["short_usd"] == pytest.approx(result.constituents["notional"].sum())
    assert e["short_pct"] == pytest.approx(1.0, abs=1e-3)  # a 100% hedge in whole shares


def test_value_at_risk_is_the_historical_quantile(result):
    var = result.get_value_at_risk(0.95)
    ins = result.returns[result.returns["sample"] == "in_sample"]
    assert var["hedged_pct"] == pytest.approx(-ins["hedged"].quantile(0.05))
    assert var["portfolio_pct"] == pytest.approx(-ins["portfolio"].quantile(0.05))
    notional = result.portfolio["notional"].sum()
    assert var["hedged_usd"] == pytest.approx(var["hedged_pct"] * notional)
    assert 0 < var["reduction"] < 1
    with pytest.raises(ConfigurationError, match=r"confidence=1\.2"):
        result.get_value_at_risk(1.2)


def test_hedged_portfolio_as_a_position_set(result):
    ps = result.to_hedged_position_set()
    q = {p.identifier: p.quantity for p in ps.positions}
    assert q["KSTD"] == 1_000_000
    for t, shares in result.constituents["shares"].items():
        assert q[t] == -shares
