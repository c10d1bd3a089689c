"""API keys, isolation between keys, rate limit, body-size limit, headers, the keys CLI."""

from __future__ import annotations

import socket
import sqlite3
from typing import Any

import pytest
from typer.testing import CliRunner

from hedgekit.cli import app
from hedgekit.server import Database, KeyStore, TokenBucket, hash_key


def test_every_route_but_health_needs_a_key(service: Any) -> None:
    c = service.client
    routes = [
        ("GET", "/v1/hedges"),
        ("POST", "/v1/hedges"),
        ("GET", "/v1/hedges/abc"),
        ("DELETE", "/v1/hedges/abc"),
        ("GET", "/v1/hedges/abc/basket.csv"),
        ("GET", "/v1/peers/KSTD"),
        ("GET", "/v1/market"),
    ]
    for method, path in routes:
        for headers in (
            {},
            {"Authorization": "Bearer hk_not-a-real-key"},
            {"X-API-Key": "wrong"},
            {"Authorization": "Basic dXNlcjpwYXNz"},
        ):
            r = c.request(method, path, headers=headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
            assert "hedgekit keys create" in r.json()["detail"]
    assert c.get("/v1/health").status_code == 200
    assert c.get("/").status_code == 200


def test_a_key_sees_only_its_own_hedges(service: Any, hedge: dict[str, Any], wait: Any) -> None:
    c = service.client
    mine = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    assert wait(c, service.a, mine)["status"] == "done"
    theirs = c.post("/v1/hedges", json=hedge, headers=service.b).json()["id"]

    for path in (f"/v1/hedges/{mine}", f"/v1/hedges/{mine}/basket.csv"):
        r = c.get(path, headers=service.b)
        assert r.status_code == 404, path  # 404, not 403: B cannot even learn it exists
        assert (
            r.json()["detail"]
            == f"no hedge '{mine}' for this API key; list yours with GET /v1/hedges"
        )
    assert c.delete(f"/v1/hedges/{mine}", headers=service.b).status_code == 404
    listed_b = [x["id"] for x in c.get("/v1/hedges", headers=service.b).json()["items"]]
    listed_a = [x["id"] for x in c.get("/v1/hedges", headers=service.a).json()["items"]]
    assert listed_b == [theirs]
    assert listed_a == [mine]
    # A's hedge is untouched by B's attempts
    assert c.get(f"/v1/hedges/{mine}", headers=service.a).json()["status"] == "done"
    # a cursor from one key does not reveal the other's hedges
    page = c.get("/v1/hedges", params={"limit": 1}, headers=service.a).json()
    assert page["next_cursor"] is None


def test_revoked_key_is_refused_at_once(service: Any) -> None:
    c = service.client
    assert c.get("/v1/hedges", headers=service.a).status_code == 200
    db = Database(service.settings.database)
    KeyStore(db).revoke("alice")
    db.close()
    r = c.get("/v1/hedges", headers=service.a)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    assert c.get("/v1/hedges", headers=service.b).status_code == 200


def test_keys_are_stored_hashed(service: Any) -> None:
    raw = service.settings.database.read_bytes()
    wal = service.settings.database.with_name(service.settings.database.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert service.key_a.encode() not in raw
    assert service.key_a[10:].encode() not in raw  # beyond the shown prefix, nothing
    with sqlite3.connect(service.settings.database) as conn:
        hashes = {r[0] for r in conn.execute("SELECT key_hash FROM api_keys")}
    assert hash_key(service.key_a) in hashes


def test_rate_limit_is_per_key_with_retry_after(service_factory: Any) -> None:
    service = service_factory(rate_per_second=0.2, rate_burst=3)
    c = service.client
    codes = [c.get("/v1/hedges", headers=service.a).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.get("/v1/hedges", headers=service.a)
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 5
    assert "rate limit exceeded for key 'alice'" in r.json()["detail"]
    assert r.json()["type"] == "rate_limited"
    assert c.get("/v1/hedges", headers=service.b).status_code == 200  # B has its own bucket
    assert c.get("/v1/health").status_code == 200  # health is not limited


def test_token_bucket_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0])
    assert [bucket.take("k") for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] = 0.5
    assert bucket.take("k") == 0.0
    assert bucket.take("k") > 0
    assert TokenBucket.retry_after(0.01) == "1"
    assert TokenBucket.retry_after(2.2) == "3"


def test_body_larger_than_the_limit_is_413(service_factory: Any, hedge: dict[str, Any]) -> None:
    service = service_factory(max_body_bytes=4096)
    c = service.client
    big = {**hedge, "universe": ["SPX"] + [f"T{i:05d}" for i in range(1000)]}
    r = c.post("/v1/hedges", json=big, headers=service.a)
    assert r.status_code == 413
    assert "larger than 4,096 bytes" in r.json()["detail"]
    assert r.json()["type"] == "payload_too_large"

    def chunks() -> Any:  # no Content-Length: counted as it streams
        yield b'{"positions": ['
        for _ in range(400):
            yield b'{"identifier": "KSTD", "quantity": 1},'
        yield b"]}"

    r = c.post(
        "/v1/hedges",
        content=chunks(),
        headers={**service.a, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert c.post("/v1/hedges", json=hedge, headers=service.a).status_code == 202


def test_security_headers_and_no_cors(service: Any) -> None:
    c = service.client
    r = c.get("/v1/hedges", headers={**service.a, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = c.options(
        "/v1/hedges",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers
    page = c.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_cors_when_configured(service_factory: Any) -> None:
    service = service_factory(cors_origins=("https://desk.example",))
    r = service.client.get("/v1/hedges", headers={**service.a, "Origin": "https://desk.example"})
    assert r.headers["access-control-allow-origin"] == "https://desk.example"


def test_no_key_in_logs(
    service: Any, hedge: dict[str, Any], wait: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    c = service.client
    job = c.post("/v1/hedges", json=hedge, headers=service.a).json()
    wait(c, service.a, job["id"])
    c.get("/v1/hedges", headers={"X-API-Key": service.key_a + "x"})
    assert service.key_a not in caplog.text
    assert service.key_a[3:20] not in caplog.text


def test_one_server_per_database(service: Any) -> None:
    from hedgekit import ConfigurationError

    other = Database(service.settings.database)
    with pytest.raises(ConfigurationError, match="another hedgekit server is running"):
        other.acquire()
    other.close()


def test_keys_cli(tmp_path: Any) -> None:
    runner = CliRunner()
    db = str(tmp_path / "keys.db")
    created = runner.invoke(app, ["keys", "create", "carol", "--db", db])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("hk_")
    assert len(secret) >= 40
    keys = KeyStore(Database(tmp_path / "keys.db"))
    assert keys.authenticate(secret) is not None

    listed = runner.invoke(app, ["keys", "list", "--db", db, "--json"])
    assert listed.exit_code == 0
    assert secret not in listed.stdout
    assert '"name": "carol"' in listed.stdout

    again = runner.invoke(app, ["keys", "create", "carol", "--db", db])
    assert again.exit_code != 0
    assert isinstance(again.exception, Exception)
    assert "already exists" in str(again.exception)

    revoked = runner.invoke(app, ["keys", "revoke", "carol", "--db", db])
    assert revoked.exit_code == 0
    assert keys.authenticate(secret) is None
    missing = runner.invoke(app, ["keys", "revoke", "dave", "--db", db])
    assert "no key named 'dave'" in str(missing.exception)
    bad = runner.invoke(app, ["keys", "create", "no spaces", "--db", db])
    assert "is not allowed" in str(bad.exception)


def test_serve_refuses_an_empty_data_home(tmp_path: Any) -> None:
    runner = CliRunner()
    with socket.socket() as s:  # any port; the command stops before binding
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    r = runner.invoke(app, ["serve", "--home", str(tmp_path / "empty"), "--port", port])
    assert r.exit_code != 0
    assert "pass --demo" in str(r.exception)
