"""Identifier normalisation: from what a user types to candidate store tickers.

Users name securities in many dialects: plain tickers in any case, Bloomberg codes
(``AAPL UW``, ``BRK/B US Equity``), Reuters RICs (``AAPL.OQ``, ``BRKb.N``), share classes
written ``BRK.B``, ``BRK/B`` or ``BRK B``, old tickers (``FB``) and company names. A
hedgekit store files every security under one Yahoo-style ticker (``BRK-B``), usually the
*latest* one, because Yahoo keeps a renamed company's whole history under its new symbol.

Resolution runs in two steps:

1. :func:`normalize_identifier` (this module) turns the text into candidate store tickers,
   best first (pure string work, no data needed);
2. :class:`~hedgekit.data._resolver.IdentifierResolver` picks the first candidate that
   names a security at the requested date: a store ticker, else an alias (old ticker) valid
   at that date (:mod:`hedgekit.data._aliases`), else an exact company name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hedgekit._errors import ConfigurationError

__all__ = ["normalize_identifier"]

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
