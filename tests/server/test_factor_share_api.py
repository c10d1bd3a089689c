"""``POST /v1/hedges`` with factor-share caps: 422 naming the field before anything is queued,
a job that meets the caps, and a job that fails on an unknown group."""

from __future__ import annotations

import copy
from typing import Any

import pytest


@pytest.mark.parametrize(
    ("parameters", "text", "field"),
    [
        ({"max_factor_share": -5}, "greater than 0", "parameters.max_factor_share"),
        (
            {"max_factor_share_by_group": {"Style": 500}},
            "less than or equal to 100",
            "parameters.max_factor_share_by_group.Style",
        ),
        ({"factor_risk_weight": 2}, "use method 'factor'", None),
    ],
)
def test_bad_caps_are_422(service: Any, hedge: dict[str, Any], parameters, text, field) -> None:
    body = copy.deepcopy(hedge)
    body["parameters"].update(parameters)
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 422, r.text
    payload = r.json()
    assert text in payload["detail"], payload
    if field is not None:
        assert field in [e["field"] for e in payload["errors"]], payload
    assert service.client.get("/v1/hedges", headers=service.a).json()["items"] == []


def test_a_job_meets_the_caps_or_names_the_groups(
    service: Any, hedge: dict[str, Any], wait: Any
) -> None:
    body = copy.deepcopy(hedge)
    body["method"] = "factor"
    body["parameters"].update(max_factor_share=3, factor_risk_weight=1.5)
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    job = wait(service.client, service.a, r.json()["id"])
    assert job["status"] == "done", job
    share = job["result"]["diagnostics"]["factor_share"]
    assert share["factor_share"] <= 3 and share["max_factor_share"] == 3
    body["parameters"] = {**hedge["parameters"], "max_factor_share_by_group": {"Industry": 5}}
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    job = wait(service.client, service.a, r.json()["id"])
    assert job["status"] == "failed" and job["error"]["status_code"] == 422
    assert "groups are Market, Sector, Style" in job["error"]["message"]
