"""Import a hedgekit bundle: a directory of Parquet or CSV files (see docs/bundle_format.md).

The layout is the one of ``../shared/data/us_equities``: ``prices`` and
``securities`` are required, everything else optional. Each file may be
``<name>.parquet`` or ``<name>.csv``. The import validates every file, derives
aliases (ticker changes) and distributions, and commits all tables in one transaction.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hedgekit._errors import DataError, MalformedDataError
from hedgekit.data._aliases import derive_aliases, load_known_ticker_changes
from hedgekit.data._corporate import detect_distributions
from hedgekit.data._geography import regions_of
from hedgekit.data._gics import GICS_SECTORS, fill_gics_levels, gics_levels
from hedgekit.data._schema import TABLES
from hedgekit.data._store import Store
from hedgekit.data._validate import coerce_table

__all__ = ["BUNDLE_FILES", "ImportReport", "import_bundle", "read_bundle_file"]

logger = logging.getLogger(__name__)

#: bundle file stem -> store table
BUNDLE_FILES: dict[str, str] = {
    "prices": "prices",
    "securities": "securities",
    "benchmarks": "benchmarks",
    "gics_history": "classifications",
    "index_membership": "index_membership",
    "descriptions": "descriptions",
    "fundamentals_annual": "fundamentals",
    "fundamentals_snapshots": "fundamentals_snapshots",
    "fama_french_daily": "fama_french",
    "aliases": "aliases",
    "hard_to_borrow": "hard_to_borrow",
    "restricted": "restricted",
    "scores": "scores",
    "corporate_actions": "corporate_actions",
}
_REQUIRED = ("prices", "securities")


@dataclass
class ImportReport:
    """What an import wrote: rows per table, derived records, warnings, timing, and the
    data's known limits."""

    source: str
    rows: dict[str, int] = field(default_factory=dict)
    derived: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    synthetic: bool = False
    #: the data's known limits, derived by the quality checks (see MarketData.limits)
    limits: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Plain-dict form for JSON output."""
        return {
            "source": self.source,
            "rows": dict(self.rows),
            "derived": dict(self.derived),
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 2),
            "synthetic": self.synthetic,
            "limits": list(self.limits),
        }


def read_bundle_file(path: Path) -> pd.DataFrame:
    """Read one Parquet or CSV file; unreadable files raise MalformedDataError."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise MalformedDataError(
            str(path), f"cannot read the file ({exc}); is it a valid {path.suffix[1:]} file?"
        ) from exc


def _find(directory: Path, stem: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        p = directory / f"{stem}{ext}"
        if p.exists():
            return p
    return None


#: known mislabels in public constituent lists: wrong value -> GICS name
_LABEL_FIXES: dict[str, str] = {
    "Industries": "Industrials",
    "Technology": "Information Technology",
    "Telecommunications Services": "Telecommunication Services",
    "Life Sciences Tolls & Services": "Life Sciences Tools & Services",
    "Cybersecurity Company": "Systems Software",
}


#: tables whose rows name a ticker as it was on a date: table -> that date column
_DATED_TICKERS: dict[str, str] = {
    "fundamentals": "publish_date",
    "fundamentals_snapshots": "snapshot_date",
    "classifications": "snapshot_date",
    "descriptions": "as_of",
    "index_membership": "end_date",  # intervals: renamed when they overlap the alias
}


_INTERVAL_SLACK = pd.Timedelta(days=10)


def _apply_aliases(
    frame: pd.DataFrame, date_col: str, aliases: pd.DataFrame, tickers: set[str]
) -> tuple[pd.DataFrame, int]:
    """Rename old tickers to the store ticker on rows dated inside an alias's validity.

    Membership intervals (``date_col='end_date'``) that overlap the alias's validity are
    split at its bounds: the part inside is renamed. The part after the alias ends keeps
    the old ticker only when the old ticker is a security of its own in the store (reused
    by another company, like IR); otherwise the company simply kept trading under its new
    ticker and that part is renamed too. Parts shorter than 10 days are taken for the index
    provider's lag and renamed.
    """
    if aliases.empty or frame.empty:
        return frame, 0
    if date_col == "end_date":
        return _split_intervals(frame, aliases, tickers)
    out = frame.copy()
    ticker = out["ticker"].astype("string")
    dates = out[date_col]
    moved = 0
    records: list[dict[Any, Any]] = aliases.to_dict("records")
    for row in records:
        hit = ticker == row["alias"]
        if pd.notna(row["start_date"]):
            hit &= dates >= row["start_date"]
        if pd.notna(row["end_date"]):
            hit &= dates < row["end_date"]
        mask = hit.fillna(False).to_numpy(dtype=bool)
        if mask.any():
            out.loc[mask, "ticker"] = row["ticker"]
            moved += int(mask.sum())
    return out, moved


def _split_intervals(
    frame: pd.DataFrame, aliases: pd.DataFrame, tickers: set[str]
) -> tuple[pd.DataFrame, int]:
    never = pd.Timestamp("2262-01-01")
    by_alias: dict[str, list[dict[Any, Any]]] = {}
    for rec in aliases.to_dict("records"):
        by_alias.setdefault(str(rec["alias"]), []).append(rec)
    rows: list[dict[Any, Any]] = []
    moved = 0
    for rec in frame.to_dict("records"):
        pieces = [rec]
        for al in by_alias.get(str(rec["ticker"]), []):
            lo = al["start_date"] if pd.notna(al["start_date"]) else pd.Timestamp.min
            hi = al["end_date"] if pd.notna(al["end_date"]) else never
            next_pieces = []
            for piece in pieces:
                start = piece["start_date"]
                end = piece["end_date"] if pd.notna(piece["end_date"]) else never
                if piece["ticker"] != al["alias"] or not (start < hi and end > lo):
                    next_pieces.append(piece)
                    continue
                inner_start, inner_end = max(start, lo), min(end, hi)
                if inner_start - start < _INTERVAL_SLACK:
                    inner_start = start
                if end - inner_end < _INTERVAL_SLACK or al["alias"] not in tickers:
                    inner_end = end
                if start < inner_start:
                    next_pieces.append({**piece, "end_date": inner_start})
                next_pieces.append(
                    {
                        **piece,
                        "ticker": al["ticker"],
                        "start_date": inner_start,
                        "end_date": pd.NaT if inner_end == never else inner_end,
                    }
                )
                if inner_end < end:
                    next_pieces.append({**piece, "start_date": inner_end})
                moved += 1
            pieces = next_pieces
        rows.extend(pieces)
    out = pd.DataFrame(rows, columns=frame.columns)
    for col in ("start_date", "end_date"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    return out, moved


def _repair_fiscal_years(raw: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Set the fiscal year from the period end where it is missing, shared by two
    statements of one company, or more than a year away from the period end."""
    if "period_end" not in raw.columns or "fiscal_year" not in raw.columns:
        return raw
    out = raw.copy()
    period_end = pd.to_datetime(out["period_end"], errors="coerce")
    fy = pd.to_numeric(out["fiscal_year"], errors="coerce")
    key = ["ticker", "source"] if "source" in out.columns else ["ticker"]
    tmp = out[key].assign(fy=fy, pe=period_end)
    clash = tmp.duplicated([*key, "fy"], keep=False) & ~tmp.duplicated(
        [*key, "fy", "pe"], keep=False
    )
    implausible = (fy - period_end.dt.year).abs() > 1  # e.g. 1215 for a 2015-12-31 period end
    fix = (fy.isna() | clash | implausible.fillna(False)) & period_end.notna()
    if fix.any():
        out.loc[fix, "fiscal_year"] = period_end[fix].dt.year
        report.derived["fiscal_years_repaired"] = int(fix.sum())
    return out


def _clean_classifications(frame: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    """Repair the label slips of public constituent snapshots, counting each repair.

    - a sub-industry written in the sector column (whole 2023-03-07 snapshot): moved across;
    - misspelt or non-GICS labels (``_LABEL_FIXES``): replaced.
    """
    out = frame.copy()
    fixes = 0
    for col in ("gics_sector", "gics_sub_industry"):
        if col in out.columns:
            vals = out[col].astype("string")
            hit = vals.isin(list(_LABEL_FIXES))
            fixes += int(hit.sum())
            out[col] = vals.replace(_LABEL_FIXES)
    if "gics_sector" in out.columns and "gics_sub_industry" in out.columns:
        sector = out["gics_sector"].astype("string")
        legacy_sectors = {*GICS_SECTORS, "Telecommunication Services"}
        odd = sector.notna() & ~sector.isin(legacy_sectors) & out["gics_sub_industry"].isna()
        if odd.any():
            moved = sector[odd]
            out.loc[odd, "gics_sub_industry"] = moved
            out.loc[odd, "gics_sector"] = moved.map(
                lambda v: gics_levels(str(v))["gics_sector"]
            ).astype("string")
            fixes += int(odd.sum())
    if fixes:
        report.derived["classification_fixes"] = (
            report.derived.get("classification_fixes", 0) + fixes
        )
    return out


def _prepare_securities(
    sec: pd.DataFrame, prices: pd.DataFrame, report: ImportReport
) -> pd.DataFrame:
    sec = fill_gics_levels(_clean_classifications(sec, report))
    if "currency" not in sec.columns or sec["currency"].isna().all():
        sec["currency"] = "USD"
    sec["currency"] = sec["currency"].fillna("USD")
    currencies = set(sec["currency"].dropna().str.upper())
    if currencies - {"USD"}:
        raise MalformedDataError(
            "securities",
            f"securities are quoted in {sorted(currencies)}; hedgekit stores one currency "
            "(USD) and has no FX rates: convert prices to USD before importing",
            column="currency",
        )
    sec["region"] = sec.get("region", pd.Series(pd.NA, index=sec.index)).fillna(
        regions_of(sec["country"]) if "country" in sec.columns else pd.NA
    )
    span = prices.groupby("ticker", observed=True)["date"].agg(["min", "max"])
    price_tickers = set(span.index)
    missing = sorted(price_tickers - set(sec["ticker"]))
    if missing:
        report.warnings.append(
            f"{len(missing)} ticker(s) have prices but no securities row (added with empty "
            f"names and classifications): {', '.join(missing[:10])}"
        )
        sec = pd.concat([sec, pd.DataFrame({"ticker": missing, "currency": "USD"})])
    sec = sec.set_index("ticker")
    sec["first_price_date"] = span["min"].reindex(sec.index)
    sec["last_price_date"] = span["max"].reindex(sec.index)
    return sec.reset_index()


def import_bundle(
    directory: str | Path,
    store: Store | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Validate a bundle directory and commit it to the store atomically.

    Tables the bundle provides replace the store's; tables it lacks are kept.

    Parameters
    ----------
    directory : path-like
        Directory holding ``prices.parquet`` (or ``.csv``), ``securities`` and
        optional files; see ``BUNDLE_FILES``.
    store : Store, optional
        Target store; defaults to the data home.
    progress : callable, optional
        Receives one short message per step (the CLI shows them).

    Returns
    -------
    ImportReport

    Raises
    ------
    DataError
        The directory or a required file is missing.
    MalformedDataError
        A file breaks the format; nothing is written.
    """
    t0 = time.perf_counter()
    directory = Path(directory).expanduser()
    store = store if store is not None else Store()
    say = progress or (lambda _msg: None)
    if not directory.is_dir():
        raise DataError(
            f"bundle directory {str(directory)!r} does not exist; pass the folder that holds "
            "prices.parquet and securities.parquet (e.g. ../shared/data/us_equities)"
        )
    found = {stem: _find(directory, stem) for stem in BUNDLE_FILES}
    absent = [s for s in _REQUIRED if found[s] is None]
    if absent:
        raise DataError(
            f"{directory} is not a hedgekit bundle: missing "
            f"{', '.join(s + '.parquet' for s in absent)} (see docs/bundle_format.md)"
        )
    manifest: dict[str, object] = {}
    if (directory / "manifest.json").exists():
        try:
            manifest = json.loads((directory / "manifest.json").read_text())
        except json.JSONDecodeError as exc:
            raise MalformedDataError(
                str(directory / "manifest.json"), f"invalid JSON ({exc.msg} at line {exc.lineno})"
            ) from exc
    report = ImportReport(source=str(directory), synthetic=bool(manifest.get("synthetic", False)))

    frames: dict[str, pd.DataFrame] = {}
    repairs: dict[str, int] = {}
    for stem, table in BUNDLE_FILES.items():
        path = found[stem]
        if path is None:
            continue
        say(f"reading {path.name}")
        raw = read_bundle_file(path)
        if table == "index_membership" and "index" not in raw.columns:
            raw["index"] = "SPX"
        if table == "prices" and "currency" in raw.columns:
            cur = set(raw["currency"].dropna().astype(str).str.upper())
            if cur - {"USD"}:
                raise MalformedDataError(
                    str(path),
                    f"prices in {sorted(cur)} without FX rates; convert to USD first",
                    column="currency",
                )
        if table == "fundamentals":
            raw = _repair_fiscal_years(raw, report)
        frames[table] = coerce_table(
            raw, TABLES[table], str(path), duplicates="repair", repairs=repairs
        )

    prices = frames["prices"]
    say("deriving securities, aliases and distributions")
    sec = _prepare_securities(frames["securities"], prices, report)
    frames["securities"] = coerce_table(sec, TABLES["securities"], "securities (derived)")
    tickers = set(frames["securities"]["ticker"])
    if "classifications" in frames:
        frames["classifications"] = _clean_classifications(frames["classifications"], report)

    # curated first: it wins over the approximate dates derived from snapshots
    alias_parts = [load_known_ticker_changes()]
    if "classifications" in frames:
        alias_parts.append(derive_aliases(frames["classifications"], tickers))
    if "aliases" in frames:
        alias_parts.append(frames["aliases"])
    aliases = pd.concat([a for a in alias_parts if len(a)], ignore_index=True)
    if len(aliases):
        aliases = aliases[aliases["ticker"].isin(tickers)]
        aliases = aliases.drop_duplicates(subset=["alias", "ticker", "start_date"], keep="first")
    frames["aliases"] = coerce_table(aliases, TABLES["aliases"], "aliases (derived)")
    report.derived["aliases"] = len(frames["aliases"])

    moved_total = 0
    for table, date_col in _DATED_TICKERS.items():
        if table in frames:
            moved, count = _apply_aliases(frames[table], date_col, frames["aliases"], tickers)
            if count:
                moved_total += count
                frames[table] = coerce_table(
                    moved, TABLES[table], f"{table} (renamed tickers)",
                    duplicates="repair", repairs=repairs,
                )  # fmt: skip
    report.derived["rows_renamed_to_current_ticker"] = moved_total

    derived = detect_distributions(prices)
    report.derived["distributions"] = len(derived)
    given = frames.get("corporate_actions")
    actions = derived if given is None else pd.concat([given, derived], ignore_index=True)
    actions = actions.drop_duplicates(
        subset=["ticker", "action_type", "effective_date"], keep="first"
    )
    frames["corporate_actions"] = coerce_table(
        actions, TABLES["corporate_actions"], "corporate_actions"
    )

    for what, count in repairs.items():
        report.warnings.append(f"{what}: {count}")
    unknown = sorted(set(frames.get("index_membership", prices)["ticker"]) - tickers)
    if unknown and "index_membership" in frames:
        report.warnings.append(
            f"{len(unknown)} index member(s) have no prices (left the index before the price "
            f"history or delisted; survivorship bias): {', '.join(unknown[:8])}..."
        )

    meta: dict[str, Any] = {
        "demo_target": manifest.get("demo_target"),
        "synthetic": report.synthetic,
        "bundle": manifest.get("name", directory.name),
        "bundle_path": str(directory.resolve()),
    }
    meta["import_warnings"] = list(report.warnings)
    meta["import_derived"] = dict(report.derived)
    say("writing the store")
    with store.transaction(source=str(directory), metadata=meta) as tx:
        for table, frame in frames.items():
            tx.write(table, frame)
            report.rows[table] = len(frame)
    say("deriving the data's known limits")
    from hedgekit.data._market import MarketData

    report.limits = MarketData(store).limits
    report.seconds = time.perf_counter() - t0
    logger.info("imported %s in %.1f s", directory, report.seconds)
    return report
