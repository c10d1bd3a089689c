"""Semantic peers from business descriptions: embeddings, chunking, cache, evaluation.

Backends share the :class:`Embedder` interface: :class:`SentenceTransformerEmbedder`
(default all-MiniLM-L6-v2, packaged and offline; any sentence-transformers model,
nomic-embed-text-v1.5 with task prefixes and Matryoshka dimensions) and
:class:`TfidfSvdEmbedder` (scikit-learn, no torch). Descriptions are cut into windows
with a company header (:class:`ChunkingConfig`), pooled into one vector per company and
cached under the data store (:class:`EmbeddingCache`). :class:`EmbeddingIndex` holds the
vectors at a date; :func:`semantic_peers` and :func:`evaluate_embeddings` use it.
"""

from __future__ import annotations

from hedgekit._errors import MissingDependencyError  # also hedgekit.MissingDependencyError
from hedgekit.text._base import Embedder, l2_normalize
from hedgekit.text._cache import CacheEntry, EmbeddingCache, default_cache_dir
from hedgekit.text._chunking import (
    AUTO_WINDOW,
    CLASSIFICATION_FIELDS,
    Chunk,
    ChunkingConfig,
    Document,
    HeaderField,
    chunk_document,
    make_header,
    pool_chunks,
)
from hedgekit.text._evaluation import cosine_silhouette, evaluate_embeddings
from hedgekit.text._factory import EMBEDDER_NAMES, get_embedder, nlp_available
from hedgekit.text._index import EmbeddingIndex, company_documents, semantic_peers
from hedgekit.text._pipeline import EmbeddedDocuments, embed_documents
from hedgekit.text._tfidf import TfidfSvdEmbedder
from hedgekit.text._transformer import (
    DEFAULT_MODEL,
    NOMIC_MODEL,
    NOMIC_PREFIXES,
    SentenceTransformerEmbedder,
    Task,
    layer_norm_truncate,
    packaged_minilm_path,
)
from hedgekit.text.cluster import (
    AIExperimentResult,
    ClusterResult,
    ai_experiment,
    class_tfidf,
    cluster_agreement,
    cluster_embeddings,
    cluster_market,
)

__all__ = [
    "AUTO_WINDOW",
    "CLASSIFICATION_FIELDS",
    "DEFAULT_MODEL",
    "EMBEDDER_NAMES",
    "NOMIC_MODEL",
    "NOMIC_PREFIXES",
    "AIExperimentResult",
    "CacheEntry",
    "Chunk",
    "ChunkingConfig",
    "ClusterResult",
    "Document",
    "EmbeddedDocuments",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingIndex",
    "HeaderField",
    "MissingDependencyError",
    "SentenceTransformerEmbedder",
    "Task",
    "TfidfSvdEmbedder",
    "ai_experiment",
    "chunk_document",
    "class_tfidf",
    "cluster_agreement",
    "cluster_embeddings",
    "cluster_market",
    "company_documents",
    "cosine_silhouette",
    "default_cache_dir",
    "embed_documents",
    "evaluate_embeddings",
    "get_embedder",
    "l2_normalize",
    "layer_norm_truncate",
    "make_header",
    "nlp_available",
    "packaged_minilm_path",
    "pool_chunks",
    "semantic_peers",
]
