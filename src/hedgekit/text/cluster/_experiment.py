"""The study's "AI makers versus AI users" experiment on the description embeddings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit._json import jsonable as _jsonable
from hedgekit.data import MarketData
from hedgekit.text._evaluation import _one_per_issuer, cosine_silhouette
from hedgekit.text._index import CacheLike, EmbeddingIndex
from hedgekit.text.cluster._agreement import cluster_agreement
from hedgekit.text.cluster._cluster import _view_tables, cluster_embeddings
from hedgekit.text.cluster._common import PathLike, _check_int
from hedgekit.text.cluster._plot import plot_experiment_png
from hedgekit.text.cluster._result import ClusterResult
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["AI_KEYWORDS", "MAKER_SUB_INDUSTRIES", "AIExperimentResult", "ai_experiment"]

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
        return plot_experiment_png(self, path, title=title, dpi=dpi)


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
    from sklearn.metrics import adjusted_rand_score, silhouette_score
    from sklearn.metrics.pairwise import cosine_distances

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
    distances = cosine_distances(vectors)  # once: the permutations only shuffle labels
    rng = np.random.default_rng(seed)
    beat_knn = beat_sil = 0
    for _ in range(n_permutations):
        perm = rng.permutation(group)
        beat_knn += int((perm[idx] == perm[:, None]).mean() >= purity - 1e-12)
        perm_silhouette = silhouette_score(distances, perm, metric="precomputed")
        beat_sil += int(perm_silhouette >= silhouette - 1e-12)
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
