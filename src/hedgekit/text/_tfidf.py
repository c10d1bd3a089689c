"""A torch-free backend: TF-IDF of words and bigrams reduced by a truncated SVD (LSA)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hedgekit._errors import ConfigurationError
from hedgekit._optional import import_optional
from hedgekit.text._base import PIPELINE_VERSION, Embedder, l2_normalize
from hedgekit.text._base import stable_hash as _hash

__all__ = ["TfidfSvdEmbedder"]

#: up to this many texts the SVD is computed exactly from the texts' Gram matrix
_EXACT_MAX_TEXTS = 5000


class TfidfSvdEmbedder(Embedder):
    """Latent semantic analysis: TF-IDF, truncated SVD, unit rows. No torch needed.

    **Fitted on the corpus it embeds**: every call to :meth:`embed` learns the vocabulary,
    the IDF weights and the SVD basis from exactly the texts it is given and returns their
    vectors. A text's vector therefore depends on the other texts of the call; compare
    only vectors from the same call (an :class:`~hedgekit.text.EmbeddingIndex` embeds its
    whole universe in one call). For the same reason the backend is not cacheable per text
    (``cacheable = False``); it is fast enough not to need it (~1 s for 500 descriptions).

    Parameters
    ----------
    n_components : int
        SVD dimensions (default 256). With fewer texts or terms than that, the SVD keeps
        ``min(n_texts, n_terms) - 1`` components and the rest of the columns are zero, so
        vectors always have ``n_components`` columns (zeros change no cosine).
    ngram_range : tuple of int
        Word n-grams, ``(1, 2)``: words and bigrams.
    min_df : int
        Ignore terms in fewer texts than this.
    max_df : float
        Ignore terms in more than this share of the texts.
    sublinear_tf : bool
        Use ``1 + log(tf)`` term frequencies.
    stop_words : str or None
        ``'english'`` (scikit-learn's list) or None.
    random_state : int
        Seed of the randomized SVD used above 5,000 texts: the same texts always give the
        same vectors.

    Notes
    -----
    ``X = tfidf(texts)`` (l2-normalised rows), ``Z = X V_k`` with ``V_k`` the top-``k`` right
    singular vectors of ``X``, and the rows of ``Z`` are scaled to unit norm. Up to 5,000
    texts ``Z = U_k S_k`` is computed exactly from the eigen-decomposition of the Gram
    matrix ``X X'`` (500 descriptions: ~0.03 s; scikit-learn's randomized ``TruncatedSVD``
    took ~3 s and, with 256 of ~500 axes, moved cosines by up to 0.13); above, with
    scikit-learn ``TruncatedSVD`` (randomized, 7 iterations, ``random_state``). The sign of
    an SVD axis is arbitrary; it is fixed deterministically, and cosines do not depend on it.

    Examples
    --------
    >>> emb = TfidfSvdEmbedder(n_components=2)
    >>> v = emb.embed(["hard disk drives", "flash storage drives", "phosphate fertiliser"])
    >>> v.shape, bool(np.allclose(np.linalg.norm(v, axis=1), 1))
    ((3, 2), True)
    """

    cacheable = False

    def __init__(
        self,
        n_components: int = 256,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 1,
        max_df: float = 1.0,
        sublinear_tf: bool = True,
        stop_words: str | None = "english",
        random_state: int = 0,
    ) -> None:
        self.n_components = n_components
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.sublinear_tf = sublinear_tf
        self.stop_words = stop_words
        self.random_state = random_state

    @property
    def name(self) -> str:
        """``'tfidf-svd<n_components>'``."""
        return f"tfidf-svd{self.n_components}"

    @property
    def dim(self) -> int:
        """``n_components``."""
        return int(self.n_components)

    @property
    def fingerprint(self) -> str:
        """Hash of the settings (the corpus is not part of it: see the class docstring)."""
        return _hash({"kind": "tfidf-svd", "pipeline": PIPELINE_VERSION, **self._params()})

    def _params(self) -> dict[str, Any]:
        return {
            "n_components": self.n_components,
            "ngram_range": list(self.ngram_range),
            "min_df": self.min_df,
            "max_df": self.max_df,
            "sublinear_tf": self.sublinear_tf,
            "stop_words": self.stop_words,
            "random_state": self.random_state,
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Fit TF-IDF and the SVD on ``texts`` and return their unit vectors.

        Parameters
        ----------
        texts : sequence of str
            The whole corpus to compare (at least 2 texts).

        Returns
        -------
        ndarray of shape (n_texts, n_components), float32

        Raises
        ------
        ConfigurationError
            ``n_components`` is not a positive integer, or fewer than 2 texts are given.
        MissingDependencyError
            scikit-learn is not installed.
        """
        k = self.n_components
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ConfigurationError(f"n_components={k!r} must be a positive integer, e.g. 256")
        items = [str(t) for t in texts]
        if len(items) < 2:
            raise ConfigurationError(
                f"the TF-IDF backend fits on the texts it embeds and got {len(items)}; "
                "give it the whole corpus (2 texts or more) in one call"
            )
        decomposition = import_optional(
            "sklearn.decomposition", extra=None, purpose="the TF-IDF backend"
        )
        feature_text = import_optional(
            "sklearn.feature_extraction.text", extra=None, purpose="the TF-IDF backend"
        )
        TruncatedSVD, TfidfVectorizer = decomposition.TruncatedSVD, feature_text.TfidfVectorizer
        vectorizer = TfidfVectorizer(
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=self.sublinear_tf,
            stop_words=self.stop_words,
            dtype=np.float64,
        )
        try:
            X = vectorizer.fit_transform(items)
        except ValueError as exc:  # empty vocabulary
            raise ConfigurationError(
                f"the TF-IDF backend found no terms in the {len(items)} texts ({exc}); "
                "check the texts, or lower min_df / use stop_words=None"
            ) from exc
        n_fit = min(k, X.shape[0] - 1, X.shape[1] - 1)
        out = np.zeros((len(items), k), dtype=np.float64)
        if n_fit < 1:  # one usable term: the (normalised) tf-idf column itself
            out[:, :1] = X[:, :1].toarray()
        elif X.shape[0] <= _EXACT_MAX_TEXTS:
            out[:, :n_fit] = _svd_scores_exact(X, n_fit)
        else:
            svd = TruncatedSVD(n_components=n_fit, n_iter=7, random_state=self.random_state)
            out[:, :n_fit] = svd.fit_transform(X)
        return l2_normalize(out)


def _svd_scores_exact(X: Any, k: int) -> np.ndarray:
    """``U_k S_k`` of the SVD ``X = U S V'`` from the Gram matrix ``X X' = U S^2 U'``.

    Equal to ``X V_k`` (what ``TruncatedSVD.fit_transform`` returns), exact, and fast when
    texts are few (a dense n x n eigen-decomposition). Each axis's sign is fixed so that
    its largest absolute entry is positive (deterministic output).
    """
    gram = np.asarray((X @ X.T).toarray(), dtype=np.float64)
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values, kind="stable")[::-1][:k]
    u = vectors[:, order]
    signs = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    return np.asarray(u * signs * np.sqrt(np.clip(values[order], 0.0, None)))
