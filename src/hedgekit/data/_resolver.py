"""Identifier resolution, point in time: user identifiers to the tickers a store holds.

:class:`IdentifierResolver` tries the candidates of
:func:`~hedgekit.data._identifiers.normalize_identifier` in order and takes the first that
names a security at the requested date: a store ticker, else an alias valid at that date
(alias tables from :mod:`hedgekit.data._aliases`), else an exact company name. A failure
says why (an alias valid at another time) and suggests the closest known tickers, aliases
and names.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, UnknownIdentifierError
from hedgekit.data._aliases import _Alias, _validate_aliases
from hedgekit.data._identifiers import _ticker_set, normalize_identifier
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["IdentifierResolver"]

logger = logging.getLogger(__name__)

_N_SUGGESTIONS = 5


class _Failure(NamedTuple):
    """Why one identifier did not resolve."""

    identifier: str
    suggestions: list[str]
    detail: str


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
