"""The library, the CLI and the API accept and refuse the same hedge requests (issue 17).

One table of requests on the demo market; each goes through the three front doors:
``PerformanceHedge(...).calculate()`` (a HedgekitError or a result), ``hedgekit hedge``
(a HedgekitError, exit 2 under ``main``, or exit 0) and ``POST /v1/hedges`` (a 4xx before
anything is queued, or a job that finishes ``done``).
"""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from hedgekit import HedgekitError
from hedgekit.cli import app
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

DATE = "2022-12-30"
runner = CliRunner()


def _q(identifier: str, quantity: float) -> dict[str, Any]:
    return {"identifier": identifier, "quantity": quantity}


def _w(identifier: str, weight: float) -> dict[str, Any]:
    return {"identifier": identifier, "weight": weight}


#: (case, positions, notional, parameters, accepted)
CASES: list[tuple[str, list[dict[str, Any]], float | None, dict[str, Any], bool]] = [
    ("one long quantity", [_q("KSTD", 100_000)], None, {}, True),
    ("weights summing to 100%", [_w("KSTD", 0.6), _w("FRLX", 0.4)], 1e7, {}, True),
    ("weights summing to 120%", [_w("KSTD", 0.6), _w("FRLX", 0.6)], 1e7, {}, False),
    ("a weight above 100%", [_w("KSTD", 1.5)], 1e7, {}, False),
    ("a negative weight", [_w("KSTD", 1.2), _w("FRLX", -0.2)], 1e7, {}, False),
    # a net-short book is hedged by a long basket (issue 16); a flat one is refused
    ("only a negative quantity", [_q("KSTD", -100_000)], None, {}, True),
    ("long with a small short", [_q("KSTD", 100_000), _q("FRLX", -1)], None, {}, True),
    ("net short", [_q("KSTD", 1), _q("FRLX", -1e6)], None, {}, True),
    ("net flat", [_q("KSTD", 100), _q("KSTD", -100)], None, {}, False),
    ("a gross bound without long/short", [_q("KSTD", 1e5)], None, {"max_gross": 150.0}, False),
    ("mixed quantity and weight", [_q("KSTD", 100), _w("FRLX", 1.0)], 1e7, {}, False),
    ("weights without notional", [_w("KSTD", 1.0)], None, {}, False),
    ("duplicate identifiers", [_q("KSTD", 60_000), _q("KSTD", 40_000)], None, {}, True),
    ("unknown ticker", [_q("KSTDX", 100)], None, {}, False),
    ("zero quantity", [_q("KSTD", 0)], None, {}, False),
    ("caps that cannot reach 100%", [_q("KSTD", 1e5)], None, {"max_weight": 5}, False),
    ("no name limit", [_q("KSTD", 1e5)], None, {"max_names": None}, True),
]
IDS = [c[0] for c in CASES]
#: request parameters as `hedgekit hedge` options
_OPTIONS = {"max_weight": "--max-weight", "max_names": "--max-names", "max_gross": "--max-gross"}


def _library(market: Any, positions: list[dict[str, Any]], notional: Any, params: Any) -> bool:
    ps = PositionSet([Position(**p) for p in positions], DATE, reference_notional=notional)
    try:
        PerformanceHedge(PerformanceHedgeParameters(ps, **params), market).calculate()
    except HedgekitError:
        return False
    return True


def _cli(home: Any, positions: list[dict[str, Any]], notional: Any, params: Any) -> bool:
    args = [
        f"{p['identifier']}={p['quantity']}"
        if "quantity" in p
        else f"{p['identifier']}:{p['weight']}"
        for p in positions
    ]
    if notional is not None:
        args += ["--notional", str(notional)]
    for name, value in params.items():
        args += [_OPTIONS[name], "0" if value is None else str(value)]  # 0 = no limit
    res = runner.invoke(app, ["hedge", *args, "--date", DATE, "--home", str(home), "--json"])
    if res.exit_code == 0:
        return True
    assert isinstance(res.exception, HedgekitError), res.output  # a user error, not a bug
    return False


def _api(service: Any, wait: Any, positions: Any, notional: Any, params: Any) -> bool:
    body: dict[str, Any] = {"positions": positions, "date": DATE, "parameters": params}
    if notional is not None:
        body["notional"] = notional
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    if r.status_code != 202:
        assert r.status_code == 422, r.text
        return False
    return bool(wait(service.client, service.a, r.json()["id"])["status"] == "done")


@pytest.mark.parametrize(("case", "positions", "notional", "params", "accepted"), CASES, ids=IDS)
def test_library_cli_and_api_agree(
    service: Any,
    wait: Any,
    demo_store: Any,
    demo_market: Any,
    case: str,
    positions: list[dict[str, Any]],
    notional: float | None,
    params: dict[str, Any],
    accepted: bool,
) -> None:
    outcomes = {
        "library": _library(demo_market, positions, notional, params),
        "cli": _cli(demo_store.home, positions, notional, params),
        "api": _api(service, wait, positions, notional, params),
    }
    assert outcomes == dict.fromkeys(outcomes, accepted), (case, outcomes)


def test_one_default_set() -> None:
    """The library's, the request's and the CLI's defaults are one set: 10 names, 25%."""
    from hedgekit.hedge import HedgeRequest, HedgeSettings
    from hedgekit.server import HedgeRequest as ServiceRequest

    library = PerformanceHedgeParameters(PositionSet([Position("X", 1)], DATE))
    request = HedgeRequest.model_validate({"positions": [_q("X", 1)], "date": DATE})
    service = ServiceRequest.model_validate({"positions": [_q("X", 1)], "date": DATE})
    assert library.max_names == 10 and library.max_weight == 25.0
    for name, field in HedgeSettings.model_fields.items():
        if name != "observation_start_date":
            assert field.default == _plain(getattr(library, name)), name
        for built in (request.to_parameters(), service.to_parameters()):
            assert _plain(getattr(built, name)) == _plain(getattr(library, name)), name
    help_text = runner.invoke(app, ["hedge", "--help"], terminal_width=200).output
    assert "default 10" in help_text and "default 25" in help_text


def _plain(value: Any) -> Any:
    value = getattr(value, "value", value)
    return value.capitalize() if value in ("daily", "weekly", "monthly") else value
