"""Company vectors at a date and nearest-neighbour queries: semantic peers.

:meth:`EmbeddingIndex.from_market` embeds the business description of every company
known at ``as_of`` (the latest vintage on or before it; for a company with none yet, the
earliest later vintage, flagged ``look_ahead``) and keeps tickers x unit vectors, so
that hedges, clustering or a walk-forward loop can ask for neighbours with one matrix
product. :func:`semantic_peers` is the one-call version for a single stock.
"""

from __future__ import annotations

import difflib
import logging
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError, UnknownIdentifierError
from hedgekit.data import MarketData, PointInTimeData
from hedgekit.text._base import Embedder, l2_normalize
from hedgekit.text._cache import EmbeddingCache
from hedgekit.text._chunking import ChunkingConfig, Document, HeaderField
from hedgekit.text._factory import get_embedder, nlp_available
from hedgekit.text._pipeline import embed_documents
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["EmbeddingIndex", "company_documents", "semantic_peers"]

logger = logging.getLogger(__name__)

_GICS_COLUMNS = ("gics_sector", "gics_industry_group", "gics_industry", "gics_sub_industry")

#: what ``cache=`` accepts: True (the store's cache), False/None (no cache), a cache or a dir
CacheLike = EmbeddingCache | bool | str | os.PathLike[str] | None


def _resolve_cache(cache: CacheLike, market: MarketData) -> EmbeddingCache | None:
    if cache is None or cache is False:
        return None
    if cache is True:
        return EmbeddingCache.for_home(market.store.home)
    if isinstance(cache, EmbeddingCache):
        return cache
    return EmbeddingCache(cache)


def company_documents(
    view: PointInTimeData,
    tickers: Iterable[str] | None = None,
    *,
    fields: Sequence[HeaderField | str] = (HeaderField.NAME,),
    allow_later: bool = True,
    source: str | None = None,
) -> tuple[list[Document], pd.DataFrame]:
    """The description of each company known at the view's date, as documents.

    Parameters
    ----------
    view : PointInTimeData
        ``market.as_of(D)``.
    tickers : iterable of str, optional
        Store tickers; None means every ticker with a description.
    fields : sequence of HeaderField or str
        The header fields to fill (only these are read, so a document built for an
        evaluation never carries a classification label it was not asked for).
    allow_later : bool
        For a company with no vintage on or before ``D``, use its earliest later vintage and
        flag it ``look_ahead`` (True by default; False drops such companies).
    source : str, optional
        Only descriptions from this source (``'yahoo_profile'``, ``'financedatabase'``).

    Returns
    -------
    documents : list of Document
        Sorted by ticker.
    info : DataFrame
        Indexed by ticker: ``name``, ``description_as_of``, ``source``, ``look_ahead``.
    """
    wanted = [HeaderField(f) for f in fields]
    desc = view.descriptions(tickers, source=source, allow_later=allow_later)
    desc = desc[desc["text"].notna()]
    gics = None
    if any(f.value.startswith("gics_") for f in wanted):
        gics = view.securities(list(desc.index))
    docs = []
    for ticker, row in desc.iterrows():
        values: dict[str, str] = {}
        for f in wanted:
            if f is HeaderField.TICKER:
                continue
            if f.value.startswith("gics_"):
                assert gics is not None
                value = gics.at[ticker, f.value] if f.value in gics.columns else None
            else:
                value = row.get(f.value)
            if isinstance(value, str) and value.strip():
                values[f.value] = value
        docs.append(Document(str(ticker), str(row["text"]), values))
    info = pd.DataFrame(
        {
            "name": desc["name"].astype("object"),
            "description_as_of": desc["as_of"],
            "source": desc["source"].astype("object"),
            "look_ahead": desc["look_ahead"].astype(bool),
        },
        index=pd.Index(desc.index.astype(str), name="ticker"),
    )
    return docs, info


class EmbeddingIndex:
    """Unit vectors of companies at one date, with fast nearest-neighbour queries.

    Parameters
    ----------
    tickers : sequence of str
        One unique ticker per row of ``vectors``.
    vectors : array-like of shape (n_companies, dim)
        Company vectors; rows are renormalised to unit length.
    info : DataFrame, optional
        Per-ticker facts (``name``, ``description_as_of``, ``source``, ``look_ahead``,
        ``n_chunks``, ``n_tokens``...), reindexed to ``tickers``.
    as_of : date-like, optional
        The date the vectors describe.
    embedder : str
        Name of the backend that made them.
    fingerprint : str
        The backend's fingerprint.

    Notes
    -----
    The similarity of two companies is the cosine of their vectors, ``s_ij = v_i . v_j``.
    ``neighbours`` computes one matrix-vector product; ``top_k`` all rows at once.

    Examples
    --------
    >>> idx = EmbeddingIndex(["A", "B", "C"], [[1, 0], [0.9, 0.1], [0, 1]])
    >>> idx.neighbours("A", k=1).index.tolist()
    ['B']
    """

    def __init__(
        self,
        tickers: Sequence[str],
        vectors: Any,
        *,
        info: pd.DataFrame | None = None,
        as_of: DateLike | None = None,
        embedder: str = "",
        fingerprint: str = "",
    ) -> None:
        names = [str(t) for t in tickers]
        arr = np.asarray(vectors, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] != len(names):
            raise ConfigurationError(
                f"vectors of shape {arr.shape} do not match {len(names)} tickers; pass one row "
                "per ticker, shape (n_companies, dim)"
            )
        dup = sorted(t for t, c in Counter(names).items() if c > 1)
        if dup:
            raise ConfigurationError(f"tickers {dup} appear more than once; pass each once")
        self._tickers = tuple(names)
        self._pos = {t: i for i, t in enumerate(names)}
        unit = l2_normalize(arr)
        unit.setflags(write=False)
        self._vectors = unit
        base = info if info is not None else pd.DataFrame(index=pd.Index([], name="ticker"))
        self._info = base.reindex(pd.Index(names, name="ticker"))
        self.as_of = None if as_of is None else to_timestamp(as_of)
        self.embedder = embedder
        self.fingerprint = fingerprint
        #: wall time of the embedding step of :meth:`from_market` (0 otherwise)
        self.seconds = 0.0
        #: companies whose vectors :meth:`from_market` read from the cache
        self.cache_hits = 0

    # ------------------------------------------------------------------ building
    @classmethod
    def from_market(
        cls,
        market: MarketData,
        as_of: DateLike,
        *,
        embedder: Embedder | str | None = "minilm",
        universe: str | Iterable[str] | None = None,
        include: Iterable[str] = (),
        chunking: ChunkingConfig | None = None,
        cache: CacheLike = True,
        allow_later: bool = True,
        source: str | None = None,
    ) -> EmbeddingIndex:
        """Embed the descriptions known at ``as_of``.

        Parameters
        ----------
        market : MarketData
        as_of : date-like
            Descriptions: the latest vintage on or before it (see ``allow_later``).
        embedder : Embedder or str
            A backend or a name for :func:`get_embedder` (default ``'minilm'``);
            ``'a+b'`` combines backends (:meth:`combine`); ``'auto'`` is ``'minilm+tfidf'``
            with the ``nlp`` extra installed, else ``'tfidf'``.
        universe : str or iterable of str, optional
            None: every company with a description and a price in the 5 trading days up to
            ``as_of``; an index name (``'SPX'``): its members on ``as_of``; or tickers.
        include : iterable of str
            Tickers added to the universe whatever it is (e.g. the stock to hedge).
        chunking : ChunkingConfig, optional
            Defaults to ``ChunkingConfig()``.
        cache : bool, EmbeddingCache or path, optional
            True (default): ``<store home>/cache/embeddings``; False: no cache.
        allow_later : bool
            Use a later vintage, flagged ``look_ahead``, for companies with none yet.
        source : str, optional
            Only descriptions from this source.

        Returns
        -------
        EmbeddingIndex
            ``info`` has ``name``, ``description_as_of``, ``source``, ``look_ahead``,
            ``n_chunks`` and ``n_tokens`` per ticker.

        Raises
        ------
        DataError
            No description is known for any company of the universe.
        """
        if isinstance(embedder, str) and embedder.strip().lower() == "auto":
            # the best backend on the development window (docs/text.md): MiniLM and TF-IDF
            # combined; TF-IDF alone without the nlp extra
            embedder = "minilm+tfidf" if nlp_available() else "tfidf"
        if isinstance(embedder, str) and "+" in embedder:
            parts = [p.strip() for p in embedder.split("+") if p.strip()]
            return cls.combine(
                [
                    cls.from_market(
                        market,
                        as_of,
                        embedder=part,
                        universe=universe,
                        include=include,
                        chunking=chunking,
                        cache=cache,
                        allow_later=allow_later,
                        source=source,
                    )
                    for part in parts
                ]
            )
        backend = get_embedder(embedder)
        config = chunking if chunking is not None else ChunkingConfig()
        view = market.as_of(as_of)
        extra = view.resolve(list(include)) if include else []
        if universe is None:
            have = view.descriptions(allow_later=allow_later, source=source).index
            names = view.tradable(sorted(set(have) & set(market.tickers)))
        elif isinstance(universe, str):
            names = view.members(universe)
        else:
            names = view.resolve(list(universe))
        names = sorted(set(names) | set(extra))
        docs, info = company_documents(
            view, names, fields=config.header, allow_later=allow_later, source=source
        )
        if not docs:
            raise DataError(
                f"no business description is known for the {len(names)} companies of the "
                f"universe on {view.date:%Y-%m-%d} (allow_later={allow_later}); import "
                "descriptions or pass allow_later=True"
            )
        missing = sorted(set(names) - set(info.index))
        if missing:
            logger.info("%d companies have no description: %s", len(missing), missing[:20])
        result = embed_documents(docs, backend, config, _resolve_cache(cache, market))
        info = info.assign(n_chunks=result.n_chunks, n_tokens=result.n_tokens)
        logger.info(
            "embedded %d companies with %s in %.2f s (%d from cache)",
            len(docs),
            backend.name,
            result.seconds,
            int(result.from_cache.sum()),
        )
        index = cls(
            result.tickers,
            result.vectors,
            info=info,
            as_of=view.date,
            embedder=backend.name,
            fingerprint=backend.fingerprint,
        )
        index.seconds = result.seconds
        index.cache_hits = int(result.from_cache.sum())
        return index

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self._tickers)

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._pos

    def __repr__(self) -> str:
        when = "" if self.as_of is None else f", as_of={self.as_of:%Y-%m-%d}"
        return f"EmbeddingIndex(n={len(self)}, dim={self.dim}, embedder={self.embedder!r}{when})"

    @property
    def tickers(self) -> tuple[str, ...]:
        """Tickers, in row order."""
        return self._tickers

    @property
    def vectors(self) -> np.ndarray:
        """Read-only unit vectors, shape (n_companies, dim), float32."""
        return self._vectors

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._vectors.shape[1])

    @property
    def info(self) -> pd.DataFrame:
        """Per-ticker facts (a copy)."""
        return self._info.copy()

    @property
    def look_ahead(self) -> pd.Series:
        """Per ticker, whether its description was published after ``as_of``."""
        if "look_ahead" not in self._info.columns:
            return pd.Series(False, index=pd.Index(self._tickers, name="ticker"))
        return self._info["look_ahead"].fillna(False).astype(bool)

    def position(self, ticker: str) -> int:
        """Row of ``ticker``.

        Raises
        ------
        UnknownIdentifierError
            ``ticker`` is not in the index; the message lists the closest tickers that are.
        """
        pos = self._pos.get(ticker)
        if pos is None:
            pos = self._pos.get(str(ticker).strip().upper())
        if pos is None:
            close = difflib.get_close_matches(str(ticker).upper(), self._tickers, n=5, cutoff=0.5)
            when = "" if self.as_of is None else f" as of {self.as_of:%Y-%m-%d}"
            raise UnknownIdentifierError(
                str(ticker),
                close,
                detail=f"not in the embedding index{when} ({len(self)} companies with a "
                "description); add it to the universe or check that a description exists",
            )
        return pos

    def vector(self, ticker: str) -> np.ndarray:
        """Unit vector of ``ticker``."""
        return self._vectors[self.position(ticker)]

    def similarities(self, query: str | np.ndarray) -> pd.Series:
        """Cosine similarity of every company to a ticker or to a vector."""
        q = self._query_vector(query)
        return pd.Series(
            self._vectors @ q, index=pd.Index(self._tickers, name="ticker"), name="similarity"
        )

    def _query_vector(self, query: str | np.ndarray) -> np.ndarray:
        if isinstance(query, str):
            return self.vector(query)
        q = np.asarray(query, dtype=np.float64).reshape(1, -1)
        if q.shape[1] != self.dim:
            raise ConfigurationError(
                f"query vector has {q.shape[1]} dimensions, the index {self.dim}; embed the "
                "query with the same backend"
            )
        return l2_normalize(q)[0]

    def neighbours(
        self, query: str | np.ndarray, k: int = 10, *, exclude: Iterable[str] = ()
    ) -> pd.DataFrame:
        """The ``k`` companies most similar to a ticker (itself excluded) or a vector.

        Parameters
        ----------
        query : str or ndarray of shape (dim,)
        k : int
            Neighbours to return (fewer if the index is smaller).
        exclude : iterable of str
            Tickers never returned (e.g. other share classes of the same issuer).

        Returns
        -------
        DataFrame
            Indexed by ticker, best first: ``rank`` (1..k) and ``similarity``, plus the
            ``info`` columns.
        """
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ConfigurationError(f"k={k!r} must be a positive integer, e.g. 10")
        sims = self.similarities(query).to_numpy(dtype=np.float64)
        mask = np.zeros(len(self), dtype=bool)
        if isinstance(query, str):
            mask[self.position(query)] = True
        for t in exclude:
            pos = self._pos.get(t)
            if pos is not None:
                mask[pos] = True
        sims = np.where(mask, -np.inf, sims)
        k = min(k, int((~mask).sum()))
        top = np.argpartition(-sims, k - 1)[:k] if k else np.array([], dtype=int)
        top = top[np.lexsort((np.asarray(self._tickers, dtype=object)[top], -sims[top]))]
        out = pd.DataFrame(
            {"rank": np.arange(1, len(top) + 1), "similarity": sims[top]},
            index=pd.Index([self._tickers[i] for i in top], name="ticker"),
        )
        return out.join(self._info)

    def top_k(
        self, k: int, *, groups: dict[str, frozenset[str]] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest neighbours of every company at once (itself excluded).

        Parameters
        ----------
        k : int
        groups : dict of str to frozenset of str, optional
            Ticker -> tickers never to return as its neighbours (e.g. same issuer).

        Returns
        -------
        indices : ndarray of int, shape (n_companies, k)
            Rows of the neighbours, best first.
        similarities : ndarray of float, shape (n_companies, k)
        """
        n = len(self)
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k < n:
            raise ConfigurationError(f"k={k!r} must be an integer in 1..{n - 1}")
        v = self._vectors.astype(np.float64)
        sims = v @ v.T
        np.fill_diagonal(sims, -np.inf)
        for t, others in (groups or {}).items():
            i = self._pos.get(t)
            if i is None:
                continue
            for o in others:
                j = self._pos.get(o)
                if j is not None and j != i:
                    sims[i, j] = -np.inf
        idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        part = np.take_along_axis(sims, idx, axis=1)
        order = np.argsort(-part, axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
        return idx, np.take_along_axis(sims, idx, axis=1)

    def similarity_matrix(self) -> pd.DataFrame:
        """Cosine similarities, tickers x tickers."""
        v = self._vectors.astype(np.float64)
        labels = pd.Index(self._tickers, name="ticker")
        return pd.DataFrame(v @ v.T, index=labels, columns=labels.rename(None))

    @classmethod
    def combine(cls, indexes: Sequence[EmbeddingIndex]) -> EmbeddingIndex:
        """One index from several backends: each company's unit vectors concatenated and
        scaled by ``1 / sqrt(n)``, so its cosine similarity is the mean of the backends'.

        Only companies present in every index are kept. ``embedder='minilm+tfidf'`` in
        :meth:`from_market` builds one this way.
        """
        if not indexes:
            raise ConfigurationError("combine needs at least one index")
        first = indexes[0]
        names = [t for t in first.tickers if all(t in other for other in indexes[1:])]
        if not names:
            raise DataError("the indexes have no company in common; nothing to combine")
        scale = 1.0 / np.sqrt(len(indexes))
        vectors = np.hstack([ix.subset(names).vectors.astype(np.float64) for ix in indexes])
        return cls(
            names,
            vectors * scale,
            info=first.info.reindex(pd.Index(names, name="ticker")),
            as_of=first.as_of,
            embedder="+".join(ix.embedder for ix in indexes),
            fingerprint="+".join(ix.fingerprint for ix in indexes),
        )

    def subset(self, tickers: Iterable[str]) -> EmbeddingIndex:
        """A new index restricted to ``tickers`` (each must be present)."""
        names = list(tickers)
        rows = [self.position(t) for t in names]
        out = EmbeddingIndex(
            names,
            self._vectors[rows],
            info=self._info.iloc[rows],
            as_of=self.as_of,
            embedder=self.embedder,
            fingerprint=self.fingerprint,
        )
        return out

    def to_frame(self) -> pd.DataFrame:
        """Vectors as a DataFrame, tickers x dimensions."""
        return pd.DataFrame(self._vectors, index=pd.Index(self._tickers, name="ticker"))


def semantic_peers(
    market: MarketData,
    ticker: str,
    as_of: DateLike,
    k: int = 10,
    embedder: Embedder | str | None = "minilm",
    *,
    universe: str | Iterable[str] | None = None,
    chunking: ChunkingConfig | None = None,
    cache: CacheLike = True,
    exclude_same_issuer: bool = True,
    index: EmbeddingIndex | None = None,
) -> pd.DataFrame:
    """The ``k`` companies whose business descriptions are closest to ``ticker``'s.

    Parameters
    ----------
    market : MarketData
    ticker : str
        Any identifier :meth:`MarketData.resolve` understands, as of ``as_of``.
    as_of : date-like
        Descriptions are the vintage known then (``descriptions(allow_later=True)``): a
        company with no vintage on or before ``as_of`` is described by its earliest later
        vintage, flagged ``look_ahead`` (a warning says so).
    k : int
        Number of peers.
    embedder : Embedder or str
        Backend (default ``'minilm'``); see :func:`get_embedder`.
    universe : str or iterable of str, optional
        Candidate peers; see :meth:`EmbeddingIndex.from_market` (default: every company
        with a description and a recent price).
    chunking : ChunkingConfig, optional
    cache : bool, EmbeddingCache or path
        True (default): the store's embedding cache.
    exclude_same_issuer : bool
        Leave out other share classes of the same company (GOOG for GOOGL).
    index : EmbeddingIndex, optional
        A prebuilt index (then ``embedder``, ``universe``, ``chunking`` and ``cache`` are
        not used); its date should be ``as_of``.

    Returns
    -------
    DataFrame
        Indexed by peer ticker, best first: ``rank``, ``similarity`` (cosine), ``name``,
        ``gics_sector``, ``gics_sub_industry`` (as known at ``as_of``),
        ``description_as_of``, ``source`` and ``look_ahead``. ``attrs`` holds ``ticker``,
        ``as_of``, ``embedder``, ``look_ahead`` (the target's description is later than
        ``as_of``), ``target_gics_sub_industry`` and ``universe_size``.

    Raises
    ------
    UnknownIdentifierError
        ``ticker`` does not resolve, or has no description; the message lists the closest
        known tickers.

    Examples
    --------
    >>> peers = semantic_peers(MarketData(), "WDC", "2022-12-30", k=5)  # doctest: +SKIP
    >>> peers[["similarity", "gics_sub_industry"]]                      # doctest: +SKIP
    """
    when = to_timestamp(as_of)
    target = market.resolve(ticker, when)
    if index is None:
        index = EmbeddingIndex.from_market(
            market,
            when,
            embedder=embedder,
            universe=universe,
            include=[target],
            chunking=chunking,
            cache=cache,
        )
    if target not in index:
        close = difflib.get_close_matches(target, index.tickers, n=5, cutoff=0.5)
        raise UnknownIdentifierError(
            str(ticker),
            close,
            detail=f"{target} has no business description in the store, for "
            f"{when:%Y-%m-%d} or later; pick a company with one",
        )
    exclude = market.share_classes.get(target, frozenset()) if exclude_same_issuer else ()
    peers = index.neighbours(target, k, exclude=exclude)
    view = market.as_of(when)
    sec = view.securities([target, *peers.index])
    cols = ["rank", "similarity", "name", "gics_sector", "gics_sub_industry"]
    out = peers.drop(columns=[c for c in ("name",) if c in peers.columns]).join(
        sec[["name", "gics_sector", "gics_sub_industry"]]
    )
    rest = [c for c in ("description_as_of", "source", "look_ahead") if c in out.columns]
    out = out[cols + rest]
    target_ahead = bool(index.look_ahead.get(target, False))
    n_ahead = int(out["look_ahead"].fillna(False).astype(bool).sum()) if "look_ahead" in out else 0
    out.attrs.update(
        {
            "ticker": target,
            "as_of": when,
            "embedder": index.embedder,
            "look_ahead": target_ahead,
            "target_gics_sub_industry": sec.at[target, "gics_sub_industry"],
            "universe_size": len(index),
        }
    )
    if target_ahead or n_ahead:
        message = (
            f"semantic peers of {target} on {when:%Y-%m-%d} use descriptions published later "
            f"(look-ahead: {'the target and ' if target_ahead else ''}{n_ahead} of {len(out)} "
            "peers); they are not point in time, see the look_ahead column"
        )
        warnings.warn(message, UserWarning, stacklevel=2)
    return out
