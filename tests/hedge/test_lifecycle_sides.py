"""The lifecycle of hedges that buy names (issue 16), on the real data: a net-short book's
long hedge and a long/short hedge monitored (hedged P&L recomputed by hand from prices and
shares, drift, sides, trades), a net-short book's long hedge rebalanced within
``max_turnover`` / ``max_trades``, and basket files with ``BUY`` rows read back."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hedgekit import ConfigurationError
from hedgekit.hedge import (
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
    basket_positions,
    basket_shares,
    monitor_basket,
    monitor_hedge,
)

INCEPTION, AS_OF = "2022-06-30", "2023-06-30"
pytestmark = pytest.mark.realdata


def _hedge(market, quantity, date=INCEPTION, **kw):
    ps = PositionSet([Position("WDC", quantity=quantity)], date)
    return PerformanceHedge(PerformanceHedgeParameters(ps, **kw), market).calculate()


@pytest.fixture(scope="module")
def hedges(real_market):
    """WDC long (short hedge), WDC short (long hedge), WDC long with a long/short hedge."""
    return {
        "long": _hedge(real_market, 1e6),
        "short": _hedge(real_market, -1e6),
        "ls": _hedge(real_market, 1e6, allow_long_short=True),
    }


def _by_hand(market, result):
    """The book's, the hedge's and the hedged daily P&L per unit of the book's |value|,
    from adjusted closes and the shares held (bought positive, sold short negative)."""
    hedge = result.to_position_set().to_frame()["quantity"].astype(float)
    book = result.portfolio["quantity"].astype(float)
    names = list(dict.fromkeys([*book.index, *hedge.index]))
    adj = market.as_of(AS_OF).prices(names, start=INCEPTION, end=AS_OF).ffill()
    close0 = market.as_of(INCEPTION).last_prices(names)
    growth = adj / adj.iloc[0]
    P = (growth[book.index] * book * close0[book.index]).sum(axis=1)
    V = (growth[hedge.index] * hedge * close0[hedge.index]).sum(axis=1)
    base = P.shift().abs()
    return P.diff() / base, V.diff() / base, (P.diff() + V.diff()) / base, P, V


@pytest.mark.parametrize("key", ["short", "ls"])
def test_monitor_hedged_pnl_is_the_book_plus_the_basket(real_market, hedges, key):
    res = hedges[key]
    mon = res.monitor(AS_OF, real_market, rebalance_trades=False)
    book, basket, hedged, P, V = _by_hand(real_market, res)
    s = mon.series
    assert mon.observations == len(hedged) - 1
    np.testing.assert_allclose(s["hedged"], hedged.iloc[1:].to_numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(s["position"], book.iloc[1:].to_numpy(), rtol=0, atol=1e-12)
    # the basket's P&L: bought names gain, names sold short lose when prices rise
    pnl = (s["hedged"] - s["position"]).to_numpy()
    np.testing.assert_allclose(pnl, basket.iloc[1:].to_numpy(), rtol=0, atol=1e-12)
    direct = float(hedged.iloc[1:].std(ddof=1) * np.sqrt(252))
    assert mon.realised_tracking_error == pytest.approx(direct, rel=1e-9)
    cum = float(np.prod(1 + hedged.iloc[1:]) - 1)
    assert s["cumulative_hedged"].iloc[-1] == pytest.approx(cum, rel=1e-9)
    # the hedge ratio: the net value held against the book over the book's |value|
    side = 1 if key == "ls" else -1
    assert mon.hedge_ratio["now"] == pytest.approx(
        float(-side * V.iloc[-1] / abs(P.iloc[-1])), rel=1e-9
    )
    assert mon.hedge_ratio["inception"] == pytest.approx(1.0, abs=2e-3)
    assert mon.variance_reduction > 0.3
    # the predicted band is the fit's, the correlation signed as the fit's statistics
    stats = res.statistics[("in_sample", "Hedge")]
    assert mon.predicted_tracking_error == pytest.approx(stats["tracking_error"])
    assert np.sign(mon.correlation["since_inception"]) == np.sign(
        stats["correlation_with_portfolio"]
    )
    # names: sides as the result's, weights of the gross summing to one in absolute value
    c = res.constituents
    pd.testing.assert_series_equal(
        mon.names["side"], c["side"].rename_axis("ticker"), check_names=False
    )
    np.testing.assert_allclose(mon.names["shares"], c["shares"].to_numpy())
    assert mon.names["weight_inception"].abs().sum() == pytest.approx(1.0)
    on_book_side = mon.names["side"] == ("long" if side > 0 else "short")
    assert (mon.names.loc[on_book_side, "weight_now"] < 0).all()
    assert (mon.names.loc[~on_book_side, "weight_now"] > 0).all()


def test_a_net_short_books_monitor_mirrors_the_long_books(real_market, hedges):
    long_mon = hedges["long"].monitor(AS_OF, real_market, rebalance_trades=False)
    short_mon = hedges["short"].monitor(AS_OF, real_market, rebalance_trades=False)
    np.testing.assert_allclose(short_mon.series["hedged"], -long_mon.series["hedged"], atol=1e-15)
    np.testing.assert_allclose(short_mon.series["hedge"], long_mon.series["hedge"], atol=1e-15)
    assert short_mon.realised_tracking_error == pytest.approx(long_mon.realised_tracking_error)
    assert short_mon.holding_error == pytest.approx(long_mon.holding_error)
    assert short_mon.hedge_ratio == pytest.approx(long_mon.hedge_ratio)
    assert short_mon.correlation["recent"] == pytest.approx(-long_mon.correlation["recent"])
    assert set(short_mon.names["side"]) == {"long"} and set(long_mon.names["side"]) == {"short"}
    cols = ["shares", "weight_inception", "weight_now", "drift", "status", "events"]
    pd.testing.assert_frame_equal(short_mon.names[cols], long_mon.names[cols])
    # the same verdict, reasons worded alike (the correlation check is on the mirrored sign)
    assert short_mon.rebalance == long_mon.rebalance
    assert len(short_mon.reasons) == len(long_mon.reasons)


def test_a_net_short_books_trades_buy_and_sell(real_market, hedges):
    mon = hedges["short"].monitor(AS_OF, real_market)
    t = mon.trades
    assert t is not None and len(t)
    assert (t["current_shares"] + t["trade_shares"] == t["target_shares"]).all()
    assert set(t["side"]) <= {"BUY", "SELL"}
    assert (t.loc[t["trade_shares"] > 0, "side"] == "BUY").all()
    assert (t.loc[t["trade_shares"] < 0, "side"] == "SELL").all()
    fresh = _hedge(real_market, -1e6, AS_OF)
    target = t["target_shares"][t["target_shares"] > 0]
    kept = [n for n in fresh.constituents.index if n not in t.index]
    expected = fresh.constituents["shares"].astype(float).drop(kept)
    pd.testing.assert_series_equal(target.sort_index(), expected.sort_index(), check_names=False)


def test_a_long_short_hedges_trades_cross_sides(real_market, hedges):
    mon = hedges["ls"].monitor(AS_OF, real_market)
    t = mon.trades
    assert t is not None and len(t)
    fresh = _hedge(real_market, 1e6, AS_OF, allow_long_short=True)
    c = fresh.constituents
    # target shares held against the book: sold short positive, bought negative
    signed = c["shares"].where(c["side"] == "short", -c["shares"]).astype(float)
    for name, row in t.iterrows():
        assert row["target_shares"] == signed.get(name, 0.0)
        q0, q1 = -row["current_shares"], -row["target_shares"]  # as positions
        if q1 < q0:
            assert row["side"] in {"SELL", "SELL_SHORT", "SELL/SELL_SHORT"}
            assert row["side"] == ("SELL" if q1 >= 0 else "SELL_SHORT" if q0 <= 0 else
                                   "SELL/SELL_SHORT")  # fmt: skip
        else:
            assert row["side"] == ("BUY_TO_COVER" if q1 <= 0 else "BUY" if q0 >= 0 else
                                   "BUY_TO_COVER/BUY")  # fmt: skip


def test_basket_files_keep_their_sides(real_market, hedges, tmp_path):
    for key in ("short", "ls"):
        res = hedges[key]
        signed = res.to_position_set().to_frame()["quantity"].astype(float).to_dict()
        res.to_basket_csv(tmp_path / f"{key}.csv")
        res.to_basket_json(tmp_path / f"{key}.json")
        for suffix in ("csv", "json"):
            assert basket_positions(tmp_path / f"{key}.{suffix}") == signed
            with pytest.raises(ConfigurationError, match="read it with basket_positions"):
                basket_shares(tmp_path / f"{key}.{suffix}")
        a = monitor_basket(tmp_path / f"{key}.json", AS_OF, real_market, rebalance_trades=False)
        b = res.monitor(AS_OF, real_market, rebalance_trades=False)
        pd.testing.assert_frame_equal(a.series, b.series)
        pd.testing.assert_frame_equal(a.names, b.names)
    # a short basket reads as before: shares sold short, positive
    long_res = hedges["long"]
    long_res.to_basket_csv(tmp_path / "long.csv")
    expected = long_res.constituents["shares"].astype(float).to_dict()
    assert basket_shares(tmp_path / "long.csv") == expected
    assert basket_positions(tmp_path / "long.csv") == {t: -q for t, q in expected.items()}


def test_monitor_hedge_reads_one_sided_and_signed_holdings(real_market, hedges):
    res = hedges["short"]
    bought = res.constituents["shares"].astype(float).to_dict()
    a = monitor_hedge({"WDC": -1e6}, bought, INCEPTION, AS_OF, real_market)
    b = monitor_hedge({"WDC": -1e6}, {t: -q for t, q in bought.items()}, INCEPTION, AS_OF,
                      real_market)  # fmt: skip
    pd.testing.assert_frame_equal(a.series, b.series)  # one side: the side hedging the book
    c = monitor_hedge({"WDC": -1e6}, bought, INCEPTION, AS_OF, real_market, signed=True)
    pd.testing.assert_frame_equal(a.series, c.series)
    with pytest.raises(ConfigurationError, match="net-flat book"):
        monitor_hedge({"WDC": 0.0}, bought, INCEPTION, AS_OF, real_market)


# ------------------------------------------------------------------ rebalance, net short
REBALANCE = "2022-12-30"


def _short_rebalance(market, current, **kw):
    ps = PositionSet([Position("WDC", -1_000_000)], REBALANCE)
    params = PerformanceHedgeParameters(ps, current_hedge=current, **kw)
    return PerformanceHedge(params, market).calculate()


def _long_rebalance(market, current, **kw):
    ps = PositionSet([Position("WDC", 1_000_000)], REBALANCE)
    params = PerformanceHedgeParameters(ps, current_hedge=current, **kw)
    return PerformanceHedge(params, market).calculate()


@pytest.fixture(scope="module")
def bought(hedges):
    """The long hedge of the net-short book put on in June, held in December."""
    shares = hedges["short"].constituents["shares"]
    return PositionSet([Position(str(t), quantity=float(q)) for t, q in shares.items()], REBALANCE)


@pytest.mark.parametrize(("max_turnover", "max_trades"), [(20.0, None), (30.0, 3), (None, 4)])
def test_a_net_short_book_rebalances_within_its_limits(
    real_market, bought, max_turnover, max_trades
):
    res = _short_rebalance(real_market, bought, max_turnover=max_turnover, max_trades=max_trades)
    trades = res.get_trades()
    info = res.diagnostics["rebalance"]
    if max_turnover is not None:
        assert info["turnover_pct"] <= max_turnover + 1e-9
        moved = float(trades["notional"].sum())
        assert 100 * moved / res.diagnostics["hedge_notional"] <= max_turnover + 1e-9
    if max_trades is not None:
        assert len(trades) <= max_trades
    assert set(trades["side"]) <= {"BUY", "SELL"}
    assert (np.sign(trades["trade_shares"]) == np.where(trades["side"] == "BUY", 1, -1)).all()
    assert (trades["current_shares"] + trades["trade_shares"] == trades["target_shares"]).all()
    c = res.constituents
    assert (c["side"] == "long").all() and (c["borrow_cost_usd"] == 0).all()
    for t, row in trades.iterrows():
        assert c["shares"].get(t, 0.0) == row["target_shares"]
    # the flipped book's problem: the same basket as the net-long book's short rebalance
    mirror = _long_rebalance(real_market, bought, max_turnover=max_turnover,
                             max_trades=max_trades)  # fmt: skip
    pd.testing.assert_series_equal(c["shares"], mirror.constituents["shares"])
    rets = res.returns
    np.testing.assert_allclose(rets["hedged"], rets["portfolio"] + rets["hedge"], atol=1e-12)


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_property_zero_turnover_keeps_a_net_short_books_hedge(real_market, hedges, data):
    """Zero turnover allowed: whatever long hedge a net-short book holds (given as bought
    positive shares or as the side hedging it), the rebalance returns it, with no trade."""
    names = list(hedges["short"].constituents.index)
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True))
    shares = data.draw(
        st.lists(st.integers(100, 500_000), min_size=len(chosen), max_size=len(chosen))
    )
    sign = data.draw(st.sampled_from([1.0, -1.0]))
    trades = data.draw(st.none() | st.integers(0, 3))
    cur = PositionSet(
        [Position(t, quantity=sign * q) for t, q in zip(chosen, shares, strict=True)], REBALANCE
    )
    res = _short_rebalance(real_market, cur, max_turnover=0.0, max_trades=trades)
    assert res.get_trades().empty
    assert dict(res.constituents["shares"]) == {
        t: float(q) for t, q in zip(chosen, shares, strict=True)
    }
    assert (res.constituents["side"] == "long").all()


def test_a_long_short_current_hedge_is_refused(real_market, hedges):
    both = PositionSet([Position("MU", -1000), Position("RSG", 500)], REBALANCE)
    with pytest.raises(ConfigurationError, match="holds names on both sides"):
        _short_rebalance(real_market, both, max_turnover=10.0)


def test_the_basket_file_of_a_long_hedge_is_a_current_hedge(real_market, hedges, tmp_path):
    hedges["short"].to_basket_json(tmp_path / "b.json")
    held = basket_positions(tmp_path / "b.json")
    assert all(q > 0 for q in held.values())
    cur = PositionSet([Position(t, quantity=q) for t, q in held.items()], REBALANCE)
    res = _short_rebalance(real_market, cur, max_turnover=0.0)
    assert res.get_trades().empty
    assert json.loads(res.to_basket_json())["positions"][0]["side"] == "BUY"
