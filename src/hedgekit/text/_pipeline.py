"""From documents to one pooled vector per company: chunk, embed, pool, cache."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hedgekit.text._base import Embedder
from hedgekit.text._cache import CacheEntry, EmbeddingCache
from hedgekit.text._chunking import (
    Chunk,
    ChunkingConfig,
    Document,
    chunk_document,
    make_header,
    pool_chunks,
)

__all__ = ["EmbeddedDocuments", "embed_documents"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class EmbeddedDocuments:
    """Pooled vectors of a list of documents.

    Attributes
    ----------
    tickers : tuple of str
        In input order.
    vectors : ndarray of shape (n_documents, dim), float32
        Unit rows.
    n_chunks, n_tokens : ndarray of shape (n_documents,)
        Windows and body tokens per document.
    from_cache : ndarray of bool, shape (n_documents,)
        Whether each vector was read from the cache.
    seconds : float
        Wall time of :func:`embed_documents`.
    """

    tickers: tuple[str, ...]
    vectors: np.ndarray
    n_chunks: np.ndarray
    n_tokens: np.ndarray
    from_cache: np.ndarray
    seconds: float


def embed_documents(
    documents: Sequence[Document],
    embedder: Embedder,
    chunking: ChunkingConfig | None = None,
    cache: EmbeddingCache | None = None,
) -> EmbeddedDocuments:
    """Chunk, embed and pool documents, reading and filling the cache.

    Parameters
    ----------
    documents : sequence of Document
    embedder : Embedder
    chunking : ChunkingConfig, optional
        Defaults to ``ChunkingConfig()`` (128-token windows with a 32-token overlap for
        a model with an input limit, whole texts otherwise, no header).
    cache : EmbeddingCache, optional
        Used only when ``embedder.cacheable``. Documents whose key (model fingerprint,
        chunking settings, header and text) is cached are not chunked or embedded, so a
        fully cached call never loads the model.

    Returns
    -------
    EmbeddedDocuments

    Notes
    -----
    All chunks of all uncached documents go to the model in one ``embed`` call (batched by
    the backend); each document's vector is :func:`pool_chunks` of its chunk vectors
    weighted by the chunks' token counts.
    """
    t0 = time.perf_counter()
    config = chunking if chunking is not None else ChunkingConfig()
    n = len(documents)
    use_cache = cache is not None and embedder.cacheable
    keys: list[str] = []
    hits: dict[str, CacheEntry] = {}
    namespace = ""
    if use_cache:
        assert cache is not None
        settings = {**config.to_dict(), "tokenizer": embedder.tokenizer_name}
        namespace = cache.namespace(embedder.fingerprint, settings)
        keys = [
            cache.key(namespace, make_header(d, config.header), d.text or "") for d in documents
        ]
        hits = cache.get(namespace, keys, embedder.dim) if n else {}
    todo = [i for i in range(n) if not use_cache or keys[i] not in hits]
    dim = embedder.dim
    vectors = np.zeros((n, dim), dtype=np.float32)
    n_chunks = np.zeros(n, dtype=np.int64)
    n_tokens = np.zeros(n, dtype=np.int64)
    from_cache = np.zeros(n, dtype=bool)
    for i in range(n):
        if use_cache and keys[i] in hits:
            entry = hits[keys[i]]
            vectors[i], n_chunks[i], n_tokens[i] = entry.vector, entry.n_chunks, entry.n_tokens
            from_cache[i] = True
    if todo:
        per_doc: list[list[Chunk]] = [chunk_document(documents[i], config, embedder) for i in todo]
        flat = [c.text for chunks in per_doc for c in chunks]
        logger.info(
            "embedding %d documents (%d chunks) with %s", len(todo), len(flat), embedder.name
        )
        chunk_vectors = embedder.embed(flat)
        new: dict[str, CacheEntry] = {}
        pos = 0
        for i, chunks in zip(todo, per_doc, strict=True):
            block = chunk_vectors[pos : pos + len(chunks)]
            pos += len(chunks)
            weights = [c.n_tokens for c in chunks]
            vectors[i] = pool_chunks(block, weights)
            n_chunks[i] = len(chunks)
            n_tokens[i] = int(sum(weights))
            if use_cache:
                new[keys[i]] = CacheEntry(vectors[i].copy(), int(n_chunks[i]), int(n_tokens[i]))
        if use_cache and new:
            assert cache is not None
            cache.put(
                namespace,
                new,
                dim,
                metadata={"embedder": embedder.name, "fingerprint": embedder.fingerprint},
            )
    return EmbeddedDocuments(
        tickers=tuple(d.ticker for d in documents),
        vectors=vectors,
        n_chunks=n_chunks,
        n_tokens=n_tokens,
        from_cache=from_cache,
        seconds=time.perf_counter() - t0,
    )
