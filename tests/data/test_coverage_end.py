"""A few rows imported after the rest move the data's end: the error names the cause (issue 17)."""

from __future__ import annotations

import pandas as pd
import pytest

from hedgekit import DataError
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet


@pytest.fixture(scope="module")
def late_market(demo_variant):
    """The demo market with one stock (KSTD) priced for three more weeks than the rest."""
    found = {}

    def extend(px):
        last = found["last"] = px["date"].max()
        row = px[(px["ticker"] == "KSTD") & (px["date"] == last)]
        days = pd.bdate_range(last + pd.Timedelta(days=1), periods=15)
        return pd.concat([px, *(row.assign(date=d) for d in days)])

    market = demo_variant("late", extend)
    return market, pd.Timestamp(found["last"])


def test_coverage_end_is_where_most_stocks_end(late_market, demo_market):
    market, last = late_market
    assert market.end > last
    assert market.coverage_end == last
    assert demo_market.coverage_end == demo_market.end
    assert market.end_hint(last) == ""


def test_a_hedge_on_the_moved_end_names_the_cause(late_market):
    market, _ = late_market
    ps = PositionSet([Position("FRLX", 1000)], market.end)
    with pytest.raises(DataError, match=r"1 stock\(s\) imported with rows after the rest \(KSTD\)"):
        PerformanceHedge(PerformanceHedgeParameters(ps, max_names=5), market).calculate()
