"""On-disk cache of pooled document vectors, under the data store's home.

Layout::

    <store home>/cache/embeddings/
        <namespace>.parquet    one file per (model fingerprint, chunking settings)
        .lock                  advisory lock held while a file is rewritten

A namespace file has one row per document: ``key`` (hash of the exact header and text),
``vector`` (float32 bytes), ``n_chunks`` and ``n_tokens``; its Parquet metadata repeats
the fingerprint, the chunking settings and the dimension, and a file whose metadata does
not match is ignored. Writes go to a temporary file that replaces the old one with
``os.replace`` (readers see the old or the new file, never half of one). A file that
cannot be read is reported with a warning and rebuilt from the recomputed vectors.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hedgekit.text._base import stable_hash

__all__ = ["CacheEntry", "EmbeddingCache", "default_cache_dir"]

logger = logging.getLogger(__name__)

_FORMAT = 1
_META_KEY = b"hedgekit.embeddings"


def default_cache_dir(home: str | os.PathLike[str]) -> Path:
    """``<home>/cache/embeddings``: where a store's embedding cache lives."""
    return Path(home).expanduser() / "cache" / "embeddings"


@dataclass(frozen=True)
class CacheEntry:
    """A cached pooled vector and how it was made."""

    vector: np.ndarray
    n_chunks: int
    n_tokens: int


class EmbeddingCache:
    """Pooled document vectors on disk, keyed by model, chunking settings and text.

    Parameters
    ----------
    directory : path-like
        Where the namespace files live; usually :func:`default_cache_dir` of the data
        home (``EmbeddingCache.for_home(market.store.home)``).

    Examples
    --------
    >>> import tempfile
    >>> cache = EmbeddingCache(tempfile.mkdtemp())
    >>> ns = cache.namespace("fingerprint", {"max_tokens": 128})
    >>> cache.put(ns, {"k": CacheEntry(np.ones(2, np.float32), 1, 5)}, dim=2)
    >>> cache.get(ns, ["k", "other"], dim=2)["k"].n_tokens
    5
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.directory)!r})"

    @classmethod
    def for_home(cls, home: str | os.PathLike[str]) -> EmbeddingCache:
        """The cache of the data home ``home`` (``<home>/cache/embeddings``)."""
        return cls(default_cache_dir(home))

    # ------------------------------------------------------------------ keys
    @staticmethod
    def namespace(fingerprint: str, settings: Mapping[str, Any]) -> str:
        """File stem for one (model fingerprint, chunking settings) pair."""
        return stable_hash({"fingerprint": fingerprint, "settings": dict(settings)}, 24)

    @staticmethod
    def key(namespace: str, header: str, text: str) -> str:
        """Cache key of one document: hash of the namespace, its header and its text."""
        return stable_hash([namespace, header, text], 40)

    def path(self, namespace: str) -> Path:
        """The namespace file."""
        return self.directory / f"{namespace}.parquet"

    # ------------------------------------------------------------------ read
    def get(self, namespace: str, keys: Sequence[str], dim: int) -> dict[str, CacheEntry]:
        """Cached entries among ``keys`` (missing keys are absent from the result).

        A namespace file that cannot be read, or whose dimension differs from ``dim``,
        gives a warning and counts as empty.
        """
        table = self._read(namespace, dim)
        if table is None:
            return {}
        wanted = set(keys)
        out: dict[str, CacheEntry] = {}
        cols = table.to_pydict()
        for key, blob, n_chunks, n_tokens in zip(
            cols["key"], cols["vector"], cols["n_chunks"], cols["n_tokens"], strict=True
        ):
            if key in wanted:
                vec = np.frombuffer(blob, dtype=np.float32)
                out[key] = CacheEntry(vec, int(n_chunks), int(n_tokens))
        return out

    def _read(self, namespace: str, dim: int) -> pa.Table | None:
        path = self.path(namespace)
        if not path.exists():
            return None
        try:
            table = pq.read_table(path)
            meta = json.loads((table.schema.metadata or {})[_META_KEY])
            if meta.get("format") != _FORMAT or meta.get("namespace") != namespace:
                raise ValueError(f"metadata {meta} belongs to another cache format or namespace")
            if int(meta.get("dim", -1)) != dim:
                raise ValueError(f"vectors have {meta.get('dim')} dimensions, expected {dim}")
            if set(table.column_names) != {"key", "vector", "n_chunks", "n_tokens"}:
                raise ValueError(f"unexpected columns {table.column_names}")
            lengths = pc.binary_length(table["vector"]).to_numpy()
            if len(lengths) and (lengths != 4 * dim).any():
                raise ValueError("a vector has the wrong byte length")
        except Exception as exc:  # any damage: recompute rather than fail
            message = (
                f"embedding cache file {path} is unreadable ({type(exc).__name__}: {exc}); "
                "its vectors are recomputed and the file rewritten"
            )
            logger.warning(message)
            warnings.warn(message, UserWarning, stacklevel=3)
            return None
        return table

    # ------------------------------------------------------------------ write
    def put(
        self,
        namespace: str,
        entries: Mapping[str, CacheEntry],
        dim: int,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Add entries to a namespace file (read, merge, atomic replace, under a lock).

        Parameters
        ----------
        namespace : str
        entries : mapping of key to CacheEntry
        dim : int
            Vector dimension (checked on every entry).
        metadata : mapping, optional
            Extra JSON-serialisable information kept in the file (model name, settings).
        """
        if not entries:
            return
        for key, entry in entries.items():
            if entry.vector.shape != (dim,):
                raise ValueError(
                    f"cache entry {key!r} has shape {entry.vector.shape}, not ({dim},)"
                )
        try:
            self._merge_write(namespace, entries, dim, metadata)
        except OSError as exc:  # read-only data home, full disk: the vectors still serve
            message = (
                f"cannot write the embedding cache in {self.directory} ({exc}); the vectors "
                "were computed but not cached: pass cache=PATH to a writable directory"
            )
            logger.warning(message)
            warnings.warn(message, UserWarning, stacklevel=3)

    def _merge_write(
        self,
        namespace: str,
        entries: Mapping[str, CacheEntry],
        dim: int,
        metadata: Mapping[str, Any] | None,
    ) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._locked():
            old = self._read(namespace, dim)
            keys: list[str] = []
            blobs: list[bytes] = []
            chunks: list[int] = []
            tokens: list[int] = []
            if old is not None:
                cols = old.to_pydict()
                for key, blob, n_c, n_t in zip(
                    cols["key"], cols["vector"], cols["n_chunks"], cols["n_tokens"], strict=True
                ):
                    if key not in entries:
                        keys.append(key)
                        blobs.append(blob)
                        chunks.append(int(n_c))
                        tokens.append(int(n_t))
            for key, entry in entries.items():
                keys.append(key)
                blobs.append(np.ascontiguousarray(entry.vector, dtype=np.float32).tobytes())
                chunks.append(entry.n_chunks)
                tokens.append(entry.n_tokens)
            meta = {
                "format": _FORMAT,
                "namespace": namespace,
                "dim": dim,
                **dict(metadata or {}),
            }
            table = pa.table(
                {
                    "key": pa.array(keys, pa.string()),
                    "vector": pa.array(blobs, pa.binary()),
                    "n_chunks": pa.array(chunks, pa.int32()),
                    "n_tokens": pa.array(tokens, pa.int32()),
                }
            ).replace_schema_metadata({_META_KEY: json.dumps(meta, default=str).encode()})
            final = self.path(namespace)
            tmp = self.directory / f".{namespace}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                pq.write_table(table, tmp, compression="zstd")
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
        logger.debug("cached %d vectors in %s (%d in all)", len(entries), final, len(keys))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.directory / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def clear(self) -> int:
        """Delete every namespace file; returns how many were removed."""
        removed = 0
        if self.directory.is_dir():
            for f in self.directory.glob("*.parquet"):
                f.unlink(missing_ok=True)
                removed += 1
        return removed
