"""Context-aware chunking of business descriptions and pooling of chunk vectors.

A description is cut into windows of about ``max_tokens`` tokens (the model's own
tokenizer when it has one, whitespace words otherwise) that overlap by about ``overlap``
tokens and never split a word. Each window can be prefixed with a short header naming the
company (``header=('name',)``), so a later window that says "the company also sells..."
still says which company. The header holds only the fields asked for in
:class:`ChunkingConfig`; GICS or vendor classification labels are opt-in and refused by
anything that evaluates against GICS (see :meth:`ChunkingConfig.require_no_classification`).

Defaults (``ChunkingConfig()``): 128-token windows with a 32-token overlap for a model with
an input limit, the whole text for a backend without one (TF-IDF), and **no header**: on
the 2022 development data a name header lowered every score of MiniLM (docs/text.md).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from hedgekit._errors import ConfigurationError
from hedgekit.text._base import Embedder, l2_normalize, word_spans
from hedgekit.typing import CaseInsensitiveEnum

__all__ = [
    "AUTO_WINDOW",
    "CLASSIFICATION_FIELDS",
    "Chunk",
    "ChunkingConfig",
    "Document",
    "HeaderField",
    "chunk_document",
    "make_header",
    "pool_chunks",
]

logger = logging.getLogger(__name__)

#: a window shorter than this many tokens (after the header) is a configuration mistake
_MIN_WINDOW = 8
#: the window of ``max_tokens='auto'`` for a model with an input limit
AUTO_WINDOW = 128


class HeaderField(CaseInsensitiveEnum):
    """A field that may go into the header of every chunk."""

    NAME = "name"
    TICKER = "ticker"
    COUNTRY = "country"
    #: the description vendor's sector / industry (Yahoo's, or GICS-like for some sources)
    SECTOR = "sector"
    INDUSTRY = "industry"
    GICS_SECTOR = "gics_sector"
    GICS_INDUSTRY_GROUP = "gics_industry_group"
    GICS_INDUSTRY = "gics_industry"
    GICS_SUB_INDUSTRY = "gics_sub_industry"


#: header fields that carry an industry classification: never in a GICS evaluation
CLASSIFICATION_FIELDS: frozenset[HeaderField] = frozenset(
    {
        HeaderField.SECTOR,
        HeaderField.INDUSTRY,
        HeaderField.GICS_SECTOR,
        HeaderField.GICS_INDUSTRY_GROUP,
        HeaderField.GICS_INDUSTRY,
        HeaderField.GICS_SUB_INDUSTRY,
    }
)


@dataclass(frozen=True)
class ChunkingConfig:
    """How descriptions are cut into windows and labelled.

    Parameters
    ----------
    max_tokens : int, None or 'auto'
        Target window length in tokens, header excluded. The model's input limit caps it:
        a window never exceeds ``embedder.max_tokens`` minus the header's tokens. None
        means "as long as the model reads" (the whole text for a backend with no limit,
        such as TF-IDF). ``'auto'`` (default): 128 for a model with an input limit, the
        whole text for a backend without one.
    overlap : int
        Tokens shared by consecutive windows (default 32); must be below ``max_tokens``.
    header : sequence of HeaderField or str
        Fields of the header prefixed to every window, in order (default: none).
        ``'name'`` and ``'ticker'`` identify the company; ``'country'`` is allowed;
        classification fields (``'sector'``, ``'industry'``, ``'gics_*'``) are allowed for
        production use but refused by :func:`~hedgekit.text.evaluate_embeddings`.

    Examples
    --------
    >>> ChunkingConfig(max_tokens=64, overlap=16, header=("name", "ticker")).header
    (<HeaderField.NAME: 'name'>, <HeaderField.TICKER: 'ticker'>)
    """

    max_tokens: int | Literal["auto"] | None = "auto"
    overlap: int = 32
    header: tuple[HeaderField, ...] = ()

    def __post_init__(self) -> None:
        m = self.max_tokens
        if m == "auto":
            m = AUTO_WINDOW
        elif m is not None and (not isinstance(m, int) or isinstance(m, bool) or m < _MIN_WINDOW):
            raise ConfigurationError(
                f"max_tokens={m!r} must be an integer >= {_MIN_WINDOW} (e.g. 128), None for "
                "the model's own limit, or 'auto'"
            )
        o = self.overlap
        if not isinstance(o, int) or isinstance(o, bool) or o < 0:
            raise ConfigurationError(f"overlap={o!r} must be a non-negative integer, e.g. 32")
        if m is not None and o >= m:
            raise ConfigurationError(
                f"overlap={o} must be smaller than max_tokens={m}; use e.g. overlap={m // 4}"
            )
        if isinstance(self.header, str):
            raise ConfigurationError(
                f"header={self.header!r} must be a sequence of field names, e.g. ('name',)"
            )
        fields = []
        for item in self.header:
            try:
                fields.append(HeaderField(item))
            except ValueError:
                known = ", ".join(repr(f.value) for f in HeaderField)
                raise ConfigurationError(f"header field {item!r} is not one of {known}") from None
        if len(set(fields)) != len(fields):
            raise ConfigurationError(f"header={self.header!r} repeats a field; list each once")
        object.__setattr__(self, "header", tuple(fields))

    @property
    def classification_fields(self) -> tuple[HeaderField, ...]:
        """The header fields that carry an industry classification."""
        return tuple(f for f in self.header if f in CLASSIFICATION_FIELDS)

    def require_no_classification(self, purpose: str = "an evaluation against GICS") -> None:
        """Refuse a header that would show the model a classification label.

        Raises
        ------
        ConfigurationError
            The header holds a classification field; the message names it and the fix.
        """
        bad = self.classification_fields
        if bad:
            keep = tuple(f.value for f in self.header if f not in CLASSIFICATION_FIELDS)
            raise ConfigurationError(
                f"header fields {[f.value for f in bad]} put classification labels into the "
                f"text the model reads, which leaks the answer into {purpose}; use "
                f"header={keep!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain settings (part of the cache key)."""
        return {
            "max_tokens": self.max_tokens,
            "overlap": self.overlap,
            "header": [f.value for f in self.header],
        }


@dataclass(frozen=True)
class Document:
    """One company's text and the fields its header may use.

    Parameters
    ----------
    ticker : str
    text : str
        The business description.
    fields : mapping of str to str
        Values for header fields (``name``, ``country``, ``gics_sector``...). Missing or
        empty values are left out of the header. ``ticker`` is always available.
    """

    ticker: str
    text: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def field_value(self, name: HeaderField) -> str:
        """The value of a header field, ``''`` when unknown."""
        if name is HeaderField.TICKER:
            return self.ticker
        value = self.fields.get(name.value)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        return " ".join(str(value).split())


@dataclass(frozen=True)
class Chunk:
    """One window of a document as sent to the model: ``header + body``.

    Attributes
    ----------
    ticker : str
    header : str
        The header (``'Western Digital Corporation: '``), identical for every chunk.
    body : str
        A slice of the description (``text[start:end]``), whole words only.
    start, end : int
        Character offsets of ``body`` in the description.
    n_tokens : int
        Tokens of ``body`` (the pooling weight).
    """

    ticker: str
    header: str
    body: str
    start: int
    end: int
    n_tokens: int

    @property
    def text(self) -> str:
        """The exact text embedded."""
        return self.header + self.body


def make_header(document: Document, fields: Sequence[HeaderField]) -> str:
    """The header of a document's chunks: ``'Name (TICKER): '``, other fields after ``;``.

    Examples
    --------
    >>> doc = Document("WDC", "...", {"name": "Western Digital Corporation"})
    >>> make_header(doc, [HeaderField.NAME, HeaderField.TICKER])
    'Western Digital Corporation (WDC): '
    >>> make_header(doc, [HeaderField.TICKER])
    'WDC: '
    """
    values = {f: document.field_value(f) for f in fields}
    parts: list[str] = []
    name, ticker = values.get(HeaderField.NAME, ""), values.get(HeaderField.TICKER, "")
    if name and ticker:
        parts.append(f"{name} ({ticker})")
    elif name or ticker:
        parts.append(name or ticker)
    for f in fields:
        if f in (HeaderField.NAME, HeaderField.TICKER) or not values[f]:
            continue
        parts.append(f"{f.value.replace('_', ' ')}: {values[f]}")
    return "; ".join(parts) + ": " if parts else ""


def chunk_document(document: Document, config: ChunkingConfig, embedder: Embedder) -> list[Chunk]:
    """Cut a document into overlapping windows of whole words, each with the header.

    Parameters
    ----------
    document : Document
    config : ChunkingConfig
    embedder : Embedder
        Supplies the tokenizer (:meth:`Embedder.token_spans`) and the input limit
        (:attr:`Embedder.max_tokens`).

    Returns
    -------
    list of Chunk
        At least one chunk (an empty description gives one chunk with an empty body).

    Raises
    ------
    ConfigurationError
        The header leaves fewer than 8 tokens of the model's input for the text.

    Notes
    -----
    The window budget is ``B = min(max_tokens, model_limit - header_tokens)`` (either term
    dropped when it is None; ``max_tokens='auto'`` is 128 with a model limit, None
    without). Words are packed greedily while their tokens fit in ``B``; the next window
    starts at the first word from which the rest of the previous window
    holds at most ``overlap`` tokens (and at least one word later than the previous start,
    so the loop always advances). A single word longer than ``B`` forms its own window and
    is truncated by the model.
    """
    text = document.text or ""
    header = make_header(document, config.header)
    words = word_spans(text)
    limit = embedder.max_tokens
    header_tokens = embedder.count_tokens(header) if header and limit is not None else 0
    target = config.max_tokens
    if target == "auto":
        target = AUTO_WINDOW if limit is not None else None
    budget = math.inf if target is None else float(target)
    if limit is not None:
        room = limit - header_tokens
        if room < _MIN_WINDOW:
            raise ConfigurationError(
                f"the header {header!r} of {document.ticker} takes {header_tokens} of the "
                f"{limit} tokens {embedder.name} reads; shorten the header (e.g. header=('name',))"
            )
        budget = min(budget, float(room))
    if not words:
        return [Chunk(document.ticker, header, "", 0, 0, 0)]
    if math.isinf(budget):
        begin, end = words[0][0], words[-1][1]
        body = text[begin:end]
        return [Chunk(document.ticker, header, body, begin, end, embedder.count_tokens(body))]
    overlap = min(config.overlap, int(budget) // 2)
    starts = np.fromiter((w[0] for w in words), dtype=np.int64, count=len(words))
    spans = embedder.token_spans(text)
    tok_starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
    owner = np.clip(np.searchsorted(starts, tok_starts, side="right") - 1, 0, len(words) - 1)
    counts = np.bincount(owner, minlength=len(words))
    cum = np.concatenate([[0], np.cumsum(counts)])
    chunks: list[Chunk] = []
    s, n_words = 0, len(words)
    while True:
        e = int(np.searchsorted(cum, cum[s] + budget, side="right")) - 1
        e = min(max(e, s + 1), n_words)
        begin, end = words[s][0], words[e - 1][1]
        chunks.append(
            Chunk(document.ticker, header, text[begin:end], begin, end, int(cum[e] - cum[s]))
        )
        if e >= n_words:
            break
        t = int(np.searchsorted(cum, cum[e] - overlap, side="left"))
        s = min(max(t, s + 1), e)
    return chunks


def pool_chunks(vectors: np.ndarray, weights: Sequence[float] | np.ndarray) -> np.ndarray:
    """One unit vector from a document's chunk vectors: weighted mean, renormalised.

    Parameters
    ----------
    vectors : array-like of shape (n_chunks, dim)
        Unit chunk vectors.
    weights : array-like of shape (n_chunks,)
        Non-negative weights, the chunks' token counts in hedgekit. All zero means equal.

    Returns
    -------
    ndarray of shape (dim,), float32, unit norm (zero only if every chunk vector is zero)

    Notes
    -----
    ``v = sum_i w_i u_i / || sum_i w_i u_i ||``. Weighting by tokens makes a short tail
    window count for what it holds: the pooled vector is (up to the overlap) the
    token-average of the chunk vectors, as if the model had read the text in one pass.
    Averaging unit vectors and renormalising is the usual way to pool sentence
    embeddings; the norm before renormalising (the mean resultant length) measures how
    much the chunks agree.

    Examples
    --------
    >>> pool_chunks(np.array([[1.0, 0.0], [0.0, 1.0]]), [3, 1]).round(4)
    array([0.9487, 0.3162], dtype=float32)
    """
    v = np.asarray(vectors, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if v.ndim != 2 or w.shape != (v.shape[0],) or v.shape[0] == 0:
        raise ValueError(
            f"pool_chunks needs vectors of shape (n_chunks, dim) and weights of shape "
            f"(n_chunks,) with n_chunks >= 1; got {v.shape} and {w.shape}"
        )
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError(f"chunk weights must be finite and >= 0, got {w.tolist()}")
    if w.sum() == 0:
        w = np.ones_like(w)
    return l2_normalize((w @ v)[None, :])[0]
