"""``POST /v1/hedges`` with ``current_hedge``: a rebalance within its limits, and 422s."""

from __future__ import annotations

from typing import Any


def test_rebalance_round_trip(service: Any, hedge: dict[str, Any], wait: Any) -> None:
    c = service.client
    first = wait(c, service.a, c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"])
    assert first["status"] == "done", first
    held = [
        {"identifier": n["identifier"], "quantity": n["shares"]}
        for n in first["result"]["constituents"]
    ]
    body = {**hedge, "current_hedge": held}
    body["parameters"] = {**hedge.get("parameters", {}), "max_turnover": 15, "max_trades": 3}
    r = c.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    done = wait(c, service.a, r.json()["id"])
    assert done["status"] == "done", done
    info = done["result"]["diagnostics"]["rebalance"]
    assert info["turnover_pct"] <= 15 and info["trades"] <= 3
    assert len(done["result"]["trades"]) == info["trades"]
    assert info["current_hedge"] == {h["identifier"]: float(h["quantity"]) for h in held}


def test_rebalance_bad_input_is_422(service: Any, hedge: dict[str, Any]) -> None:
    c = service.client
    held = [{"identifier": "FRLX", "quantity": 100}]
    cases = [
        ({"current_hedge": held, "parameters": {"max_turnover": -1}},
         "parameters.max_turnover: input should be greater than or equal to 0"),
        ({"current_hedge": held, "parameters": {"max_trades": -1}},
         "parameters.max_trades: input should be greater than or equal to 0"),
        ({"parameters": {"max_turnover": 10}}, "max_turnover limits a rebalance"),
        ({"current_hedge": [{"identifier": "NOPE_XYZ", "quantity": 1}]},
         "unknown identifier 'NOPE_XYZ': a current_hedge name"),
        ({"current_hedge": [{"identifier": "FRLX", "quantity": 0}]}, "has 0 shares"),
    ]  # fmt: skip
    for extra, text in cases:
        r = c.post("/v1/hedges", json={**hedge, **extra}, headers=service.a)
        assert r.status_code == 422, (extra, r.text)
        assert text in r.text, (extra, r.text)


def test_long_short_rebalance_round_trip(service: Any, hedge: dict[str, Any], wait: Any) -> None:
    c = service.client
    params = {**hedge.get("parameters", {}), "allow_long_short": True, "max_gross": 200}
    fresh = {**hedge, "parameters": params}
    first = wait(c, service.a, c.post("/v1/hedges", json=fresh, headers=service.a).json()["id"])
    assert first["status"] == "done", first
    held = [
        {"identifier": n["identifier"],
         "quantity": -n["shares"] if n["side"] == "short" else n["shares"]}
        for n in first["result"]["constituents"]
    ]  # fmt: skip
    body = {**fresh, "current_hedge": held}
    body["parameters"] = {**params, "max_turnover": 15, "max_trades": 3}
    r = c.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    done = wait(c, service.a, r.json()["id"])
    assert done["status"] == "done", done
    info = done["result"]["diagnostics"]["rebalance"]
    assert info["turnover_pct"] <= 15 + 1e-6 and info["trades"] <= 3
