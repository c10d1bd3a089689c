"""Property-based fuzzing of every operation in /openapi.json (schemathesis): no 5xx, ever.

Runs against a real uvicorn server on loopback (module fixture ``live_server``); bounded
to a few dozen examples per operation so the whole file takes well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 40


@pytest.fixture(scope="module")
def api_schema(live_server: Any) -> Any:
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: Any, live_server: Any) -> None:
    response = case.call(headers={"X-API-Key": live_server.key_a}, timeout=60)
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
