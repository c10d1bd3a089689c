"""``method='factor'``: the hedge that minimises the risk model's predicted active risk."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import (
    Constraint,
    HedgeConstraints,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.risk import FactorRiskModel, cached_model_path

DATE = "2022-06-30"


def _params(ticker: str = "WDC", date: str = DATE, **kw) -> PerformanceHedgeParameters:
    kw.setdefault("max_names", 10)
    kw.setdefault("max_weight", 25.0)
    kw.setdefault("method", "factor")
    ps = PositionSet([Position(ticker, quantity=1_000_000)], date)
    return PerformanceHedgeParameters(ps, **kw)


def _predicted_active_variance(fc, target: str, weights: pd.Series) -> float:
    names = [target, *weights.index]
    S = fc.covariance(names).to_numpy()
    x = np.concatenate([[1.0], -weights.to_numpy()])
    return float(x @ S @ x)


@pytest.fixture(scope="module")
def wdc(real_market, real_risk_model):
    return PerformanceHedge(_params(), real_market, risk_model=real_risk_model).calculate()


@pytest.mark.realdata
def test_factor_hedge_report_matches_the_model(wdc, real_market, real_risk_model):
    c = wdc.get_constituents()
    assert 1 <= len(c) <= 10
    assert (c["weight"] <= 25.0 + 0.05).all()
    assert "WDC" not in c.index
    report = wdc.risk_report
    assert report is not None
    fc = real_risk_model.forecast(DATE, real_market)
    w = c["notional"] / wdc.diagnostics["portfolio_notional"]
    # exposures: hedge = B' w, hedged = portfolio - hedge
    ex = wdc.get_factor_exposures()
    np.testing.assert_allclose(ex["hedge"], fc.exposures.loc[w.index].T @ w, atol=1e-10)
    np.testing.assert_allclose(ex["hedged"], ex["portfolio"] - ex["hedge"], atol=1e-12)
    np.testing.assert_allclose(ex["portfolio"], fc.exposures.loc["WDC"], atol=1e-12)
    # predicted risk of each leg equals the direct computation with the model covariance
    pr = wdc.get_predicted_risk()
    alone = fc.risk_decomposition({"WDC": 1.0})
    assert pr.loc["Portfolio", "total_volatility"] == pytest.approx(alone["total_volatility"])
    active = _predicted_active_variance(fc, "WDC", w)
    assert pr.loc["Hedged Portfolio", "total_volatility"] ** 2 == pytest.approx(active)
    assert pr.loc["Hedged Portfolio", "total_volatility"] < 0.8 * alone["total_volatility"]
    # the factor risk is almost entirely hedged; what is left is mostly specific
    assert pr.loc["Hedged Portfolio", "factor_share_of_variance"] < 0.1
    assert report["factor_correlation"] > 0.9
    assert report["model"]["forecast_date"] == pd.Timestamp(DATE)
    d = wdc.to_dict()
    assert d["risk_report"]["predicted_risk"]["Hedged Portfolio"]["total_volatility"] > 0


@pytest.mark.realdata
def test_factor_hedge_beats_the_returns_hedge_on_model_risk(wdc, real_market, real_risk_model):
    """The factor hedge minimises the model's active risk: the returns hedge, with the same
    constraints, cannot have less (up to whole-share rounding)."""
    returns_hedge = PerformanceHedge(_params(method="returns"), real_market).calculate()
    assert returns_hedge.risk_report is None
    fc = real_risk_model.forecast(DATE, real_market)
    n = wdc.diagnostics["portfolio_notional"]
    own = _predicted_active_variance(fc, "WDC", wdc.constituents["notional"] / n)
    other_c = returns_hedge.constituents
    other = _predicted_active_variance(fc, "WDC", other_c["notional"] / n)
    assert own <= other * 1.001
    with pytest.raises(ConfigurationError, match="method='factor'"):
        returns_hedge.get_factor_exposures()


@pytest.mark.realdata
def test_factor_hedge_takes_the_performance_hedge_constraints(real_market, real_risk_model):
    cons = HedgeConstraints(sectors=(Constraint("Information Technology", 0.0, 30.0),))
    res = PerformanceHedge(
        _params(constraints=cons, max_names=8, min_weight=5.0),
        real_market,
        risk_model=real_risk_model,
    ).calculate()
    c = res.get_constituents()
    assert len(c) <= 8
    assert (c["weight"] >= 5.0 - 0.05).all()
    assert c.loc[c["sector"] == "Information Technology", "weight"].sum() <= 30.0 + 0.05


@pytest.mark.realdata
def test_factor_hedge_is_point_in_time(real_market, real_risk_model):
    """A model that runs six months past the hedge date gives the hedge of a model that
    ends on it."""
    short = FactorRiskModel("2020-12-31", DATE).fit(real_market)
    a = PerformanceHedge(_params("AAPL"), real_market, risk_model=short).calculate()
    b = PerformanceHedge(_params("AAPL"), real_market, risk_model=real_risk_model).calculate()
    pd.testing.assert_frame_equal(a.constituents, b.constituents)
    pd.testing.assert_frame_equal(a.get_predicted_risk(), b.get_predicted_risk())


@pytest.mark.realdata
def test_factor_hedge_uses_the_cached_model(real_market, real_risk_model):
    path = cached_model_path(real_market)
    try:
        real_risk_model.save(path)
        engine = PerformanceHedge(_params("AAPL"), real_market)
        res = engine.calculate()
        assert engine.risk_model is not None
        assert res.diagnostics["risk_model"]["estimation_end"] == pd.Timestamp("2022-12-30")
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.realdata
def test_factor_hedge_errors(real_market, real_risk_model):
    with pytest.raises(ConfigurationError, match="not fitted"):
        PerformanceHedge(
            _params(), real_market, risk_model=FactorRiskModel("2020-01-01", "2021-01-01")
        ).calculate()
    with pytest.raises(ConfigurationError, match=r"covers 2020-12-31\.\.2022-12-30"):
        PerformanceHedge(
            _params(date="2023-06-30"), real_market, risk_model=real_risk_model
        ).calculate()
    # a stock outside the index on the date joins the model's cross-section for the hedge
    members = set(real_market.as_of(DATE).members())
    outside = next(
        t for t in real_market.as_of(DATE).tradable(list(real_market.tickers)) if t not in members
    )
    res = PerformanceHedge(_params(outside), real_market, risk_model=real_risk_model).calculate()
    assert outside not in res.constituents.index
    assert res.get_predicted_risk().loc["Portfolio", "specific_volatility"] > 0


def test_a_model_fitted_on_the_fly_serves_the_dates_later_hedges(demo_variant, monkeypatch):
    """Before the default model's reach a factor hedge fits a model of the three years
    before its date; the market keeps it, so the date's next hedge fits nothing, and the
    hedge equals the first one's on a fresh market (nothing depends on what ran before)."""
    market = demo_variant("on_the_fly", lambda prices: prices)
    date = "2020-03-31"  # the demo data starts in 2019: before the default model's reach
    fits: list[object] = []
    original = FactorRiskModel.fit

    def counted(self, *args, **kwargs):
        fits.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FactorRiskModel, "fit", counted)
    first = PerformanceHedge(_params("KSTD", date), market)
    first.calculate()
    assert len(fits) == 1
    second = PerformanceHedge(_params("AMBY", date), market)
    res = second.calculate()
    assert len(fits) == 1, "the date's second factor hedge refitted the risk model"
    assert second.risk_model is first.risk_model
    again = demo_variant("on_the_fly_fresh", lambda prices: prices)
    fresh = PerformanceHedge(_params("AMBY", date), again).calculate()
    assert len(fits) == 2
    pd.testing.assert_frame_equal(res.get_constituents(), fresh.get_constituents())
