"""Load test of the hedging service: concurrent clients against a real uvicorn on loopback.

Starts ``hedgekit serve`` in a subprocess on 127.0.0.1 (the embedded synthetic demo market
in a temporary data home, a fresh database), then runs ``--clients`` concurrent httpx async
clients, each with its own API key, for ``--rounds`` rounds of: submit a hedge (random
demo stock, 5-15 names), poll its status every ``--poll`` seconds until done, fetch the
basket and the first page of its hedges, and read one earlier result in full. Reports
p50/p95/p99 latency per kind of request, request throughput and hedges completed per
second. Everything is bounded: a fixed number of rounds, a global ``--timeout``, and the
server is stopped at the end. Traffic goes to loopback only.

Run::

    python benchmarks/bench_server.py [--clients 50] [--rounds 4] [--workers 2] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

TICKERS = ["KSTD", "FRLX", "NBVX", "MXSG", "PYLN", "QLPR", "GPFC", "RDGM", "PMPW", "CRKS"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Recorder:
    """Latencies (seconds) by request kind, and failures."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.started: dict[str, list[float]] = defaultdict(list)
        self.origin = time.perf_counter()
        self.status: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.jobs: list[float] = []

    async def call(self, client: Any, kind: str, method: str, url: str, **kw: Any) -> Any:
        t0 = time.perf_counter()
        response = await client.request(method, url, **kw)
        self.latency[kind].append(time.perf_counter() - t0)
        self.started[kind].append(t0 - self.origin)
        self.status[kind][response.status_code] += 1
        return response


async def _client(url: str, key: str, rounds: int, poll: float, rec: Recorder, seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    headers = {"X-API-Key": key}
    done: list[str] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as client:
        for _ in range(rounds):
            body = {
                "positions": [{"identifier": rng.choice(TICKERS), "quantity": 100_000}],
                "date": "2022-12-30",
                "universe": ["SPX"],
                "parameters": {"max_names": rng.randint(5, 15), "max_weight": 30},
            }
            t0 = time.perf_counter()
            r = await rec.call(client, "POST /v1/hedges", "POST", "/v1/hedges", json=body)
            if r.status_code != 202:
                continue
            hedge_id = r.json()["id"]
            while True:
                await asyncio.sleep(poll)
                r = await rec.call(
                    client, "GET /v1/hedges/{id} (poll)", "GET", f"/v1/hedges/{hedge_id}"
                )
                status = r.json().get("status") if r.status_code == 200 else None
                if status in ("done", "failed"):
                    rec.jobs.append(time.perf_counter() - t0)
                    break
            done.append(hedge_id)
            await rec.call(
                client, "GET /v1/hedges/{id}/basket.csv", "GET", f"/v1/hedges/{hedge_id}/basket.csv"
            )
            await rec.call(client, "GET /v1/hedges?limit=10", "GET", "/v1/hedges?limit=10")
            earlier = rng.choice(done)
            await rec.call(
                client, "GET /v1/hedges/{id} (done, full result)", "GET", f"/v1/hedges/{earlier}"
            )


def _start_server(home: Path, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "hedgekit", "serve", "--home", str(home), "--port", str(port),
        "--workers", str(workers), "--rate", "1000", "--burst", "1000",
        "--queue-size", "10000", "--log-level", "warning",
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become healthy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4, help="hedges per client")
    parser.add_argument("--workers", type=int, default=2, help="server hedge worker threads")
    parser.add_argument("--poll", type=float, default=0.1, help="status poll interval, s")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after, s")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from hedgekit.data import Store
    from hedgekit.data._demo import ensure_demo_store
    from hedgekit.server import Database, KeyStore, default_db_path

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ensure_demo_store(Store(home))
        db = Database(default_db_path(home))
        keys = [KeyStore(db).create(f"client{i}") for i in range(args.clients)]
        db.close()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        proc = _start_server(home, port, args.workers, log)
        try:
            _wait_healthy(url, proc)
            rec = Recorder()

            async def run_all() -> None:
                tasks = [
                    _client(url, key, args.rounds, args.poll, rec, seed=i)
                    for i, key in enumerate(keys)
                ]
                await asyncio.wait_for(asyncio.gather(*tasks), args.timeout)

            t0 = time.perf_counter()
            rec.origin = t0
            asyncio.run(run_all())
            wall = time.perf_counter() - t0
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        server_log = log.read_text()

    n_requests = sum(len(v) for v in rec.latency.values())
    rows = []
    for kind, values in rec.latency.items():
        rows.append(
            {
                "request": kind,
                "n": len(values),
                "p50_ms": 1e3 * statistics.median(values),
                "p95_ms": 1e3 * _pct(values, 0.95),
                "p99_ms": 1e3 * _pct(values, 0.99),
                "status": dict(rec.status[kind]),
            }
        )
    posts = [
        lat
        for lat, start in zip(
            rec.latency["POST /v1/hedges"], rec.started["POST /v1/hedges"], strict=True
        )
        if start > 1.0
    ]
    summary = {
        "post_after_first_second_p50_ms": 1e3 * statistics.median(posts) if posts else None,
        "post_after_first_second_p95_ms": 1e3 * _pct(posts, 0.95) if posts else None,
        "clients": args.clients,
        "rounds": args.rounds,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "wall_s": wall,
        "requests": n_requests,
        "requests_per_s": n_requests / wall,
        "hedges": len(rec.jobs),
        "hedges_per_s": len(rec.jobs) / wall,
        "job_p50_s": statistics.median(rec.jobs) if rec.jobs else None,
        "job_p95_s": _pct(rec.jobs, 0.95) if rec.jobs else None,
        "server_errors": sum(
            n for s in rec.status.values() for code, n in s.items() if code >= 500
        ),
        "tracebacks_in_server_log": server_log.count("Traceback"),
        "rows": rows,
    }
    print(
        f"{args.clients} clients x {args.rounds} hedges, {args.workers} worker(s), "
        f"{os.cpu_count()} CPUs: {n_requests} requests in {wall:.1f} s "
        f"({summary['requests_per_s']:.0f} req/s), {len(rec.jobs)} hedges "
        f"({summary['hedges_per_s']:.1f}/s), submit-to-done p50 {summary['job_p50_s']:.2f} s "
        f"p95 {summary['job_p95_s']:.2f} s, 5xx: {summary['server_errors']}"
    )
    if posts:
        print(
            f"POST after the opening second (n={len(posts)}): p50 "
            f"{summary['post_after_first_second_p50_ms']:.1f} ms, p95 "
            f"{summary['post_after_first_second_p95_ms']:.1f} ms"
        )
    print("| request | n | p50 ms | p95 ms | p99 ms | status codes |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(row["status"].items()))
        print(
            f"| {row['request']} | {row['n']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {codes} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
