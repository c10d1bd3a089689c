"""Fixtures of the service tests: an app on the demo market, API keys, a live uvicorn server.

The demo market (``demo_store`` of the root conftest) is the data home; each test gets its
own service database, so jobs and keys never leak between tests.
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

fastapi = pytest.importorskip("fastapi", reason="the server extra is not installed")

from fastapi.testclient import TestClient  # noqa: E402

from hedgekit.server import Database, KeyStore, ServerSettings, create_app  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives headless Chromium with Playwright (skips without them unless "
        "HEDGEKIT_REQUIRE_BROWSER=1)",
    )


#: a hedge that runs in ~0.1 s on the demo market
HEDGE: dict[str, Any] = {
    "positions": [{"identifier": "KSTD", "quantity": 100000}],
    "date": "2022-12-30",
    "universe": ["SPX"],
    "parameters": {"max_names": 10, "max_weight": 25},
}


@dataclass
class Service:
    """A running app (TestClient) with two keys, ``a`` and ``b``."""

    client: TestClient
    settings: ServerSettings
    key_a: str
    key_b: str
    closed: bool = False

    def close(self) -> None:
        """Stop the app (lifespan shutdown: waits for running jobs); idempotent."""
        if not self.closed:
            self.closed = True
            self.client.__exit__(None, None, None)

    @property
    def a(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key_a}"}

    @property
    def b(self) -> dict[str, str]:
        return {"X-API-Key": self.key_b}


def make_keys(db_path: Path, *names: str) -> list[str]:
    """Create API keys in the database at ``db_path``."""
    db = Database(db_path)
    try:
        keys = KeyStore(db)
        return [keys.create(n) for n in names]
    finally:
        db.close()


def wait_for(
    client: Any, headers: dict[str, str], hedge_id: str, timeout: float = 60.0
) -> dict[str, Any]:
    """Poll a hedge until it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/hedges/{hedge_id}", headers=headers).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.05)


@pytest.fixture
def hedge() -> dict[str, Any]:
    """A fresh copy of :data:`HEDGE`, a request that runs in ~0.1 s on the demo market."""
    return copy.deepcopy(HEDGE)


@pytest.fixture
def wait() -> Callable[..., dict[str, Any]]:
    """:func:`wait_for`: poll a hedge until it is done or failed."""
    return wait_for


@pytest.fixture
def service_factory(demo_store: Any, tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Build a started service with custom settings: ``service_factory(rate_burst=3)``."""
    services: list[Service] = []

    def build(**overrides: Any) -> Service:
        db_path = tmp_path / f"server{len(services)}" / "hedgekit.db"
        settings = ServerSettings(data_home=demo_store.home, db_path=db_path, **overrides)
        key_a, key_b = make_keys(db_path, "alice", "bob")
        client = TestClient(create_app(settings))
        client.__enter__()
        services.append(Service(client=client, settings=settings, key_a=key_a, key_b=key_b))
        return services[-1]

    yield build
    for service in services:
        service.close()


@pytest.fixture
def service(service_factory: Callable[..., Service]) -> Service:
    """A started service with the default settings."""
    return service_factory()


# ---------------------------------------------------------------------------- live server
def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """uvicorn serving an app in a thread of this process, on 127.0.0.1."""

    url: str
    settings: ServerSettings
    key_a: str
    key_b: str


def run_live_server(settings: ServerSettings) -> tuple[Any, threading.Thread, str]:
    """Start uvicorn on a free loopback port; return (server, thread, base URL)."""
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), log_level="warning", lifespan="on", server_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def live_server(demo_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real uvicorn server on loopback, one per test module, generous rate limits."""
    db_path = tmp_path_factory.mktemp("live") / "hedgekit.db"
    settings = ServerSettings(
        data_home=demo_store.home,
        db_path=db_path,
        workers=2,
        queue_size=10_000,
        rate_per_second=1000.0,
        rate_burst=1000,
    )
    key_a, key_b = make_keys(db_path, "alice", "bob")
    server, thread, url = run_live_server(settings)
    try:
        yield LiveServer(url=url, settings=settings, key_a=key_a, key_b=key_b)
    finally:
        server.should_exit = True
        thread.join(30)
