"""Every class of bad input is a 4xx whose message names the field and the fix."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

Mutation = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Mutation:
    def mutate(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for p in parents:
            node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _drop(key: str) -> Mutation:
    return lambda body: body.pop(key)


CASES: list[tuple[str, Mutation, str, str | None]] = [
    # (case, mutation, text the message must contain, field)
    ("unknown ticker", _set("positions.0.identifier", "KSTDX"), "did you mean KSTD", None),
    ("unknown universe", _set("universe", ["SPX", "NOPE"]), "unknown identifier 'NOPE'", None),
    ("unknown excluded asset", _set("exclusions", {"assets": ["QQQQQ"]}), "'QQQQQ'", None),
    (
        "unknown constrained asset",
        _set("constraints", {"assets": [{"constraint_name": "QQQQQ", "maximum": 10}]}),
        "'QQQQQ'",
        None,
    ),
    (
        "weights not summing to one",
        lambda b: b.update(
            positions=[{"identifier": "KSTD", "weight": 60}, {"identifier": "FRLX", "weight": 40}],
            notional=1e7,
        ),
        "must sum to 1",
        None,
    ),
    (
        "weights without notional",
        _set("positions", [{"identifier": "KSTD", "weight": 1.0}]),
        "set notional",
        None,
    ),
    ("notional with quantities", _set("notional", 1e6), "drop notional", None),
    (
        "mixed quantities and weights",
        lambda b: b.update(
            positions=[
                {"identifier": "KSTD", "weight": 0.5},
                {"identifier": "FRLX", "quantity": 5},
            ],
            notional=1e6,
        ),
        "mix quantities and weights",
        None,
    ),
    (
        "quantity and weight together",
        _set("positions", [{"identifier": "KSTD", "quantity": 5, "weight": 1.0}]),
        "exactly one",
        "positions[0]",
    ),
    ("zero position", _set("positions.0.quantity", 0), "is zero", "positions[0]"),
    ("no positions", _set("positions", []), "positions", "positions"),
    (
        "constraint minimum above maximum",
        _set(
            "constraints",
            {"sectors": [{"constraint_name": "Energy", "minimum": 50, "maximum": 10}]},
        ),
        "swap them",
        "constraints.sectors[0]",
    ),
    (
        "min_weight above max_weight",
        _set("parameters", {"min_weight": 30, "max_weight": 20}),
        "lower min_weight or raise max_weight",
        "parameters",
    ),
    (
        "market cap bounds reversed",
        _set("parameters", {"min_market_cap": 2e9, "max_market_cap": 1e9}),
        "swap them",
        "parameters",
    ),
    (
        "max_weight above 100",
        _set("parameters.max_weight", 250),
        "less than or equal to 100",
        "parameters.max_weight",
    ),
    (
        "negative ridge",
        _set("parameters.ridge_weight", -1),
        "greater than or equal to 0",
        "parameters.ridge_weight",
    ),
    (
        "wrong type: quantity",
        _set("positions.0.quantity", "lots"),
        "valid number",
        "positions[0].quantity",
    ),
    (
        "wrong type: max_names",
        _set("parameters.max_names", 2.5),
        "valid integer",
        "parameters.max_names",
    ),
    ("wrong type: positions", _set("positions", "KSTD"), "valid list", "positions"),
    ("wrong type: universe", _set("universe", 500), "valid list", "universe"),
    ("unknown method", _set("method", "magic"), "'returns' or 'factor'", "method"),
    ("unknown estimator", _set("estimator", "magic"), "'default'", "estimator"),
    (
        "unknown sampling",
        _set("parameters.sampling_period", "Hourly"),
        "'Daily'",
        "parameters.sampling_period",
    ),
    (
        "misspelt parameter",
        _set("parameters.max_weigth", 20),
        "did you mean 'max_weight'",
        "parameters.max_weigth",
    ),
    ("unknown top-level field", _set("target", "KSTD"), "not a known field", "target"),
    ("missing date", _drop("date"), "date is required", "date"),
    ("not a date", _set("date", "yesterday"), "expected a date as YYYY-MM-DD", "date"),
    ("date without data (future)", _set("date", "2031-06-30"), "outside the data", None),
    ("date without data (past)", _set("date", "1995-06-30"), "outside the data", None),
    ("date out of range", _set("date", "0001-01-01"), "outside 1900..2200", "date"),
    (
        "window start after the date",
        _set("parameters.observation_start_date", "2023-06-30"),
        "move it earlier",
        None,
    ),
    (
        "blank identifier",
        _set("positions.0.identifier", "   "),
        "at least 1 character",
        "positions[0].identifier",
    ),
    (
        "control characters",
        _set("positions.0.identifier", "KS\x00TD"),
        "pattern",
        "positions[0].identifier",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "text", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_422_naming_the_field(
    service: Any,
    hedge: dict[str, Any],
    case: str,
    mutate: Mutation,
    text: str,
    field: str | None,
) -> None:
    body = copy.deepcopy(hedge)
    mutate(body)
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 422, (case, r.status_code, r.text)
    payload = r.json()
    assert set(payload) == {"detail", "type", "errors"}
    assert text in payload["detail"], payload
    if field is not None:
        assert field in [e["field"] for e in payload["errors"]], payload
        assert any(e["message"].startswith(field) for e in payload["errors"])
    # nothing was queued
    assert service.client.get("/v1/hedges", headers=service.a).json()["items"] == []


@pytest.mark.parametrize(
    ("content", "status", "text"),
    [
        (b'{"positions": [', 422, "not valid JSON"),
        (b"", 422, "request body is empty"),
        (b"[1, 2]", 422, "must be a JSON object"),
        (b'"KSTD"', 422, "must be a JSON object"),
        (b"\xff\xfe\x00", 422, "not UTF-8 text"),
        (
            b'{"positions": [{"identifier": "KSTD", "quantity": NaN}], "date": "2022-12-30"}',
            422,
            "finite number",
        ),
        (
            b'{"positions": [{"identifier": "KSTD", "quantity": 1e999}], "date": "2022-12-30"}',
            422,
            "finite number",
        ),
    ],
)
def test_malformed_bodies_are_4xx(service: Any, content: bytes, status: int, text: str) -> None:
    headers = {**service.a, "Content-Type": "application/json"}
    r = service.client.post("/v1/hedges", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert text in r.json()["detail"]


def test_non_json_content_type_is_4xx(service: Any) -> None:
    headers = {**service.a, "Content-Type": "text/plain"}
    r = service.client.post("/v1/hedges", content=b"KSTD=100000", headers=headers)
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


def test_problems_only_the_job_finds_fail_it_with_the_message(
    service: Any, hedge: dict[str, Any], wait: Any
) -> None:
    """Too little history and unknown sector names need the full problem: the job fails (422)."""
    cases = {
        "2019-01-10": ("InsufficientHistoryError", "start earlier"),
    }
    for date, (kind, text) in cases.items():
        body = {**hedge, "date": date}
        r = service.client.post("/v1/hedges", json=body, headers=service.a)
        assert r.status_code == 202, r.text
        job = wait(service.client, service.a, r.json()["id"])
        assert job["status"] == "failed"
        assert job["error"]["type"] == kind
        assert job["error"]["status_code"] == 422
        assert text in job["error"]["message"]
    body = {**hedge, "exclusions": {"sectors": ["Tech"]}}
    job = wait(
        service.client,
        service.a,
        service.client.post("/v1/hedges", json=body, headers=service.a).json()["id"],
    )
    assert job["status"] == "failed"
    assert "unknown GICS sector 'Tech'" in job["error"]["message"]


@pytest.mark.parametrize(
    ("path", "params", "status", "text"),
    [
        ("/v1/hedges", {"limit": 0}, 422, "query parameter limit"),
        ("/v1/hedges", {"limit": 1000}, 422, "less than or equal to 100"),
        ("/v1/hedges", {"cursor": "bogus"}, 422, "query parameter cursor"),
        ("/v1/hedges", {"limit": "ten"}, 422, "valid integer"),
        ("/v1/peers/KSTD", {"k": 0}, 422, "query parameter k"),
        ("/v1/peers/KSTD", {"embedder": "gpt"}, 422, "query parameter embedder"),
        ("/v1/peers/KSTD", {"date": "soon"}, 422, "query parameter date"),
        ("/v1/hedges/deadbeef", {}, 404, "no hedge 'deadbeef'"),
    ],
)
def test_bad_query_parameters(
    service: Any, path: str, params: dict[str, Any], status: int, text: str
) -> None:
    r = service.client.get(path, params=params, headers=service.a)
    assert r.status_code == status, r.text
    assert text in r.json()["detail"]
