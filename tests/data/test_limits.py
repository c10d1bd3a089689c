"""The data's limits come from the data, not from sentences in the code (issue 18)."""

from __future__ import annotations

import json

from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet


def test_demo_limits_say_synthetic_and_not_survivorship(demo_market):
    limits = demo_market.limits
    assert any(line.startswith("SYNTHETIC") for line in limits)
    assert not any(line.startswith("Survivorship") for line in limits)
    kept = demo_market.store.home / "cache" / "limits" / f"{demo_market.version}.json"
    assert json.loads(kept.read_text()) == list(limits)


def test_real_limits_are_derived_and_reach_the_hedge(real_market):
    limits = real_market.limits
    (surv,) = [line for line in limits if line.startswith("Survivorship bias")]
    assert "members in the membership table have no prices" in surv
    assert any(line.startswith("Fundamentals are annual") for line in limits)
    ps = PositionSet([Position("WDC", 1000)], "2023-12-29")
    res = PerformanceHedge(PerformanceHedgeParameters(ps), real_market).calculate()
    assert res.diagnostics["data_limits"] == list(limits)
