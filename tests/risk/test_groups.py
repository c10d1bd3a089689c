"""Factor groups: every factor of a model in exactly one of Market, Sector, Style."""

from __future__ import annotations

import pytest

from hedgekit.risk import FACTOR_GROUPS, STYLE_FACTORS, factor_group, factor_groups


def test_a_barra_model_has_three_groups_in_its_order():
    factors = ["market", "sector: Energy", "sector: Utilities", *STYLE_FACTORS]
    groups = factor_groups(factors)
    assert list(groups) == list(FACTOR_GROUPS)
    assert groups["Market"] == ["market"]
    assert groups["Sector"] == ["sector: Energy", "sector: Utilities"]
    assert groups["Style"] == list(STYLE_FACTORS)
    assert sorted(f for g in groups.values() for f in g) == sorted(factors)  # a partition


def test_a_styles_model_has_the_style_group_only():
    assert factor_groups(STYLE_FACTORS) == {"Style": list(STYLE_FACTORS)}


@pytest.mark.parametrize(
    ("factor", "group"),
    [("market", "Market"), ("sector: Health Care", "Sector"), ("momentum", "Style")],
)
def test_one_factor(factor, group):
    assert factor_group(factor) == group


@pytest.mark.realdata
def test_the_real_models_factors(real_risk_model):
    groups = factor_groups(real_risk_model.factors_)
    assert set(groups) == {"Market", "Sector", "Style"}
    assert len(groups["Sector"]) >= 10 and len(groups["Style"]) == len(STYLE_FACTORS)
