"""The hedger's limits of issue 16 on real data: min_names, factor exposure bounds and the
tracking-error cap (fewest names within it)."""

from __future__ import annotations

import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

DATE = "2022-12-30"


def _params(**kw) -> PerformanceHedgeParameters:
    ps = PositionSet([Position("WDC", 1_000_000), Position("MU", 500_000)], DATE)
    return PerformanceHedgeParameters(ps, **kw)


def _hedge(market, **kw):
    return PerformanceHedge(_params(**kw), market).calculate()


def _names(result) -> int:
    return int((result.constituents["weight"] > 0).sum())


#: a concentrated hedge: the log penalty keeps it to a couple of names
CONCENTRATED = {"lasso_weight": 1.0, "max_weight": 50.0, "max_names": 20}


def test_min_names_holds_in_the_result(real_market):
    free = _hedge(real_market, **CONCENTRATED)
    assert _names(free) < 12  # the floor binds
    result = _hedge(real_market, **CONCENTRATED, min_names=12)
    assert 12 <= _names(result) <= 20
    assert result.constituents["weight"].sum() == pytest.approx(100.0, abs=0.1)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"min_names": 11}, "min_names=11 is above max_names=10"),
        ({"min_names": 5, "min_weight": 25.0}, "min_names=5 names of min_weight=25%"),
        ({"min_names": 0}, "min_names: input should be greater than or equal to 1"),
    ],
)
def test_bad_min_names(kw, message):
    with pytest.raises(ConfigurationError, match=message):
        _params(**kw).validate()


def test_factor_exposures_stay_inside_their_bounds(real_market, real_risk_model):
    bounds = {"Momentum": (-0.05, 0.05), "size": (-0.2, 0.0)}
    params = _params(factor_constraints=bounds)
    result = PerformanceHedge(params, real_market, risk_model=real_risk_model).calculate()
    report = result.diagnostics["factor_exposures"]
    # recomputed from the model: portfolio exposure minus the hedge's, per unit of notional
    fc = real_risk_model.forecast(DATE, real_market, include=["WDC", "MU"])
    port = result.portfolio["weight"]
    port = port / port.sum() if port.sum() > 1.5 else port
    hedge = result.constituents["notional"] / result.diagnostics["portfolio_notional"]
    for name, (lo, hi) in bounds.items():
        col = fc.exposures[name.lower()]
        net = float(col[port.index] @ port - col[hedge.index] @ hedge)
        assert net == pytest.approx(report[name]["exposure"], abs=1e-4)
        assert lo - 1e-3 <= net <= hi + 1e-3


def test_unknown_factor_lists_the_known_ones(real_market, real_risk_model):
    params = _params(factor_constraints={"Nope": (-1.0, 1.0)})
    with pytest.raises(ConfigurationError, match=r"unknown factor.*'Nope'.*momentum"):
        PerformanceHedge(params, real_market, risk_model=real_risk_model).calculate()


def _in_sample_te(market, result) -> float:
    """The hedged portfolio's in-sample tracking error (annualised, %), from the prices."""
    return 100.0 * float(result.statistics.loc["tracking_error", ("in_sample", "Hedge")])


def test_the_tracking_error_cap_takes_the_fewest_names_that_meet_it(real_market):
    ten = _hedge(real_market, max_names=10, max_weight=50.0)
    two = _hedge(real_market, max_names=2, max_weight=50.0)
    cap = (_in_sample_te(real_market, ten) + _in_sample_te(real_market, two)) / 2
    result = _hedge(real_market, max_names=10, max_weight=50.0, max_tracking_error=cap)
    info = result.diagnostics["tracking_error_cap"]
    k = info["max_names"]
    assert 2 < k <= 10 and _names(result) <= k
    assert info["tracking_error"] <= cap
    assert _in_sample_te(real_market, result) <= cap + 0.05  # after whole shares
    fewer = _hedge(real_market, max_names=k - 1, max_weight=50.0)
    assert _in_sample_te(real_market, fewer) > cap  # one name fewer misses it


def test_an_unreachable_cap_names_the_best_tracking_error(real_market):
    from hedgekit import InfeasibleError

    with pytest.raises(InfeasibleError, match=r"cannot be reached: the best hedge of up to 10"):
        _hedge(real_market, max_names=10, max_tracking_error=0.5)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"max_tracking_error": -1.0}, "greater than 0"),
        ({"max_tracking_error": 20.0, "method": "nlp"}, "needs a method fitted to returns"),
    ],
)
def test_bad_tracking_error_caps_are_one_line(kw, message):
    with pytest.raises(ConfigurationError, match=message):
        _params(**kw).validate()
