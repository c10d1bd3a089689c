"""Rebalancing an existing hedge (issue 16): turnover and trade limits, trades, frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgekit import ConfigurationError, InfeasibleError, UnknownIdentifierError
from hedgekit.hedge import (
    HedgeExclusions,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
    monitor_hedge,
)

INCEPTION, REBALANCE = "2022-06-30", "2022-12-30"


@pytest.fixture(scope="module")
def original(real_market):
    ps = PositionSet([Position("WDC", 1_000_000)], INCEPTION)
    return PerformanceHedge(PerformanceHedgeParameters(ps), real_market).calculate()


@pytest.fixture(scope="module")
def current(original):
    shares = original.constituents["shares"]
    return PositionSet([Position(str(t), quantity=float(q)) for t, q in shares.items()], REBALANCE)


def _rebalance(market, current, **kw):
    ps = PositionSet([Position("WDC", 1_000_000)], REBALANCE)
    params = PerformanceHedgeParameters(ps, current_hedge=current, **kw)
    return PerformanceHedge(params, market).calculate()


def _turnover_pct(result) -> float:
    """Turnover recomputed from the shares: |new - current| x price over the hedge notional."""
    new = result.constituents["shares"]
    cur = pd.Series(result.diagnostics["rebalance"]["current_hedge"])
    names = new.index.union(cur.index)
    moved = (new.reindex(names).fillna(0) - cur.reindex(names).fillna(0)).abs()
    px = result.get_trades()["price"].reindex(names)
    return float(
        100 * (moved[moved > 0] * px[moved > 0]).sum() / result.diagnostics["hedge_notional"]
    )


@pytest.mark.parametrize(
    ("max_turnover", "max_trades"), [(20.0, None), (20.0, 3), (50.0, 5), (None, 4)]
)
def test_limits_hold_in_the_result(real_market, current, max_turnover, max_trades):
    res = _rebalance(real_market, current, max_turnover=max_turnover, max_trades=max_trades)
    trades = res.get_trades()
    info = res.diagnostics["rebalance"]
    if max_turnover is not None:
        assert info["turnover_pct"] <= max_turnover + 1e-9  # after rounding to whole shares
        assert _turnover_pct(res) == pytest.approx(info["turnover_pct"], rel=1e-9)
    if max_trades is not None:
        assert len(trades) == info["trades"] <= max_trades
    assert (trades["current_shares"] + trades["trade_shares"] == trades["target_shares"]).all()
    assert (trades["shares"] == trades["trade_shares"].abs()).all() and (trades["shares"] > 0).all()
    assert set(trades["side"]) <= {"SELL_SHORT", "BUY_TO_COVER"}
    assert (
        np.sign(trades["trade_shares"]) == np.where(trades["side"] == "SELL_SHORT", 1, -1)
    ).all()
    # whole shares, and the new holdings are the result's constituents
    new = res.constituents["shares"]
    assert (new == np.round(new)).all()
    for t, row in trades.iterrows():
        assert new.get(t, 0.0) == row["target_shares"]
    untouched = [t for t in info["current_hedge"] if t not in trades.index]
    for t in untouched:
        assert new[t] == info["current_hedge"][t]
    assert info["cost_usd"] == pytest.approx(trades["cost_usd"].sum())
    assert res.statistics.loc["number_of_names", ("in_sample", "Hedge")] <= 10


def test_limits_lower_the_tracking_error_less_than_a_fresh_hedge(real_market, current):
    fresh = _rebalance(real_market, current)
    held = _rebalance(real_market, current, max_turnover=0.0)
    some = _rebalance(real_market, current, max_turnover=20.0)
    te = {k: r.statistics.loc["tracking_error", ("in_sample", "Hedge")]
          for k, r in (("fresh", fresh), ("held", held), ("some", some))}  # fmt: skip
    assert te["fresh"] <= te["some"] <= te["held"]
    assert fresh.diagnostics["rebalance"]["turnover_pct"] > 20.0


def test_without_limits_the_new_hedge_is_the_fresh_one(real_market, current):
    res = _rebalance(real_market, current)
    ps = PositionSet([Position("WDC", 1_000_000)], REBALANCE)
    fresh = PerformanceHedge(PerformanceHedgeParameters(ps), real_market).calculate()
    pd.testing.assert_series_equal(res.constituents["shares"], fresh.constituents["shares"])
    # every current name not in the fresh hedge is bought back in full
    gone = set(current.to_frame().index) - set(fresh.constituents.index)
    trades = res.get_trades()
    for t in gone:
        assert trades.loc[t, "side"] == "BUY_TO_COVER"
        assert trades.loc[t, "target_shares"] == 0


def test_zero_turnover_returns_the_current_hedge(real_market, current):
    res = _rebalance(real_market, current, max_turnover=0.0)
    assert res.get_trades().empty
    expected = current.to_frame()["quantity"]
    got = res.constituents["shares"].reindex(expected.index)
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert res.diagnostics["rebalance"]["turnover_pct"] == 0.0
    # the hedge grew with the market since June: the limit keeps it at that size
    assert any("leaves the hedge at" in w for w in res.diagnostics["warnings"])


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_zero_turnover_keeps_any_current_hedge(real_market, original, data):
    """Zero turnover allowed: whatever the current hedge (names of the basket and shares),
    the rebalance returns it exactly, with no trade."""
    names = list(original.constituents.index)
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True))
    shares = data.draw(
        st.lists(st.integers(100, 500_000), min_size=len(chosen), max_size=len(chosen))
    )
    trades = data.draw(st.none() | st.integers(0, 3))
    cur = PositionSet(
        [Position(t, quantity=float(q)) for t, q in zip(chosen, shares, strict=True)], REBALANCE
    )
    res = _rebalance(real_market, cur, max_turnover=0.0, max_trades=trades)
    assert res.get_trades().empty
    got = res.constituents["shares"]
    assert dict(got) == {t: float(q) for t, q in zip(chosen, shares, strict=True)}


def test_names_no_longer_eligible_are_sold_and_count(real_market, current, original):
    mu = original.constituents.loc["MU"]
    ex = HedgeExclusions(assets=("MU",))
    res = _rebalance(real_market, current, max_turnover=40.0, exclusions=ex)
    trades = res.get_trades()
    assert trades.loc["MU", "target_shares"] == 0
    assert trades.loc["MU", "shares"] == mu["shares"]
    assert trades.loc["MU", "reason"].startswith("no longer eligible: excluded")
    assert res.diagnostics["rebalance"]["turnover_pct"] <= 40.0
    assert "MU" in res.diagnostics["rebalance"]["sold_not_eligible"]
    with pytest.raises(
        InfeasibleError, match=r"max_turnover=5% cannot sell .*MU.*raise max_turnover to >="
    ):
        _rebalance(real_market, current, max_turnover=5.0, exclusions=ex)
    with pytest.raises(
        InfeasibleError, match=r"max_trades=0, but 1 names .* raise max_trades to >= 1"
    ):
        _rebalance(real_market, current, max_trades=0, exclusions=ex)


def test_turnover_frontier(real_market, current):
    res = _rebalance(real_market, current, max_turnover=20.0)
    front = res.get_turnover_frontier(levels=[0, 10, 20, 40], market=real_market)
    assert list(front.columns) == [
        "max_turnover", "turnover", "tracking_error", "trades", "names", "hedge_ratio"
    ]  # fmt: skip
    assert len(front) == 5 and np.isnan(front["max_turnover"].iloc[-1])
    capped = front.dropna(subset=["max_turnover"])
    assert (capped["turnover"] <= capped["max_turnover"] + 1e-6).all()
    assert front["turnover"].iloc[0] == 0.0
    assert front["tracking_error"].iloc[0] > front["tracking_error"].iloc[-1]
    assert (front["names"] <= 10).all()


def test_frontier_plot(real_market, current, tmp_path):
    pytest.importorskip("matplotlib")
    res = _rebalance(real_market, current, max_turnover=20.0)
    out = res.plot_turnover_frontier(tmp_path / "f.png", levels=[0, 20], market=real_market)
    assert out.stat().st_size > 1000


def test_a_fresh_hedge_has_no_trades(original):
    with pytest.raises(ConfigurationError, match="not a rebalance"):
        original.get_trades()
    assert "trades" not in original.to_dict()
    assert "max_turnover" not in original.parameters


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"max_turnover": -1.0}, "max_turnover: input should be greater than or equal to 0"),
        ({"max_trades": -1}, "max_trades: input should be greater than or equal to 0"),
        ({"current_hedge": None, "max_turnover": 10.0}, "max_turnover limits a rebalance"),
        ({"current_hedge": None, "max_trades": 2}, "max_trades limits a rebalance"),
    ],
)
def test_bad_rebalance_parameters(current, kw, message):
    ps = PositionSet([Position("WDC", 1_000_000)], REBALANCE)
    params = PerformanceHedgeParameters(ps, **{"current_hedge": current, **kw})
    with pytest.raises(ConfigurationError, match=message):
        params.validate()


def test_unknown_current_hedge_name(real_market):
    cur = PositionSet([Position("NOPE_XYZ", quantity=100.0)], REBALANCE)
    with pytest.raises(UnknownIdentifierError, match="'NOPE_XYZ': a current_hedge name"):
        _rebalance(real_market, cur, max_turnover=10.0)


def test_monitor_proposes_the_turnover_limited_rebalance(real_market, original):
    """With max_turnover and max_trades in its parameters, the monitor's trades are the
    rebalance within them."""
    params = PerformanceHedgeParameters(
        PositionSet([Position("WDC", 1_000_000)], INCEPTION), max_turnover=15.0, max_trades=4
    )
    shares = original.constituents["shares"].to_dict()
    mon = monitor_hedge(
        {"WDC": 1_000_000}, shares, INCEPTION, REBALANCE, real_market, parameters=params
    )
    trades = mon.trades
    assert trades is not None and 0 < len(trades) <= 4
    wdc = float(real_market.as_of(REBALANCE).last_prices(["WDC"])["WDC"])
    assert trades["trade_notional"].sum() <= 0.15 * 1_000_000 * wdc * (1 + 1e-9)
