"""Whole shares never break the caps the optimizer kept (issue 17)."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet
from hedgekit.hedge._assemble import _whole_shares


@pytest.mark.parametrize("seed", range(20))
def test_whole_shares_respect_caps_and_total(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    price = rng.uniform(5, 900, n)
    cap = np.full(n, rng.uniform(1e4, 1e6))
    target = np.minimum(rng.uniform(0, 1.2, n) * cap, cap)  # some names at their cap
    shares = _whole_shares(target, price, cap)
    assert np.all(shares == np.round(shares)) and np.all(shares >= 0)
    assert np.all(shares * price <= cap + 1e-6)
    assert shares @ price <= target.sum() + 1e-6
    assert np.all(np.abs(shares - target / price) < 1.0 + 1e-9)


def test_a_capped_name_is_not_rounded_over_its_cap(real_market):
    ps = PositionSet([Position("WDC", 1_000_000)], "2023-12-29")
    res = PerformanceHedge(
        PerformanceHedgeParameters(ps, max_names=10, max_weight=25.0), real_market
    ).calculate()
    c = res.get_constituents()
    assert (c["weight"] <= 25.0).all(), c["weight"]
    assert c["weight"].max() > 24.99  # the cap binds on this hedge
    assert c["notional"].sum() <= res.diagnostics["hedge_notional"]


def test_a_hedge_too_small_for_one_share_is_an_error(demo_market):
    ps = PositionSet([Position("KSTD", 0.01)], "2023-12-29")
    with pytest.raises(ConfigurationError, match="buys no whole share"):
        PerformanceHedge(PerformanceHedgeParameters(ps, max_names=10), demo_market).calculate()


def test_a_short_window_fits_with_a_warning(demo_market):
    ps = PositionSet([Position("KSTD", 1_000_000)], "2023-12-29")
    params = PerformanceHedgeParameters(
        ps, max_names=5, observation_start_date="2023-11-28", estimator="sample"
    )
    res = PerformanceHedge(params, demo_market).calculate()
    assert any("fitted on 2" in w and "understates" in w for w in res.diagnostics["warnings"])
    long = PerformanceHedgeParameters(ps, max_names=5, estimator="sample")
    assert "warnings" not in PerformanceHedge(long, demo_market).calculate().diagnostics
