"""Hedge jobs: stored in SQLite, run by worker threads, recovered after a crash.

The database is the queue. ``submit`` inserts a ``queued`` row (refused when
``queue_size`` jobs already wait); a worker claims the oldest queued row in a
``BEGIN IMMEDIATE`` transaction (so no two workers take the same job), marks it
``running``, computes the hedge with no lock held and writes the result, basket and
``done`` status in one ``UPDATE``. A job deleted while it runs is simply not written back.

Crash recovery (:meth:`JobRunner.recover`, run on every start): a job still marked
``running`` was interrupted. While it has attempts left (``max_attempts``, default 2) it
goes back to ``queued`` and runs again; the hedge is deterministic, so the re-run gives
what the first run would have. Otherwise it is marked ``failed`` with the reason, which
also keeps a job that crashes the server from crashing it forever. Queued jobs need no
recovery: they are rows, not memory. Results already written are never touched.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from hedgekit._errors import HedgekitError
from hedgekit.hedge import PerformanceHedge
from hedgekit.server._db import Database, utcnow
from hedgekit.server._market import MarketProvider, error_status
from hedgekit.server._schemas import HedgeRequest

__all__ = ["JobRunner", "QueueFullError", "StoredJob"]

logger = logging.getLogger(__name__)

_JOB_COLUMNS = (
    "seq, id, key_id, status, request, created_at, started_at, finished_at, attempts, error"
)


class QueueFullError(HedgekitError):
    """The job queue holds ``queue_size`` jobs already (HTTP 503, retry later)."""


@dataclass(frozen=True)
class StoredJob:
    """A row of the jobs table, without the (large) result."""

    seq: int
    id: str
    key_id: int
    status: str
    request: dict[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    attempts: int
    error: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredJob:
        """Decode a database row."""
        return cls(
            seq=row["seq"],
            id=row["id"],
            key_id=row["key_id"],
            status=row["status"],
            request=json.loads(row["request"]),
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            attempts=row["attempts"],
            error=None if row["error"] is None else json.loads(row["error"]),
        )


class JobRunner:
    """Worker threads that run queued hedges, and the job table's queries.

    Parameters
    ----------
    db : Database
    market : MarketProvider
    workers : int
        Worker threads.
    queue_size : int
        Most queued jobs; :meth:`submit` raises :class:`QueueFullError` beyond.
    max_attempts : int
        Starts allowed per job (see the module docstring).
    """

    def __init__(
        self,
        db: Database,
        market: MarketProvider,
        *,
        workers: int = 1,
        queue_size: int = 100,
        max_attempts: int = 2,
    ) -> None:
        self.db = db
        self.market = market
        self.workers = workers
        self.queue_size = queue_size
        self.max_attempts = max_attempts
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle
    def recover(self) -> tuple[int, int]:
        """Requeue or fail the jobs a previous process left ``running``.

        Returns
        -------
        (requeued, failed) : tuple of int
        """
        reason = json.dumps(
            {
                "status_code": 500,
                "type": "Interrupted",
                "message": "the server stopped while this job ran, "
                f"{self.max_attempts} time(s); submit it again, and report it if it recurs",
            }
        )
        with self.db.transaction() as conn:
            failed = conn.execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? "
                "WHERE status = 'running' AND attempts >= ?",
                (reason, utcnow(), self.max_attempts),
            ).rowcount
            requeued = conn.execute(
                "UPDATE jobs SET status = 'queued', started_at = NULL WHERE status = 'running'"
            ).rowcount
        if requeued or failed:
            logger.warning(
                "recovered jobs interrupted by a stop: %d re-queued, %d failed", requeued, failed
            )
        return requeued, failed

    def start(self) -> None:
        """Recover interrupted jobs and start the worker threads."""
        self.recover()
        self._stopping.clear()
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"hedgekit-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers, waiting up to ``timeout`` s for running jobs to finish.

        A job still running after that stays ``running`` in the database and is
        recovered by the next start.
        """
        with self._wake:
            self._stopping.set()
            self._wake.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            logger.warning("workers still running at shutdown: %s", ", ".join(alive))
        self._threads = []

    @property
    def alive(self) -> int:
        """Worker threads alive."""
        return sum(t.is_alive() for t in self._threads)

    # ------------------------------------------------------------------ queries
    def submit(self, key_id: int, request: HedgeRequest) -> StoredJob:
        """Queue a hedge for the key; return the stored job.

        Raises
        ------
        QueueFullError
            ``queue_size`` jobs are already waiting.
        """
        job_id = uuid.uuid4().hex
        with self.db.transaction() as conn:
            queued = conn.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()
            if queued[0] >= self.queue_size:
                raise QueueFullError(
                    f"the job queue is full ({self.queue_size} hedges waiting); retry in a "
                    "few seconds"
                )
            conn.execute(
                "INSERT INTO jobs (id, key_id, status, request, created_at) "
                "VALUES (?, ?, 'queued', ?, ?)",
                (job_id, key_id, request.model_dump_json(), utcnow()),
            )
            row = conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        with self._wake:
            self._wake.notify()
        return StoredJob.from_row(row)

    def get(self, key_id: int, job_id: str) -> StoredJob | None:
        """The key's job, or None (unknown, or another key's)."""
        row = (
            self.db.connect()
            .execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND key_id = ?", (job_id, key_id)
            )
            .fetchone()
        )
        return None if row is None else StoredJob.from_row(row)

    def result(self, key_id: int, job_id: str, column: str = "result") -> str | None:
        """The stored result JSON (``column='result'``) or basket CSV (``'basket_csv'``)."""
        if column not in ("result", "basket_csv"):
            raise ValueError(f"column={column!r}; use 'result' or 'basket_csv'")
        row = (
            self.db.connect()
            .execute(
                f"SELECT {column} FROM jobs WHERE id = ? AND key_id = ? AND status = 'done'",
                (job_id, key_id),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def page(self, key_id: int, limit: int, before: int | None = None) -> list[StoredJob]:
        """The key's jobs, newest first, with ``seq < before`` when given."""
        bound = before if before is not None else 2**63 - 1
        rows = (
            self.db.connect()
            .execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE key_id = ? AND seq < ? "
                "ORDER BY seq DESC LIMIT ?",
                (key_id, bound, limit),
            )
            .fetchall()
        )
        return [StoredJob.from_row(r) for r in rows]

    def delete(self, key_id: int, job_id: str) -> bool:
        """Delete the key's job (a running one finishes, unwritten); False if not found."""
        cur = self.db.connect().execute(
            "DELETE FROM jobs WHERE id = ? AND key_id = ?", (job_id, key_id)
        )
        return cur.rowcount > 0

    def counts(self) -> dict[str, int]:
        """Jobs queued and running now."""
        rows = self.db.connect().execute(
            "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running') "
            "GROUP BY status"
        )
        out = {"queued": 0, "running": 0}
        out.update({r[0]: int(r[1]) for r in rows})
        return out

    # ------------------------------------------------------------------ the workers
    def _claim(self) -> tuple[str, str] | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT id, request FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                (utcnow(), row["id"]),
            )
        return str(row["id"]), str(row["request"])

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = self._claim()
            except Exception:  # a locked or broken database: log, back off, go on
                logger.exception("cannot claim a job")
                self._stopping.wait(1.0)
                continue
            if claimed is None:
                with self._wake:  # stop() sets the flag under this lock: no lost wake-up
                    if not self._stopping.is_set():
                        self._wake.wait(timeout=1.0)
                continue
            self.run(*claimed)

    def run(self, job_id: str, request_json: str) -> None:
        """Compute one claimed job and store its outcome (never raises)."""
        t0 = time.perf_counter()
        try:
            request = HedgeRequest.model_validate_json(request_json)
            engine = PerformanceHedge(request.to_parameters(), self.market.get())
            result = engine.calculate()
            payload = json.dumps(result.to_dict(), allow_nan=False, default=str)
            basket = result.to_basket_csv()
        except HedgekitError as exc:
            error = {"status_code": error_status(exc), "type": type(exc).__name__}
            self._store_failure(job_id, {**error, "message": str(exc)})
            logger.info("job %s failed: %s", job_id, type(exc).__name__)
        except Exception:
            logger.exception("job %s: unexpected error", job_id)
            self._store_failure(
                job_id,
                {
                    "status_code": 500,
                    "type": "InternalError",
                    "message": f"internal error while computing the hedge (job {job_id}); "
                    "the server log has the details",
                },
            )
        else:
            try:
                self._store_result(job_id, payload, basket)
            except Exception:
                logger.exception("job %s: cannot store its result", job_id)
                self._store_failure(
                    job_id,
                    {
                        "status_code": 500,
                        "type": "InternalError",
                        "message": f"the result of job {job_id} could not be stored; "
                        "submit it again",
                    },
                )
            else:
                logger.info("job %s done in %.2f s", job_id, time.perf_counter() - t0)

    def _store_result(self, job_id: str, payload: str, basket: str) -> None:
        # one statement: the result, the basket and 'done' land together or not at all
        self.db.connect().execute(
            "UPDATE jobs SET status = 'done', result = ?, basket_csv = ?, finished_at = ?, "
            "error = NULL WHERE id = ? AND status = 'running'",
            (payload, basket, utcnow(), job_id),
        )

    def _store_failure(self, job_id: str, error: dict[str, Any]) -> None:
        try:
            self.db.connect().execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (json.dumps(error), utcnow(), job_id),
            )
        except Exception:
            logger.exception("job %s: cannot store its failure", job_id)
