"""A few rows imported after the rest move the data's end: the error names the cause (issue 17)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from hedgekit import DataError
from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet


@pytest.fixture(scope="module")
def late_market(tmp_path_factory):
    """The demo market with one stock (KSTD) priced for three more weeks than the rest."""
    from hedgekit.data._demo import demo_bundle_path

    tmp = tmp_path_factory.mktemp("late")
    bundle = tmp / "bundle"
    shutil.copytree(demo_bundle_path(), bundle)
    px = pd.read_parquet(bundle / "prices.parquet")
    last = px["date"].max()
    row = px[(px["ticker"] == "KSTD") & (px["date"] == last)]
    extra = pd.concat(
        [row.assign(date=d) for d in pd.bdate_range(last + pd.Timedelta(days=1), periods=15)]
    )
    pd.concat([px, extra]).to_parquet(bundle / "prices.parquet")
    store = Store(tmp / "home")
    import_bundle(bundle, store)
    return MarketData(store), pd.Timestamp(last)


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
