"""The monitor of a stored hedge through the service (issue 16)."""

from __future__ import annotations

from typing import Any


def test_monitor_of_a_done_hedge(service: Any, hedge: dict[str, Any], wait: Any) -> None:
    r = service.client.post("/v1/hedges", json=hedge, headers=service.a)
    assert r.status_code == 202, r.text
    hedge_id = r.json()["id"]
    done = wait(service.client, service.a, hedge_id)
    assert done["status"] == "done", done
    url = f"/v1/hedges/{hedge_id}/monitor"
    m = service.client.get(url, params={"date": "2023-06-30"}, headers=service.a)
    assert m.status_code == 200, m.text
    body = m.json()
    assert body["hedge_id"] == hedge_id and body["as_of"] == "2023-06-30"
    assert body["inception"] == done["result"]["date"]
    assert body["verdict"] in ("rebalance recommended", "rebalance not needed")
    assert body["observations"] > 100
    shares = {c["identifier"]: c["shares"] for c in done["result"]["constituents"]}
    assert {n["ticker"]: n["shares"] for n in body["names"]} == shares
    assert body["trades"] is not None
    png = service.client.get(url + ".png", params={"date": "2023-06-30"}, headers=service.a)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    # another key does not see it; a date before the hedge is refused
    assert service.client.get(url, headers=service.b).status_code == 404
    early = service.client.get(url, params={"date": "2020-01-02"}, headers=service.a)
    assert early.status_code == 422 and "after the hedge date" in early.text


def test_monitor_of_an_unknown_hedge_is_404(service: Any) -> None:
    r = service.client.get("/v1/hedges/nope/monitor", headers=service.a)
    assert r.status_code == 404
