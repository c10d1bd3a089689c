"""The factor-risk settings in a request: bounds, combinations and the library's parameters."""

from __future__ import annotations

from typing import Any

import pytest

from hedgekit import ConfigurationError
from hedgekit.hedge import HedgeRequest, PerformanceHedgeParameters, Position, PositionSet

DATE = "2022-12-30"


def _request(method: str = "returns", **parameters: Any) -> HedgeRequest:
    return HedgeRequest.from_input(
        {
            "positions": [{"identifier": "KSTD", "quantity": 100_000}],
            "date": DATE,
            "method": method,
            "parameters": parameters,
        }
    )


def test_the_settings_reach_the_library():
    req = _request(
        "factor",
        max_factor_share=20,
        max_factor_share_by_group={"Style": 10, "sector": 5},
        factor_risk_weight=2,
        specific_risk_weight=0.5,
    )
    p = req.to_parameters()
    assert p.max_factor_share == 20.0
    assert dict(p.max_factor_share_by_group or {}) == {"Style": 10.0, "sector": 5.0}
    assert (p.factor_risk_weight, p.specific_risk_weight) == (2.0, 0.5)
    hash(p)  # the parameters stay hashable with a mapping of caps
    # and back: the library's parameters validate as the same request
    again = HedgeRequest.from_parameters(p).parameters
    assert again.max_factor_share_by_group == {"Style": 10.0, "sector": 5.0}


def test_defaults_leave_the_hedge_alone():
    p = _request().to_parameters()
    assert p.max_factor_share is None and p.max_factor_share_by_group is None
    assert (p.factor_risk_weight, p.specific_risk_weight) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("method", "parameters", "text"),
    [
        (
            "returns",
            {"max_factor_share": 0},
            "parameters.max_factor_share: input should be greater",
        ),
        ("returns", {"max_factor_share": 101}, "less than or equal to 100"),
        ("returns", {"max_factor_share_by_group": {"Style": 0}}, "max_factor_share_by_group.Style"),
        ("returns", {"max_factor_share_by_group": {}}, "at least 1 item"),
        ("nlp", {"max_factor_share": 20}, "the 'nlp' basket is fixed by the descriptions"),
        ("returns", {"max_factor_share": 20, "max_tracking_error": 5}, "do not combine"),
        ("returns", {"factor_risk_weight": 2}, "use method 'factor' (not 'returns')"),
        ("hybrid", {"specific_risk_weight": 3}, "use method 'factor' (not 'hybrid')"),
        ("factor", {"factor_risk_weight": 0, "specific_risk_weight": 0}, "both 0"),
        ("factor", {"factor_risk_weight": -1}, "factor_risk_weight: input should be greater"),
    ],
)
def test_bad_settings_are_one_line(method, parameters, text):
    with pytest.raises(ConfigurationError, match=None) as err:
        _request(method, **parameters)
    assert text in str(err.value)


def test_a_cap_does_not_combine_with_a_rebalance_limit():
    body = {
        "positions": [{"identifier": "KSTD", "quantity": 100_000}],
        "date": DATE,
        "current_hedge": [{"identifier": "FRLX", "quantity": 100}],
        "parameters": {"max_factor_share": 20, "max_turnover": 10},
    }
    with pytest.raises(ConfigurationError, match="does not combine with a rebalance's"):
        HedgeRequest.from_input(body)


def test_the_library_checks_the_same_rules():
    ps = PositionSet([Position("KSTD", quantity=100_000)], DATE)
    with pytest.raises(ConfigurationError, match="max_factor_share: input should be less"):
        PerformanceHedgeParameters(ps, max_factor_share=150).validate()
    with pytest.raises(ConfigurationError, match="must map factor groups to percent caps"):
        PerformanceHedgeParameters(ps, max_factor_share_by_group=[("Style", 5)])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="use method 'factor'"):
        PerformanceHedgeParameters(ps, specific_risk_weight=2).validate()
    rules = HedgeRequest.model_json_schema()["x-hedgekit-rules"]
    assert {"factor-share-methods", "risk-weights-factor-method"} <= {r["id"] for r in rules}
