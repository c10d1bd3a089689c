"""One security named twice in a request is one position (issue 17)."""

from __future__ import annotations

import pandas as pd

from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

DATE = "2023-12-29"


def _hedge(market, positions):
    ps = PositionSet(positions, DATE)
    params = PerformanceHedgeParameters(ps, max_names=10, max_weight=25.0)
    return PerformanceHedge(params, market).calculate()


def test_two_lots_of_one_ticker_add_up(demo_market):
    twice = _hedge(demo_market, [Position("KSTD", 600_000), Position("KSTD", 400_000)])
    once = _hedge(demo_market, [Position("KSTD", 1_000_000)])
    assert twice.diagnostics["portfolio_notional"] == once.diagnostics["portfolio_notional"]
    pd.testing.assert_frame_equal(twice.get_constituents(), once.get_constituents())
    (warning,) = twice.diagnostics["warnings"]
    assert "'KSTD' and 'KSTD' are one security (KSTD)" in warning
    assert "warnings" not in once.diagnostics


def test_a_ticker_and_its_bloomberg_alias_are_one_position(real_market):
    both = _hedge(real_market, [Position("WDC", 1000), Position("WDC UW", 500)])
    one = _hedge(real_market, [Position("WDC", 1500)])
    assert both.diagnostics["portfolio_notional"] == one.diagnostics["portfolio_notional"]
    assert list(both.portfolio.index) == ["WDC"]
    assert any("'WDC UW'" in w for w in both.diagnostics["warnings"])
