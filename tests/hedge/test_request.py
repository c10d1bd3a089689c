"""The one hedge request: its rules, its defaults, and the library's parameters built from it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hedgekit import ConfigurationError
from hedgekit.hedge import (
    Constraint,
    HedgeConstraints,
    HedgeRequest,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

DATE = "2022-12-30"


def _request(**changes: Any) -> dict[str, Any]:
    return {"positions": [{"identifier": "WDC", "quantity": 1000}], "date": DATE, **changes}


def _params(*positions: Position, notional: float | None = None, **kw: Any) -> Any:
    return PerformanceHedgeParameters(PositionSet(positions, DATE, notional), **kw)


def test_defaults_are_a_basket_to_trade() -> None:
    req = HedgeRequest.model_validate(_request())
    assert (req.parameters.max_names, req.parameters.max_weight) == (10, 25.0)
    params = req.to_parameters()
    assert (params.max_names, params.max_weight) == (10, 25.0)
    assert _params(Position("WDC", 1)).max_names == 10


@pytest.mark.parametrize(
    ("params", "text"),
    [
        (_params(Position("WDC", weight=0.6), Position("MU", weight=0.6), notional=1e7),
         "weights sum to 1.2"),
        (_params(Position("WDC", weight=1.5), notional=1e7),
         "position[0].weight: weight 1.5 is above 1"),
        (_params(Position("WDC", -5), max_gross=150.0), "max_gross bounds a long/short hedge"),
        (_params(Position("WDC", 5), allow_long_short=True, max_gross=80.0),
         "max_gross=80% is below the net 100%"),
        (_params(Position("WDC", 5), allow_long_short=True, min_net=90.0, max_net=50.0),
         "min_net=90% is above max_net=50%"),
        (_params(Position("WDC", 5), allow_long_short=True, min_names=3),
         "does not combine with min_names"),
        (_params(Position("WDC", 5), Position("MU", weight=1.0), notional=1e7),
         "mix quantities and weights"),
        (_params(Position("WDC", weight=1.0)), "set notional"),
        (_params(Position("WDC", 5), notional=1e7), "drop notional"),
        (_params(Position("WDC", 0)), "is zero"),
        (_params(Position("WDC", 5), max_weight=5.0), "raise max_weight to >= 10% or max_names"),
        (_params(Position("WDC", 5), max_weight=0.0), "max_weight: input should be greater"),
        (_params(Position("WDC", 5), max_names=2.5), "max_names: input should be a valid int"),
        (_params(Position("WDC", 5), max_leverage=True), "max_leverage: input should be"),
        (_params(Position("WDC", 5), sampling_period="Hourly"), "sampling_period='Hourly'"),
        (_params(Position("WDC", 5), method="magic"), "known methods"),
        (_params(Position("WDC", 5), observation_start_date="2023-01-01"), "move it earlier"),
        (_params(Position("WDC", 5), universe=()), "universe: list should have at least 1"),
        (_params(Position("WDC", 5), constraints=HedgeConstraints(
            sectors=(Constraint("Energy", 0, 150),))), "less than or equal to 100"),
    ],
)  # fmt: skip
def test_the_library_validates_with_the_request(params: Any, text: str) -> None:
    with pytest.raises(ConfigurationError, match=None) as err:
        params.validate()
    assert text in str(err.value)
    assert "\n" not in str(err.value)


def test_esg_bounds_are_in_the_scores_units() -> None:
    cons = HedgeConstraints(esg=(Constraint("esg_score", 200, 500),))
    _params(Position("WDC", 5), constraints=cons).validate()


def test_a_name_twice_is_accepted_for_the_library_to_merge() -> None:
    _params(Position("WDC", 5), Position("WDC", 7)).validate()
    _params(Position("WDC", weight=0.5), Position("WDC UW", weight=0.5), notional=1e6).validate()


def test_sampling_and_method_are_case_insensitive() -> None:
    req = HedgeRequest.model_validate(
        _request(method=" Factor ", parameters={"sampling_period": "W"})
    )
    assert (req.method, req.parameters.sampling_period) == ("factor", "Weekly")


_weights = st.lists(st.integers(1, 100), min_size=1, max_size=5)


@given(_weights, st.sampled_from([None, 1, 5, 40]), st.floats(1.0, 100.0))
def test_request_and_parameters_round_trip(parts: list[int], names: Any, cap: float) -> None:
    """to_parameters then from_parameters gives the same request, for any valid one."""
    total = sum(parts)
    positions = [{"identifier": f"T{i}", "weight": p / total} for i, p in enumerate(parts)]
    data = _request(positions=positions, notional=1e6, parameters={"max_weight": cap})
    data["parameters"]["max_names"] = names
    try:
        req = HedgeRequest.from_input(data)
    except ConfigurationError as exc:
        assert names is not None and names * cap < 100, exc
        return
    assert HedgeRequest.from_parameters(req.to_parameters()) == req
