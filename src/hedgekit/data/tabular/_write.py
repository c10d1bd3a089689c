"""Write validated rows into one store table, in one transaction: merge or replace.

After prices, the securities the prices name are added or have their price span
refreshed; after other tables, tickers the store does not know are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import numpy as np
import pandas as pd

from hedgekit.data._bundle import ImportReport
from hedgekit.data._schema import TABLES, TableSpec
from hedgekit.data._store import Store, Transaction
from hedgekit.data._validate import coerce_table

__all__ = ["ImportMode"]


class ImportMode(StrEnum):
    """What an import does with the rows a table already holds."""

    MERGE = "merge"
    """Upsert by the table's key: file rows replace rows with the same key, others stay."""
    REPLACE = "replace"
    """The file becomes the table's whole content."""


# tables whose tickers should be securities of the store (the import warns about others)
_TICKER_TABLES = frozenset(
    {
        "classifications",
        "corporate_actions",
        "descriptions",
        "fundamentals",
        "fundamentals_snapshots",
        "hard_to_borrow",
        "index_membership",
        "restricted",
        "scores",
    }
)
_DERIVED_PREFIX = "derived:"


def _keep_stored_columns(
    existing: pd.DataFrame, clean: pd.DataFrame, spec: TableSpec, given: frozenset[str]
) -> tuple[pd.DataFrame, int]:
    """For file rows already stored, take the columns the file lacks from the store.

    Returns the rows and how many of them matched a stored row.
    """
    key = list(spec.key)
    absent = [c for c in spec.columns if c not in given and c not in key]
    if not absent or existing.empty:
        return clean, 0
    stored = existing.set_index(key)[absent]
    wanted = pd.MultiIndex.from_frame(clean[key]) if len(key) > 1 else pd.Index(clean[key[0]])
    position = stored.index.get_indexer(wanted)
    hit = position >= 0
    if not hit.any():
        return clean, 0
    out = clean.copy()
    rows = np.flatnonzero(hit)
    for col in absent:
        old = stored[col].iloc[position[hit]].reset_index(drop=True)
        new = out[col].iloc[rows].reset_index(drop=True)
        merged = out[col].copy()
        merged.iloc[rows] = old.where(old.notna(), new).array
        out[col] = merged
    return out, int(hit.sum())


def _write(
    clean: pd.DataFrame,
    given: frozenset[str],
    spec: TableSpec,
    store: Store | None,
    mode: ImportMode,
    source: str,
    report: ImportReport,
    keep: Callable[[pd.DataFrame, pd.DataFrame], pd.Series] | None = None,
) -> None:
    """Upsert (merge) or replace ``spec.name`` with ``clean`` in one transaction.

    A merge takes the columns the file lacks (not in ``given``) of rows already stored
    from the store. ``keep(existing, clean)`` marks existing rows that a replace keeps
    (those the file does not own, e.g. other scores).
    """
    store = store if store is not None else Store()
    name = spec.name
    key = list(spec.key)
    with store.transaction(source=f"{source} ({name}, {mode.value})") as tx:
        existing = tx.read(name)
        if len(existing):
            existing = existing.astype(clean.dtypes.to_dict())
        if mode is ImportMode.REPLACE:
            kept = existing[keep(existing, clean).to_numpy(dtype=bool)] if keep else existing[:0]
            if len(existing) - len(kept):
                report.derived["rows_removed"] = len(existing) - len(kept)
            base = kept
        else:
            base = existing
            clean, updated = _keep_stored_columns(existing, clean, spec, given)
            if updated:
                report.derived["rows_keeping_stored_columns"] = updated
        combined = pd.concat([base, clean], ignore_index=True) if len(base) else clean
        stale = combined.duplicated(subset=key, keep="last").to_numpy(dtype=bool)
        if stale.any():
            report.derived["rows_replaced"] = int(stale.sum())
            combined = combined[~stale]
        if spec.sort:
            combined = combined.sort_values(list(spec.sort), kind="stable")
        combined = combined.reset_index(drop=True)
        if mode is ImportMode.REPLACE and name == "corporate_actions" and keep is None:
            derived = existing["details"].astype("string").str.startswith(_DERIVED_PREFIX)
            if derived.fillna(False).any():
                report.warnings.append(
                    f"replace removed {int(derived.fillna(False).sum())} corporate action(s) "
                    "derived from prices (distributions); re-import the bundle to restore them"
                )
        tx.write(name, combined)
        report.rows[name] = len(clean)
        report.derived["rows_in_table"] = len(combined)
        if name == "prices":
            _sync_securities(store, tx, combined, clean, report)
        elif name in _TICKER_TABLES and store.has("securities"):
            known = set(tx.read("securities")["ticker"].dropna())
            unknown = sorted(set(clean["ticker"].dropna()) - known)
            if unknown:
                report.warnings.append(
                    f"{len(unknown)} ticker(s) are not securities of the store (check the "
                    f"identifiers, or import their prices): {', '.join(unknown[:10])}"
                    + (" ..." if len(unknown) > 10 else "")
                )


def _sync_securities(
    store: Store,
    tx: Transaction,
    prices: pd.DataFrame,
    clean: pd.DataFrame,
    report: ImportReport,
) -> None:
    """Add minimal securities rows for new price tickers; refresh their price spans."""
    if not store.has("securities"):
        report.warnings.append(
            "the store has no securities table, and securities list the tickers a market "
            "offers: import one (import_table(..., 'securities') / hedgekit data "
            "import-table FILE --table securities) or a bundle"
        )
        return
    sec = tx.read("securities")
    touched = pd.unique(clean["ticker"].dropna())
    new = sorted(set(touched) - set(sec["ticker"].dropna()))
    if new:
        rows = pd.DataFrame({"ticker": new, "currency": "USD"})
        added = coerce_table(rows, TABLES["securities"], "securities (added for new prices)")
        sec = pd.concat([sec, added.astype(sec.dtypes.to_dict())], ignore_index=True)
        report.derived["securities_added"] = len(new)
        report.warnings.append(
            f"added {len(new)} securities row(s) with only a ticker and currency USD (no name, "
            f"GICS or country) for new tickers: {', '.join(new[:10])}"
            + (" ..." if len(new) > 10 else "")
            + "; import a securities file to describe them"
        )
    span = prices[prices["ticker"].isin(touched)].groupby("ticker", observed=True)["date"]
    first, last = span.min(), span.max()
    hit = sec["ticker"].isin(touched).to_numpy(dtype=bool)
    tickers = sec.loc[hit, "ticker"]
    sec.loc[hit, "first_price_date"] = tickers.map(first).to_numpy()
    sec.loc[hit, "last_price_date"] = tickers.map(last).to_numpy()
    sec = sec.sort_values("ticker", kind="stable").reset_index(drop=True)
    tx.write("securities", sec)
