"""Hedge jobs: stored in SQLite, run by worker threads, recovered after a crash.

The database is the queue. ``submit`` inserts a ``queued`` row (refused when
``queue_size`` jobs already wait, or when the key already has ``max_queued_per_key``
waiting: its share). A worker claims a queued row in a ``BEGIN IMMEDIATE`` transaction
(so no two workers take the same job), marks it ``running``, computes the hedge with no
lock held and writes the result, basket and ``done`` status in one ``UPDATE``.

Fair dispatch: the keys take turns. Among the keys with queued jobs and fewer than
``max_running_per_key`` running, a worker takes the oldest job of the key with the fewest
running jobs, then of the key served least recently, so a key that queued a hundred
hedges delays another key's hedge by at most one hedge per worker.

Cancellation: ``DELETE`` of a queued or running job, or revoking its key, marks it
``cancelled`` (a row the API no longer shows, kept until the retention clean-up). A
running job is stopped in its worker thread (:mod:`hedgekit.server._interrupt`): at
once for a ``DELETE``, within ``cancel_poll`` seconds for a revocation made by another
process. A result computed anyway is never written over a ``cancelled`` row.

Retention: finished jobs (done, failed, cancelled) are deleted ``retain_days`` after
they finished, and beyond the newest ``max_stored_per_key`` of a key; the clean-up runs
at start and every ``cleanup_interval`` seconds.

Crash recovery (:meth:`JobRunner.recover`, run on every start): a job still marked
``running`` was interrupted. While it has attempts left (``max_attempts``, default 2) it
goes back to ``queued`` and runs again; the hedge is deterministic, so the re-run gives
what the first run would have. Otherwise it is marked ``failed`` with the reason, which
also keeps a job that crashes the server from crashing it forever. Queued jobs need no
recovery: they are rows, not memory. Results already written are never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from hedgekit._errors import HedgekitError
from hedgekit.hedge import PerformanceHedge
from hedgekit.server._db import Database, cancellation, utcnow
from hedgekit.server._interrupt import Interrupter, JobCancelled
from hedgekit.server._market import MarketProvider, error_status
from hedgekit.server._schemas import HedgeRequest

__all__ = ["JobRunner", "QueueFullError", "QueueShareError", "StoredJob"]

logger = logging.getLogger(__name__)

_JOB_COLUMNS = (
    "seq, id, key_id, status, request, created_at, started_at, finished_at, attempts, error"
)


#: statuses of a finished job, which the retention clean-up may delete
_FINISHED = "('done', 'failed', 'cancelled')"
#: Retry-After when no job has finished yet to estimate from
_DEFAULT_RETRY = 5


class QueueFullError(HedgekitError):
    """The job queue holds ``queue_size`` jobs already (HTTP 503, retry later)."""


class QueueShareError(HedgekitError):
    """The key has its share of the queue waiting already (HTTP 429, retry later).

    Attributes
    ----------
    retry_after : int
        Seconds after which one of the key's jobs has likely started.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
    max_queued_per_key : int, optional
        Most queued jobs per key; :meth:`submit` raises :class:`QueueShareError` beyond.
        Default ``queue_size`` (no share).
    max_running_per_key : int, optional
        Most running jobs per key. Default ``workers``.
    retain_days : float
        Days a finished job is kept; 0 keeps it forever.
    max_stored_per_key : int
        Most finished jobs kept per key (the oldest go first); 0 means no limit.
    cleanup_interval : float
        Seconds between two :meth:`purge` runs of the housekeeping thread.
    cancel_poll : float
        Seconds between two checks for running jobs cancelled in the database by another
        process (a revoked key).
    """

    def __init__(
        self,
        db: Database,
        market: MarketProvider,
        *,
        workers: int = 1,
        queue_size: int = 100,
        max_attempts: int = 2,
        max_queued_per_key: int | None = None,
        max_running_per_key: int | None = None,
        retain_days: float = 0.0,
        max_stored_per_key: int = 0,
        cleanup_interval: float = 600.0,
        cancel_poll: float = 0.5,
    ) -> None:
        self.db = db
        self.market = market
        self.workers = workers
        self.queue_size = queue_size
        self.max_attempts = max_attempts
        self.max_queued_per_key = max_queued_per_key
        self.max_running_per_key = max_running_per_key
        self.retain_days = retain_days
        self.max_stored_per_key = max_stored_per_key
        self.cleanup_interval = cleanup_interval
        self.cancel_poll = cancel_poll
        self.interrupter = Interrupter()
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._housekeeper: threading.Thread | None = None
        self._turn = 0
        self._served: dict[int, int] = {}  # key id -> turn of its last claim

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
        """Recover interrupted jobs, purge expired ones, start the workers and housekeeper."""
        self.recover()
        self.purge()
        self._stopping.clear()
        for i in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"hedgekit-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._housekeeper = threading.Thread(
            target=self._housekeep, name="hedgekit-housekeeper", daemon=True
        )
        self._housekeeper.start()

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
        if self._housekeeper is not None:
            self._housekeeper.join(max(0.0, deadline - time.monotonic()))
            self._housekeeper = None

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
        QueueShareError
            The key has ``max_queued_per_key`` jobs waiting already.
        """
        job_id = uuid.uuid4().hex
        with self.db.transaction() as conn:
            queued = conn.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'").fetchone()
            if queued[0] >= self.queue_size:
                raise QueueFullError(
                    f"the job queue is full ({self.queue_size} hedges waiting); retry in a "
                    "few seconds"
                )
            share = self.max_queued_per_key
            if share is not None:
                mine = conn.execute(
                    "SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND key_id = ?", (key_id,)
                ).fetchone()[0]
                if mine >= share:
                    retry = self._typical_seconds(conn)
                    raise QueueShareError(
                        f"this API key already has {mine} hedges waiting, its share of the "
                        f"queue (max_queued_per_key={share}, `hedgekit serve "
                        f"--max-queued-per-key`); retry after {retry} s, when one has started, "
                        "or delete some",
                        retry,
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
        """The key's job, or None (unknown, another key's, or cancelled)."""
        row = (
            self.db.connect()
            .execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND key_id = ? "
                "AND status != 'cancelled'",
                (job_id, key_id),
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
        """The key's jobs (not the cancelled ones), newest first, ``seq < before`` if given."""
        bound = before if before is not None else 2**63 - 1
        rows = (
            self.db.connect()
            .execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs WHERE key_id = ? AND seq < ? "
                "AND status != 'cancelled' ORDER BY seq DESC LIMIT ?",
                (key_id, bound, limit),
            )
            .fetchall()
        )
        return [StoredJob.from_row(r) for r in rows]

    def delete(self, key_id: int, job_id: str) -> bool:
        """Delete the key's job; False if not found.

        A finished job is deleted with its result. A queued or running one is cancelled:
        marked ``cancelled`` (no longer shown, purged with the retention) and, if running
        in this process, stopped in its worker thread.
        """
        with self.db.transaction() as conn:
            cancelled = conn.execute(
                "UPDATE jobs SET status = 'cancelled', finished_at = ?, error = ? "
                "WHERE id = ? AND key_id = ? AND status IN ('queued', 'running')",
                (utcnow(), cancellation("deleted by its owner before it finished"), job_id, key_id),
            ).rowcount
            deleted = conn.execute(
                "DELETE FROM jobs WHERE id = ? AND key_id = ? AND status IN ('done', 'failed')",
                (job_id, key_id),
            ).rowcount
        if cancelled:
            self.interrupter.interrupt(job_id)
            logger.info("job %s cancelled by its owner", job_id)
        return bool(cancelled or deleted)

    def purge(self, now: dt.datetime | None = None) -> int:
        """Delete the finished jobs past the retention or the per-key quota; return how many.

        Parameters
        ----------
        now : datetime, optional
            The current UTC time (tests pass another).
        """
        deleted = 0
        with self.db.transaction() as conn:
            if self.retain_days > 0:
                now = now if now is not None else dt.datetime.now(dt.UTC)
                cutoff = now - dt.timedelta(days=self.retain_days)
                stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%S.") + f"{cutoff.microsecond // 1000:03d}Z"
                deleted += conn.execute(
                    f"DELETE FROM jobs WHERE status IN {_FINISHED} AND finished_at < ?", (stamp,)
                ).rowcount
            if self.max_stored_per_key > 0:
                deleted += conn.execute(
                    "DELETE FROM jobs WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() "
                    "OVER (PARTITION BY key_id ORDER BY seq DESC) AS n FROM jobs "
                    f"WHERE status IN {_FINISHED}) WHERE n > ?)",
                    (self.max_stored_per_key,),
                ).rowcount
        if deleted:
            logger.info(
                "retention: deleted %d finished job(s) (older than %g days, or beyond %d per key)",
                deleted,
                self.retain_days,
                self.max_stored_per_key,
            )
        return deleted

    def counts(self) -> dict[str, int]:
        """Jobs queued and running now."""
        rows = self.db.connect().execute(
            "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued', 'running') "
            "GROUP BY status"
        )
        out = {"queued": 0, "running": 0}
        out.update({r[0]: int(r[1]) for r in rows})
        return out

    @staticmethod
    def _typical_seconds(conn: sqlite3.Connection) -> int:
        """Mean run time of the last 20 finished hedges, whole seconds (at least 1)."""
        row = conn.execute(
            "SELECT AVG((julianday(finished_at) - julianday(started_at)) * 86400.0) FROM "
            "(SELECT started_at, finished_at FROM jobs WHERE status = 'done' "
            "AND started_at IS NOT NULL ORDER BY seq DESC LIMIT 20)"
        ).fetchone()
        mean = row[0]
        if mean is None or not math.isfinite(mean):
            return _DEFAULT_RETRY
        return max(1, min(3600, math.ceil(mean)))

    # ------------------------------------------------------------------ the workers
    def _claim(self) -> tuple[str, str] | None:
        """Take the next job, the keys in turn (see the module docstring)."""
        cap = self.max_running_per_key
        with self.db.transaction() as conn:
            heads = conn.execute(
                "SELECT key_id, MIN(seq) AS seq FROM jobs WHERE status = 'queued' GROUP BY key_id"
            ).fetchall()
            if not heads:
                return None
            running = {
                int(r[0]): int(r[1])
                for r in conn.execute(
                    "SELECT key_id, COUNT(*) FROM jobs WHERE status = 'running' GROUP BY key_id"
                )
            }
            candidates = [
                (running.get(h["key_id"], 0), self._served.get(h["key_id"], 0), h["seq"])
                for h in heads
                if cap is None or running.get(h["key_id"], 0) < cap
            ]
            if not candidates:
                return None  # every waiting key is at its concurrency cap
            seq = min(candidates)[2]
            row = conn.execute(
                "SELECT id, key_id, request FROM jobs WHERE seq = ?", (seq,)
            ).fetchone()
            conn.execute(
                "UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1 "
                "WHERE seq = ?",
                (utcnow(), seq),
            )
            self._turn += 1  # under the database's write lock: one claim at a time
            self._served[int(row["key_id"])] = self._turn
        return str(row["id"]), str(row["request"])

    def _housekeep(self) -> None:
        """Stop running jobs cancelled by another process; purge on schedule."""
        next_purge = time.monotonic() + self.cleanup_interval
        while not self._stopping.wait(self.cancel_poll):
            try:
                self._stop_cancelled()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + self.cleanup_interval
                    self.purge()
            except Exception:  # a locked or broken database: log, go on
                logger.exception("housekeeping failed")

    def _stop_cancelled(self) -> None:
        running = self.interrupter.running
        if not running:
            return
        marks = ",".join("?" * len(running))
        still = {
            str(r[0])
            for r in self.db.connect().execute(
                f"SELECT id FROM jobs WHERE status = 'running' AND id IN ({marks})", running
            )
        }
        for job_id in running:
            if job_id not in still:
                self.interrupter.interrupt(job_id)

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
        try:
            self._run(job_id, request_json)
        except JobCancelled:  # the row is 'cancelled' already: nothing to write
            logger.info("job %s stopped: cancelled while it ran", job_id)

    def _run(self, job_id: str, request_json: str) -> None:
        t0 = time.perf_counter()
        try:
            request = HedgeRequest.model_validate_json(request_json)
            engine = PerformanceHedge(request.to_parameters(), self.market.get())
            with self.interrupter.window(job_id):
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
                stored = self._store_result(job_id, payload, basket)
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
                took = time.perf_counter() - t0
                if stored:
                    logger.info("job %s done in %.2f s", job_id, took)
                else:
                    logger.info("job %s computed in %.2f s, but cancelled: dropped", job_id, took)

    def _store_result(self, job_id: str, payload: str, basket: str) -> bool:
        # one statement: the result, the basket and 'done' land together or not at all;
        # a job cancelled (or deleted) meanwhile is not 'running' and keeps no result
        cur = self.db.connect().execute(
            "UPDATE jobs SET status = 'done', result = ?, basket_csv = ?, finished_at = ?, "
            "error = NULL WHERE id = ? AND status = 'running'",
            (payload, basket, utcnow(), job_id),
        )
        return cur.rowcount > 0

    def _store_failure(self, job_id: str, error: dict[str, Any]) -> None:
        try:
            self.db.connect().execute(
                "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (json.dumps(error), utcnow(), job_id),
            )
        except Exception:
            logger.exception("job %s: cannot store its failure", job_id)
