"""The service database: SQLite in WAL mode, one connection per thread.

Two tables: ``api_keys`` (hashed keys) and ``jobs`` (request, status and, once done, the
whole result). A job's result, basket and final status are written by one ``UPDATE``,
so a reader sees either no result or all of it, and a crash cannot leave half a result.
``synchronous=FULL`` makes each commit durable before it returns: a result the API has
reported as done survives ``kill -9`` and power loss alike.

The files are private to the server's user: the folder it creates is ``0700``; the
database, its ``-wal`` / ``-shm`` companions and the ``.lock`` file are ``0600`` (an
existing file with group or world bits is tightened when opened), since they hold every
client's requests and results.

Schema versions (``PRAGMA user_version``): 1, the first; 2 adds the ``cancelled`` job
status (a v1 file is migrated in place on first open, in one transaction).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hedgekit._errors import ConfigurationError

__all__ = ["Database", "cancellation", "utcnow"]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2

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
    status       TEXT NOT NULL
                 CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
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

#: v1 -> v2: SQLite cannot change a CHECK constraint, so the jobs table is copied
_MIGRATE_1_TO_2 = """
ALTER TABLE jobs RENAME TO jobs_v1;
DROP INDEX IF EXISTS jobs_by_owner;
DROP INDEX IF EXISTS jobs_by_status;
{schema}
INSERT INTO jobs SELECT * FROM jobs_v1;
DROP TABLE jobs_v1;
"""
#: file modes of what the server creates: private to its user
_FILE_MODE = 0o600
_DIR_MODE = 0o700


def utcnow() -> str:
    """The current UTC time, ISO 8601 with a ``Z``, to the millisecond."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def cancellation(message: str) -> str:
    """The ``error`` JSON stored with a cancelled job (why it was cancelled)."""
    return json.dumps({"status_code": 409, "type": "Cancelled", "message": message})


class Database:
    """The SQLite file of the service, opened lazily once per thread.

    Parameters
    ----------
    path : path-like
        The database file; its folder is created if needed (mode ``0700``).
    create : bool, default True
        Create the file when it does not exist. With False, opening a missing file raises
        :class:`ConfigurationError` (``hedgekit keys list --db TYPO`` must not leave an
        empty database behind).

    Notes
    -----
    Connections run in autocommit mode; multi-statement changes use :meth:`transaction`
    (``BEGIN IMMEDIATE``: the write lock is taken up front, so two workers can never claim
    the same job).
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.create = create
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
        if not self.create and not self.path.is_file():
            raise ConfigurationError(
                f"no service database at {self.path}; check the path given to --db (or "
                "HEDGEKIT_SERVER_DB), or create the first key with `hedgekit keys create "
                "NAME`, which creates the database"
            )
        try:
            self._create_private()
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
        if version == 1:
            script = _MIGRATE_1_TO_2.format(schema=_SCHEMA)
            conn.executescript(f"BEGIN IMMEDIATE;{script}PRAGMA user_version=2;COMMIT;")
            logger.info("migrated %s to schema 2 (the 'cancelled' job status)", self.path)
        elif version < SCHEMA_VERSION:
            conn.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
            )
        self._tighten(self.path.with_name(self.path.name + "-wal"))
        self._tighten(self.path.with_name(self.path.name + "-shm"))

    # ------------------------------------------------------------------ file modes
    def _create_private(self) -> None:
        """Create the folder (0700) and an empty database file (0600) if missing."""
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=_DIR_MODE)
        try:  # an empty file is an empty SQLite database; SQLite gives -wal/-shm its mode
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, _FILE_MODE)
        except FileExistsError:
            self._tighten(self.path)
        else:
            os.close(fd)

    @staticmethod
    def _tighten(path: Path) -> None:
        """Drop the group and world bits of a file this user owns (others are left alone)."""
        with contextlib.suppress(OSError):
            st = path.stat()
            if st.st_uid == os.getuid() and st.st_mode & 0o077:
                os.chmod(path, st.st_mode & 0o700)

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
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=_DIR_MODE)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR | os.O_APPEND, _FILE_MODE)
        self._tighten(lock_path)
        handle = open(fd, "a+")  # noqa: SIM115
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
