"""Cluster terms: class-based TF-IDF (c-TF-IDF) of descriptions cleaned of boilerplate and names."""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from hedgekit._errors import ConfigurationError
from hedgekit.text.cluster._common import _check_int

__all__ = ["BOILERPLATE_TERMS", "class_tfidf"]

logger = logging.getLogger(__name__)

#: words of company-profile boilerplate left out of the cluster terms (on top of
#: scikit-learn's English stop words)
BOILERPLATE_TERMS: frozenset[str] = frozenset(
    """
    company companies inc incorporated corp corporation co ltd llc plc lp holdings holding
    group subsidiary subsidiaries segment segments operates operate operating provides
    provide providing offers offer offering including include includes related various
    addition founded headquartered formerly known name changed based located well
    products product services service solutions customers business businesses worldwide
    united states internationally international com www approximately sells sell
    """.split()  # noqa: SIM905 - a block of words reads better than 56 quoted strings
)

_BOILERPLATE_SENTENCE = re.compile(
    r"\b(?:headquartered in|was founded in|were founded in|was incorporated in|"
    r"formerly known as|changed its name|is based in)\b",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_LEGAL_SUFFIX = re.compile(
    r"(?:,?\s+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|plc|llc|l\.?p|"
    r"n\.v|s\.a|ag|se|holdings?|group|the)\.?)+\s*$",
    re.IGNORECASE,
)
_TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]*[a-zA-Z0-9]\b"


def _name_variants(name: str) -> list[str]:
    """The spellings of a company name to strip from its own description."""
    name = " ".join(str(name).split())
    if not name:
        return []
    core = _LEGAL_SUFFIX.sub("", name).strip(" ,")
    variants = {name, core}
    first = core.split(" ")[0].strip(",.") if core else ""
    if len(first) >= 3 and first[0].isupper():
        variants.add(first)
    return sorted((v for v in variants if v), key=len, reverse=True)


def _clean_description(text: str, names: Iterable[str] = ()) -> str:
    """Drop boilerplate sentences (founded / headquartered / formerly known as) and the
    company's own name from a description."""
    sentences = _SENTENCE_SPLIT.split(str(text))
    kept = " ".join(s for s in sentences if not _BOILERPLATE_SENTENCE.search(s))
    for name in names:
        for variant in _name_variants(name):
            flags = re.IGNORECASE if " " in variant else 0  # one word: its capitalised form
            kept = re.sub(rf"(?<!\w){re.escape(variant)}(?!\w)", " ", kept, flags=flags)
    return kept


def class_tfidf(
    texts: Sequence[str],
    labels: Sequence[Hashable] | np.ndarray,
    *,
    n_terms: int = 10,
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int = 2,
    min_members: int = 2,
    stop_words: Iterable[str] | None = None,
) -> dict[Hashable, list[tuple[str, float]]]:
    """Top terms of each class of documents by class-based TF-IDF (c-TF-IDF).

    Parameters
    ----------
    texts : sequence of str, shape (n_documents,)
        One document per sample (already cleaned of names and boilerplate).
    labels : sequence, shape (n_documents,)
        Class of each document (a cluster; ``-1`` for noise is a class like any other).
    n_terms : int
        Terms per class.
    ngram_range : tuple of int
        Word n-grams counted (default unigrams and bigrams).
    min_df : int
        A term must occur in at least this many documents overall.
    min_members : int
        A term must occur in at least ``min(min_members, class size)`` documents of the
        class to be one of its top terms, so one company's brand cannot name a cluster.
    stop_words : iterable of str, optional
        Words left out; default scikit-learn's English stop words plus
        :data:`BOILERPLATE_TERMS`.

    Returns
    -------
    dict
        Class -> up to ``n_terms`` ``(term, weight)`` pairs, best first (fewer when the
        class has fewer eligible terms).

    Notes
    -----
    The c-TF-IDF of BERTopic (Grootendorst 2022): with ``t_{x,c}`` the count of term ``x``
    in the concatenated documents of class ``c``, ``f_x`` its count over all classes and
    ``A`` the mean number of counted words per class,
    ``W_{x,c} = t_{x,c} / sum_x t_{x,c} * log(1 + A / f_x)``. Counts come from
    ``sklearn.feature_extraction.text.CountVectorizer``. Terms are taken best first without
    repeating words: a bigram replaces the unigrams it contains that rank above it (its
    weight is then the better unigram's) and a term whose words are all taken is skipped.

    Examples
    --------
    >>> docs = ["chips and wafers", "wafers and chips fabs", "banks and loans", "loans banks"]
    >>> top = class_tfidf(docs, [0, 0, 1, 1], n_terms=2, min_df=1, ngram_range=(1, 1))
    >>> sorted(t for t, _ in top[0])
    ['chips', 'wafers']
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    n_terms = _check_int("n_terms", n_terms, 1, 10)
    min_df = _check_int("min_df", min_df, 1, 2)
    min_members = _check_int("min_members", min_members, 1, 2)
    labels_arr = np.asarray(list(labels), dtype=object)
    if len(labels_arr) != len(texts):
        raise ConfigurationError(
            f"{len(texts)} texts but {len(labels_arr)} labels; pass one label per text"
        )
    classes = list(dict.fromkeys(labels_arr.tolist()))
    if not texts:
        return {}
    words = set(ENGLISH_STOP_WORDS | BOILERPLATE_TERMS) if stop_words is None else set(stop_words)
    vectorizer = CountVectorizer(
        ngram_range=ngram_range,
        min_df=min(min_df, len(texts)),
        stop_words=sorted(words),
        token_pattern=_TOKEN_PATTERN,
        lowercase=True,
    )
    try:
        counts = vectorizer.fit_transform(list(texts)).tocsr().astype(np.float64)
    except ValueError:  # empty vocabulary: every word is a stop word or too rare
        logger.info("no term occurs in %d or more of the %d documents", min_df, len(texts))
        return {c: [] for c in classes}
    terms = vectorizer.get_feature_names_out()
    codes = np.array([classes.index(c) for c in labels_arr])
    onehot = np.zeros((len(classes), len(texts)))
    onehot[codes, np.arange(len(texts))] = 1.0
    per_class = np.asarray(counts.T.dot(onehot.T).T)  # classes x terms
    docs_with = np.asarray((counts > 0).astype(np.float64).T.dot(onehot.T).T)
    sizes = onehot.sum(axis=1)
    total = per_class.sum(axis=0)
    mean_words = per_class.sum(axis=1).mean()
    idf = np.log1p(mean_words / np.maximum(total, 1e-12))
    row_sum = per_class.sum(axis=1, keepdims=True)
    tf = np.divide(per_class, row_sum, out=np.zeros_like(per_class), where=row_sum > 0)
    weight = tf * idf
    eligible = docs_with >= np.minimum(min_members, sizes)[:, None]
    weight = np.where(eligible & (per_class > 0), weight, -np.inf)
    out: dict[Hashable, list[tuple[str, float]]] = {}
    for i, c in enumerate(classes):
        order = np.lexsort((terms, -weight[i]))
        ranked = [(str(terms[j]), float(weight[i, j])) for j in order if np.isfinite(weight[i, j])]
        out[c] = _merge_ngrams(ranked, n_terms)
    return out


def _merge_ngrams(ranked: list[tuple[str, float]], n_terms: int) -> list[tuple[str, float]]:
    """The first ``n_terms`` of ``ranked`` without repeating words: a term whose words are
    all in terms already chosen is skipped, and an n-gram replaces the chosen shorter terms
    it contains (``gas``, ``natural gas``, ``natural`` -> ``natural gas``)."""
    chosen: list[tuple[str, float]] = []
    for term, score in ranked:
        words = set(term.split())
        inside = [pos for pos, (t, _) in enumerate(chosen) if set(t.split()) < words]
        if inside:
            chosen[inside[0]] = (term, chosen[inside[0]][1])
            for pos in reversed(inside[1:]):
                del chosen[pos]
            continue
        covered = set().union(*(set(t.split()) for t, _ in chosen)) if chosen else set()
        if words <= covered:
            continue
        chosen.append((term, score))
        if len(chosen) >= n_terms:
            break
    return chosen[:n_terms]
