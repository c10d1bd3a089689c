"""Rebalancing a long/short hedge (issue 16) on the real data: limits in the result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet
from hedgekit.hedge._problem import in_sample_tracking_error

INCEPTION, REBALANCE = "2022-06-30", "2022-12-30"
pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def current(real_market):
    """A long/short hedge of WDC at inception, as the signed position held now."""
    ps = PositionSet([Position("WDC", 1_000_000)], INCEPTION)
    res = PerformanceHedge(
        PerformanceHedgeParameters(ps, allow_long_short=True, max_gross=200.0), real_market
    ).calculate()
    held = res.to_position_set()
    assert {np.sign(p.quantity) for p in held.positions} == {-1.0, 1.0}  # both sides
    return PositionSet(list(held.positions), REBALANCE)


def _rebalance(market, current, **kw):
    ps = PositionSet([Position("WDC", 1_000_000)], REBALANCE)
    params = PerformanceHedgeParameters(
        ps, current_hedge=current, allow_long_short=True, max_gross=200.0, **kw
    )
    return PerformanceHedge(params, market).calculate()


@pytest.mark.parametrize(("max_turnover", "max_trades"), [(20.0, None), (30.0, 4), (None, 3)])
def test_long_short_rebalance_limits_hold(real_market, current, max_turnover, max_trades):
    res = _rebalance(real_market, current, max_turnover=max_turnover, max_trades=max_trades)
    info = res.diagnostics["rebalance"]
    if max_turnover is not None:
        assert info["turnover_pct"] <= max_turnover + 1e-6
    if max_trades is not None:
        assert info["trades"] <= max_trades
    cur = pd.Series({p.identifier: p.quantity for p in current.positions})
    new = res.to_position_set()
    new_q = pd.Series({p.identifier: p.quantity for p in new.positions})
    names = cur.index.union(new_q.index)
    moved = (new_q.reindex(names).fillna(0) - cur.reindex(names).fillna(0)).abs()
    assert int((moved > 0).sum()) == info["trades"]
    assert set(res.constituents["side"]) <= {"short", "long"}


def test_zero_turnover_keeps_the_long_short_hedge(real_market, current):
    res = _rebalance(real_market, current, max_turnover=0.0)
    assert res.diagnostics["rebalance"]["trades"] == 0
    held = {p.identifier: p.quantity for p in res.to_position_set().positions}
    assert held == {p.identifier: p.quantity for p in current.positions}


def test_large_turnover_tracks_like_a_fresh_long_short_hedge(real_market, current):
    ps = PositionSet([Position("WDC", 1_000_000)], REBALANCE)
    fresh = PerformanceHedge(
        PerformanceHedgeParameters(ps, allow_long_short=True, max_gross=200.0), real_market
    )
    prep = fresh._prepare()
    from hedgekit.hedge._problem import solve_hedge

    w_fresh, _ = solve_hedge(prep, fresh.parameters)
    eng = PerformanceHedge(
        PerformanceHedgeParameters(
            ps, current_hedge=current, allow_long_short=True, max_gross=200.0, max_turnover=500.0
        ),
        real_market,
    )
    from hedgekit.hedge._rebalance import current_hedge, rebalance_weights

    cur = current_hedge(prep, eng.parameters, real_market)
    w, _ = rebalance_weights(prep, eng.parameters, cur)
    te, te_fresh = in_sample_tracking_error(prep, w), in_sample_tracking_error(prep, w_fresh)
    assert te <= te_fresh * (1 + 1e-6)
