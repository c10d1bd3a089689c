"""Clusters of companies from their description embeddings: UMAP + HDBSCAN.

:func:`cluster_embeddings` reduces the unit vectors of an :class:`EmbeddingIndex` with UMAP
(to ``n_components_cluster`` dimensions for clustering, to 2 for the map), clusters the
reduced vectors with HDBSCAN (label ``-1`` is noise), names each cluster by its top terms
(:func:`class_tfidf` of the members' descriptions) and scores the clusters against GICS
(:func:`cluster_agreement`). :func:`cluster_market` is the one-call version from a market and
a date.

UMAP needs ``umap-learn`` (``pip install 'hedgekit[cluster]'``); without it the vectors are
reduced with PCA, a logged warning says so and the result records ``reducer='pca'``.
HDBSCAN is scikit-learn's (>= 1.3).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit._optional import import_optional, install_hint, optional_module
from hedgekit.data import MarketData, PointInTimeData
from hedgekit.text._base import Embedder
from hedgekit.text._evaluation import _one_per_issuer
from hedgekit.text._index import CacheLike, EmbeddingIndex
from hedgekit.text.cluster._agreement import cluster_agreement
from hedgekit.text.cluster._common import PathLike, _check_int
from hedgekit.text.cluster._ctfidf import _clean_description, class_tfidf
from hedgekit.text.cluster._result import ClusterResult
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["cluster_embeddings", "cluster_market"]

logger = logging.getLogger(__name__)

Reducer = Literal["auto", "umap", "pca"]

_GICS_REFERENCES = ("gics_sector", "gics_sub_industry")
_INFO_COLUMNS = ("name", "gics_sector", "gics_industry_group", "gics_industry", "gics_sub_industry")


def _series(values: Mapping[str, Any] | pd.Series | None, tickers: Sequence[str]) -> pd.Series:
    if values is None:
        return pd.Series(pd.NA, index=pd.Index(tickers, name="ticker"), dtype="object")
    s = values if isinstance(values, pd.Series) else pd.Series(dict(values), dtype="object")
    return s.reindex(pd.Index(tickers, name="ticker"))


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
