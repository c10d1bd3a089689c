"""The embedding backend interface shared by every text model of hedgekit.

An :class:`Embedder` turns texts into L2-normalised float32 vectors. It also says how
it counts tokens (so documents can be cut into windows the model can read) and gives a
``fingerprint``: a hash of everything that changes its vectors, used as the cache key.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "PIPELINE_VERSION",
    "Embedder",
    "l2_normalize",
    "stable_hash",
    "word_spans",
]

#: bump when a change to chunking, pooling or a backend's recipe changes the vectors
PIPELINE_VERSION = "hedgekit-text-1"

_WORD = re.compile(r"\S+")


def stable_hash(payload: Any, length: int = 64) -> str:
    """Hex SHA-256 of a JSON-serialisable payload (keys sorted), cut to ``length`` chars."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the whitespace-separated words of ``text``.

    The simple tokenizer used when a backend has no tokenizer of its own.

    Examples
    --------
    >>> word_spans("Hard disk  drives.")
    [(0, 4), (5, 9), (11, 18)]
    """
    return [(m.start(), m.end()) for m in _WORD.finditer(text)]


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean norm, as float32; all-zero rows stay zero.

    Parameters
    ----------
    vectors : array-like of shape (n_texts, dim)

    Returns
    -------
    ndarray of shape (n_texts, dim), float32
    """
    arr = np.asarray(vectors, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-d array of shape (n_texts, dim), got shape {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(norms > 0, arr / norms, 0.0)
    return out.astype(np.float32)


class Embedder(ABC):
    """A text embedding backend.

    Subclasses implement :meth:`embed` and :attr:`fingerprint`, and may override the
    token hooks (:meth:`token_spans`, :attr:`max_tokens`) when the model has its own
    tokenizer and an input limit.

    Attributes
    ----------
    name : str
        Short display name (``'all-MiniLM-L6-v2'``, ``'tfidf-svd256'``).
    dim : int
        Number of columns :meth:`embed` returns.
    cacheable : bool
        Whether the vector of a text depends on that text only (and on the model). A
        backend fitted on the corpus it embeds (TF-IDF) is not cacheable per text.
    """

    #: whether one text's vector depends on that text only (see the class docstring)
    cacheable: bool = True

    @property
    @abstractmethod
    def name(self) -> str:
        """Short display name of the backend."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Number of columns of the vectors :meth:`embed` returns."""

    @property
    @abstractmethod
    def fingerprint(self) -> str:
        """Stable hash of everything that changes the vectors (model, recipe, settings).

        Computing it must not load the model: a cache hit should cost no model load.
        """

    @property
    def max_tokens(self) -> int | None:
        """Longest text, in tokens of :meth:`token_spans`, the model reads in full.

        ``None`` means no limit (the default): a document is embedded whole unless the
        chunking settings ask for windows.
        """
        return None

    @property
    def tokenizer_name(self) -> str:
        """Name of the tokenizer :meth:`token_spans` uses (part of the chunking key)."""
        return "words"

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of ``text`` (default: whitespace words)."""
        return word_spans(text)

    def count_tokens(self, text: str) -> int:
        """Number of tokens of ``text`` as :meth:`token_spans` counts them."""
        return len(self.token_spans(text))

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, dim), float32
            One L2-normalised row per text, in input order.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
