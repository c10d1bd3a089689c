"""Jobs: the bounded fair queue, cancellation, retention, crash recovery, a real ``kill -9``."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hedgekit.server import Database, HedgeRequest, JobRunner, KeyStore, MarketProvider


def _runner(tmp_path: Path, demo_store: Any, **kwargs: Any) -> tuple[JobRunner, int]:
    db = Database(tmp_path / "jobs.db")
    KeyStore(db).create("alice")
    key_id = int(db.connect().execute("SELECT id FROM api_keys").fetchone()[0])
    return JobRunner(db, MarketProvider(demo_store.home), **kwargs), key_id


def _add_key(runner: JobRunner, name: str) -> int:
    KeyStore(runner.db).create(name)
    row = runner.db.connect().execute("SELECT id FROM api_keys WHERE name = ?", (name,))
    return int(row.fetchone()[0])


def test_queue_is_bounded(tmp_path: Path, demo_store: Any, hedge: dict[str, Any]) -> None:
    from hedgekit.server import QueueFullError

    runner, key = _runner(tmp_path, demo_store, queue_size=2)
    request = HedgeRequest.model_validate(hedge)
    runner.submit(key, request)
    runner.submit(key, request)
    with pytest.raises(QueueFullError, match="queue is full"):
        runner.submit(key, request)
    assert runner.counts() == {"queued": 2, "running": 0}
    runner.db.close()


def test_full_queue_is_503_with_retry_after(
    service_factory: Any, hedge: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JobRunner, "_work", lambda self: None)  # nothing leaves the queue
    service = service_factory(queue_size=2)
    c = service.client
    codes = [c.post("/v1/hedges", json=hedge, headers=service.a).status_code for _ in range(3)]
    assert codes == [202, 202, 503]
    r = c.post("/v1/hedges", json=hedge, headers=service.b)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "5"
    assert "queue is full" in r.json()["detail"]
    health = c.get("/v1/health")
    assert health.status_code == 503  # no live worker: degraded
    assert health.json()["queued"] == 2


def test_recover_requeues_then_fails(
    tmp_path: Path, demo_store: Any, hedge: dict[str, Any]
) -> None:
    runner, key = _runner(tmp_path, demo_store, max_attempts=2)
    request = HedgeRequest.model_validate(hedge)
    first = runner.submit(key, request)
    second = runner.submit(key, request)
    conn = runner.db.connect()
    # as a crash leaves them: first interrupted once, second twice
    conn.execute("UPDATE jobs SET status='running', attempts=1 WHERE id=?", (first.id,))
    conn.execute("UPDATE jobs SET status='running', attempts=2 WHERE id=?", (second.id,))
    assert runner.recover() == (1, 1)
    a, b = runner.get(key, first.id), runner.get(key, second.id)
    assert a is not None and b is not None
    assert (a.status, a.started_at) == ("queued", None)
    assert b.status == "failed"
    assert b.error is not None and b.error["type"] == "Interrupted"
    assert "stopped while this job ran, 2 time(s)" in b.error["message"]
    assert runner.recover() == (0, 0)

    claimed = runner._claim()  # the re-queued job runs again, and completes
    assert claimed is not None and claimed[0] == first.id
    runner.run(*claimed)
    done = runner.get(key, first.id)
    assert done is not None and (done.status, done.attempts) == ("done", 2)
    assert runner.result(key, first.id) is not None
    runner.db.close()


def test_done_rows_always_hold_a_result(tmp_path: Path) -> None:
    """The schema itself refuses a 'done' job without its result and basket."""
    db = Database(tmp_path / "x.db")
    KeyStore(db).create("alice")
    conn = db.connect()
    conn.execute(
        "INSERT INTO jobs (id, key_id, status, request, created_at) "
        "VALUES ('j', 1, 'running', '{}', 'now')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE jobs SET status='done', result='{}' WHERE id='j'")
    db.close()


# ---------------------------------------------------------------------------- kill -9
def _start(home: Path, db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "hedgekit", "serve",
        "--home", str(home), "--db", str(db), "--port", str(port),
        "--workers", "1", "--rate", "1000", "--burst", "1000", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server not healthy after 90 s:\n{log.read_text()}")


def _poll(client: httpx.Client, hedge_id: str, until: set[str], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/hedges/{hedge_id}").json()
        if job["status"] in until:
            return job
        time.sleep(0.02)
    pytest.fail(f"hedge {hedge_id} never reached {until}")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kill_9_mid_job_loses_nothing(
    tmp_path: Path, demo_store: Any, hedge: dict[str, Any]
) -> None:
    """Start `hedgekit serve`, finish one job, kill -9 during the next, restart.

    The finished result must come back byte for byte, the interrupted job must be re-run
    (never half-written), and the job queued behind it must run too.
    """
    db_path, log = tmp_path / "server" / "hedgekit.db", tmp_path / "server.log"
    key = KeyStore(Database(db_path)).create("alice")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(demo_store.home, db_path, port, log)
    try:
        _wait_healthy(url, proc, log)
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
            first = client.post("/v1/hedges", json=hedge).json()["id"]
            done = _poll(client, first, {"done", "failed"})
            assert done["status"] == "done"
            before = client.get(f"/v1/hedges/{first}").json()
            basket_before = client.get(f"/v1/hedges/{first}/basket.csv").text

            # a factor hedge fits a risk model first: seconds of work to be killed in
            slow = client.post("/v1/hedges", json={**hedge, "method": "factor"}).json()["id"]
            behind = client.post("/v1/hedges", json=hedge).json()["id"]
            _poll(client, slow, {"running"})
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

        # what the dead server left on disk
        with sqlite3.connect(db_path) as conn:
            conn.row_factory = sqlite3.Row
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            rows = {r["id"]: r for r in conn.execute("SELECT * FROM jobs")}
        assert rows[slow]["status"] == "running"
        assert rows[slow]["result"] is None and rows[slow]["basket_csv"] is None
        assert rows[behind]["status"] == "queued"
        assert rows[first]["status"] == "done"

        proc = _start(demo_store.home, db_path, port, log)
        _wait_healthy(url, proc, log)
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
            after = client.get(f"/v1/hedges/{first}").json()
            assert after == before  # the completed result is intact
            assert client.get(f"/v1/hedges/{first}/basket.csv").text == basket_before
            rerun = _poll(client, slow, {"done", "failed"})
            assert rerun["status"] == "done", rerun
            assert rerun["attempts"] == 2  # interrupted once, then run again
            assert rerun["result"]["risk_report"] is not None
            queued = _poll(client, behind, {"done", "failed"})
            assert queued["status"] == "done"
            assert queued["result"]["constituents"] == before["result"]["constituents"]
            listed = client.get("/v1/hedges").json()["items"]
            assert {x["id"] for x in listed} == {first, slow, behind}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert "Traceback" not in log.read_text()


# ---------------------------------------------------------------------------- fairness
def test_a_key_over_its_queue_share_is_429_and_others_still_get_in(
    service_factory: Any, hedge: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JobRunner, "_work", lambda self: None)  # nothing leaves the queue
    service = service_factory(queue_size=10, max_queued_per_key=3)
    c = service.client
    codes = [c.post("/v1/hedges", json=hedge, headers=service.a).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    r = c.post("/v1/hedges", json=hedge, headers=service.a)
    assert r.status_code == 429
    assert r.json()["type"] == "QueueShareError"
    assert "max_queued_per_key=3" in r.json()["detail"]
    assert "--max-queued-per-key" in r.json()["detail"]
    assert r.headers["retry-after"] == "5"  # no finished hedge to estimate from yet
    assert c.post("/v1/hedges", json=hedge, headers=service.b).status_code == 202


def test_dispatch_order_alternates_between_keys(
    tmp_path: Path, demo_store: Any, hedge: dict[str, Any]
) -> None:
    """Finish each job as soon as it is claimed: the keys alternate until one runs dry."""
    runner, a = _runner(tmp_path, demo_store)
    b = _add_key(runner, "bob")
    request = HedgeRequest.model_validate(hedge)
    owner = {runner.submit(a, request).id: "a" for _ in range(4)}
    owner |= {runner.submit(b, request).id: "b" for _ in range(2)}
    conn = runner.db.connect()
    order = []
    while (claimed := runner._claim()) is not None:
        order.append(owner[claimed[0]])
        conn.execute(
            "UPDATE jobs SET status = 'failed', finished_at = 'x', error = '{}' WHERE id = ?",
            (claimed[0],),
        )
    assert order == ["a", "b", "a", "b", "a", "a"]
    runner.db.close()


def test_concurrency_cap_per_key(tmp_path: Path, demo_store: Any, hedge: dict[str, Any]) -> None:
    runner, a = _runner(tmp_path, demo_store, max_running_per_key=1)
    b = _add_key(runner, "bob")
    request = HedgeRequest.model_validate(hedge)
    first = runner.submit(a, request)
    runner.submit(a, request)
    claimed = runner._claim()
    assert claimed is not None and claimed[0] == first.id
    assert runner._claim() is None  # a's second job waits: a is at its cap, b has none
    theirs = runner.submit(b, request)
    claimed = runner._claim()
    assert claimed is not None and claimed[0] == theirs.id
    runner.db.close()


# ---------------------------------------------------------------------------- slow hedges
@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Hedges wait at a gate before computing: ``gate['open']`` lets them through;
    ``gate['pace']`` seconds each once open; ``gate['stopped']`` counts cancelled ones.
    The wait checks for cancellation as the library's own steps do (``checkpoint``)."""
    from hedgekit import checkpoint
    from hedgekit.hedge import PerformanceHedge
    from hedgekit.server._interrupt import JobCancelled

    state: dict[str, Any] = {"open": threading.Event(), "pace": 0.0, "stopped": 0, "entered": 0}
    original = PerformanceHedge.calculate

    def gated(self: Any, *args: Any, **kwargs: Any) -> Any:
        state["entered"] += 1
        try:
            deadline = time.monotonic() + 60
            while not state["open"].is_set() and time.monotonic() < deadline:
                checkpoint()
                time.sleep(0.005)
            time.sleep(state["pace"])
            checkpoint()
        except JobCancelled:
            state["stopped"] += 1
            raise
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PerformanceHedge, "calculate", gated)
    yield state
    state["open"].set()  # let any worker still waiting finish before the service stops


def _status(db_path: Path, job_id: str) -> str | None:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return None if row is None else str(row[0])


def _until(check: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.02)


def test_starvation_a_busy_key_does_not_hold_up_another(
    service_factory: Any, hedge: dict[str, Any], wait: Any, gate: dict[str, Any]
) -> None:
    """Key A fills its share and more; key B's hedge runs after at most one of A's."""
    service = service_factory(workers=1, max_queued_per_key=5)
    c = service.client
    gate["pace"] = 0.2
    first = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    _until(lambda: gate["entered"] == 1)  # A's first hedge holds the only worker
    codes = [c.post("/v1/hedges", json=hedge, headers=service.a).status_code for _ in range(7)]
    assert codes == [202] * 5 + [429] * 2
    mine = c.post("/v1/hedges", json=hedge, headers=service.b).json()["id"]
    gate["open"].set()
    done_b = wait(c, service.b, mine)
    assert done_b["status"] == "done"
    a_jobs = [
        wait(c, service.a, x["id"]) for x in c.get("/v1/hedges", headers=service.a).json()["items"]
    ]
    assert all(j["status"] == "done" for j in a_jobs) and len(a_jobs) == 6
    started_after_b = [j for j in a_jobs if j["started_at"] > done_b["started_at"]]
    assert len(started_after_b) >= 4  # B waited for A's running hedge and one more at most
    assert first in {j["id"] for j in a_jobs}


def test_delete_stops_a_running_hedge(
    service_factory: Any, hedge: dict[str, Any], wait: Any, gate: dict[str, Any]
) -> None:
    service = service_factory(workers=1)
    c, db_path = service.client, service.settings.database
    job = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    _until(lambda: gate["entered"] == 1)
    assert c.get(f"/v1/hedges/{job}", headers=service.a).json()["status"] == "running"
    assert c.delete(f"/v1/hedges/{job}", headers=service.a).status_code == 204
    _until(lambda: gate["stopped"] == 1, timeout=5)  # the worker was interrupted
    assert _status(db_path, job) == "cancelled"
    assert c.get(f"/v1/hedges/{job}", headers=service.a).status_code == 404
    assert job not in {x["id"] for x in c.get("/v1/hedges", headers=service.a).json()["items"]}
    # the same worker is free again and serves the next hedge
    gate["open"].set()
    nxt = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    assert wait(c, service.a, nxt)["status"] == "done"
    assert _status(db_path, job) == "cancelled"  # never written over


def test_delete_of_a_queued_hedge_cancels_it_and_of_a_done_one_deletes_it(
    service_factory: Any, hedge: dict[str, Any], wait: Any, gate: dict[str, Any]
) -> None:
    service = service_factory(workers=1)
    c, db_path = service.client, service.settings.database
    running = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    _until(lambda: gate["entered"] == 1)
    queued = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    assert c.delete(f"/v1/hedges/{queued}", headers=service.a).status_code == 204
    assert _status(db_path, queued) == "cancelled"
    gate["open"].set()
    assert wait(c, service.a, running)["status"] == "done"
    assert gate["entered"] == 1  # the cancelled one never ran
    assert _status(db_path, queued) == "cancelled"
    assert c.delete(f"/v1/hedges/{running}", headers=service.a).status_code == 204
    assert _status(db_path, running) is None  # a finished hedge is deleted outright
    assert c.delete(f"/v1/hedges/{running}", headers=service.a).status_code == 404
    assert c.delete(f"/v1/hedges/{queued}", headers=service.a).status_code == 404


def test_revoking_a_key_cancels_its_queued_and_running_hedges(
    service_factory: Any, hedge: dict[str, Any], wait: Any, gate: dict[str, Any]
) -> None:
    service = service_factory(workers=1, cancel_poll=0.05)
    c, db_path = service.client, service.settings.database
    running = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    _until(lambda: gate["entered"] == 1)
    queued = [c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"] for _ in range(3)]
    other = c.post("/v1/hedges", json=hedge, headers=service.b).json()["id"]

    outside = Database(db_path)  # as `hedgekit keys revoke` does, from another process
    revoked = KeyStore(outside).revoke("alice")
    outside.close()
    assert revoked.cancelled == 4
    _until(lambda: gate["stopped"] == 1, timeout=5)  # the running hedge is stopped too
    assert {_status(db_path, j) for j in [running, *queued]} == {"cancelled"}
    with sqlite3.connect(db_path) as conn:
        reason = conn.execute("SELECT error FROM jobs WHERE id = ?", (running,)).fetchone()[0]
    assert "key 'alice' was revoked" in reason
    gate["open"].set()
    assert wait(c, service.b, other)["status"] == "done"  # bob is served, alice's never ran
    assert gate["entered"] == 2
    assert c.get("/v1/hedges", headers=service.a).status_code == 401


def test_keys_revoke_cli_reports_the_cancelled_hedges(
    tmp_path: Path, demo_store: Any, hedge: dict[str, Any]
) -> None:
    from typer.testing import CliRunner

    from hedgekit.cli import app

    runner, a = _runner(tmp_path, demo_store)
    runner.submit(a, HedgeRequest.model_validate(hedge))
    runner.db.close()
    r = CliRunner().invoke(app, ["keys", "revoke", "alice", "--db", str(tmp_path / "jobs.db")])
    assert r.exit_code == 0, r.output
    assert "1 queued or running hedge(s) cancelled" in " ".join(r.output.split())


# ---------------------------------------------------------------------------- retention
def _finished(runner: JobRunner, key: int, request: HedgeRequest, when: str, status: str) -> str:
    job = runner.submit(key, request)
    runner.db.connect().execute(
        "UPDATE jobs SET status = ?, finished_at = ?, result = '{}', basket_csv = '', "
        "error = '{}' WHERE id = ?",
        (status, when, job.id),
    )
    return job.id


def test_purge_deletes_expired_results_and_keeps_the_rest(
    tmp_path: Path, demo_store: Any, hedge: dict[str, Any]
) -> None:
    runner, a = _runner(tmp_path, demo_store, retain_days=30)
    request = HedgeRequest.model_validate(hedge)
    old = [
        _finished(runner, a, request, "2024-01-01T00:00:00.000Z", s)
        for s in ("done", "failed", "cancelled")
    ]
    recent = _finished(runner, a, request, "2024-01-30T23:00:00.000Z", "done")
    waiting = runner.submit(a, request).id  # queued jobs are never purged
    now = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)
    assert runner.purge(now) == 3
    left = {r[0] for r in runner.db.connect().execute("SELECT id FROM jobs")}
    assert left == {recent, waiting}
    assert not set(old) & left
    assert runner.purge(now) == 0
    runner.retain_days = 0  # keep forever
    assert runner.purge(now + dt.timedelta(days=10_000)) == 0
    runner.db.close()


def test_per_key_storage_quota_keeps_the_newest(
    tmp_path: Path, demo_store: Any, hedge: dict[str, Any]
) -> None:
    runner, a = _runner(tmp_path, demo_store, max_stored_per_key=2)
    b = _add_key(runner, "bob")
    request = HedgeRequest.model_validate(hedge)
    mine = [_finished(runner, a, request, "2024-01-01T00:00:00.000Z", "done") for _ in range(4)]
    theirs = [_finished(runner, b, request, "2024-01-01T00:00:00.000Z", "done") for _ in range(2)]
    assert runner.purge() == 2
    left = {r[0] for r in runner.db.connect().execute("SELECT id FROM jobs")}
    assert left == {*mine[2:], *theirs}
    runner.db.close()


def test_the_service_purges_on_schedule(
    service_factory: Any, hedge: dict[str, Any], wait: Any
) -> None:
    service = service_factory(retain_days=1, cleanup_interval=0.1, cancel_poll=0.05)
    c, db_path = service.client, service.settings.database
    job = c.post("/v1/hedges", json=hedge, headers=service.a).json()["id"]
    assert wait(c, service.a, job)["status"] == "done"
    with sqlite3.connect(db_path) as conn:  # it finished two days ago
        conn.execute(
            "UPDATE jobs SET finished_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", (job,)
        )
    _until(lambda: _status(db_path, job) is None, timeout=10)
    assert c.get(f"/v1/hedges/{job}", headers=service.a).status_code == 404


# ---------------------------------------------------------------------------- schema 1 -> 2
def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE api_keys (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
                key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created_at TEXT NOT NULL,
                revoked_at TEXT);
            CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
                key_id INTEGER NOT NULL REFERENCES api_keys(id),
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
                request TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT,
                finished_at TEXT, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, result TEXT,
                basket_csv TEXT,
                CHECK (status != 'done' OR (result IS NOT NULL AND basket_csv IS NOT NULL)));
            CREATE INDEX jobs_by_owner ON jobs (key_id, seq);
            CREATE INDEX jobs_by_status ON jobs (status, seq);
            INSERT INTO api_keys VALUES (1, 'alice', 'h', 'hk_', 'now', NULL);
            INSERT INTO jobs (seq, id, key_id, status, request, created_at, result, basket_csv)
                VALUES (7, 'old', 1, 'done', '{}', 'now', '{"x": 1}', 'csv');
            PRAGMA user_version = 1;
            """
        )
    db = Database(path)
    conn = db.connect()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT result FROM jobs WHERE id = 'old'").fetchone()[0] == '{"x": 1}'
    conn.execute(
        "INSERT INTO jobs (id, key_id, status, request, created_at) "
        "VALUES ('new', 1, 'cancelled', '{}', 'now')"
    )
    assert conn.execute("SELECT seq FROM jobs WHERE id = 'new'").fetchone()[0] == 8
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"jobs_by_owner", "jobs_by_status"} <= indexes
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    db.close()
