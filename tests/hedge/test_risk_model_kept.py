"""A factor hedge without a built risk model builds the store's default model once (issue 15)."""

from __future__ import annotations

import pandas as pd
import pytest

from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet
from hedgekit.risk import cached_model_path, default_model, default_model_start


@pytest.fixture
def fresh_market(tmp_path):
    from hedgekit.data._demo import demo_bundle_path

    store = Store(tmp_path / "home")
    import_bundle(demo_bundle_path(), store)
    return MarketData(store)


def _factor(market, date):
    ps = PositionSet([Position("KSTD", 100_000)], date)
    engine = PerformanceHedge(PerformanceHedgeParameters(ps, method="factor"), market)
    return engine, engine.calculate()


def test_the_first_factor_hedge_builds_and_keeps_the_default_model(fresh_market, monkeypatch):
    path = cached_model_path(fresh_market)
    assert not path.exists()
    first, _ = _factor(fresh_market, "2022-12-30")
    assert (path / "model.json").exists()
    start = pd.Timestamp(first.risk_model.get_params()["start"])
    assert start == default_model_start(fresh_market)
    # the next hedge, another date, loads it: no fit
    from hedgekit.risk import FactorRiskModel

    def no_fit(*args, **kwargs):
        raise AssertionError("the kept model should be reused")

    monkeypatch.setattr(FactorRiskModel, "fit", no_fit)
    _, b = _factor(MarketData(fresh_market.store), "2023-06-30")
    assert len(b.constituents) > 0
    assert default_model(fresh_market)[1] == "loaded"


def test_the_kept_model_is_point_in_time(fresh_market):
    """The kept model runs past the hedge date; the hedge equals one with the same model
    ending on the date."""
    from hedgekit.risk import FactorRiskModel

    engine, kept = _factor(fresh_market, "2022-12-30")
    assert engine.risk_model.factor_returns_.index[-1] > pd.Timestamp("2022-12-30")
    start = engine.risk_model.get_params()["start"]
    short = FactorRiskModel(start, "2022-12-30").fit(fresh_market)
    ps = PositionSet([Position("KSTD", 100_000)], "2022-12-30")
    ended = PerformanceHedge(
        PerformanceHedgeParameters(ps, method="factor"), fresh_market, risk_model=short
    ).calculate()
    pd.testing.assert_frame_equal(kept.constituents, ended.constituents)
