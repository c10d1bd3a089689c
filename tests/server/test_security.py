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


# ---------------------------------------------------------------------------- credentials
def test_one_rule_for_two_credentials(service: Any) -> None:
    """Every credential sent must be the same valid key, whichever header it is in."""
    c = service.client
    valid = {"X-API-Key": service.key_a}
    same = {**valid, "Authorization": f"Bearer {service.key_a}"}
    assert c.get("/v1/hedges", headers=same).status_code == 200
    for authorization in (
        "Basic dXNlcjpwYXNz",  # was ignored beside a valid X-API-Key
        "Bearer hk_wrong",  # was 401
        f"Bearer {service.key_b}",  # another valid key: ambiguous
        "Bearer ",
        "Digest x",
    ):
        r = c.get("/v1/hedges", headers={**valid, "Authorization": authorization})
        assert r.status_code == 401, (authorization, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert "hedgekit keys create" in r.json()["detail"]
    r = c.get("/v1/hedges", headers={**valid, "Authorization": "Basic dXNlcjpwYXNz"})
    assert "must be 'Bearer <key>', not 'Basic'" in r.json()["detail"]
    r = c.get("/v1/hedges", headers={**valid, "Authorization": f"Bearer {service.key_b}"})
    assert "two different API keys" in r.json()["detail"]


def test_key_in_the_query_string_is_refused(service: Any) -> None:
    c = service.client
    for query in (
        {"api_key": service.key_a},
        {"token": service.key_a},
        {"limit": "5", "x": service.key_a},
    ):
        r = c.get("/v1/hedges", params=query, headers=service.a)
        assert r.status_code == 401, query
        assert "not accepted in the URL" in r.json()["detail"]
        assert service.key_a not in r.text
    assert c.get("/v1/health", params={"api_key": "hk_x"}).status_code == 401
    assert c.get("/v1/hedges", params={"limit": "5"}, headers=service.a).status_code == 200


def test_key_in_the_query_string_never_reaches_the_access_log(
    demo_store: Any, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import threading
    import time

    import httpx
    import uvicorn

    from hedgekit.server import ServerSettings, create_app

    from .conftest import make_keys

    db_path = tmp_path / "live" / "hedgekit.db"
    (key,) = make_keys(db_path, "alice")
    settings = ServerSettings(data_home=demo_store.home, db_path=db_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    caplog.set_level("INFO", logger="uvicorn.access")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        r = httpx.get(f"{url}/v1/hedges", params={"api_key": key, "limit": 3})
        assert r.status_code == 401
        httpx.get(f"{url}/v1/hedges", params={"limit": 3}, headers={"X-API-Key": key})
    finally:
        server.should_exit = True
        thread.join(30)
    access = "\n".join(r.getMessage() for r in caplog.records if r.name == "uvicorn.access")
    assert "api_key=REDACTED" in access  # the request is logged, without the key
    assert "limit=3" in access
    assert key not in caplog.text
    assert key[3:20] not in caplog.text


# ---------------------------------------------------------------------------- 405
def test_405_lists_every_allowed_method(service: Any) -> None:
    c = service.client
    cases = {
        ("PUT", "/v1/hedges"): "GET, POST",  # Starlette said POST only
        ("PATCH", "/v1/hedges/abc"): "DELETE, GET",  # Starlette said GET only
        ("POST", "/v1/hedges/abc/basket.csv"): "GET",
        ("POST", "/v1/health"): "GET",
    }
    for (method, path), allow in cases.items():
        r = c.request(method, path, headers=service.a)
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] == allow, (method, path)
        assert r.json()["type"] == "method_not_allowed"
        assert f"use {allow}" in r.json()["detail"]
        for listed in allow.split(", "):  # and each listed method is really allowed
            assert c.request(listed, path, headers=service.a).status_code != 405, listed


# ---------------------------------------------------------------------------- files
def test_server_files_are_private(service: Any, hedge: dict[str, Any], wait: Any) -> None:
    c = service.client
    wait(c, service.a, c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"])
    db = service.settings.database
    assert db.parent.stat().st_mode & 0o777 == 0o700
    files = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", ".lock"))]
    for path in files:
        assert path.exists(), path
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_an_existing_world_readable_database_is_tightened(tmp_path: Any) -> None:
    import os

    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    path = folder / "hedgekit.db"
    first = Database(path)
    first.connect()
    first.close()
    os.chmod(path, 0o644)
    db = Database(path)
    db.connect()
    db.acquire()
    assert path.stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o755  # a folder it did not create is left alone
    db.close()


def test_keys_list_on_a_missing_database_creates_nothing(tmp_path: Any) -> None:
    runner = CliRunner()
    typo = tmp_path / "hedgkit.db"
    for command in (["keys", "list"], ["keys", "revoke", "alice"]):
        r = runner.invoke(app, [*command, "--db", str(typo)])
        assert r.exit_code != 0
        assert f"no service database at {typo}" in str(r.exception)
        assert "hedgekit keys create" in str(r.exception)
    assert not typo.exists()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- health
def test_health_without_a_key_shows_no_path(service_factory: Any, tmp_path: Any) -> None:
    from hedgekit.server import ServerSettings, create_app

    from .conftest import make_keys

    empty = tmp_path / "no-data-here"
    db_path = tmp_path / "nodata" / "hedgekit.db"
    make_keys(db_path, "alice")
    from fastapi.testclient import TestClient

    with TestClient(create_app(ServerSettings(data_home=empty, db_path=db_path))) as c:
        r = c.get("/v1/health")
    assert r.status_code == 503
    assert r.json()["status"] == "degraded"
    assert str(tmp_path) not in r.text
    assert "no-data-here" not in r.text
    assert "no market data loaded" in r.json()["data"]


def test_settings_of_the_fair_service_are_validated() -> None:
    from hedgekit import ConfigurationError
    from hedgekit.server import ServerSettings

    with pytest.raises(ConfigurationError, match=r"retain_days=-1: use a number of days >= 0"):
        ServerSettings(retain_days=-1).validate()
    with pytest.raises(ConfigurationError, match=r"max_running_per_key=0: use a whole number"):
        ServerSettings(max_running_per_key=0).validate()
    with pytest.raises(ConfigurationError, match=r"max_queued_per_key=0: use a whole number"):
        ServerSettings(max_queued_per_key=0).validate()
    assert ServerSettings(workers=4).running_per_key == 3
    assert ServerSettings(workers=1).running_per_key == 1
    assert ServerSettings(queue_size=10).queued_per_key == 10
    assert ServerSettings().queued_per_key == 25
