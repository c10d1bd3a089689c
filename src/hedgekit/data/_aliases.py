"""Alias tables and issuer groups: which tickers name one issuer, and when.

Aliases (old or alternative tickers, valid on ``[start_date, end_date)``) come from two
sources: :func:`load_known_ticker_changes` (a curated, dated list bundled with hedgekit)
and :func:`derive_aliases` (renames found in point-in-time index snapshots by following
each issuer's CIK). :func:`share_class_groups` groups the tickers of one issuer
(``GOOGL``/``GOOG``), which a hedge must not treat as independent securities. Every table
is checked once, here, at the boundary; the resolver (:mod:`hedgekit.data._resolver`)
trusts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, MalformedDataError
from hedgekit.data._identifiers import _ticker_set

__all__ = ["derive_aliases", "load_known_ticker_changes", "share_class_groups"]

#: Columns of an alias table (see the ``aliases`` table of the store schema).
ALIAS_COLUMNS: tuple[str, ...] = ("alias", "ticker", "start_date", "end_date", "source")


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
