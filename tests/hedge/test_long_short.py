"""Long/short hedges (``allow_long_short``) and net-short books (a long hedge), on the real
data: the constraints hold in the result, long/short never tracks worse in sample than
long-only, and a net-short book's long hedge reduces its variance with every output
(constituents, statistics, series, baskets) on the right side."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import (
    HedgeRequest,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
    basket_positions,
    basket_shares,
    monitor_basket,
)
from hedgekit.hedge._problem import in_sample_tracking_error

DATE = "2022-12-30"
pytestmark = pytest.mark.realdata


def _params(quantity: float = 1_000_000, ticker: str = "WDC", **kw) -> PerformanceHedgeParameters:
    ps = PositionSet([Position(ticker, quantity=quantity)], DATE)
    return PerformanceHedgeParameters(ps, **kw)


@pytest.fixture(scope="module")
def wdc(real_market):
    """WDC long, hedged long-only and long/short (gross 150% and 200%), and WDC short."""
    out = {}
    for key, qty, kw in (
        ("long_only", 1e6, {}),
        ("ls150", 1e6, {"allow_long_short": True}),
        ("ls200", 1e6, {"allow_long_short": True, "max_gross": 200.0}),
        ("short_book", -1e6, {}),
    ):
        engine = PerformanceHedge(_params(qty, **kw), real_market)
        prep = engine._prepare()
        from hedgekit.hedge._problem import solve_hedge

        w, _ = solve_hedge(prep, engine.parameters)
        out[key] = (engine.calculate(), prep, w)
    return out


@pytest.mark.parametrize(("key", "gross"), [("ls150", 150.0), ("ls200", 200.0)])
def test_long_short_constraints_hold_in_the_result(wdc, key, gross):
    res, prep, w = wdc[key]
    c = res.get_constituents()
    p = res.parameters
    assert p["allow_long_short"] is True and (p.get("max_gross") or 150.0) == gross
    hedge_notional = res.diagnostics["hedge_notional"]
    # the optimizer's weights: every bound exactly
    assert np.abs(w).sum() <= gross / 100 + 1e-7
    assert abs(w.sum() - 1.0) <= 1e-7  # the net: the hedge ratio by default
    assert (np.abs(w) <= prep.upper + 1e-9).all()  # |w| within max_weight and the ADV cap
    assert np.count_nonzero(w) <= 10
    # the whole-share basket: the same bounds up to rounding
    ex = res.get_exposure_summary()
    assert ex["hedge_gross_pct"] <= gross / 100 + 1e-4
    assert ex["hedge_net_pct"] == pytest.approx(1.0, abs=2e-3)
    assert (c["notional"] <= 0.25 * hedge_notional + 1).all()
    assert (c["adv_pct"] <= 15.0 + 1e-6).all()
    assert len(c) <= 10
    assert set(c["side"]) == {"short", "long"}  # both sides used
    assert (c.loc[c["side"] == "long", "borrow_cost_usd"] == 0).all()
    assert (c.loc[c["side"] == "short", "borrow_cost_usd"] > 0).all()
    sides = res.diagnostics["sides"]
    assert sides["gross_pct"] == pytest.approx(100 * ex["hedge_gross_pct"])
    assert sides["max_gross_pct"] == gross
    basket = res.basket()
    assert set(basket["side"]) == {"SELL_SHORT", "BUY"}
    signed = res.to_position_set().to_frame()["quantity"]
    assert (signed[c.index[c["side"] == "long"]] > 0).all()
    assert (signed[c.index[c["side"] == "short"]] < 0).all()
    # the hedged returns: the portfolio less the signed basket
    rets = res.returns[res.returns["sample"] == "in_sample"]
    np.testing.assert_allclose(rets["hedged"], rets["portfolio"] - rets["hedge"], atol=1e-12)


def test_long_short_tracks_no_worse_in_sample(wdc):
    _, prep, w_lo = wdc["long_only"]
    te_lo = in_sample_tracking_error(prep, w_lo)
    stats_lo = wdc["long_only"][0].statistics
    for key in ("ls150", "ls200"):
        res, prep_ls, w = wdc[key]
        assert in_sample_tracking_error(prep_ls, w) <= te_lo * (1 + 1e-6)
        te = res.statistics.loc["tracking_error", ("in_sample", "Hedge")]
        ref = stats_lo.loc["tracking_error", ("in_sample", "Hedge")]
        assert te <= ref * (1 + 1e-3)  # after rounding to whole shares


def test_a_net_short_book_gets_a_long_hedge(wdc):
    long_res, _, w_long = wdc["long_only"]
    res, prep, w = wdc["short_book"]
    assert prep.book_side == -1
    # the same problem as the flipped book: the same basket, bought
    np.testing.assert_allclose(w, w_long, atol=1e-9)
    c = res.get_constituents()
    assert (c["side"] == "long").all()
    assert (c["borrow_cost_usd"] == 0).all()
    pd.testing.assert_series_equal(c["shares"], long_res.constituents["shares"])
    # the book's own returns, and the hedged P&L is the book's plus the basket's
    rets, ref = res.returns, long_res.returns
    np.testing.assert_allclose(rets["portfolio"], -ref["portfolio"], atol=1e-15)
    np.testing.assert_allclose(rets["hedged"], rets["portfolio"] + rets["hedge"], atol=1e-12)
    for sample in ("in_sample", "out_of_sample"):
        vr = res.statistics.loc["variance_reduction", (sample, "Hedged Portfolio")]
        assert vr > 0.4  # hedged variance is well below the book's
        corr = res.statistics.loc["correlation_with_portfolio", (sample, "Hedge")]
        assert corr < -0.5  # the bought basket moves against the short book's P&L
    ex = res.get_exposure_summary()
    assert ex["hedge_short_usd"] == 0
    assert ex["hedge_net_pct"] == pytest.approx(1.0, abs=1e-3)
    assert ex["short_usd"] == pytest.approx(-res.portfolio["notional"].sum())
    assert res.diagnostics["sides"]["hedge_side"] == "long"
    var = res.get_value_at_risk()
    assert var["portfolio_usd"] > 0 and var["hedged_usd"] < var["portfolio_usd"]


def test_a_long_hedge_exports_with_its_sides(wdc, real_market, tmp_path):
    res = wdc["short_book"][0]
    assert set(res.basket()["side"]) == {"BUY"}
    text = res.to_basket_csv(tmp_path / "b.csv")
    assert text.splitlines()[1].split(",")[1] == "BUY"
    payload = json.loads(res.to_basket_json(tmp_path / "b.json"))
    assert {p["side"] for p in payload["positions"]} == {"BUY"}
    assert payload["portfolio"] == [{"identifier": "WDC", "quantity": -1_000_000.0}]
    assert all(q > 0 for q in res.to_position_set().to_frame()["quantity"])
    expected = res.constituents["shares"].astype(float).to_dict()
    for path in (tmp_path / "b.csv", tmp_path / "b.json"):
        assert basket_positions(path) == expected  # bought: positive
        with pytest.raises(ConfigurationError, match="buys MU"):
            basket_shares(path)
    mon = monitor_basket(tmp_path / "b.json", "2023-03-31", real_market, rebalance_trades=False)
    assert set(mon.names["side"]) == {"long"}


def test_net_bounds_and_the_request_round_trip(real_market):
    req = HedgeRequest.model_validate(
        {
            "positions": [{"identifier": "MOS", "quantity": 500000}],
            "date": DATE,
            "parameters": {
                "allow_long_short": True,
                "max_gross": 160,
                "min_net": 80,
                "max_net": 90,
                "max_names": 8,
            },
        }
    )
    params = req.to_parameters()
    assert (params.max_gross, params.min_net, params.max_net) == (160, 80, 90)
    assert HedgeRequest.from_parameters(params).parameters == req.parameters
    res = PerformanceHedge(params, real_market).calculate()
    ex = res.get_exposure_summary()
    assert 0.80 - 2e-3 <= ex["hedge_net_pct"] <= 0.90 + 2e-3
    assert ex["hedge_gross_pct"] <= 1.60 + 1e-4
    assert len(res.constituents) <= 8


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"max_gross": 150.0}, "max_gross bounds a long/short hedge: set allow_long_short"),
        ({"allow_long_short": True, "max_gross": 90.0}, "max_gross=90% is below the net 100%"),
        ({"allow_long_short": True, "min_net": 50.0, "max_net": 40.0}, "min_net=50% is above"),
        ({"allow_long_short": True, "min_weight": 2.0}, "does not combine with min_weight"),
        ({"allow_long_short": True, "method": "nlp"}, "needs a method fitted to returns"),
    ],
)
def test_bad_long_short_inputs(kw, match):
    with pytest.raises(ConfigurationError, match=match):
        _params(**kw).validate()
