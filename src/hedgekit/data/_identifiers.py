"""Identifier resolution: from what a user types to the ticker a store files prices under.

Users name securities in many dialects: plain tickers in any case, Bloomberg codes
(``AAPL UW``, ``BRK/B US Equity``), Reuters RICs (``AAPL.OQ``, ``BRKb.N``), share classes
written ``BRK.B``, ``BRK/B`` or ``BRK B``, old tickers (``FB``) and company names. A
hedgekit store files every security under one Yahoo-style ticker (``BRK-B``), usually the
*latest* one, because Yahoo keeps a renamed company's whole history under its new symbol.

Resolution runs in two steps:

1. :func:`normalize_identifier` turns the text into candidate store tickers, best first
   (pure string work, no data needed);
2. :class:`IdentifierResolver` picks the first candidate that names a security at the
   requested date: a store ticker, else an alias (old ticker) valid at that date, else an
   exact company name.

Aliases come from two sources: :func:`load_known_ticker_changes` (a curated, dated list
bundled with hedgekit) and :func:`derive_aliases` (renames found in point-in-time index
snapshots by following each issuer's CIK). :func:`share_class_groups` groups the tickers of
one issuer (``GOOGL``/``GOOG``), which a hedge must not treat as independent securities.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, MalformedDataError, UnknownIdentifierError
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "IdentifierResolver",
    "derive_aliases",
    "load_known_ticker_changes",
    "normalize_identifier",
    "share_class_groups",
]

logger = logging.getLogger(__name__)

"""Anything :class:`pandas.Timestamp` accepts as a calendar date."""

#: Columns of an alias table (see the ``aliases`` table of the store schema).
ALIAS_COLUMNS: tuple[str, ...] = ("alias", "ticker", "start_date", "end_date", "source")

#: Bloomberg exchange codes of US listings (``AAPL UW``); ``US`` is the composite.
BLOOMBERG_EXCHANGE_CODES: frozenset[str] = frozenset(
    {"US", "UN", "UW", "UQ", "UA", "UR", "UP", "UF", "UV", "UD", "UB", "UM", "UO", "UT", "UX"}
)
#: Bloomberg market-sector ("yellow") keys that may end an equity code.
BLOOMBERG_YELLOW_KEYS: frozenset[str] = frozenset({"EQUITY"})
#: RIC exchange suffixes of US venues (``AAPL.OQ``, ``GS.N``), plus ``US`` as used by some
#: vendors (``AAPL.US``).
RIC_EXCHANGE_SUFFIXES: frozenset[str] = frozenset(
    {"N", "O", "OQ", "OB", "A", "K", "P", "PK", "Z", "US"}
)
# One-letter suffixes read as an exchange before a share class: ".N" is far more often NYSE
# than class N. ".A" is both (NYSE American, or class A as in BRK.A) and is read as a class
# first; every other letter is a share class only.
_RIC_FIRST_LETTERS: frozenset[str] = frozenset({"N", "O", "K", "P", "Z"})

_CLASS_LETTER = re.compile(r"[A-Z]")
_CLASS_SUFFIX = re.compile(r"[A-Z0-9]{1,2}")
# A RIC marks the share class with a trailing lower-case letter: BRKb.N, BFb.N.
_RIC_CLASS_ROOT = re.compile(r"([A-Z0-9]*[A-Z][A-Z0-9]*)([a-z])")
_MAX_DOTS = 2
_N_SUGGESTIONS = 5


# ----------------------------------------------------------------------------------------
# normalisation
# ----------------------------------------------------------------------------------------
def normalize_identifier(identifier: str) -> list[str]:
    """Candidate store tickers for one user identifier, best first.

    Store tickers are Yahoo style: upper case, share classes joined with ``-`` (``BRK-B``).
    The function is pure string work; whether a candidate exists is decided by
    :class:`IdentifierResolver`, which takes the first candidate that does.

    Parameters
    ----------
    identifier : str
        A ticker in any case with any surrounding or repeated whitespace (``" aapl "``), a
        Bloomberg code (``AAPL UW``, ``AAPL US Equity``, ``BRK/B US Equity``), a RIC
        (``AAPL.OQ``, ``GS.N``, ``BRKb.N``) or a share class written ``BRK.B``, ``BRK-B``,
        ``BRK/B`` or ``BRK B``.

    Returns
    -------
    list of str
        At least one candidate. Ambiguous forms give several: ``X.N`` is the RIC of ``X``
        on the NYSE or share class N of ``X``, so it yields ``["X", "X-N"]``; ``BRK.A``
        yields ``["BRK-A", "BRK"]``. Text that fits no pattern comes back upper-cased with
        whitespace collapsed, so that normalisation is idempotent.

    Raises
    ------
    ConfigurationError
        If `identifier` is not a string or is empty or whitespace only.

    Notes
    -----
    Rules, in order:

    * split on whitespace; while more than one token is left, drop a trailing yellow key
      (``Equity``) or US Bloomberg exchange code (``US``, ``UN``, ``UW``, ...);
    * one token left: ``ROOT/C`` is share class C; ``ROOT.SUFFIX`` is a RIC when SUFFIX is a
      US RIC exchange code, a share class when it is one letter (both, ordered as above,
      when it could be either); a lower-case last letter before a RIC suffix is a share
      class (``BRKb.N`` -> ``BRK-B``);
    * two tokens, the second a single letter: share class (``BRK B`` -> ``BRK-B``).

    Examples
    --------
    >>> normalize_identifier(" aapl ")
    ['AAPL']
    >>> normalize_identifier("BRK/B US Equity")
    ['BRK-B']
    >>> normalize_identifier("BRKb.N")
    ['BRK-B', 'BRKB']
    >>> normalize_identifier("GS.N")
    ['GS', 'GS-N']
    """
    raw_tokens = _tokens(identifier)
    tokens = [token.upper() for token in raw_tokens]
    while len(tokens) > 1 and (
        tokens[-1] in BLOOMBERG_YELLOW_KEYS or tokens[-1] in BLOOMBERG_EXCHANGE_CODES
    ):
        tokens.pop()
    if len(tokens) == 1:
        candidates = _single_token(raw_tokens[0], tokens[0], depth=0)
    elif len(tokens) == 2 and _CLASS_LETTER.fullmatch(tokens[1]):
        roots = _single_token(raw_tokens[0], tokens[0], depth=0)
        candidates = [f"{root}-{tokens[1]}" for root in roots]
    else:
        candidates = [" ".join(tokens)]
    return list(dict.fromkeys(candidates))


def _tokens(identifier: object) -> list[str]:
    """Whitespace-separated tokens of `identifier`; reject non-strings and blanks."""
    if not isinstance(identifier, str):
        raise ConfigurationError(
            f"an identifier must be a string such as 'AAPL', got {type(identifier).__name__} "
            f"{identifier!r}"
        )
    tokens = identifier.split()
    if not tokens:
        raise ConfigurationError(
            f"identifier {identifier!r} is empty; give a ticker ('AAPL'), a Bloomberg code "
            "('AAPL US Equity'), a RIC ('AAPL.OQ') or a company name"
        )
    return tokens


def _clean(upper: str) -> str:
    """Yahoo form of an upper-cased token that fits no pattern."""
    return upper.replace("/", "-").replace(".", "-")


def _single_token(raw: str, upper: str, depth: int) -> list[str]:
    """Candidates for one whitespace-free token (`upper` is `raw` upper-cased)."""
    if "." in upper and depth < _MAX_DOTS:
        root_raw = raw.rpartition(".")[0]
        root, _, suffix = upper.rpartition(".")
        if root and suffix:
            return _dotted(root_raw, root, suffix, depth)
    elif "/" in upper and "." not in upper:
        parts = upper.split("/")
        if len(parts) == 2 and parts[0] and _CLASS_SUFFIX.fullmatch(parts[1]):
            return [f"{_clean(parts[0])}-{parts[1]}"]
    return [_clean(upper)]


def _dotted(root_raw: str, root: str, suffix: str, depth: int) -> list[str]:
    """Candidates for ``ROOT.SUFFIX``: a RIC, a share class, or both."""
    hinted = _RIC_CLASS_ROOT.fullmatch(root_raw)
    if hinted is not None and suffix in RIC_EXCHANGE_SUFFIXES:
        base, letter = hinted.group(1), hinted.group(2).upper()
        return [f"{base}-{letter}", f"{base}{letter}"]
    roots = _single_token(root_raw, root, depth + 1)
    as_class = [f"{r}-{_clean(suffix)}" for r in roots]
    if len(suffix) == 1 and _CLASS_LETTER.fullmatch(suffix):
        if suffix in _RIC_FIRST_LETTERS:
            return roots + as_class
        if suffix in RIC_EXCHANGE_SUFFIXES:
            return as_class + roots
        return as_class
    if suffix in RIC_EXCHANGE_SUFFIXES:
        return roots
    return as_class


# ----------------------------------------------------------------------------------------
# alias tables
# ----------------------------------------------------------------------------------------
class _Alias(NamedTuple):
    """One row of an alias table, validated."""

    alias: str
    ticker: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    source: str

    def valid_at(self, when: pd.Timestamp) -> bool:
        """Whether the alias named `ticker` on `when` (interval ``[start, end)``)."""
        return (self.start is None or self.start <= when) and (self.end is None or when < self.end)


def _empty_aliases() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "alias": pd.Series([], dtype=object),
            "ticker": pd.Series([], dtype=object),
            "start_date": pd.Series([], dtype="datetime64[ns]"),
            "end_date": pd.Series([], dtype="datetime64[ns]"),
            "source": pd.Series([], dtype=object),
        }
    )


def _validate_aliases(aliases: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check an alias table once, at the boundary, and return it with typed columns."""
    if not isinstance(aliases, pd.DataFrame):
        raise ConfigurationError(
            f"aliases must be a pandas DataFrame with columns {', '.join(ALIAS_COLUMNS)}, "
            f"got {type(aliases).__name__}"
        )
    missing = [c for c in ("alias", "ticker") if c not in aliases.columns]
    if missing:
        raise MalformedDataError(
            source,
            f"missing column(s) {', '.join(missing)}; an alias table needs "
            f"{', '.join(ALIAS_COLUMNS)} (start_date, end_date and source may be empty)",
            column=missing[0],
        )
    if aliases.empty:
        return _empty_aliases()
    out = pd.DataFrame(index=aliases.index)
    for name in ("alias", "ticker"):
        values = aliases[name]
        bad = values.isna() | ~values.map(lambda v: isinstance(v, str) and bool(v.strip()))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise MalformedDataError(
                source, f"{name} must be a non-empty ticker string", row=row, column=name
            )
        out[name] = values.map(lambda v: v.strip().upper())
    for name in ("start_date", "end_date"):
        if name not in aliases.columns:
            out[name] = pd.Series(pd.NaT, index=aliases.index, dtype="datetime64[ns]")
            continue
        try:
            out[name] = pd.to_datetime(aliases[name]).astype("datetime64[ns]")
        except (ValueError, TypeError) as exc:
            raise MalformedDataError(
                source, f"{name} holds a value that is not a date ({exc})", column=name
            ) from exc
    backwards = out["start_date"].notna() & out["end_date"].notna()
    backwards &= out["end_date"] <= out["start_date"]
    if backwards.any():
        pos = int(np.flatnonzero(backwards.to_numpy())[0])
        raise MalformedDataError(
            source,
            f"end_date {out['end_date'].iloc[pos]:%Y-%m-%d} is not after start_date "
            f"{out['start_date'].iloc[pos]:%Y-%m-%d}; an alias is valid on "
            "[start_date, end_date)",
            row=pos + 1,
            column="end_date",
        )
    if "source" in aliases.columns:
        out["source"] = aliases["source"].astype(object).where(aliases["source"].notna(), "")
    else:
        out["source"] = ""
    return out.reset_index(drop=True)


def load_known_ticker_changes() -> pd.DataFrame:
    """Curated ticker changes of well-known US large caps, bundled with hedgekit.

    Each row says that on dates in ``[start_date, end_date)`` the symbol ``alias`` traded
    for the security now filed as ``ticker`` (for example ``FB`` -> ``META`` until
    2022-06-09). An empty ``start_date`` is open. Only renames where the listed line went on
    under the new symbol are included, and only targets whose Yahoo history runs back
    before the change; mergers where the *other* company's ticker disappeared (``RTN``,
    ``STI``) and share-class reshuffles (``GOOG`` 2014) are not aliases.

    Returns
    -------
    pandas.DataFrame
        Columns ``alias``, ``ticker`` (str), ``start_date``, ``end_date`` (datetime64, NaT
        = open) and ``source`` (``"curated"``), one row per change.

    Examples
    --------
    >>> changes = load_known_ticker_changes()
    >>> changes.loc[changes["alias"] == "FB", ["ticker", "end_date"]].iloc[0].tolist()
    ['META', Timestamp('2022-06-09 00:00:00')]
    """
    resource = resources.files("hedgekit.data").joinpath("_bundled", "ticker_changes.csv")
    with resource.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)
    for name in ("start_date", "end_date"):
        if name in frame.columns:
            text = frame[name].str.strip()
            frame[name] = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d")
    return _validate_aliases(frame, "hedgekit/data/_bundled/ticker_changes.csv")


def derive_aliases(classifications: pd.DataFrame, tickers: Iterable[str]) -> pd.DataFrame:
    """Find ticker renames in point-in-time index snapshots.

    A rename is an issuer (same ``cik``) listed under ticker A in earlier snapshots and
    under ticker B in later ones, never under both in one snapshot. Tickers of one issuer
    that do appear together are share classes (``GOOGL``/``GOOG``), not renames.

    Parameters
    ----------
    classifications : pandas.DataFrame
        Constituent snapshots with columns ``snapshot_date``, ``ticker`` and ``cik`` (other
        columns are ignored, as are rows without a cik). Duplicate rows are harmless.
    tickers : iterable of str
        The store's tickers; only aliases whose target is among them are returned.

    Returns
    -------
    pandas.DataFrame
        Columns ``alias``, ``ticker``, ``start_date`` (always NaT: the old symbol was in use
        before the first snapshot that shows it), ``end_date`` and ``source``
        (``"derived:gics_history"``), sorted by alias.

    Raises
    ------
    MalformedDataError
        If a required column is missing.

    Notes
    -----
    ``end_date`` is the first snapshot that lists the new ticker, so it is approximate:
    the true change happened after the last snapshot showing A and on or before that date
    (snapshots are days to months apart, and may lag the market). Prefer the curated dates
    of :func:`load_known_ticker_changes` where both exist.

    When an issuer went through several names (A -> B -> C), every earlier name points to
    the latest name that is in `tickers`; its ``end_date`` is the first snapshot showing
    its immediate successor. Spans that interleave (A, B, A) are skipped as unclear.
    """
    required = ("snapshot_date", "ticker", "cik")
    missing = [c for c in required if c not in classifications.columns]
    if missing:
        raise MalformedDataError(
            "classifications",
            f"missing column(s) {', '.join(missing)}; renames are derived from point-in-time "
            "snapshots with snapshot_date, ticker and cik",
            column=missing[0],
        )
    targets = _ticker_set(tickers)
    frame = classifications.loc[:, list(required)].dropna()
    if frame.empty:
        return _empty_aliases()
    frame = frame.assign(
        snapshot_date=pd.to_datetime(frame["snapshot_date"]),
        ticker=frame["ticker"].astype(str).str.strip().str.upper(),
    ).drop_duplicates()
    n_names = frame.groupby("cik")["ticker"].transform("nunique")
    frame = frame[n_names > 1]
    rows: list[tuple[str, str, pd.Timestamp]] = []
    for _, issuer in frame.groupby("cik", sort=True):
        seen = {
            str(ticker): frozenset(dates)
            for ticker, dates in issuer.groupby("ticker")["snapshot_date"]
        }
        rows.extend(_renames_of_one_issuer(seen, targets))
    if not rows:
        return _empty_aliases()
    out = pd.DataFrame(rows, columns=["alias", "ticker", "end_date"])
    out.insert(2, "start_date", pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]"))
    out["end_date"] = out["end_date"].astype("datetime64[ns]")
    out["source"] = "derived:gics_history"
    return out.sort_values(["alias", "end_date"], kind="stable").reset_index(drop=True)


def _renames_of_one_issuer(
    seen: Mapping[str, frozenset[pd.Timestamp]], targets: frozenset[str]
) -> list[tuple[str, str, pd.Timestamp]]:
    """(old, target, first snapshot of the next name) for one issuer's tickers."""
    first = {t: min(d) for t, d in seen.items()}
    last = {t: max(d) for t, d in seen.items()}
    out = []
    for old, dates in seen.items():
        successors = [
            new
            for new, new_dates in seen.items()
            if new != old and not (dates & new_dates) and last[old] < first[new]
        ]
        in_store = [new for new in successors if new in targets]
        if not in_store:
            continue
        target = max(in_store, key=lambda t: (first[t], t))
        renamed_on = min(first[new] for new in successors)
        out.append((old, target, renamed_on))
    return out


def share_class_groups(securities: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Group the tickers that belong to one issuer (share classes).

    Parameters
    ----------
    securities : pandas.DataFrame
        One row per ticker with columns ``ticker`` and ``cik`` (SEC central index key; null
        when unknown).

    Returns
    -------
    dict of str to frozenset of str
        Every ticker maps to the set of tickers with its cik, itself included (``GOOGL`` ->
        ``{"GOOG", "GOOGL"}``); a ticker without a cik maps to itself alone.

    Raises
    ------
    MalformedDataError
        If a column is missing or one ticker carries two different ciks.

    Notes
    -----
    A store that kept an old ticker next to its new one would also group the two (same
    issuer); either way the tickers must not enter one hedge as independent names.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"ticker": ["GOOGL", "GOOG", "AAPL"], "cik": [1652044, 1652044, None]}
    ... )
    >>> sorted(share_class_groups(frame)["GOOG"])
    ['GOOG', 'GOOGL']
    """
    missing = [c for c in ("ticker", "cik") if c not in securities.columns]
    if missing:
        raise MalformedDataError(
            "securities",
            f"missing column(s) {', '.join(missing)}; share classes are grouped by cik",
            column=missing[0],
        )
    frame = securities.loc[:, ["ticker", "cik"]].dropna(subset=["ticker"])
    frame = frame.assign(ticker=frame["ticker"].astype(str).str.strip().str.upper())
    known = frame.dropna(subset=["cik"]).drop_duplicates()
    clash = known["ticker"].duplicated(keep=False)
    if clash.any():
        ticker = known.loc[clash, "ticker"].iloc[0]
        ciks = sorted(str(c) for c in known.loc[known["ticker"] == ticker, "cik"])
        raise MalformedDataError(
            "securities",
            f"ticker {ticker!r} carries several ciks ({', '.join(ciks)}); keep one row per ticker",
            column="cik",
        )
    groups: dict[str, frozenset[str]] = {}
    for _, members in known.groupby("cik")["ticker"]:
        group = frozenset(members)
        for ticker in group:
            groups[ticker] = group
    for ticker in frame["ticker"]:
        groups.setdefault(ticker, frozenset({ticker}))
    return groups


# ----------------------------------------------------------------------------------------
# resolver
# ----------------------------------------------------------------------------------------
class _Failure(NamedTuple):
    """Why one identifier did not resolve."""

    identifier: str
    suggestions: list[str]
    detail: str


def _ticker_set(tickers: Iterable[str]) -> frozenset[str]:
    if isinstance(tickers, str):
        raise ConfigurationError(
            f"tickers must be an iterable of tickers, got the string {tickers!r}; "
            f"wrap it in a list: [{tickers!r}]"
        )
    out = set()
    for ticker in tickers:
        if not isinstance(ticker, str) or not ticker.strip():
            raise ConfigurationError(f"tickers must be non-empty strings, got {ticker!r}")
        out.add(ticker.strip().upper())
    return frozenset(out)


def _optional(value: object) -> pd.Timestamp | None:
    """A date cell as a Timestamp, or None for NaT."""
    if isinstance(value, dt.date | np.datetime64 | str):
        stamp = pd.Timestamp(value)
        return None if pd.isna(stamp) else stamp
    return None


def _name_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _as_timestamp(date: DateLike | None) -> pd.Timestamp | None:
    """``date`` as a tz-naive midnight Timestamp (None stays None; see ``to_timestamp``)."""
    return None if date is None else to_timestamp(date)


class IdentifierResolver:
    """Resolve user identifiers to store tickers, point in time.

    Parameters
    ----------
    tickers : iterable of str
        The tickers the store holds (Yahoo style).
    aliases : pandas.DataFrame, optional
        Old or alternative tickers with columns ``alias``, ``ticker``, ``start_date``,
        ``end_date`` (NaT = open) and ``source``: on dates in ``[start_date, end_date)`` the
        identifier ``alias`` named the security now stored as ``ticker``. Rows whose target
        is not in `tickers` are ignored. Typically the concatenation of
        :func:`load_known_ticker_changes` and :func:`derive_aliases`.
    names : mapping of str to str, optional
        Ticker -> company name; an exact, case-insensitive name also resolves.

    Raises
    ------
    ConfigurationError
        If `tickers` is a string or holds an empty or non-string ticker.
    MalformedDataError
        If `aliases` lacks a column, holds a blank alias or ticker, a non-date, or an
        interval whose end is not after its start.

    See Also
    --------
    normalize_identifier : the candidates tried for each identifier.

    Notes
    -----
    For each candidate of :func:`normalize_identifier`, in order:

    1. a store ticker wins, unless an alias of the same symbol pointing elsewhere is valid
       at `date` (ticker reuse: ``IR`` meant today's ``TT`` before 2020-03-02, and the store
       files a different company under ``IR``);
    2. else an alias valid at `date` gives its target; with ``date=None`` ("latest") an open
       alias (no end date) is preferred, else the most recent one.

    If no candidate resolves, an exact company name does. Lookups are dictionary hits, so a
    few hundred identifiers resolve in a millisecond or two; only failures pay for the
    fuzzy suggestions (:mod:`difflib`).

    Examples
    --------
    >>> aliases = pd.DataFrame(
    ...     {"alias": ["FB"], "ticker": ["META"], "start_date": [pd.NaT],
    ...      "end_date": [pd.Timestamp("2022-06-09")], "source": ["curated"]}
    ... )
    >>> resolver = IdentifierResolver(["AAPL", "META"], aliases, {"AAPL": "Apple Inc."})
    >>> resolver.resolve("aapl uw equity"), resolver.resolve("FB", "2021-01-04")
    ('AAPL', 'META')
    >>> resolver.resolve("apple inc.")
    'AAPL'
    >>> from hedgekit import UnknownIdentifierError
    >>> try:
    ...     resolver.resolve("FB", "2023-06-01")
    ... except UnknownIdentifierError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    'FB' was renamed to 'META' on 2022-06-09; use 'META'; did you mean META?
    """

    def __init__(
        self,
        tickers: Iterable[str],
        aliases: pd.DataFrame | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self._tickers = _ticker_set(tickers)
        self._aliases: dict[str, list[_Alias]] = {}
        if aliases is not None:
            self._index_aliases(_validate_aliases(aliases, "aliases"))
        self._names: dict[str, list[str]] = {}
        self._name_display: dict[str, str] = {}
        for ticker, name in (names or {}).items():
            key_ticker = ticker.strip().upper() if isinstance(ticker, str) else ""
            if key_ticker not in self._tickers or not isinstance(name, str) or not name.strip():
                continue
            key = _name_key(name)
            self._names.setdefault(key, []).append(key_ticker)
            self._name_display.setdefault(key, " ".join(name.split()))
        pool: dict[str, str] = {t: t for t in self._tickers}
        pool.update({a: a for a in self._aliases})
        pool.update({display.upper(): display for display in self._name_display.values()})
        self._suggestion_pool = pool
        self._suggestion_keys = sorted(pool)

    def _index_aliases(self, table: pd.DataFrame) -> None:
        dropped = 0
        rows = zip(
            table["alias"].tolist(),
            table["ticker"].tolist(),
            table["start_date"].tolist(),
            table["end_date"].tolist(),
            table["source"].tolist(),
            strict=True,
        )
        for alias, ticker, start, end, source in rows:
            if ticker not in self._tickers or alias == ticker:
                dropped += 1
                continue
            record = _Alias(str(alias), str(ticker), _optional(start), _optional(end), str(source))
            self._aliases.setdefault(record.alias, []).append(record)
        for records in self._aliases.values():
            records.sort(key=lambda r: (r.start or pd.Timestamp.min, r.end or pd.Timestamp.max))
        if dropped:
            logger.debug("ignored %d alias rows whose target is not a store ticker", dropped)

    @property
    def known_tickers(self) -> frozenset[str]:
        """The store tickers this resolver maps to."""
        return self._tickers

    def __repr__(self) -> str:
        n_aliases = sum(len(r) for r in self._aliases.values())
        return (
            f"{type(self).__name__}(n_tickers={len(self._tickers)}, n_aliases={n_aliases}, "
            f"n_names={len(self._names)})"
        )

    def resolve(self, identifier: str, date: DateLike | None = None) -> str:
        """The store ticker `identifier` named on `date`.

        Parameters
        ----------
        identifier : str
            Ticker, Bloomberg code, RIC, share-class form, old ticker or company name.
        date : str, datetime.date or numpy.datetime64, optional
            The as-of date; None (default) means the latest meaning of each identifier.

        Returns
        -------
        str
            A member of :attr:`known_tickers`.

        Raises
        ------
        UnknownIdentifierError
            If nothing matches; lists up to five close known tickers, aliases or names and,
            when the identifier is an alias valid at another time, says which ticker to use.
        ConfigurationError
            If `identifier` is empty or not a string, or `date` is not a date.
        """
        when = _as_timestamp(date)
        result = self._resolve_one(identifier, when)
        if isinstance(result, _Failure):
            raise UnknownIdentifierError(result.identifier, result.suggestions, result.detail)
        return result

    def resolve_many(self, identifiers: Iterable[str], date: DateLike | None = None) -> list[str]:
        """Resolve several identifiers, reporting every failure at once.

        Parameters
        ----------
        identifiers : iterable of str
            The identifiers, in the order wanted back.
        date : str, datetime.date or numpy.datetime64, optional
            The as-of date; None means the latest meaning.

        Returns
        -------
        list of str
            One store ticker per identifier, in input order (duplicates kept).

        Raises
        ------
        UnknownIdentifierError
            If any identifier fails: one error whose ``identifier`` is the comma-joined list
            of failures and whose message gives the suggestions for each. A single failure
            raises exactly what :meth:`resolve` would.
        ConfigurationError
            If `identifiers` is a string, any entry is empty or not a string, or `date` is
            not a date.
        """
        if isinstance(identifiers, str):
            raise ConfigurationError(
                f"resolve_many expects a list of identifiers, got the string {identifiers!r}; "
                "use resolve() for one identifier"
            )
        items = list(identifiers)
        blank = [i for i, item in enumerate(items) if not isinstance(item, str) or not item.strip()]
        if blank:
            shown = ", ".join(f"[{i}]={items[i]!r}" for i in blank[:5])
            raise ConfigurationError(
                f"{len(blank)} of {len(items)} identifiers are empty or not strings ({shown}); "
                "remove them or give a ticker for each"
            )
        when = _as_timestamp(date)
        resolved: list[str] = []
        failures: list[_Failure] = []
        for item in items:
            result = self._resolve_one(item, when)
            if isinstance(result, _Failure):
                failures.append(result)
            else:
                resolved.append(result)
        if not failures:
            return resolved
        if len(failures) == 1:
            only = failures[0]
            raise UnknownIdentifierError(only.identifier, only.suggestions, only.detail)
        parts = []
        for failure in failures:
            notes = [failure.detail] if failure.detail else []
            if failure.suggestions:
                notes.append(f"did you mean {', '.join(failure.suggestions)}?")
            parts.append(
                f"{failure.identifier!r} ({'; '.join(notes)})"
                if notes
                else repr(failure.identifier)
            )
        detail = f"{len(failures)} of {len(items)} identifiers did not resolve: " + "; ".join(parts)
        raise UnknownIdentifierError(", ".join(f.identifier for f in failures), (), detail)

    # -- internals -----------------------------------------------------------------------
    def _resolve_one(self, identifier: str, when: pd.Timestamp | None) -> str | _Failure:
        candidates = normalize_identifier(identifier)
        for candidate in candidates:
            found = self._lookup(candidate, when)
            if found is not None:
                return found
        name_hits = self._names.get(_name_key(identifier))
        if name_hits is not None and len(name_hits) == 1:
            return name_hits[0]
        return self._failure(identifier, candidates, when, name_hits)

    def _lookup(self, candidate: str, when: pd.Timestamp | None) -> str | None:
        records = self._aliases.get(candidate)
        if candidate in self._tickers:
            if when is None or not records:
                return candidate
            for record in reversed(records):
                if record.valid_at(when):
                    return record.ticker
            return candidate
        if not records:
            return None
        if when is None:
            open_ended = [r for r in records if r.end is None]
            if open_ended:
                return open_ended[-1].ticker
            return max(records, key=lambda r: r.end or pd.Timestamp.max).ticker
        for record in reversed(records):
            if record.valid_at(when):
                return record.ticker
        return None

    def _failure(
        self,
        identifier: str,
        candidates: Sequence[str],
        when: pd.Timestamp | None,
        name_hits: Sequence[str] | None,
    ) -> _Failure:
        shown = " ".join(identifier.split())
        if name_hits:
            tickers = sorted(set(name_hits))
            return _Failure(
                shown,
                tickers[:_N_SUGGESTIONS],
                f"{self._name_display[_name_key(identifier)]!r} is the name of several "
                f"securities ({', '.join(tickers)}); use a ticker",
            )
        first: list[str] = []
        detail = ""
        if when is not None:
            for candidate in candidates:
                hint = self._alias_hint(candidate, when)
                if hint is not None:
                    first, detail = [hint[0]], hint[1]
                    break
        tried = set(candidates)
        close = [s for s in self._suggest(candidates[0], shown) if s not in tried]
        suggestions = list(dict.fromkeys(first + close))
        return _Failure(shown, suggestions[:_N_SUGGESTIONS], detail)

    def _alias_hint(self, candidate: str, when: pd.Timestamp) -> tuple[str, str] | None:
        """(ticker, explanation) when `candidate` is an alias valid at another time."""
        records = self._aliases.get(candidate)
        if not records:
            return None
        ended = [r for r in records if r.end is not None and r.end <= when]
        if ended:
            # a curated date beats an approximate (snapshot-derived) one
            record = max(
                ended,
                key=lambda r: (not r.source.startswith("derived"), r.end or pd.Timestamp.min),
            )
            on = "on or before" if record.source.startswith("derived") else "on"
            return record.ticker, (
                f"{candidate!r} was renamed to {record.ticker!r} {on} "
                f"{record.end:%Y-%m-%d}; use {record.ticker!r}"
            )
        later = [r for r in records if r.start is not None and r.start > when]
        if later:
            record = min(later, key=lambda r: r.start or pd.Timestamp.max)
            return record.ticker, (
                f"{candidate!r} only named {record.ticker!r} from {record.start:%Y-%m-%d}; "
                f"on {when:%Y-%m-%d} use {record.ticker!r}"
            )
        return None

    def _suggest(self, normalized: str, shown: str) -> list[str]:
        """Up to five known tickers, aliases or names closest to the identifier."""
        scored: dict[str, float] = {}
        for query in dict.fromkeys((normalized[:64], shown.upper()[:64])):
            for key in difflib.get_close_matches(
                query, self._suggestion_keys, n=_N_SUGGESTIONS, cutoff=0.6
            ):
                ratio = difflib.SequenceMatcher(None, query, key).ratio()
                scored[key] = max(scored.get(key, 0.0), ratio)
        ranked = sorted(scored, key=lambda k: (-scored[k], k))
        return [self._suggestion_pool[k] for k in ranked[:_N_SUGGESTIONS]]
