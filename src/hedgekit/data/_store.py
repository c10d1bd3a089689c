"""The embedded market data store: Parquet tables in versioned snapshots.

Layout under the data home (``HEDGEKIT_DATA`` or the platform's user data dir)::

    <home>/
        CURRENT                 name of the live snapshot, swapped atomically
        snapshots/<id>/         one directory per committed version
            manifest.json       source, synthetic flag, row counts, commit time
            <table>.parquet     one file per table (see hedgekit.data._schema)
        .lock                   advisory lock held while committing

A :class:`Transaction` stages changed tables in a new snapshot directory (unchanged
tables are hard-linked), and publishes it by replacing ``CURRENT`` with
``os.replace``. A failure anywhere before that leaves ``CURRENT`` and every file
it points to untouched: an import is all or nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hedgekit._errors import ConfigurationError, StoreNotFoundError
from hedgekit.data._schema import TABLES, TableSpec, table_spec

__all__ = ["Store", "Transaction", "default_data_home"]

logger = logging.getLogger(__name__)

_KEEP_SNAPSHOTS = 2


def default_data_home() -> Path:
    """Data home: ``$HEDGEKIT_DATA`` if set, else the platform's user data directory."""
    env = os.environ.get("HEDGEKIT_DATA")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("hedgekit", appauthor=False))


def _empty_frame(spec: TableSpec) -> pd.DataFrame:
    dtypes = {
        "date": "datetime64[ns]",
        "str": "string",
        "float": "float64",
        "int": "Int64",
        "bool": "boolean",
    }
    return pd.DataFrame({c: pd.Series(dtype=dtypes[k]) for c, k in spec.columns.items()})


class Store:
    """A versioned Parquet store of market data under one data home.

    Parameters
    ----------
    home : path-like, optional
        The data home; defaults to :func:`default_data_home`.

    Examples
    --------
    >>> store = Store("/tmp/hk")                       # doctest: +SKIP
    >>> with store.transaction(source="my.csv") as tx:  # doctest: +SKIP
    ...     tx.write("restricted", frame)
    """

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_data_home()

    def __repr__(self) -> str:
        return f"Store({str(self.home)!r})"

    # ------------------------------------------------------------------ reading
    @property
    def snapshot_dir(self) -> Path | None:
        """Directory of the live snapshot, or None if nothing was committed yet."""
        current = self.home / "CURRENT"
        try:
            name = current.read_text().strip()
        except FileNotFoundError:
            return None
        path = self.home / "snapshots" / name
        return path if path.is_dir() else None

    def exists(self) -> bool:
        """Whether a committed snapshot exists."""
        return self.snapshot_dir is not None

    def _require(self) -> Path:
        snap = self.snapshot_dir
        if snap is None:
            raise StoreNotFoundError(
                f"no market data at {self.home}; run `hedgekit data import DIR` "
                "(e.g. ../shared/data/us_equities), `hedgekit demo`, or set HEDGEKIT_DATA "
                "to a data home that holds an import"
            )
        return snap

    @property
    def version(self) -> str:
        """Identifier of the live snapshot."""
        return self._require().name

    def manifest(self) -> dict[str, Any]:
        """The live snapshot's manifest (source, synthetic flag, row counts)."""
        path = self._require() / "manifest.json"
        try:
            return dict(json.loads(path.read_text()))
        except FileNotFoundError:
            return {}

    def tables(self) -> list[str]:
        """Names of the tables present in the live snapshot."""
        snap = self._require()
        return sorted(p.stem for p in snap.glob("*.parquet"))

    def has(self, table: str) -> bool:
        """Whether ``table`` holds at least one row."""
        snap = self.snapshot_dir
        return bool(snap and (snap / f"{table}.parquet").exists())

    def path(self, table: str) -> Path | None:
        """Parquet file of ``table`` in the live snapshot, or None if absent."""
        table_spec(table)
        snap = self._require()
        p = snap / f"{table}.parquet"
        return p if p.exists() else None

    def read(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        filters: list[tuple[str, str, Any]] | None = None,
    ) -> pd.DataFrame:
        """Read a table (all of it or some columns); absent tables read as empty.

        Parameters
        ----------
        table : str
            Table name, one of ``hedgekit.data._schema.TABLES``.
        columns : sequence of str, optional
            Subset of columns.
        filters : list of (column, op, value), optional
            Row filters pushed down to Parquet (pyarrow syntax).
        """
        spec = table_spec(table)
        p = self.path(table)
        if p is None:
            frame = _empty_frame(spec)
            return frame[list(columns)] if columns is not None else frame
        tbl = pq.read_table(
            p,
            columns=list(columns) if columns else None,
            filters=cast(Any, filters),
        )
        return tbl.to_pandas()

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def transaction(
        self, source: str, metadata: Mapping[str, Any] | None = None
    ) -> Iterator[Transaction]:
        """Stage writes and publish them together, or not at all.

        Parameters
        ----------
        source : str
            What the change came from (a path, ``"yahoo"``...), kept in the manifest.
        metadata : mapping, optional
            Extra manifest entries (e.g. ``{"synthetic": True}``).
        """
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "snapshots").mkdir(exist_ok=True)
        with open(self.home / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                # under the lock no other transaction is alive: a staging folder left here
                # is from a process that was killed mid-import
                for orphan in (self.home / "snapshots").glob(".staging-*"):
                    logger.info("removing %s, left by an interrupted import", orphan)
                    shutil.rmtree(orphan, ignore_errors=True)
                tx = Transaction(self, source, dict(metadata or {}))
                try:
                    yield tx
                    tx._commit()
                except BaseException:
                    tx._abort()
                    raise
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _gc(self, keep: str) -> None:
        snaps = sorted(
            (p for p in (self.home / "snapshots").iterdir() if p.is_dir()),
            key=lambda p: p.stat().st_mtime,
        )
        old = [p for p in snaps if p.name != keep and not p.name.startswith(".")]
        for p in old[: max(0, len(old) - (_KEEP_SNAPSHOTS - 1))]:
            shutil.rmtree(p, ignore_errors=True)


class Transaction:
    """Writes staged for one atomic commit; obtained from :meth:`Store.transaction`."""

    def __init__(self, store: Store, source: str, metadata: dict[str, Any]) -> None:
        self.store = store
        self.source = source
        self.metadata = metadata
        self._base = store.snapshot_dir
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        self._name = f"{stamp}-{uuid.uuid4().hex[:8]}"
        self._staging = store.home / "snapshots" / f".staging-{self._name}"
        self._staging.mkdir(parents=True)
        self._written: dict[str, int] = {}
        self._deleted: set[str] = set()

    def read(self, table: str) -> pd.DataFrame:
        """Read ``table`` as this transaction currently sees it."""
        staged = self._staging / f"{table}.parquet"
        if staged.exists():
            return pq.read_table(staged).to_pandas()
        if table in self._deleted or self._base is None:
            return _empty_frame(table_spec(table))
        return self.store.read(table)

    def write(self, table: str, frame: pd.DataFrame) -> None:
        """Stage ``frame`` as the full new content of ``table``.

        The frame must already be validated (see ``coerce_table``); its columns are
        reordered to the table spec.
        """
        spec = table_spec(table)
        cols = list(spec.columns)
        extra = set(frame.columns) - set(cols)
        if extra:
            raise ConfigurationError(f"table {table!r} has no column(s) {sorted(extra)}")
        frame = frame.reindex(columns=cols)
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(
            arrow,
            self._staging / f"{table}.parquet",
            compression="zstd",
            row_group_size=256_000,
        )
        self._written[table] = len(frame)
        self._deleted.discard(table)

    def delete(self, table: str) -> None:
        """Stage the removal of ``table``."""
        table_spec(table)
        (self._staging / f"{table}.parquet").unlink(missing_ok=True)
        self._written.pop(table, None)
        self._deleted.add(table)

    def _commit(self) -> None:
        base_manifest: dict[str, Any] = {}
        if self._base is not None:
            with contextlib.suppress(FileNotFoundError):
                base_manifest = json.loads((self._base / "manifest.json").read_text())
            for f in self._base.glob("*.parquet"):
                if f.stem in self._written or f.stem in self._deleted:
                    continue
                target = self._staging / f.name
                try:
                    os.link(f, target)
                except OSError:
                    shutil.copy2(f, target)
        rows = dict(base_manifest.get("rows", {}))
        for t in self._deleted:
            rows.pop(t, None)
        rows.update(self._written)
        history = list(base_manifest.get("history", []))
        history.append(
            {
                "source": self.source,
                "tables": sorted(self._written),
                "deleted": sorted(self._deleted),
                "committed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
        manifest = {**{k: v for k, v in base_manifest.items() if k != "history"}}
        manifest.update(self.metadata)
        manifest.update(
            {
                "format": 1,
                "version": self._name,
                "rows": {t: rows[t] for t in sorted(rows) if t in TABLES},
                "history": history[-50:],
            }
        )
        (self._staging / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
        final = self.store.home / "snapshots" / self._name
        os.replace(self._staging, final)
        _fsync_dir(final)
        tmp = self.store.home / f".CURRENT.{self._name}"
        with open(tmp, "w") as fh:
            fh.write(self._name)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.store.home / "CURRENT")
        _fsync_dir(self.store.home)
        logger.info("committed snapshot %s (%s)", self._name, ", ".join(sorted(self._written)))
        self.store._gc(keep=self._name)

    def _abort(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
