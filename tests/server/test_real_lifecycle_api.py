"""The service on the real data (issue 16): a hedge with a user basket held as one
instrument (``basket_instruments``), and a net-short book's long hedge monitored and
rebalanced through the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hedgekit.server import ServerSettings, create_app

from .conftest import Service, make_keys, wait_for

pytestmark = pytest.mark.realdata
DATE = "2022-12-30"


@pytest.fixture(scope="module")
def real_service(real_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    db_path = Path(tmp_path_factory.mktemp("real_server")) / "hedgekit.db"
    settings = ServerSettings(data_home=real_store.home, db_path=db_path)
    key_a, key_b = make_keys(db_path, "alice", "bob")
    client = TestClient(create_app(settings))
    client.__enter__()
    service = Service(client=client, settings=settings, key_a=key_a, key_b=key_b)
    yield service
    service.close()


def _done(service: Service, body: dict[str, Any]) -> dict[str, Any]:
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    job = wait_for(service.client, service.a, r.json()["id"], timeout=300.0)
    assert job["status"] == "done", job
    return job


def test_a_basket_instrument_is_held_in_the_hedge(real_service: Service) -> None:
    body = {
        "positions": [{"identifier": "WDC", "quantity": 1_000_000}],
        "date": DATE,
        "basket_instruments": [{"name": "STORAGE", "weights": {"MU": 1, "STX": 1}}],
    }
    job = _done(real_service, body)
    rows = {c["identifier"]: c for c in job["result"]["constituents"]}
    assert "STORAGE" in rows
    held = rows["STORAGE"]
    assert held["shares"] > 0 and held["notional"] == pytest.approx(
        held["shares"] * held["price"], rel=1e-9
    )
    universe = job["result"]["parameters"]["universe"]
    assert {"name": "STORAGE", "weights": {"MU": 0.5, "STX": 0.5}} in universe
    weights = sum(c["weight"] for c in rows.values())
    assert weights == pytest.approx(100.0, abs=0.5)


def test_a_net_short_books_long_hedge_through_the_api(real_service: Service) -> None:
    body = {"positions": [{"identifier": "WDC", "quantity": -1_000_000}], "date": "2022-06-30"}
    job = _done(real_service, body)
    result = job["result"]
    assert {c["side"] for c in result["constituents"]} == {"long"}
    url = f"/v1/hedges/{job['id']}/monitor"
    m = real_service.client.get(url, params={"date": DATE}, headers=real_service.a)
    assert m.status_code == 200, m.text
    mon = m.json()
    shares = {c["identifier"]: c["shares"] for c in result["constituents"]}
    assert {n["ticker"]: n["shares"] for n in mon["names"]} == shares
    assert {n["side"] for n in mon["names"]} == {"long"}
    assert mon["trades"] and {t["side"] for t in mon["trades"]} <= {"BUY", "SELL"}
    # the book's own P&L against the bought basket: a negative correlation, as the fit's
    assert mon["correlation"]["since_inception"] < 0
    assert mon["correlation"]["fitted"] < 0
    # the rebalance of that long hedge within a turnover and a trade limit
    held = [{"identifier": t, "quantity": q} for t, q in shares.items()]
    rebalance = {
        "positions": body["positions"],
        "date": DATE,
        "current_hedge": held,
        "parameters": {"max_turnover": 15, "max_trades": 3},
    }
    done = _done(real_service, rebalance)["result"]
    info = done["diagnostics"]["rebalance"]
    assert info["turnover_pct"] <= 15 and info["trades"] <= 3
    assert info["current_hedge"] == {t: float(q) for t, q in shares.items()}
    assert {t["side"] for t in done["trades"]} <= {"BUY", "SELL"}
    assert {c["side"] for c in done["constituents"]} == {"long"}
