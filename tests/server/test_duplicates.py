"""A security named twice in a request is one position, not a 500 (issue 17)."""

from __future__ import annotations

from typing import Any


def test_duplicate_identifier_is_merged_and_reported(
    service: Any, hedge: dict[str, Any], wait: Any
) -> None:
    body = {
        **hedge,
        "positions": [
            {"identifier": "KSTD", "quantity": 600_000},
            {"identifier": "KSTD", "quantity": 400_000},
        ],
    }
    r = service.client.post("/v1/hedges", json=body, headers=service.a)
    assert r.status_code == 202, r.text
    done = wait(service.client, service.a, r.json()["id"])
    assert done["status"] == "done", done
    warnings = done["result"]["diagnostics"]["warnings"]
    assert any("one security (KSTD)" in w for w in warnings), warnings
