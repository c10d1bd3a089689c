"""Jobs: the bounded queue, crash recovery, and a real ``kill -9`` of ``hedgekit serve``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
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
