"""The GICS hierarchy: sector, industry group, industry and sub-industry.

Market data usually carries only the GICS sector and sub-industry of a security.
This module fills in the two middle levels from the bundled table
``_bundled/gics.csv``, which holds the structure of the March 2023 GICS revision
(11 sectors, 25 industry groups, 74 industries, 163 sub-industries; ``status`` is
``'current'``) plus the sub-industry names of the previous revision that still
occur in real data, at the place they had before they were renamed, merged or
moved (``status`` is ``'legacy'``).

Names are matched tolerantly: case, ``&`` versus ``and``, punctuation and
whitespace are ignored, so ``'information technology'``, ``'Multiline Insurance'``
and ``' Hotels, Resorts and Cruise Lines'`` all resolve. The canonical spelling is
always the one in the table.

Examples
--------
>>> from hedgekit.data._gics import gics_levels, resolve_gics_name
>>> gics_levels("Application Software")["gics_industry"]
'Software'
>>> resolve_gics_name("sector", "information technology")
'Information Technology'
"""

from __future__ import annotations

import difflib
import logging
import re
from functools import cache
from importlib import resources
from typing import Final

import pandas as pd

from hedgekit._errors import ConfigurationError, MalformedDataError

__all__ = [
    "GICS_LEVELS",
    "GICS_SECTORS",
    "fill_gics_levels",
    "gics_levels",
    "load_gics",
    "resolve_gics_name",
]

logger = logging.getLogger(__name__)

#: The four levels of the hierarchy, broadest first, as named in ``gics.csv``.
GICS_LEVELS: Final[tuple[str, ...]] = ("sector", "industry_group", "industry", "sub_industry")

#: The 11 GICS sectors in code order (10 Energy ... 60 Real Estate).
GICS_SECTORS: Final[tuple[str, ...]] = (
    "Energy",
    "Materials",
    "Industrials",
    "Consumer Discretionary",
    "Consumer Staples",
    "Health Care",
    "Financials",
    "Information Technology",
    "Communication Services",
    "Utilities",
    "Real Estate",
)

_COLUMNS: Final[tuple[str, ...]] = (*GICS_LEVELS, "status")
_OUTPUT: Final[dict[str, str]] = {level: f"gics_{level}" for level in GICS_LEVELS}
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_N_SUGGESTIONS = 5


def _key(name: str) -> str:
    """Return the matching key of a GICS name.

    Lower case, ``&`` read as ``and``, every character other than a letter or a
    digit dropped: ``'Hotels, Resorts & Cruise Lines'`` and
    ``'hotels resorts and cruise lines'`` share the key
    ``'hotelsresortsandcruiselines'``.
    """
    return _NON_ALNUM.sub("", name.lower().replace("&", "and"))


def _key_series(names: pd.Series) -> pd.Series:
    """Vectorised :func:`_key`; missing values stay missing."""
    return (
        names.astype("string")
        .str.lower()
        .str.replace("&", "and", regex=False)
        .str.replace(_NON_ALNUM.pattern, "", regex=True)
    )


@cache
def _table() -> pd.DataFrame:
    """Read and check the bundled table once per process."""
    source = resources.files("hedgekit.data").joinpath("_bundled", "gics.csv")
    with source.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype=str, keep_default_na=False)
    if tuple(table.columns) != _COLUMNS:
        raise MalformedDataError(
            "hedgekit/data/_bundled/gics.csv",
            f"expected the columns {', '.join(_COLUMNS)}, got {', '.join(table.columns)}",
        )
    return table


def load_gics() -> pd.DataFrame:
    """Return the bundled GICS table.

    Returns
    -------
    pandas.DataFrame
        One row per sub-industry (a renamed or moved sub-industry has one row per
        place it had) with the columns ``sector``, ``industry_group``,
        ``industry``, ``sub_industry`` and ``status`` (``'current'`` for the
        March 2023 structure, ``'legacy'`` for names of the previous revision).
        The file is read once; each call returns a fresh copy.

    Examples
    --------
    >>> gics = load_gics()
    >>> gics.loc[gics["status"] == "current", "sub_industry"].nunique()
    163
    """
    return _table().copy()


@cache
def _rows() -> tuple[dict[str, int], dict[str, int]]:
    """Index the table rows for lookups.

    Returns
    -------
    by_pair : dict of str to int
        ``'<sub-industry key>|<sector key>'`` to the row position.
    by_sub : dict of str to int
        Sub-industry key to the position of its preferred row: the current one
        if the name is current, else its legacy row.
    """
    table = _table()
    sub_keys = [_key(name) for name in table["sub_industry"]]
    sector_keys = [_key(name) for name in table["sector"]]
    by_pair: dict[str, int] = {}
    by_sub: dict[str, int] = {}
    for pos, (sub, sector, status) in enumerate(
        zip(sub_keys, sector_keys, table["status"], strict=True)
    ):
        by_pair.setdefault(f"{sub}|{sector}", pos)
        if sub not in by_sub or status == "current":
            by_sub[sub] = pos
    return by_pair, by_sub


@cache
def _canonical(level: str) -> dict[str, str]:
    """Map the key of every name at ``level`` to its canonical spelling."""
    names = _table()[level].drop_duplicates()
    return {_key(name): name for name in names}


def _check_level(level: str) -> None:
    if level not in GICS_LEVELS:
        raise ConfigurationError(
            f"unknown GICS level {level!r}; use one of {', '.join(map(repr, GICS_LEVELS))}"
        )


def _canonical_sector(sector: object) -> str | None:
    """Canonical spelling of a sector, the input unchanged if unknown, None if missing."""
    if not isinstance(sector, str):
        return None
    return _canonical("sector").get(_key(sector), sector)


def gics_levels(sub_industry: str | None, sector: str | None = None) -> dict[str, str | None]:
    """Return the four GICS levels of a sub-industry.

    Parameters
    ----------
    sub_industry : str or None
        A GICS sub-industry name, current or legacy; matched ignoring case,
        ``&`` versus ``and``, punctuation and whitespace.
    sector : str or None, default None
        The sector recorded beside the sub-industry, if any. It picks the legacy
        place of a sub-industry that moved between sectors (e.g. Data Processing
        & Outsourced Services was Information Technology before March 2023 and
        is Industrials since); otherwise the current place wins.

    Returns
    -------
    dict of str to str or None
        Keys ``gics_sector``, ``gics_industry_group``, ``gics_industry`` and
        ``gics_sub_industry``. For a known sub-industry all four come from the
        table, canonically spelt, so the hierarchy is always consistent. For an
        unknown or missing sub-industry the given sector (canonically spelt if
        it is a GICS sector) and sub-industry are kept and the middle levels
        are None.

    Examples
    --------
    >>> gics_levels("technology hardware, storage and peripherals")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'gics_sector': 'Information Technology',
     'gics_industry_group': 'Technology Hardware & Equipment',
     'gics_industry': 'Technology Hardware, Storage & Peripherals',
     'gics_sub_industry': 'Technology Hardware, Storage & Peripherals'}
    >>> gics_levels("Data Processing & Outsourced Services", "Information Technology")[
    ...     "gics_industry"
    ... ]
    'IT Services'
    >>> gics_levels(None, "energy")["gics_sector"]
    'Energy'
    """
    pos: int | None = None
    if isinstance(sub_industry, str):
        by_pair, by_sub = _rows()
        sub_key = _key(sub_industry)
        if isinstance(sector, str):
            pos = by_pair.get(f"{sub_key}|{_key(sector)}")
        if pos is None:
            pos = by_sub.get(sub_key)
    if pos is None:
        return {
            "gics_sector": _canonical_sector(sector),
            "gics_industry_group": None,
            "gics_industry": None,
            "gics_sub_industry": sub_industry if isinstance(sub_industry, str) else None,
        }
    row = _table().iloc[pos]
    return {_OUTPUT[level]: str(row[level]) for level in GICS_LEVELS}


def fill_gics_levels(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a frame with all four GICS levels filled in.

    Parameters
    ----------
    df : pandas.DataFrame
        Any frame with the columns ``gics_sector`` and ``gics_sub_industry``
        (missing values allowed), e.g. the securities table.

    Returns
    -------
    pandas.DataFrame
        A copy with ``gics_industry_group`` and ``gics_industry`` inserted after
        ``gics_sector`` (or updated if present). Where the sub-industry is known
        (see :func:`gics_levels`, vectorised here) all four levels are set from
        the table: a missing sector is inferred, names are canonically spelt. Where
        it is unknown or missing, a sector that is a GICS sector is canonically
        spelt, other values are kept, and the middle levels keep their previous
        value or are missing.

    Raises
    ------
    MalformedDataError
        If ``gics_sector`` or ``gics_sub_industry`` is absent.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"gics_sector": [None, "energy"], "gics_sub_industry": ["Regional Banks", None]}
    ... )
    >>> fill_gics_levels(frame)
      gics_sector gics_industry_group gics_industry gics_sub_industry
    0  Financials               Banks         Banks    Regional Banks
    1      Energy                <NA>          <NA>              <NA>
    """
    missing = [c for c in ("gics_sector", "gics_sub_industry") if c not in df.columns]
    if missing:
        raise MalformedDataError(
            "frame passed to fill_gics_levels",
            f"missing column(s) {', '.join(missing)}; it needs gics_sector and "
            "gics_sub_industry (either may hold missing values)",
        )
    by_pair, by_sub = _rows()
    table = _table()
    sub_key = _key_series(df["gics_sub_industry"])
    sector_key = _key_series(df["gics_sector"])
    pair = sub_key + "|" + sector_key.fillna("")
    pos = pair.map(by_pair).astype("Int64")
    pos = pos.fillna(sub_key.map(by_sub).astype("Int64"))
    known = pos.notna()

    out = df.copy()
    previous = "gics_sector"
    for level in ("industry_group", "industry"):
        column = _OUTPUT[level]
        if column not in out.columns:
            at = list(out.columns).index(previous) + 1
            out.insert(at, column, pd.Series(pd.NA, index=out.index, dtype="string"))
        previous = column
    out["gics_sector"] = (
        sector_key.map(_canonical("sector"))
        .fillna(df["gics_sector"].astype("string"))
        .astype("string")
    )
    for level in GICS_LEVELS:
        column = _OUTPUT[level]
        derived = pos.map(table[level]).astype("string")
        out[column] = derived.where(known, out[column].astype("string"))
    overridden = known & sector_key.notna() & (sector_key != _key_series(out["gics_sector"]))
    if overridden.any():
        logger.info(
            "fill_gics_levels replaced %d recorded sector(s) that contradict their sub-industry",
            int(overridden.sum()),
        )
    return out


def resolve_gics_name(level: str, name: str) -> str:
    """Return the canonical spelling of a GICS name given by a user.

    Parameters
    ----------
    level : {'sector', 'industry_group', 'industry', 'sub_industry'}
        The level the name belongs to.
    name : str
        The name, matched ignoring case, ``&`` versus ``and``, punctuation and
        whitespace. Legacy names in the table resolve too.

    Returns
    -------
    str
        The name as spelt in the bundled table.

    Raises
    ------
    ConfigurationError
        If ``level`` is not one of the four levels, or ``name`` matches no name at
        that level; the message lists the closest valid names.

    Examples
    --------
    >>> resolve_gics_name("industry", "semiconductors and semiconductor equipment")
    'Semiconductors & Semiconductor Equipment'
    >>> resolve_gics_name("sector", "Infotech")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hedgekit._errors.ConfigurationError: unknown GICS sector 'Infotech'; did you mean ...
    """
    _check_level(level)
    names = _canonical(level)
    found = names.get(_key(name)) if isinstance(name, str) else None
    if found is not None:
        return found
    label = level.replace("_", "-" if level == "sub_industry" else " ")
    by_lower = {canonical.lower(): canonical for canonical in names.values()}
    query = str(name).strip().lower()
    close = difflib.get_close_matches(query, by_lower, n=_N_SUGGESTIONS, cutoff=0.0)
    msg = f"unknown GICS {label} {name!r}; did you mean " + ", ".join(
        repr(by_lower[c]) for c in close
    )
    if level == "sector":
        msg += f"? The sectors are {', '.join(GICS_SECTORS)}"
    else:
        msg += f"? hedgekit.data._gics.load_gics() lists all {len(names)} {label} names"
    raise ConfigurationError(msg)
