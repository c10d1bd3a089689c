"""Clusters of companies from their description embeddings: UMAP + HDBSCAN, maps, terms.

:func:`cluster_embeddings` reduces the unit vectors of an :class:`EmbeddingIndex` with UMAP
(to ``n_components_cluster`` dimensions for clustering, to 2 for the map), clusters the
reduced vectors with HDBSCAN (label ``-1`` is noise), names each cluster by its top terms
(class-based TF-IDF of the members' descriptions) and scores the clusters against GICS
with the adjusted Rand index and normalised mutual information. :func:`cluster_market` is
the one-call version from a market and a date; :func:`ai_experiment` is the study's "AI
makers versus AI users" experiment.

UMAP needs ``umap-learn`` (``pip install 'hedgekit[cluster]'``); without it the vectors are
reduced with PCA, a logged warning says so and the result records ``reducer='pca'``.
HDBSCAN is scikit-learn's (>= 1.3). The PNG map needs matplotlib
(``pip install 'hedgekit[plot]'``); the HTML map uses plotly when installed and a small
hand-written SVG page otherwise, both self-contained (they work offline).
"""

from __future__ import annotations

import colorsys
import html
import logging
import os
import re
import time
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit._json import jsonable as _jsonable
from hedgekit._optional import import_optional, install_hint, optional_module
from hedgekit.data import MarketData, PointInTimeData
from hedgekit.text._base import Embedder
from hedgekit.text._evaluation import _one_per_issuer, cosine_silhouette
from hedgekit.text._index import CacheLike, EmbeddingIndex
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "AI_KEYWORDS",
    "BOILERPLATE_TERMS",
    "MAKER_SUB_INDUSTRIES",
    "AIExperimentResult",
    "ClusterResult",
    "ai_experiment",
    "class_tfidf",
    "cluster_agreement",
    "cluster_embeddings",
    "cluster_market",
]

logger = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
Reducer = Literal["auto", "umap", "pca"]
HtmlEngine = Literal["auto", "plotly", "svg"]

_GICS_REFERENCES = ("gics_sector", "gics_sub_industry")
_INFO_COLUMNS = ("name", "gics_sector", "gics_industry_group", "gics_industry", "gics_sub_industry")

#: keyword families of the AI experiment: name -> regular expression (``AI`` is matched
#: case-sensitively as a whole word, the others case-insensitively)
AI_KEYWORDS: dict[str, str] = {
    "AI": r"\bAI\b",
    "artificial intelligence": r"(?i:\bartificial intelligence\b)",
    "machine learning": r"(?i:\bmachine[- ]learning\b)",
    "deep learning": r"(?i:\bdeep learning\b)",
    "neural network": r"(?i:\bneural networks?\b)",
    "GPU": r"\bGPUs?\b|(?i:\bgraphics processing units?\b)",
    "accelerated computing": r"(?i:\baccelerated computing\b)",
    "semiconductor": r"(?i:\bsemiconductors?\b)",
}

#: GICS sub-industries whose companies are the "AI makers" (chips, chip equipment,
#: computer hardware); ``Semiconductor Equipment`` is the name before the 2023 GICS change
MAKER_SUB_INDUSTRIES: tuple[str, ...] = (
    "Semiconductors",
    "Semiconductor Materials & Equipment",
    "Semiconductor Equipment",
    "Technology Hardware, Storage & Peripherals",
)

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

_TAB20 = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
    "#393b79",
    "#637939",
)
_NOISE_COLOUR = "#b8b8b8"


# ---------------------------------------------------------------------- helpers
def _palette(n: int) -> list[str]:
    """``n`` distinct hex colours: tab20 first, then golden-ratio hues."""
    out = list(_TAB20[:n])
    i = 0
    while len(out) < n:
        hue = (0.13 + i * 0.618033988749895) % 1.0
        light = 0.35 if i % 2 else 0.55
        r, g, b = colorsys.hls_to_rgb(hue, light, 0.75)
        out.append(f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")
        i += 1
    return out


def _check_int(name: str, value: object, minimum: int, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ConfigurationError(
            f"{name}={value!r} must be an integer >= {minimum}, e.g. {example}"
        )
    return int(value)


def _matplotlib_figure(width: float, height: float, ncols: int = 1) -> tuple[Any, list[Any]]:
    """A Figure on an Agg canvas (no pyplot, no global backend change) and its axes."""
    figure = import_optional("matplotlib.figure", extra="plot", purpose="plotting")
    agg = import_optional("matplotlib.backends.backend_agg", extra="plot", purpose="plotting")
    fig = figure.Figure(figsize=(width, height), layout="constrained")
    agg.FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _series(values: Mapping[str, Any] | pd.Series | None, tickers: Sequence[str]) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=pd.Index(tickers, name="ticker"), dtype="object")
    s = values if isinstance(values, pd.Series) else pd.Series(dict(values), dtype="object")
    return s.reindex(pd.Index(tickers, name="ticker"))


# ---------------------------------------------------------------------- agreement
def cluster_agreement(
    labels: pd.Series | Sequence[int] | np.ndarray,
    reference: pd.Series | Sequence[Hashable] | np.ndarray,
) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information of clusters and a reference.

    Parameters
    ----------
    labels : Series or array-like of int, shape (n_samples,)
        Cluster labels, ``-1`` for noise. Two Series are aligned on their index.
    reference : Series or array-like, shape (n_samples,)
        Reference classes (e.g. GICS sectors); missing values are left out.

    Returns
    -------
    dict
        ``ari`` and ``nmi`` over the clustered samples only (noise excluded);
        ``ari_with_noise`` and ``nmi_with_noise`` over all samples, the noise points forming
        one extra label; ``n_clustered`` and ``n_scored`` (samples with a reference).
        A score is NaN when fewer than 2 samples take part.

    Notes
    -----
    ARI is ``sklearn.metrics.adjusted_rand_score`` (0 for a random labelling, 1 for
    identical partitions); NMI is ``normalized_mutual_info_score`` with the arithmetic mean
    of the two entropies. Excluding noise scores only what HDBSCAN chose to cluster (and
    flatters it); counting noise as one label penalises every noise point whose reference
    classes differ.

    Examples
    --------
    >>> cluster_agreement([0, 0, 1, 1, -1], ["a", "a", "b", "b", "b"])["ari"]
    1.0
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    if isinstance(labels, pd.Series) and isinstance(reference, pd.Series):
        lab, ref = labels.align(reference, join="left")
    else:
        lab = pd.Series(np.asarray(labels))
        ref = pd.Series(list(reference) if not isinstance(reference, pd.Series) else reference)
        if len(lab) != len(ref):
            raise ConfigurationError(
                f"labels has {len(lab)} samples, reference {len(ref)}; pass one reference "
                "label per sample (or two Series indexed by ticker)"
            )
        ref.index = lab.index
    known = ref.notna().to_numpy() & lab.notna().to_numpy()
    lab_k = lab[known].astype(int).to_numpy()
    ref_k = ref[known].astype(str).to_numpy()
    clustered = lab_k >= 0
    out: dict[str, float] = {
        "ari": float("nan"),
        "nmi": float("nan"),
        "ari_with_noise": float("nan"),
        "nmi_with_noise": float("nan"),
        "n_clustered": float(clustered.sum()),
        "n_scored": float(len(lab_k)),
    }
    if clustered.sum() >= 2:
        out["ari"] = float(adjusted_rand_score(ref_k[clustered], lab_k[clustered]))
        out["nmi"] = float(normalized_mutual_info_score(ref_k[clustered], lab_k[clustered]))
    if len(lab_k) >= 2:
        out["ari_with_noise"] = float(adjusted_rand_score(ref_k, lab_k))
        out["nmi_with_noise"] = float(normalized_mutual_info_score(ref_k, lab_k))
    return out


# ---------------------------------------------------------------------- c-TF-IDF
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


# ---------------------------------------------------------------------- result
@dataclass(frozen=True)
class ClusterResult:
    """Clusters of companies, their 2-D map, summaries and agreement with GICS.

    Attributes
    ----------
    labels : Series of int
        Cluster per ticker; ``-1`` is noise. Clusters are numbered by size, largest first.
    probabilities : Series of float
        HDBSCAN membership strength in [0, 1] (0 for noise).
    coords : DataFrame
        Columns ``x`` and ``y``: the 2-D map (UMAP or PCA), per ticker.
    info : DataFrame
        Per ticker: ``name``, GICS columns when given, ``look_ahead`` when known.
    clusters : DataFrame
        One row per cluster (noise last, as ``-1``): ``size``, ``share``, ``top_terms``
        (tuple), ``top_sector``, ``top_sector_share``, ``top_sub_industry``,
        ``top_sub_industry_share`` (shares among members with a known GICS),
        ``n_sub_industries``, ``mean_probability`` and ``members`` (tuple of tickers, the
        strongest members first).
    scores : DataFrame
        Indexed by reference (``gics_sector``, ``gics_sub_industry``): the columns of
        :func:`cluster_agreement` and ``n_reference_labels``. Empty without GICS.
    params : dict
        The parameters used (after clipping to the sample size) and ``reducer``.
    reducer : str
        ``'umap'`` or ``'pca'`` (the fallback, or asked for).
    embedder : str
        The backend of the vectors.
    as_of : Timestamp or None
        The date of the vectors.
    timings : dict
        Seconds spent per step (``reduce``, ``cluster``, ``terms``; ``embed`` when
        :func:`cluster_market` built the index).
    """

    labels: pd.Series
    probabilities: pd.Series
    coords: pd.DataFrame
    info: pd.DataFrame
    clusters: pd.DataFrame
    scores: pd.DataFrame
    params: dict[str, Any]
    reducer: str
    embedder: str = ""
    as_of: pd.Timestamp | None = None
    timings: dict[str, float] = field(default_factory=dict)

    # ------------------------------------------------------------------ numbers
    @property
    def tickers(self) -> tuple[str, ...]:
        """Tickers, in the order of the index that was clustered."""
        return tuple(str(t) for t in self.labels.index)

    @property
    def n_clusters(self) -> int:
        """Number of clusters (noise not counted)."""
        return int((self.labels.unique() >= 0).sum())

    @property
    def noise_share(self) -> float:
        """Share of the companies labelled noise (``-1``)."""
        return float((self.labels < 0).mean()) if len(self.labels) else float("nan")

    def agreement(self, reference: pd.Series | Mapping[str, Hashable]) -> dict[str, float]:
        """:func:`cluster_agreement` of the labels with a reference, per ticker."""
        ref = reference if isinstance(reference, pd.Series) else pd.Series(dict(reference))
        return cluster_agreement(self.labels, ref)

    # ------------------------------------------------------------------ tables
    def _cluster_rows(self) -> list[tuple[int, pd.Series]]:
        """``(cluster id, row of clusters)`` pairs, in table order."""
        ids = [int(c) for c in self.clusters.index.to_numpy()]
        return [(c, self.clusters.iloc[pos]) for pos, c in enumerate(ids)]

    def to_frame(self) -> pd.DataFrame:
        """One row per ticker: ``cluster``, ``probability``, ``x``, ``y`` and ``info``."""
        out = pd.DataFrame(
            {
                "cluster": self.labels,
                "probability": self.probabilities,
                "x": self.coords["x"],
                "y": self.coords["y"],
            }
        )
        return out.join(self.info)

    def summary(
        self, n_terms: int = 6, n_members: int = 10, *, include_noise: bool = False
    ) -> pd.DataFrame:
        """Display table of the clusters (strings), largest first.

        Parameters
        ----------
        n_terms : int
            Top terms shown per cluster.
        n_members : int
            Members shown per cluster (the strongest first; ``+k`` counts the rest).
        include_noise : bool
            Add the noise row (``-1``).

        Returns
        -------
        DataFrame
            Indexed by ``cluster``: ``size``, ``top_terms``, ``gics_sub_industry`` (the most
            common one and its share), ``gics_sector`` (likewise), ``members``.
        """
        rows = []
        for c, row in self._cluster_rows():
            if int(c) < 0 and not include_noise:
                continue
            members = list(row["members"])
            shown = ", ".join(members[:n_members])
            if len(members) > n_members:
                shown += f" (+{len(members) - n_members})"
            rows.append(
                {
                    "cluster": int(c),
                    "size": int(row["size"]),
                    "top_terms": ", ".join(list(row["top_terms"])[:n_terms]),
                    "gics_sub_industry": _with_share(
                        row["top_sub_industry"], row["top_sub_industry_share"]
                    ),
                    "gics_sector": _with_share(row["top_sector"], row["top_sector_share"]),
                    "members": shown,
                }
            )
        columns = ["size", "top_terms", "gics_sub_industry", "gics_sector", "members"]
        if not rows:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="cluster"))
        return pd.DataFrame(rows).set_index("cluster")[columns]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: settings, scores, clusters and one record per company."""
        clusters = []
        for c, row in self._cluster_rows():
            rec = {"cluster": int(c), **{k: row[k] for k in self.clusters.columns}}
            clusters.append(rec)
        companies = self.to_frame().reset_index().to_dict(orient="records")
        return _jsonable(
            {
                "as_of": self.as_of,
                "embedder": self.embedder,
                "reducer": self.reducer,
                "params": self.params,
                "n_companies": len(self.labels),
                "n_clusters": self.n_clusters,
                "noise_share": self.noise_share,
                "scores": {str(k): dict(v) for k, v in self.scores.to_dict(orient="index").items()},
                "timings": self.timings,
                "clusters": clusters,
                "companies": companies,
            }
        )

    def __repr__(self) -> str:
        when = "" if self.as_of is None else f", as_of={self.as_of:%Y-%m-%d}"
        return (
            f"ClusterResult(n={len(self.labels)}, n_clusters={self.n_clusters}, "
            f"noise_share={self.noise_share:.2f}, reducer={self.reducer!r}, "
            f"embedder={self.embedder!r}{when})"
        )

    # ------------------------------------------------------------------ plots
    def _title(self) -> str:
        when = "" if self.as_of is None else f" on {self.as_of:%Y-%m-%d}"
        return (
            f"{len(self.labels)} companies{when}, {self.embedder or 'vectors'} -> "
            f"{self.reducer.upper()} + HDBSCAN: {self.n_clusters} clusters, "
            f"{self.noise_share:.0%} noise"
        )

    def _cluster_names(self, n_terms: int = 3) -> dict[int, str]:
        names = {}
        for c, row in self._cluster_rows():
            terms = ", ".join(list(row["top_terms"])[:n_terms])
            label = "noise" if int(c) < 0 else f"{int(c)}"
            names[int(c)] = f"{label}: {terms}" if terms and int(c) >= 0 else label
        return names

    def _colours(self) -> dict[int, str]:
        ids = sorted(c for c in self.labels.unique() if c >= 0)
        out = dict(zip(ids, _palette(len(ids)), strict=True))
        out[-1] = _NOISE_COLOUR
        return out

    def plot_png(
        self,
        path: PathLike,
        *,
        title: str | None = None,
        by_sector: bool | None = None,
        annotate: bool = True,
        dpi: int = 130,
    ) -> Path:
        """Save the 2-D map as a PNG, coloured by cluster (and a panel by GICS sector).

        Parameters
        ----------
        path : str or path-like
        title : str, optional
            Figure title (default: what was clustered, how, and the result).
        by_sector : bool, optional
            Add a second panel coloured by GICS sector (default: when sectors are known).
        annotate : bool
            Write ``id: top terms`` at the median point of each cluster.
        dpi : int

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        MissingDependencyError
            matplotlib is not installed (``pip install 'hedgekit[plot]'``).
        """
        has_sector = "gics_sector" in self.info.columns and self.info["gics_sector"].notna().any()
        two = has_sector if by_sector is None else bool(by_sector and has_sector)
        fig, axes = _matplotlib_figure(14.0 if two else 8.0, 7.0, 2 if two else 1)
        frame = self.to_frame()
        colours = self._colours()
        names = self._cluster_names()
        ax = axes[0]
        noise = frame[frame["cluster"] < 0]
        ax.scatter(noise["x"], noise["y"], s=8, c=_NOISE_COLOUR, alpha=0.6, lw=0, label="noise")
        for c in sorted(c for c in frame["cluster"].unique() if c >= 0):
            part = frame[frame["cluster"] == c]
            ax.scatter(part["x"], part["y"], s=18, c=colours[c], alpha=0.9, lw=0)
            if annotate:
                ax.annotate(
                    names[c],
                    (float(part["x"].median()), float(part["y"].median())),
                    fontsize=7,
                    ha="center",
                    bbox={
                        "boxstyle": "round,pad=0.2",
                        "fc": "white",
                        "ec": colours[c],
                        "alpha": 0.8,
                    },
                )
        ax.set_title("HDBSCAN clusters (grey: noise)", fontsize=10)
        if two:
            sec_ax = axes[1]
            sectors = frame["gics_sector"].fillna("unknown")
            kinds = sorted(sectors.unique())
            sector_colour = dict(zip(kinds, _palette(len(kinds)), strict=True))
            for s in kinds:
                part = frame[sectors == s]
                sec_ax.scatter(
                    part["x"], part["y"], s=14, c=sector_colour[s], alpha=0.85, lw=0, label=s
                )
            sec_ax.legend(fontsize=7, markerscale=1.5, loc="best", framealpha=0.8)
            sec_ax.set_title("GICS sector", fontsize=10)
        for a in axes:
            a.set_xticks([])
            a.set_yticks([])
            a.set_xlabel(f"{self.reducer.upper()} 1", fontsize=8)
            a.set_ylabel(f"{self.reducer.upper()} 2", fontsize=8)
        fig.suptitle(title or self._title(), fontsize=11)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
        return out

    def _hover_rows(self) -> pd.DataFrame:
        frame = self.to_frame()
        names = self._cluster_names()
        for col in ("name", "gics_sector", "gics_sub_industry"):
            if col not in frame.columns:
                frame[col] = ""
        frame[["name", "gics_sector", "gics_sub_industry"]] = (
            frame[["name", "gics_sector", "gics_sub_industry"]].astype("object").fillna("")
        )
        frame["cluster_name"] = frame["cluster"].map(names)
        return frame

    def plot_html(
        self, path: PathLike, *, title: str | None = None, engine: HtmlEngine = "auto"
    ) -> Path:
        """Save the 2-D map as a self-contained interactive HTML page.

        Hovering a point shows its ticker, name, GICS sub-industry and cluster (with its top
        terms); points are coloured by cluster, and a control switches to GICS sector.

        Parameters
        ----------
        path : str or path-like
        title : str, optional
        engine : {'auto', 'plotly', 'svg'}
            ``'plotly'``: plotly with plotly.js inlined (``include_plotlyjs=True``, ~5 MB,
            works offline); ``'svg'``: a small hand-written SVG + JavaScript page (~0.1 MB);
            ``'auto'`` (default): plotly when it is installed, else SVG.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        MissingDependencyError
            ``engine='plotly'`` and plotly is not installed (``pip install 'hedgekit[cluster]'``).
        """
        if engine not in ("auto", "plotly", "svg"):
            raise ConfigurationError(f"engine={engine!r} must be 'auto', 'plotly' or 'svg'")
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        heading = title or self._title()
        if engine in ("auto", "plotly"):
            go = (
                import_optional(
                    "plotly.graph_objects",
                    extra="cluster",
                    purpose="the plotly HTML map",
                    alternative="or pass engine='svg'",
                )
                if engine == "plotly"
                else optional_module("plotly.graph_objects")
            )
            if go is None:
                logger.info("plotly is not installed; writing the SVG version of the map")
            else:
                fig = self._plotly_figure(go, heading)
                fig.write_html(out, include_plotlyjs=True, full_html=True, div_id="hedgekit-map")
                return out
        out.write_text(self._svg_page(heading), encoding="utf-8")
        return out

    def _plotly_figure(self, go: Any, heading: str) -> Any:
        frame = self._hover_rows()
        colours = self._colours()
        traces = []
        hover = (
            "<b>%{customdata[0]}</b> %{customdata[1]}<br>%{customdata[2]}<br>"
            "sector: %{customdata[3]}<br>cluster %{customdata[4]}<extra></extra>"
        )
        custom = ["ticker", "name", "gics_sub_industry", "gics_sector", "cluster_name"]
        ids = sorted(frame["cluster"].unique(), key=lambda c: (c < 0, c))
        for c in ids:
            part = frame[frame["cluster"] == c].reset_index()
            traces.append(
                go.Scatter(
                    x=part["x"],
                    y=part["y"],
                    mode="markers",
                    name=f"{self._cluster_names()[c]} ({len(part)})",
                    marker={"color": colours[c], "size": 6 if c < 0 else 8, "opacity": 0.85},
                    customdata=part[custom].to_numpy(),
                    hovertemplate=hover,
                    visible=True,
                )
            )
        sectors = frame["gics_sector"].replace("", "unknown")
        kinds = sorted(sectors.unique())
        for s, colour in zip(kinds, _palette(len(kinds)), strict=True):
            part = frame[sectors == s].reset_index()
            traces.append(
                go.Scatter(
                    x=part["x"],
                    y=part["y"],
                    mode="markers",
                    name=f"{s} ({len(part)})",
                    marker={"color": colour, "size": 8, "opacity": 0.85},
                    customdata=part[custom].to_numpy(),
                    hovertemplate=hover,
                    visible=False,
                )
            )
        n_c = len(ids)
        buttons = [
            {
                "label": "colour: cluster",
                "method": "update",
                "args": [{"visible": [True] * n_c + [False] * len(kinds)}],
            },
            {
                "label": "colour: GICS sector",
                "method": "update",
                "args": [{"visible": [False] * n_c + [True] * len(kinds)}],
            },
        ]
        fig = go.Figure(traces)
        fig.update_layout(
            title={"text": html.escape(heading), "font": {"size": 14}, "y": 0.97},
            template="plotly_white",
            height=760,
            legend={"font": {"size": 10}, "itemsizing": "constant"},
            xaxis={"showticklabels": False, "title": f"{self.reducer.upper()} 1"},
            yaxis={"showticklabels": False, "title": f"{self.reducer.upper()} 2"},
            margin={"t": 110},
            updatemenus=[
                {
                    "type": "buttons",
                    "buttons": buttons,
                    "direction": "left",
                    "x": 0,
                    "xanchor": "left",
                    "y": 1.02,
                    "yanchor": "bottom",
                }
            ],
        )
        return fig

    def _svg_page(self, heading: str) -> str:
        frame = self._hover_rows()
        colours = self._colours()
        sectors = frame["gics_sector"].replace("", "unknown")
        kinds = sorted(sectors.unique())
        sector_colour = dict(zip(kinds, _palette(len(kinds)), strict=True))
        width, height, pad = 900.0, 700.0, 20.0
        x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
        span_x = max(float(np.ptp(x)), 1e-9) if len(x) else 1.0
        span_y = max(float(np.ptp(y)), 1e-9) if len(y) else 1.0
        px = pad + (x - (x.min() if len(x) else 0.0)) / span_x * (width - 2 * pad)
        py = height - pad - (y - (y.min() if len(y) else 0.0)) / span_y * (height - 2 * pad)
        circles = []
        for i, (ticker, row) in enumerate(frame.iterrows()):
            c = int(row["cluster"])
            tip = (
                f"{ticker} {row['name']}\n{row['gics_sub_industry']}\n"
                f"sector: {row['gics_sector']}\ncluster {row['cluster_name']}"
            )
            circles.append(
                f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="{3 if c < 0 else 4.5}" '
                f'fill="{colours[c]}" data-c="{colours[c]}" '
                f'data-s="{sector_colour[sectors.iloc[i]]}" data-k="{c}">'
                f"<title>{html.escape(tip)}</title></circle>"
            )
        names = self._cluster_names()
        legend_c = "".join(
            f'<li data-k="{c}"><span style="background:{colours[c]}"></span>'
            f"{html.escape(names[c])} ({int((frame['cluster'] == c).sum())})</li>"
            for c in sorted(frame["cluster"].unique(), key=lambda c: (c < 0, c))
        )
        legend_s = "".join(
            f'<li><span style="background:{sector_colour[s]}"></span>{html.escape(str(s))} '
            f"({int((sectors == s).sum())})</li>"
            for s in kinds
        )
        return _SVG_TEMPLATE.format(
            title=html.escape(heading),
            width=int(width),
            height=int(height),
            circles="\n".join(circles),
            legend_c=legend_c,
            legend_s=legend_s,
        )


_SVG_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 12px; }}
#wrap {{ display: flex; gap: 16px; align-items: flex-start; }}
svg {{ border: 1px solid #ddd; max-width: 70vw; height: auto; }}
circle {{ stroke: white; stroke-width: 0.5; }}
circle.dim {{ opacity: 0.12; }}
ul {{ list-style: none; padding: 0; margin: 0; font-size: 12px; }}
li {{ cursor: pointer; margin: 2px 0; }}
li span {{ display: inline-block; width: 10px; height: 10px; margin-right: 5px; }}
#tip {{ position: fixed; pointer-events: none; background: #fff; border: 1px solid #999;
        padding: 4px 6px; font-size: 12px; white-space: pre; display: none; }}
</style></head><body>
<h3>{title}</h3>
<p>Hover a point for the company; click a cluster in the legend to highlight it.
<label><input type="checkbox" id="bysector"> colour by GICS sector</label></p>
<div id="wrap">
<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}">
{circles}
</svg>
<div><ul id="lc">{legend_c}</ul><ul id="ls" style="display:none">{legend_s}</ul></div>
</div>
<div id="tip"></div>
<script>
(function () {{
  var tip = document.getElementById("tip"), pts = document.querySelectorAll("circle");
  pts.forEach(function (p) {{
    var text = p.querySelector("title").textContent;
    p.addEventListener("mousemove", function (e) {{
      tip.textContent = text; tip.style.display = "block";
      tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px";
    }});
    p.addEventListener("mouseleave", function () {{ tip.style.display = "none"; }});
  }});
  var chosen = null;
  document.querySelectorAll("#lc li").forEach(function (li) {{
    li.addEventListener("click", function () {{
      chosen = chosen === li.dataset.k ? null : li.dataset.k;
      pts.forEach(function (p) {{
        p.classList.toggle("dim", chosen !== null && p.dataset.k !== chosen);
      }});
    }});
  }});
  document.getElementById("bysector").addEventListener("change", function (e) {{
    var s = e.target.checked;
    pts.forEach(function (p) {{ p.setAttribute("fill", s ? p.dataset.s : p.dataset.c); }});
    document.getElementById("lc").style.display = s ? "none" : "";
    document.getElementById("ls").style.display = s ? "" : "none";
  }});
}})();
</script>
</body></html>
"""


def _with_share(label: object, share: object) -> str:
    if not isinstance(label, str) or not label:
        return ""
    return f"{label} ({float(share):.0%})" if isinstance(share, float | int) else label


# ---------------------------------------------------------------------- clustering
def _reduce(
    vectors: np.ndarray,
    n_components: int,
    *,
    reducer: str,
    n_neighbors: int,
    min_dist: float,
    metric: str,
    seed: int,
) -> np.ndarray:
    n = len(vectors)
    if reducer == "umap":
        umap = import_optional("umap", extra="cluster", purpose="reducer='umap'")
        model = umap.UMAP(
            n_neighbors=n_neighbors,
            n_components=n_components,
            min_dist=min_dist,
            metric=metric,
            random_state=seed,
            n_jobs=1,
            init="spectral" if n_components < n - 1 else "random",
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"n_jobs value", category=UserWarning)
            return np.asarray(model.fit_transform(vectors), dtype=np.float64)
    from sklearn.decomposition import PCA

    k = min(n_components, n, vectors.shape[1])
    return np.asarray(
        PCA(n_components=k, svd_solver="full", random_state=seed).fit_transform(vectors),
        dtype=np.float64,
    )


def _relabel(raw: np.ndarray, tickers: Sequence[str]) -> np.ndarray:
    """Number clusters by size (largest 0), ties by their first ticker; noise stays -1."""
    ids = [int(c) for c in np.unique(raw) if c >= 0]
    members = {c: np.flatnonzero(raw == c) for c in ids}
    order = sorted(ids, key=lambda c: (-len(members[c]), min(tickers[int(i)] for i in members[c])))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(int(c), -1) for c in raw], dtype=int)


def _top_share(values: pd.Series) -> tuple[str | None, float, int]:
    known = values.dropna()
    known = known[known.astype(str) != ""]
    if known.empty:
        return None, float("nan"), 0
    counts = known.value_counts()
    best = sorted(counts.index[counts == counts.max()].astype(str))[0]
    return best, float(counts.max() / len(known)), len(counts)


def cluster_embeddings(
    index: EmbeddingIndex,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_components_cluster: int = 10,
    min_cluster_size: int = 8,
    min_samples: int | None = None,
    metric: str = "cosine",
    seed: int = 42,
    reducer: Reducer = "auto",
    cluster_selection_method: Literal["eom", "leaf"] = "eom",
    securities: pd.DataFrame | None = None,
    texts: Mapping[str, str] | pd.Series | None = None,
    n_terms: int = 10,
) -> ClusterResult:
    """Cluster the companies of an embedding index: UMAP, then HDBSCAN, then summaries.

    Parameters
    ----------
    index : EmbeddingIndex
        Unit vectors per ticker (:meth:`EmbeddingIndex.from_market`).
    n_neighbors : int
        UMAP neighbourhood size (default 15; clipped to ``n_companies - 1``).
    min_dist : float
        UMAP ``min_dist`` of the 2-D map (default 0.1). The clustering embedding uses 0.0,
        as UMAP's documentation advises for clustering (denser clumps).
    n_components_cluster : int
        Dimensions of the embedding HDBSCAN clusters (default 10).
    min_cluster_size : int
        HDBSCAN's smallest cluster (default 8).
    min_samples : int, optional
        HDBSCAN's core-distance neighbour count (default: ``min_cluster_size``); smaller
        means less noise.
    metric : str
        Distance of the input vectors for UMAP (default ``'cosine'``). HDBSCAN uses
        Euclidean distance in the reduced space.
    seed : int
        Random state of UMAP (fixed seed: reproducible results, single-threaded).
    reducer : {'auto', 'umap', 'pca'}
        ``'auto'`` (default): UMAP when umap-learn is importable, else PCA with a logged
        warning; ``'umap'`` raises without umap-learn; ``'pca'`` forces PCA.
    cluster_selection_method : {'eom', 'leaf'}
        HDBSCAN's flat-cluster selection (``'leaf'`` gives more, smaller clusters).
    securities : DataFrame, optional
        Indexed by ticker, with ``name`` and GICS columns (``market.as_of(D).securities()``);
        needed for the GICS summaries and scores.
    texts : mapping or Series of ticker to str, optional
        Descriptions for the top terms (``view.descriptions(...)["text"]``); without them
        clusters have no terms.
    n_terms : int
        Top terms per cluster (default 10).

    Returns
    -------
    ClusterResult

    Raises
    ------
    ConfigurationError
        A parameter is out of range, or the index has fewer than ``min_cluster_size``
        companies.
    MissingDependencyError
        ``reducer='umap'`` and umap-learn is not installed.

    Notes
    -----
    The pipeline is BERTopic's (Grootendorst 2022) without its topic model: UMAP to
    ``n_components_cluster`` dimensions (``min_dist=0``), HDBSCAN with ``min_cluster_size``
    and ``min_samples``, a separate UMAP to 2-D for the picture only (clusters are never
    computed from the picture), and c-TF-IDF terms (:func:`class_tfidf`) of the members'
    descriptions with boilerplate sentences (founded / headquartered / formerly known as)
    and the company's own name removed. Agreement with GICS is
    :func:`cluster_agreement` against sector and sub-industry, noise excluded and noise as
    one label; companies without GICS are left out of the scores only.

    Examples
    --------
    >>> index = EmbeddingIndex.from_market(market, "2023-12-29", embedder="tfidf")  # doctest: +SKIP
    >>> view = market.as_of("2023-12-29")                                          # doctest: +SKIP
    >>> result = cluster_embeddings(index, securities=view.securities(),           # doctest: +SKIP
    ...                             texts=view.descriptions(allow_later=True)["text"])
    >>> result.summary().head()                                                    # doctest: +SKIP
    """
    from sklearn.cluster import HDBSCAN

    n_neighbors = _check_int("n_neighbors", n_neighbors, 2, 15)
    n_components_cluster = _check_int("n_components_cluster", n_components_cluster, 2, 10)
    min_cluster_size = _check_int("min_cluster_size", min_cluster_size, 2, 8)
    if min_samples is not None:
        min_samples = _check_int("min_samples", min_samples, 1, 5)
    n_terms = _check_int("n_terms", n_terms, 1, 10)
    seed = _check_int("seed", seed, 0, 42)
    if not isinstance(min_dist, int | float) or not 0.0 <= float(min_dist) <= 1.0:
        raise ConfigurationError(f"min_dist={min_dist!r} must be a number in [0, 1], e.g. 0.1")
    if reducer not in ("auto", "umap", "pca"):
        raise ConfigurationError(f"reducer={reducer!r} must be 'auto', 'umap' or 'pca'")
    if cluster_selection_method not in ("eom", "leaf"):
        raise ConfigurationError(
            f"cluster_selection_method={cluster_selection_method!r} must be 'eom' or 'leaf'"
        )
    tickers = list(index.tickers)
    n = len(tickers)
    if n < max(min_cluster_size, 5):
        raise ConfigurationError(
            f"the index holds {n} companies, fewer than min_cluster_size={min_cluster_size} "
            f"(and at least 5 are needed); lower min_cluster_size or use a larger universe"
        )
    if min_samples is not None and min_samples > n:
        raise ConfigurationError(
            f"min_samples={min_samples} exceeds the {n} companies; pass at most {n}"
        )
    used = reducer
    fallback = ""
    if reducer == "umap":
        import_optional("umap", extra="cluster", purpose="reducer='umap'")  # fail now
    elif reducer == "auto" and optional_module("umap") is None:
        fallback = (
            "umap-learn is not installed; reduced with PCA instead "
            f"({install_hint('cluster', 'umap-learn')})"
        )
        logger.warning(fallback)
        used = "pca"
    elif reducer == "auto":
        used = "umap"
    nn = min(n_neighbors, n - 1)
    dims = max(2, min(n_components_cluster, n - 2))
    if (nn, dims) != (n_neighbors, n_components_cluster):
        logger.info(
            "%d companies: n_neighbors %d -> %d, n_components_cluster %d -> %d",
            n,
            n_neighbors,
            nn,
            n_components_cluster,
            dims,
        )
    if used == "pca" and metric not in ("cosine", "euclidean"):
        logger.info("metric=%r is not used by PCA (the vectors are unit length)", metric)
    vectors = np.asarray(index.vectors, dtype=np.float64)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    reduced = _reduce(
        vectors, dims, reducer=used, n_neighbors=nn, min_dist=0.0, metric=metric, seed=seed
    )
    if used == "umap":
        plane = _reduce(
            vectors,
            2,
            reducer=used,
            n_neighbors=nn,
            min_dist=float(min_dist),
            metric=metric,
            seed=seed,
        )
    else:
        plane = reduced[:, :2] if reduced.shape[1] >= 2 else np.column_stack([reduced, reduced])
    timings["reduce"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min_samples,
        metric="euclidean",
        cluster_selection_method=cluster_selection_method,
        copy=True,
    ).fit(reduced)
    labels = _relabel(np.asarray(model.labels_), tickers)
    probabilities = np.where(labels >= 0, np.asarray(model.probabilities_, dtype=float), 0.0)
    timings["cluster"] = time.perf_counter() - t0

    idx = pd.Index(tickers, name="ticker")
    info = pd.DataFrame(index=idx)
    base = index.info
    sec = securities.reindex(idx) if securities is not None else pd.DataFrame(index=idx)
    for col in _INFO_COLUMNS:
        if col in sec.columns and sec[col].notna().any():
            info[col] = sec[col].astype("object")
        elif col in base.columns:
            info[col] = base[col].astype("object")
    if "look_ahead" in base.columns:
        info["look_ahead"] = base["look_ahead"].astype("boolean").fillna(False).astype(bool)

    t0 = time.perf_counter()
    terms: dict[Hashable, list[tuple[str, float]]] = {}
    if texts is not None:
        text = _series(texts, tickers)
        name_columns = [f["name"] for f in (sec, base) if "name" in f.columns]
        names = {t: [v for c in name_columns if isinstance(v := c.get(t), str)] for t in tickers}
        has_text = text.notna().to_numpy()
        if not has_text.all():
            logger.info("%d companies have no text for the cluster terms", int((~has_text).sum()))
        cleaned = [
            _clean_description(str(text.iloc[i]), names[t])
            for i, t in enumerate(tickers)
            if has_text[i]
        ]
        terms = class_tfidf(cleaned, labels[has_text].tolist(), n_terms=n_terms)
    else:
        logger.info("no texts given: clusters have no top terms")
    timings["terms"] = time.perf_counter() - t0

    label_s = pd.Series(labels, index=idx, name="cluster")
    prob_s = pd.Series(probabilities, index=idx, name="probability")
    rows = []
    for c in sorted(set(labels.tolist()), key=lambda c: (c < 0, c)):
        mask = labels == c
        members = sorted(
            (t for t, m in zip(tickers, mask, strict=True) if m),
            key=lambda t: (-prob_s[t], t),
        )
        sector = _top_share(info.loc[mask, "gics_sector"]) if "gics_sector" in info else None
        sub = (
            _top_share(info.loc[mask, "gics_sub_industry"]) if "gics_sub_industry" in info else None
        )
        rows.append(
            {
                "cluster": int(c),
                "size": int(mask.sum()),
                "share": float(mask.mean()),
                "top_terms": tuple(t for t, _ in terms.get(int(c), [])),
                "top_sector": sector[0] if sector else None,
                "top_sector_share": sector[1] if sector else float("nan"),
                "top_sub_industry": sub[0] if sub else None,
                "top_sub_industry_share": sub[1] if sub else float("nan"),
                "n_sub_industries": sub[2] if sub else 0,
                "mean_probability": float(probabilities[mask].mean()) if c >= 0 else 0.0,
                "members": tuple(members),
            }
        )
    clusters = pd.DataFrame(rows).set_index("cluster")

    score_rows = {}
    for ref in _GICS_REFERENCES:
        if ref in info.columns and info[ref].notna().sum() >= 2:
            scores = cluster_agreement(label_s, info[ref])
            scores["n_reference_labels"] = float(info[ref].dropna().nunique())
            score_rows[ref] = scores
    scores_frame = pd.DataFrame.from_dict(score_rows, orient="index")
    scores_frame.index.name = "reference"
    for col in ("n_clustered", "n_scored", "n_reference_labels"):
        if col in scores_frame.columns:
            scores_frame[col] = scores_frame[col].astype(int)

    params: dict[str, Any] = {
        "n_neighbors": nn,
        "min_dist": float(min_dist),
        "n_components_cluster": dims,
        "min_cluster_size": min_cluster_size,
        "min_samples": min_samples,
        "metric": metric,
        "seed": seed,
        "reducer": used,
        "reducer_requested": reducer,
        "cluster_selection_method": cluster_selection_method,
        "n_terms": n_terms,
    }
    if fallback:
        params["fallback"] = fallback
    result = ClusterResult(
        labels=label_s,
        probabilities=prob_s,
        coords=pd.DataFrame(plane[:, :2], index=idx, columns=["x", "y"]),
        info=info,
        clusters=clusters,
        scores=scores_frame,
        params=params,
        reducer=used,
        embedder=index.embedder,
        as_of=index.as_of,
        timings=timings,
    )
    logger.info("%r in %.1f s", result, sum(timings.values()))
    return result


def _view_tables(view: PointInTimeData, tickers: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """GICS per ticker (known at the view's date) and description texts (latest vintage,
    later ones for companies with none yet), reindexed to ``tickers``."""
    idx = pd.Index(list(tickers), name="ticker")
    sec = view.securities().reindex(idx)
    desc = view.descriptions(allow_later=True)
    text = desc["text"].reindex(idx) if "text" in desc.columns else pd.Series(index=idx)
    return sec, text


def cluster_market(
    market: MarketData,
    as_of: DateLike,
    embedder: Embedder | str = "auto",
    *,
    universe: str | Iterable[str] | None = None,
    one_per_issuer: bool = True,
    allow_later: bool = True,
    cache: CacheLike = True,
    png: PathLike | None = None,
    html: PathLike | None = None,
    index: EmbeddingIndex | None = None,
    **cluster_kwargs: Any,
) -> ClusterResult:
    """Embed the descriptions known at ``as_of``, cluster them and optionally write maps.

    The one-call version for the CLI: :meth:`EmbeddingIndex.from_market`, GICS and
    descriptions from ``market.as_of(as_of)``, :func:`cluster_embeddings`, then
    :meth:`ClusterResult.plot_png` / :meth:`ClusterResult.plot_html`.

    Parameters
    ----------
    market : MarketData
    as_of : date-like
        Descriptions (latest vintage on or before it) and GICS as known on this date.
    embedder : Embedder or str
        Backend name for :func:`get_embedder` (``'minilm'``, ``'tfidf'``, default
        ``'auto'``: MiniLM when installed, else TF-IDF).
    universe : str or iterable of str, optional
        See :meth:`EmbeddingIndex.from_market` (default: every company with a description
        and a recent price).
    one_per_issuer : bool
        Keep one share class per issuer (the alphabetically first): GOOG and GOOGL share
        one description and would pair up trivially (default True).
    allow_later : bool
        Describe companies with no vintage yet by their earliest later one (flagged
        ``look_ahead`` in ``info``; default True).
    cache : bool, EmbeddingCache or path
        The embedding cache (default: the store's).
    png, html : str or path-like, optional
        Write the map there (:meth:`ClusterResult.plot_png`, :meth:`ClusterResult.plot_html`).
    index : EmbeddingIndex, optional
        A prebuilt index (then ``embedder``, ``universe``, ``allow_later`` and ``cache``
        are not used).
    **cluster_kwargs
        Keyword arguments of :func:`cluster_embeddings` (``min_cluster_size=8``,
        ``seed=42``...).

    Returns
    -------
    ClusterResult

    Examples
    --------
    >>> result = cluster_market(MarketData(), "2023-12-29", "tfidf",          # doctest: +SKIP
    ...                         png="clusters.png", html="clusters.html")
    >>> result.scores                                                         # doctest: +SKIP
    """
    when = to_timestamp(as_of)
    t0 = time.perf_counter()
    if index is None:
        index = EmbeddingIndex.from_market(
            market, when, embedder=embedder, universe=universe, cache=cache, allow_later=allow_later
        )
    embed_seconds = time.perf_counter() - t0
    if one_per_issuer:
        keep = set(_one_per_issuer(list(index.tickers), market))
        dropped = [t for t in index.tickers if t not in keep]
        if dropped:
            logger.info("one share class per issuer: left out %s", dropped)
            index = index.subset([t for t in index.tickers if t in keep])
    sec, text = _view_tables(market.as_of(when), index.tickers)
    result = cluster_embeddings(index, securities=sec, texts=text, **cluster_kwargs)
    result = replace(result, timings={"embed": embed_seconds, **result.timings})
    if png is not None:
        result.plot_png(png)
    if html is not None:
        result.plot_html(html)
    return result


# ---------------------------------------------------------------------- AI experiment
@dataclass(frozen=True)
class AIExperimentResult:
    """The "AI makers versus AI users" experiment: do the embeddings separate them?

    Attributes
    ----------
    companies : DataFrame
        Per selected ticker: ``name``, ``gics_sub_industry``, ``group`` (``'maker'`` or
        ``'user'``), ``keywords`` (the keyword families its description matched),
        ``knn_same_group`` (share of its ``k`` neighbours in its group), ``kmeans``
        (2-cluster label), ``cluster``, ``x``, ``y`` (from :attr:`clustering`).
    metrics : dict
        ``n``, ``n_makers``, ``n_users``, ``k``, ``silhouette`` (cosine, maker/user labels)
        and its permutation ``silhouette_p_value``, ``knn_purity`` (mean share of the k
        nearest neighbours within the selection that share the group), ``knn_purity_makers``,
        ``knn_purity_users``, ``knn_purity_chance`` (its expectation under random labels),
        ``knn_p_value``, ``kmeans2_ari`` (ARI of 2-means on the vectors vs the groups),
        ``hdbscan_ari`` / ``hdbscan_ari_with_noise`` (UMAP + HDBSCAN on the selection),
        ``hdbscan_n_clusters``, ``n_permutations``, ``n_look_ahead``.
    keywords : DataFrame
        Per keyword family, the number of makers and users whose description matches it.
    rule : dict
        ``keywords`` (family -> regex) and ``maker_sub_industries``.
    clustering : ClusterResult
        UMAP + HDBSCAN of the selected companies.
    embedder : str
    as_of : Timestamp
    """

    companies: pd.DataFrame
    metrics: dict[str, float]
    keywords: pd.DataFrame
    rule: dict[str, Any]
    clustering: ClusterResult
    embedder: str
    as_of: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        """The selected companies (a copy of :attr:`companies`)."""
        return self.companies.copy()

    def summary(self) -> pd.Series:
        """The metrics as a Series."""
        return pd.Series(self.metrics, name=self.embedder)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: rule, metrics, keyword counts and companies."""
        return _jsonable(
            {
                "as_of": self.as_of,
                "embedder": self.embedder,
                "rule": self.rule,
                "metrics": self.metrics,
                "keywords": self.keywords.reset_index().to_dict(orient="records"),
                "companies": self.companies.reset_index().to_dict(orient="records"),
            }
        )

    def plot_png(self, path: PathLike, *, title: str | None = None, dpi: int = 130) -> Path:
        """Save the 2-D map of the selected companies, makers and users marked, tickers shown.

        Raises
        ------
        MissingDependencyError
            matplotlib is not installed (``pip install 'hedgekit[plot]'``).
        """
        fig, (ax,) = _matplotlib_figure(9.0, 7.5)
        frame = self.companies
        style = {"maker": ("#d62728", "^"), "user": ("#1f77b4", "o")}
        for group, (colour, marker) in style.items():
            part = frame[frame["group"] == group]
            label = f"{group}s ({len(part)})"
            ax.scatter(part["x"], part["y"], s=46, c=colour, marker=marker, lw=0, label=label)
            for ticker, row in part.iterrows():
                ax.annotate(
                    str(ticker),
                    (row["x"], row["y"]),
                    fontsize=7,
                    xytext=(3, 2),
                    textcoords="offset points",
                    color=colour,
                )
        m = self.metrics
        ax.legend(loc="best", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        reducer = self.clustering.reducer.upper()
        ax.set_xlabel(f"{reducer} 1", fontsize=8)
        ax.set_ylabel(f"{reducer} 2", fontsize=8)
        ax.set_title(
            title
            or (
                f"AI makers vs users, {self.embedder}, {self.as_of:%Y-%m-%d}: "
                f"silhouette {m['silhouette']:.2f}, {int(m['k'])}-NN purity "
                f"{m['knn_purity']:.2f} (chance {m['knn_purity_chance']:.2f}), "
                f"2-means ARI {m['kmeans2_ari']:.2f}"
            ),
            fontsize=10,
        )
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
        return out


def ai_experiment(
    index: EmbeddingIndex | str,
    market: MarketData,
    as_of: DateLike,
    *,
    keywords: Mapping[str, str] | None = None,
    maker_sub_industries: Iterable[str] = MAKER_SUB_INDUSTRIES,
    k: int = 5,
    n_permutations: int = 999,
    seed: int = 42,
    one_per_issuer: bool = True,
    min_cluster_size: int = 5,
    cache: CacheLike = True,
    png: PathLike | None = None,
    **cluster_kwargs: Any,
) -> AIExperimentResult:
    """The study's "AI makers versus AI users" experiment on the description embeddings.

    Companies whose description matches any of ``keywords`` (AI, artificial intelligence,
    machine learning, deep learning, neural network, GPU, accelerated computing,
    semiconductor) are split by GICS sub-industry (known at ``as_of``) into **makers**
    (``maker_sub_industries``: semiconductors, semiconductor equipment, technology hardware)
    and **users** (every other sub-industry). The question: do the embeddings of the
    descriptions put makers near makers and users near users?

    Parameters
    ----------
    index : EmbeddingIndex or str
        Vectors of the companies (at least the selected ones), or a backend name to embed
        the descriptions known at ``as_of`` (``'minilm'``, ``'tfidf'``, ``'auto'``).
    market : MarketData
    as_of : date-like
        Descriptions (``allow_later=True``: companies with no vintage yet use their
        earliest later one, counted in ``n_look_ahead``) and GICS as known on this date.
    keywords : mapping of str to str, optional
        Keyword family -> regular expression; default :data:`AI_KEYWORDS`.
    maker_sub_industries : iterable of str
        GICS sub-industries of the makers; default :data:`MAKER_SUB_INDUSTRIES`.
    k : int
        Neighbours for the kNN purity (within the selected companies; default 5).
    n_permutations : int
        Random relabellings for the p-values (default 999; 0 skips them).
    seed : int
        Seed of the permutations, 2-means and UMAP.
    one_per_issuer : bool
        Keep one share class per issuer (default True).
    min_cluster_size : int
        HDBSCAN's smallest cluster on the selection (default 5: it is small).
    cache : bool, EmbeddingCache or path
        Embedding cache when ``index`` is a backend name.
    png : str or path-like, optional
        Write the map there (:meth:`AIExperimentResult.plot_png`).
    **cluster_kwargs
        More keyword arguments of :func:`cluster_embeddings`.

    Returns
    -------
    AIExperimentResult

    Raises
    ------
    DataError
        Fewer than 2 makers or 2 users match, or too few companies for ``k``.

    Notes
    -----
    kNN purity is leave-one-out: the share of each company's ``k`` most cosine-similar
    selected companies in its own group, averaged; under random labels its expectation is
    the mean over companies of ``(n_g - 1) / (n - 1)``, with ``n_g`` the size of the
    company's group. The p-values count how often shuffled maker/user labels (same
    vectors, same neighbours) score at least as high: ``(1 + #{perm >= observed}) /
    (1 + n_permutations)``. 2-means is ``KMeans(2, n_init=10)`` on the unit vectors.

    The selection and the maker label are not independent of the text: "semiconductor"
    selects most makers and few users, so part of the separation is the word itself
    (``keywords`` shows the counts). With the TF-IDF backend this is nearly by
    construction.

    Examples
    --------
    >>> exp = ai_experiment("minilm", MarketData(), "2023-12-29", png="ai.png")  # doctest: +SKIP
    >>> exp.summary()                                                             # doctest: +SKIP
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    k = _check_int("k", k, 1, 5)
    n_permutations = _check_int("n_permutations", n_permutations, 0, 999)
    when = to_timestamp(as_of)
    families = dict(AI_KEYWORDS if keywords is None else keywords)
    if not families:
        raise ConfigurationError("keywords is empty; pass at least one family -> regex")
    compiled = {}
    for family, pattern in families.items():
        try:
            compiled[family] = re.compile(pattern)
        except re.error as exc:
            raise ConfigurationError(
                f"keyword {family!r}: {pattern!r} is not a valid regular expression ({exc})"
            ) from None
    makers_set = frozenset(str(s) for s in maker_sub_industries)
    if isinstance(index, str):
        index = EmbeddingIndex.from_market(market, when, embedder=index, cache=cache)
    view = market.as_of(when)
    sec, text = _view_tables(view, index.tickers)
    matched = {
        t: [f for f, rx in compiled.items() if isinstance(s, str) and rx.search(s)]
        for t, s in text.items()
    }
    chosen = [
        t
        for t in index.tickers
        if matched.get(t) and isinstance(sec.at[t, "gics_sub_industry"], str)
    ]
    if one_per_issuer:
        kept = set(_one_per_issuer(chosen, market))
        chosen = [t for t in chosen if t in kept]
    group = np.array(
        ["maker" if sec.at[t, "gics_sub_industry"] in makers_set else "user" for t in chosen]
    )
    n = len(chosen)
    n_makers, n_users = int((group == "maker").sum()), int((group == "user").sum())
    if n_makers < 2 or n_users < 2:
        raise DataError(
            f"{n_makers} makers and {n_users} users match the keywords on {when:%Y-%m-%d}; "
            "the experiment needs at least 2 of each: widen keywords or maker_sub_industries"
        )
    if n <= k + 1:
        raise DataError(f"only {n} companies match; pass k < {n - 1}")
    sub = index.subset(chosen)
    vectors = np.asarray(sub.vectors, dtype=np.float64)

    idx, _ = sub.top_k(k)
    same = group[idx] == group[:, None]
    per_company = same.mean(axis=1)
    purity = float(per_company.mean())
    size_of = np.where(group == "maker", n_makers, n_users)
    chance = float(((size_of - 1) / (n - 1)).mean())
    silhouette = cosine_silhouette(vectors, group)
    rng = np.random.default_rng(seed)
    beat_knn = beat_sil = 0
    for _ in range(n_permutations):
        perm = rng.permutation(group)
        beat_knn += int((perm[idx] == perm[:, None]).mean() >= purity - 1e-12)
        beat_sil += int(cosine_silhouette(vectors, perm) >= silhouette - 1e-12)
    km = KMeans(n_clusters=2, n_init=10, random_state=seed).fit(vectors)
    kmeans_ari = float(adjusted_rand_score(group, km.labels_))

    params = {"min_cluster_size": min_cluster_size, "seed": seed, **cluster_kwargs}
    clustering = cluster_embeddings(sub, securities=sec.reindex(chosen), texts=text, **params)
    agree = cluster_agreement(clustering.labels, pd.Series(group, index=chosen))
    look_ahead = sub.look_ahead.reindex(chosen).fillna(False).astype(bool)

    companies = pd.DataFrame(
        {
            "name": sec["name"].reindex(chosen).astype("object"),
            "gics_sub_industry": sec["gics_sub_industry"].reindex(chosen).astype("object"),
            "group": group,
            "keywords": [", ".join(matched[t]) for t in chosen],
            "knn_same_group": per_company,
            "kmeans": km.labels_.astype(int),
            "cluster": clustering.labels.reindex(chosen).to_numpy(),
            "x": clustering.coords["x"].reindex(chosen).to_numpy(),
            "y": clustering.coords["y"].reindex(chosen).to_numpy(),
            "look_ahead": look_ahead.to_numpy(),
        },
        index=pd.Index(chosen, name="ticker"),
    )
    counts = pd.DataFrame(
        {
            "makers": [
                int(
                    sum(f in matched[t] for t, g in zip(chosen, group, strict=True) if g == "maker")
                )
                for f in families
            ],
            "users": [
                int(sum(f in matched[t] for t, g in zip(chosen, group, strict=True) if g == "user"))
                for f in families
            ],
        },
        index=pd.Index(list(families), name="keyword"),
    )
    nan = float("nan")
    metrics: dict[str, float] = {
        "n": float(n),
        "n_makers": float(n_makers),
        "n_users": float(n_users),
        "k": float(k),
        "silhouette": silhouette,
        "silhouette_p_value": (1 + beat_sil) / (1 + n_permutations) if n_permutations else nan,
        "knn_purity": purity,
        "knn_purity_makers": float(per_company[group == "maker"].mean()),
        "knn_purity_users": float(per_company[group == "user"].mean()),
        "knn_purity_chance": chance,
        "knn_p_value": (1 + beat_knn) / (1 + n_permutations) if n_permutations else nan,
        "kmeans2_ari": kmeans_ari,
        "hdbscan_ari": agree["ari"],
        "hdbscan_ari_with_noise": agree["ari_with_noise"],
        "hdbscan_n_clusters": float(clustering.n_clusters),
        "hdbscan_noise_share": clustering.noise_share,
        "n_permutations": float(n_permutations),
        "n_look_ahead": float(look_ahead.sum()),
    }
    result = AIExperimentResult(
        companies=companies,
        metrics=metrics,
        keywords=counts,
        rule={"keywords": families, "maker_sub_industries": sorted(makers_set)},
        clustering=clustering,
        embedder=index.embedder,
        as_of=when,
    )
    if png is not None:
        result.plot_png(png)
    return result
