"""The service database: SQLite in WAL mode, one connection per thread.

Two tables: ``api_keys`` (hashed keys) and ``jobs`` (request, status and, once done, the
whole result). A job's result, basket and final status are written by one ``UPDATE``,
so a reader sees either no result or all of it, and a crash cannot leave half a result.
``synchronous=FULL`` makes each commit durable before it returns: a result the API has
reported as done survives ``kill -9`` and power loss alike.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hedgekit._errors import ConfigurationError

__all__ = ["Database", "utcnow"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    key_hash    TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE TABLE IF NOT EXISTS jobs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    key_id       INTEGER NOT NULL REFERENCES api_keys(id),
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    request      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    result       TEXT,
    basket_csv   TEXT,
    CHECK (status != 'done' OR (result IS NOT NULL AND basket_csv IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (key_id, seq);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
"""


def utcnow() -> str:
    """The current UTC time, ISO 8601 with a ``Z``, to the millisecond."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class Database:
    """The SQLite file of the service, opened lazily once per thread.

    Parameters
    ----------
    path : path-like
        The database file; its folder is created if needed.

    Notes
    -----
    Connections run in autocommit mode; multi-statement changes use :meth:`transaction`
    (``BEGIN IMMEDIATE``: the write lock is taken up front, so two workers can never claim
    the same job).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._lock_file: IO[str] | None = None

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    # ------------------------------------------------------------------ connections
    def connect(self) -> sqlite3.Connection:
        """This thread's connection (opened, configured and migrated on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"cannot open the server database {self.path}: {exc}; choose a writable "
                "file with --db or HEDGEKIT_SERVER_DB"
            ) from None
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        self._migrate(conn)
        self._local.conn = conn
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise ConfigurationError(
                f"{self.path} was written by a newer hedgekit (schema {version}, this one "
                f"knows {SCHEMA_VERSION}); upgrade hedgekit or use another --db"
            )
        if version < SCHEMA_VERSION:
            conn.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
            )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this object opened, in any thread, and release the lock."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
        self.release()

    # ------------------------------------------------------------------ single server
    def acquire(self) -> None:
        """Take the exclusive lock that makes this process the database's only server.

        The lock is a ``flock`` on ``<db>.lock``: the operating system drops it when the
        process dies, however it dies, so a killed server never blocks its restart.

        Raises
        ------
        ConfigurationError
            Another live server holds the lock.
        """
        if self._lock_file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.with_name(self.path.name + ".lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ConfigurationError(
                f"another hedgekit server is running on {self.path}; stop it, or give this "
                "one its own database with --db"
            ) from None
        self._lock_file = handle

    def release(self) -> None:
        """Release the single-server lock (no-op when not held)."""
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
