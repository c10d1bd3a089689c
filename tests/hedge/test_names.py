"""Unknown countries, regions and corporate-action types are errors, like sectors (issue 17)."""

from __future__ import annotations

import pytest

from hedgekit import ConfigurationError
from hedgekit.data import ACTION_TYPES, canonical_action_type
from hedgekit.hedge import (
    Constraint,
    HedgeConstraints,
    HedgeExclusions,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

DATE = "2022-12-30"


def _run(market, **kw):
    ps = PositionSet([Position("KSTD", 1_000_000)], DATE)
    params = PerformanceHedgeParameters(ps, max_names=10, max_weight=25.0, **kw)
    return PerformanceHedge(params, market).calculate()


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"exclusions": HedgeExclusions(countries=["Untied States"])}, "'United States'"),
        ({"exclusions": HedgeExclusions(regions=["Narnia"])}, "region 'Narnia' is not known"),
        (
            {"constraints": HedgeConstraints(countries=[Constraint("Atlantis", 0, 10)])},
            "country 'Atlantis' is not known",
        ),
        (
            {"constraints": HedgeConstraints(regions=[Constraint("Eurpoe", 0, 50)])},
            "did you mean 'Europe'",
        ),
        ({"exclude_corporate_actions_types": ["mergr"]}, "did you mean 'merger'"),
    ],
)
def test_unknown_name_is_an_error_with_a_suggestion(demo_market, kw, match):
    with pytest.raises(ConfigurationError, match=match):
        _run(demo_market, **kw)


def test_known_names_in_any_case_and_marquee_spelling(demo_market):
    res = _run(
        demo_market,
        exclusions=HedgeExclusions(countries=["japan"], regions=["EUROPE"]),
        exclude_corporate_actions_types=["Mergers", "Spin-Offs"],
    )
    assert len(res.get_constituents()) > 0
    assert canonical_action_type("Spin-Offs") == "spin_off"
    assert canonical_action_type("Mergers") == "merger"
    assert {canonical_action_type(t) for t in ACTION_TYPES} == set(ACTION_TYPES)


@pytest.mark.parametrize(
    ("marquee", "ours"),
    [
        ("Mergers", "merger"),
        ("Quote lot adjustments", "quote_lot_adjustment"),
        ("Rights", "rights_issue"),
        ("Spinoffs", "spin_off"),
        ("Cash dividends", "dividend"),
        ("Stock splits", "split"),
        ("Reorganization", "reorganization"),
    ],
)
def test_every_marquee_corporate_action_type_maps_to_a_known_one(marquee, ours):
    assert canonical_action_type(marquee) == ours
    assert ours in ACTION_TYPES
