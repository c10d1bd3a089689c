"""The hedge's estimator: point in time for every estimator, the fit it makes, its history."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.estimate import ESTIMATORS, EWMACovariance, get_estimator, tracking_moments
from hedgekit.hedge import (
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.optimize import TrackingProblem, solve_tracking

DATE = "2022-12-30"
TARGET = "KSTD"


def _params(estimator, target=TARGET, date=DATE, **kw):
    ps = PositionSet([Position(target, quantity=1_000_000)], date)
    return PerformanceHedgeParameters(
        ps, max_names=10, max_weight=25.0, estimator=estimator, max_return_deviation=1e6, **kw
    )


@pytest.fixture(scope="module")
def planted_market(planted_demo):
    """The demo market with every price after DATE scaled at random (x0.3..x3)."""
    return planted_demo(DATE, 5)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_no_estimator_sees_the_future(name, demo_market, planted_market):
    a = PerformanceHedge(_params(name), demo_market).weights()
    b = PerformanceHedge(_params(name), planted_market).weights()
    pd.testing.assert_series_equal(a, b)


def test_default_hedge_is_the_estimator_fit_on_its_lookback(demo_market):
    """The default hedge equals a direct solve on the default estimator's moments of the
    last ``lookback`` daily returns of the target and the complete candidates."""
    est = get_estimator("default")
    n = est.lookback
    w = PerformanceHedge(_params("default"), demo_market).weights()
    view = demo_market.as_of(DATE)
    members = view.tradable(view.members("SPX"))
    rets = view.returns(list(dict.fromkeys([*members, TARGET]))).iloc[-n:]
    assert rets[TARGET].notna().all()
    used = PerformanceHedge(_params("default"), demo_market)._prepare()
    names = list(used.candidate_returns.columns)
    assert rets[names].notna().all().all()
    # every member with a complete lookback is a candidate
    full = [t for t in rets.columns if rets[t].notna().all() and t != TARGET]
    assert sorted(full) == sorted(names)
    m = tracking_moments(est, rets[TARGET].to_numpy(), rets[names].to_numpy())
    sol = solve_tracking(
        TrackingProblem(
            m.covariance, m.cross, m.target_variance, budget=1.0, upper=used.upper, max_names=10
        )
    )
    direct = pd.Series(sol.weights, index=names)
    direct = direct[direct > 1e-10]
    pd.testing.assert_series_equal(
        w.sort_index(), direct.sort_index(), check_names=False, atol=1e-9, rtol=0
    )


def test_sample_estimator_is_the_observation_window(demo_market):
    """``estimator='sample'`` is Marquee's fit: the window's sample covariance."""
    engine = PerformanceHedge(_params("sample"), demo_market)
    prep = engine._prepare()
    ref = TrackingProblem.from_returns(prep.candidate_returns, prep.target_returns)
    assert prep.moments is not None
    np.testing.assert_allclose(prep.moments.covariance, ref.covariance, rtol=1e-12)
    np.testing.assert_allclose(prep.moments.cross, ref.cross, rtol=1e-12)


def test_young_target_fits_on_its_own_history_and_short_candidates_are_reported(demo_market):
    """TCVD listed in 2022-02: its default hedge on 2023-12-29 fits on the returns it has,
    not the three-year lookback; a hedge of an older stock drops TCVD (listed inside its
    lookback) with a reason."""
    young = PerformanceHedge(_params("default", target="TCVD", date="2023-12-29"), demo_market)
    prep = young._prepare()
    view = demo_market.as_of("2023-12-29")
    have = int(view.returns(["TCVD"])["TCVD"].notna().sum())
    assert prep.moments is not None
    assert 252 < prep.moments.observations <= have < get_estimator("default").lookback
    assert len(young.calculate().get_constituents()) > 0
    old = PerformanceHedge(_params("default", date="2023-12-29"), demo_market).calculate()
    filters = old.diagnostics["universe_filters"]
    short = [k for k in filters if "estimator's lookback" in str(k)]
    assert short, filters
    custom = PerformanceHedge(
        _params(EWMACovariance(halflife=60, window=300), target="TCVD", date="2023-12-29"),
        demo_market,
    ).calculate()
    assert custom.parameters["estimator"].startswith("EWMACovariance(")


def test_unknown_estimator_is_a_clear_error(demo_market):
    with pytest.raises(ConfigurationError, match=r"estimator='best' is not known"):
        PerformanceHedge(_params("best"), demo_market).calculate()


def test_factor_target_shrinks_toward_the_risk_models_forecast(demo_market):
    """``estimator='factor_target'``: the default's clipped three years shrunk toward the
    factor model's forecast on the hedge date (daily units), a direct fit gives the same
    moments; without a built model the store's default model is built once and kept."""
    engine = PerformanceHedge(_params("factor_target"), demo_market)
    prep = engine._prepare()
    model = engine.risk_model
    assert model is not None
    assert model.factor_returns_.index[0] < pd.Timestamp(DATE) <= model.factor_returns_.index[-1]
    est = get_estimator("factor_target")
    names = list(prep.candidate_returns.columns)
    stocks = [*names, TARGET]
    view = demo_market.as_of(DATE)
    rets = view.returns(stocks).iloc[-est.lookback :]
    forecast = model.forecast(DATE, demo_market, include=[TARGET])
    covered = [t for t in stocks if t in forecast.exposures.index]
    assert len(covered) > 0.9 * len(stocks)
    T = forecast.covariance(stocks if covered == stocks else covered).reindex(
        index=stocks, columns=stocks
    )
    fitted = est.fit(rets.to_numpy(), target=T.to_numpy() / 252)
    assert fitted.shrinkage_ == 0.3
    S = fitted.covariance_
    assert prep.moments is not None
    np.testing.assert_allclose(prep.moments.covariance, S[:-1, :-1], rtol=1e-9)
    np.testing.assert_allclose(prep.moments.cross, S[:-1, -1], rtol=1e-9)
    assert prep.moments.target_variance == pytest.approx(S[-1, -1], rel=1e-9)
