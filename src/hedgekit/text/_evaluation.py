"""How good are semantic peers? GICS agreement and realised return correlation.

:func:`evaluate_embeddings` embeds the descriptions of an index's members known at a date
with one or more backends and scores each against two references:

- **GICS** (as known at the date): cosine silhouette of the sectors and sub-industries,
  and leave-one-out kNN accuracy of the sub-industry;
- **returns**, the test that matters for hedging: the mean daily return correlation of
  each stock with its ``k`` nearest semantic neighbours, next to the same figure for its
  GICS sub-industry peers and for ``k`` random stocks, over a window *after* the date by
  default (the vectors cannot have seen those returns).

The text the backends read never holds a classification label (the header is checked),
so agreement with GICS is learned from the business description alone.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, HedgekitError, InsufficientHistoryError
from hedgekit.data import MarketData
from hedgekit.text._base import Embedder
from hedgekit.text._chunking import ChunkingConfig
from hedgekit.text._factory import get_embedder
from hedgekit.text._index import CacheLike, EmbeddingIndex, _resolve_cache, company_documents
from hedgekit.text._pipeline import embed_documents
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["cosine_silhouette", "evaluate_embeddings"]

logger = logging.getLogger(__name__)

EmbedderLike = Embedder | str | os.PathLike[str]

#: backend names that never reach the network (the packaged MiniLM, TF-IDF)
_LOCAL_NAMES = frozenset(
    {"auto", "minilm", "all-minilm-l6-v2", "default", "tfidf", "tf-idf", "lsa"}
)


def _hub_models(backends: Sequence[EmbedderLike]) -> list[str]:
    """The names in ``backends`` (``'a+b'`` split) that sentence-transformers would look up
    on the Hugging Face hub: neither a local backend name nor an existing directory."""
    hub = []
    for spec in backends:
        if isinstance(spec, Embedder):
            continue
        parts = spec.split("+") if isinstance(spec, str) else [os.fspath(spec)]
        for part in parts:
            name = part.strip()
            if name.lower() in _LOCAL_NAMES or os.path.isdir(os.path.expanduser(name)):
                continue
            hub.append(name)
    return hub


def _offline() -> bool:
    """Whether the Hugging Face libraries were told not to use the network."""
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def cosine_silhouette(vectors: np.ndarray, labels: Sequence[Any] | np.ndarray) -> float:
    """Mean silhouette coefficient with cosine distance: scikit-learn's, with a clear error.

    A thin wrapper of ``sklearn.metrics.silhouette_score(vectors, labels, metric='cosine')``
    that checks the number of labels first and raises :class:`ConfigurationError` with the
    way out instead of scikit-learn's ``ValueError``.

    Parameters
    ----------
    vectors : array-like of shape (n_samples, dim)
        One vector per sample (need not be unit length: the cosine distance normalises).
    labels : sequence of shape (n_samples,)
        Cluster labels; 2 to ``n_samples - 1`` distinct values.

    Returns
    -------
    float
        In [-1, 1]; a sample alone in its cluster scores 0 (scikit-learn's convention).

    Raises
    ------
    ConfigurationError
        Fewer than 2 distinct labels, or one per sample.

    Notes
    -----
    For sample ``i`` in cluster ``A``: ``a_i`` = mean cosine distance ``1 - cos(u, v)`` to
    the other members of ``A``, ``b_i`` = the smallest mean distance to the members of
    another cluster, ``s_i = (b_i - a_i) / max(a_i, b_i)``; the result is the mean of
    ``s_i`` (Rousseeuw 1987).

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> round(cosine_silhouette(x, ["a", "a", "b", "b"]), 3)
    0.993
    """
    from sklearn.metrics import silhouette_score

    codes, uniques = pd.factorize(pd.Series(list(labels)), sort=True)
    if len(uniques) < 2 or len(uniques) >= len(codes):
        raise ConfigurationError(
            f"silhouette needs 2 to n_samples - 1 distinct labels, got {len(uniques)} for "
            f"{len(codes)} samples; pass labels with at least two groups and one group of "
            "two or more samples"
        )
    return float(silhouette_score(np.asarray(vectors, dtype=np.float64), codes, metric="cosine"))


def _one_per_issuer(tickers: Sequence[str], market: MarketData) -> list[str]:
    """Keep the alphabetically first share class of each issuer."""
    present = set(tickers)
    keep = []
    for t in sorted(present):
        group = market.share_classes.get(t, frozenset({t})) & present
        if t == min(group):
            keep.append(t)
    return keep


def _returns_window(
    market: MarketData, as_of: pd.Timestamp, tickers: list[str], window: int, side: str
) -> pd.DataFrame:
    cal = market.calendar
    if side == "before":
        rets = market.as_of(as_of).returns(tickers, window=window)
    else:
        first = int(cal.searchsorted(as_of, side="right"))
        if first >= len(cal):
            raise InsufficientHistoryError(
                f"no trading day after {as_of:%Y-%m-%d} in the data (ends {market.end:%Y-%m-%d}); "
                "pick an earlier as_of or returns_window='before'"
            )
        last = min(first + window, len(cal)) - 1
        rets = market.as_of(cal[last]).returns(tickers, start=cal[first], end=cal[last])
    if len(rets) < window:
        logger.warning(
            "only %d of the %d daily returns of the %s window exist", len(rets), window, side
        )
    if len(rets) < 20:
        raise InsufficientHistoryError(
            f"only {len(rets)} daily returns in the {side!r} window of {as_of:%Y-%m-%d}; "
            "pick another as_of or window"
        )
    return rets


def _mean_corr(corr: np.ndarray, i: int, peers: np.ndarray) -> float:
    if len(peers) == 0:
        return float("nan")
    vals = corr[i, peers]
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if len(vals) else float("nan")


def evaluate_embeddings(
    market: MarketData,
    embedders: EmbedderLike | Iterable[EmbedderLike],
    *,
    as_of: DateLike,
    k: int = 10,
    window: int = 252,
    returns_window: Literal["after", "before"] = "after",
    universe: str | Iterable[str] = "SPX",
    chunking: ChunkingConfig | None = None,
    allow_later: bool = False,
    source: str | None = None,
    seed: int = 0,
    cache: CacheLike = True,
    min_coverage: float = 0.8,
    skip_unavailable: bool = False,
    allow_download: bool = False,
) -> pd.DataFrame:
    """Score embedding backends against GICS and against realised return correlation.

    Parameters
    ----------
    market : MarketData
    embedders : Embedder, str, or iterable of them
        Backends or names for :func:`get_embedder` (``['minilm', 'tfidf']``).
    as_of : date-like
        Descriptions (latest vintage on or before it), index members and GICS are those
        known on this date.
    k : int
        Neighbours per stock (default 10).
    window : int
        Daily returns in the correlation window (default 252).
    returns_window : {'after', 'before'}
        ``'after'`` (default): the ``window`` trading days following ``as_of``, out of
        sample for the descriptions. ``'before'``: the ``window`` days up to ``as_of``
        (known at ``as_of``; use it for choices, so that the 'after' figure stays a test).
    universe : str or iterable of str
        Index name (members on ``as_of``) or tickers; one share class per issuer is kept
        (the alphabetically first), so GOOG cannot be GOOGL's neighbour.
    chunking : ChunkingConfig, optional
        Defaults to ``ChunkingConfig()``; a header with classification fields is refused.
    allow_later : bool
        Also use descriptions published after ``as_of`` (flagged; default False: drop
        those companies).
    source : str, optional
        Only descriptions from this source.
    seed : int
        Seed of the random peers (the same for every backend).
    cache : bool, EmbeddingCache or path
        Embedding cache (default: the store's).
    min_coverage : float
        A pair's correlation needs returns on both stocks on at least this share of the
        window's days.
    skip_unavailable : bool
        A backend that cannot be loaded (missing package, model not downloaded) gives a row
        whose ``status`` says why, instead of raising.
    allow_download : bool
        Let a Hugging Face hub name (``'nomic'``, ``'nomic-ai/nomic-embed-text-v1.5'``)
        reach the hub, to download the model or check its cached copy. False (default):
        such names are refused before any work, so an evaluation never touches the network
        unless asked; the packaged MiniLM, TF-IDF, local model directories and Embedder
        instances need no network. With ``HF_HUB_OFFLINE=1`` hub names are allowed (the
        libraries then read only the local cache).

    Returns
    -------
    DataFrame
        One row per backend, indexed by ``backend``: ``dim``, ``n_companies``,
        ``silhouette_sector``, ``silhouette_sub_industry`` (cosine; sub-industries with at
        least 2 members), ``knn_top1_sub_industry`` (share whose nearest neighbour has the
        same sub-industry), ``knn_majority_sub_industry`` (share whose k neighbours' most
        frequent sub-industry, ties to the larger summed similarity, is its own),
        ``precision_at_k_sub_industry`` (share of the k neighbours in the same
        sub-industry), ``corr_semantic``, ``corr_sub_industry``, ``corr_random`` (mean over
        stocks of the mean correlation with the k semantic neighbours / all sub-industry
        peers / k random stocks), ``corr_semantic_matched`` (with as many semantic
        neighbours as the stock has sub-industry peers, at most k: the like-for-like
        comparison), ``corr_matched_minus_sub_industry`` (matched minus sub-industry) and its
        standard error ``corr_diff_se`` (paired over stocks), ``n_scored``, ``embed_seconds`` and
        ``status``. ``attrs`` records the settings and the returns window.

    Raises
    ------
    ConfigurationError
        The chunking header holds a classification field, a parameter is invalid, or a
        backend is a hub name without ``allow_download`` (raised even with
        ``skip_unavailable``: it is a choice to make, not a missing package).

    Notes
    -----
    kNN accuracy and precision are leave-one-out (a stock is never its own neighbour) and
    computed over the stocks whose sub-industry has another member in the universe; the
    correlation figures over the same stocks (they need sub-industry peers), restricted to
    those with every figure defined. Random peers are drawn uniformly without replacement
    from the other stocks, once, with ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> table = evaluate_embeddings(MarketData(), ["minilm", "tfidf"],     # doctest: +SKIP
    ...                             as_of="2022-12-01")
    """
    config = chunking if chunking is not None else ChunkingConfig()
    config.require_no_classification()
    if returns_window not in ("after", "before"):
        raise ConfigurationError(
            f"returns_window={returns_window!r} must be 'after' (out of sample) or 'before'"
        )
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ConfigurationError(f"k={k!r} must be a positive integer, e.g. 10")
    if not 0 < min_coverage <= 1:
        raise ConfigurationError(f"min_coverage={min_coverage!r} must be in (0, 1], e.g. 0.8")
    backends: list[EmbedderLike] = (
        [embedders] if isinstance(embedders, Embedder | str | os.PathLike) else list(embedders)
    )
    hub = _hub_models(backends)
    if hub and not allow_download and not _offline():
        raise ConfigurationError(
            f"embedder {', '.join(map(repr, hub))} is a Hugging Face hub model, which loading "
            "may download; pass --allow-download (allow_download=True) to let it reach the "
            "hub, or use minilm (packaged), tfidf or a local model folder"
        )
    when = to_timestamp(as_of)
    view = market.as_of(when)
    names = view.members(universe) if isinstance(universe, str) else view.resolve(list(universe))
    docs, info = company_documents(
        view, names, fields=config.header, allow_later=allow_later, source=source
    )
    gics = view.securities(list(info.index))[["gics_sector", "gics_sub_industry"]]
    ok = gics.notna().all(axis=1)
    keep = set(_one_per_issuer([t for t in info.index if ok.get(t, False)], market))
    docs = [d for d in docs if d.ticker in keep]
    tickers = [d.ticker for d in docs]
    n = len(tickers)
    if n <= k + 1:
        raise InsufficientHistoryError(
            f"only {n} companies with a description and GICS on {when:%Y-%m-%d}; need more "
            f"than k + 1 = {k + 1}; use a larger universe or allow_later=True"
        )
    sector = gics.loc[tickers, "gics_sector"].to_numpy(dtype=object)
    sub = gics.loc[tickers, "gics_sub_industry"].to_numpy(dtype=object)

    rets = _returns_window(market, when, tickers, window, returns_window)
    corr = rets.corr(min_periods=max(2, int(np.ceil(min_coverage * len(rets))))).to_numpy()
    rng = np.random.default_rng(seed)
    random_peers = [
        rng.choice(np.delete(np.arange(n), i), size=min(k, n - 1), replace=False) for i in range(n)
    ]
    sub_peers = [np.flatnonzero((sub == sub[i]) & (np.arange(n) != i)) for i in range(n)]
    has_peer = np.array([len(p) > 0 for p in sub_peers])
    corr_sub = np.array([_mean_corr(corr, i, sub_peers[i]) for i in range(n)])
    corr_rand = np.array([_mean_corr(corr, i, random_peers[i]) for i in range(n)])
    sub_counts = pd.Series(sub).value_counts()
    multi = np.isin(sub, sub_counts[sub_counts >= 2].index.to_numpy())

    store_cache = _resolve_cache(cache, market)
    rows = []
    for spec in backends:
        label = spec.name if isinstance(spec, Embedder) else os.fspath(spec)
        row: dict[str, Any] = {"backend": label, "status": "ok"}
        try:
            # 'a+b': the backends' unit vectors concatenated (cosine = mean of the cosines)
            specs = spec.split("+") if isinstance(spec, str) and "+" in spec else [spec]
            t0 = time.perf_counter()
            parts, dims = [], []
            for one in specs:
                emb = get_embedder(one.strip() if isinstance(one, str) else one)
                vec = embed_documents(docs, emb, config, store_cache).vectors
                parts.append(vec.astype(np.float64) / np.sqrt(len(specs)))
                dims.append(emb.name)
            label = row["backend"] = "+".join(dims)
            vectors = np.hstack(parts)
            seconds = time.perf_counter() - t0
        except HedgekitError as exc:
            if not skip_unavailable:
                raise
            logger.warning("backend %s not evaluated: %s", label, exc)
            row["status"] = f"not run: {exc}"
            rows.append(row)
            continue
        index = EmbeddingIndex(tickers, vectors, embedder=label)
        idx, sims = index.top_k(k)
        same = sub[idx] == sub[:, None]
        majority = np.empty(n, dtype=object)
        for i in range(n):
            score: dict[Any, float] = {}
            votes: dict[Any, int] = {}
            for j, s in zip(idx[i], sims[i], strict=True):
                votes[sub[j]] = votes.get(sub[j], 0) + 1
                score[sub[j]] = score.get(sub[j], 0.0) + float(s)
            majority[i] = max(votes, key=lambda lab: (votes[lab], score[lab]))
        corr_sem = np.array([_mean_corr(corr, i, idx[i]) for i in range(n)])
        corr_matched = np.array(
            [_mean_corr(corr, i, idx[i, : max(1, min(k, len(sub_peers[i])))]) for i in range(n)]
        )
        scored = has_peer & np.isfinite(corr_sem) & np.isfinite(corr_sub) & np.isfinite(corr_rand)
        diff = (corr_matched - corr_sub)[scored]
        row.update(
            {
                "dim": index.dim,
                "n_companies": n,
                "silhouette_sector": cosine_silhouette(index.vectors, sector),
                "silhouette_sub_industry": cosine_silhouette(index.vectors[multi], sub[multi]),
                "knn_top1_sub_industry": float(same[has_peer, 0].mean()),
                "knn_majority_sub_industry": float((majority == sub)[has_peer].mean()),
                "precision_at_k_sub_industry": float(same[has_peer].mean()),
                "corr_semantic": float(corr_sem[scored].mean()),
                "corr_semantic_matched": float(corr_matched[scored].mean()),
                "corr_sub_industry": float(corr_sub[scored].mean()),
                "corr_random": float(corr_rand[scored].mean()),
                "corr_matched_minus_sub_industry": float(diff.mean()),
                "corr_diff_se": float(diff.std(ddof=1) / np.sqrt(len(diff))),
                "n_scored": int(scored.sum()),
                "embed_seconds": seconds,
            }
        )
        rows.append(row)
    columns = [
        "backend",
        "dim",
        "n_companies",
        "silhouette_sector",
        "silhouette_sub_industry",
        "knn_top1_sub_industry",
        "knn_majority_sub_industry",
        "precision_at_k_sub_industry",
        "corr_semantic",
        "corr_semantic_matched",
        "corr_sub_industry",
        "corr_random",
        "corr_matched_minus_sub_industry",
        "corr_diff_se",
        "n_scored",
        "embed_seconds",
        "status",
    ]
    table = pd.DataFrame(rows).reindex(columns=columns).set_index("backend")
    table.attrs.update(
        {
            "as_of": when,
            "k": k,
            "universe": universe if isinstance(universe, str) else "custom",
            "returns_window": returns_window,
            "returns_start": rets.index[0],
            "returns_end": rets.index[-1],
            "n_returns": len(rets),
            "chunking": config.to_dict(),
            "seed": seed,
            "look_ahead_companies": int(info.loc[tickers, "look_ahead"].sum()),
        }
    )
    return table
