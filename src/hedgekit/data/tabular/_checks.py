"""Every check and conversion between a file's prepared rows and store-ready ones.

Blank markers, identifiers, dates, decimal commas, currencies (converted to USD with
``fx``), required columns and the store's own types and keys (``coerce_table``), each
error pointing at the file's data row and column.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, MalformedDataError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._schema import TableSpec
from hedgekit.data._validate import coerce_table
from hedgekit.data.tabular._columns import _MISSING_MARKERS, _Prepared, _to_ticker

__all__ = ["MONEY_COLUMNS"]

logger = logging.getLogger(__name__)

#: Columns holding amounts in the listing currency, converted by ``fx`` (per table).
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "prices": ("open", "high", "low", "close", "adj_close"),
    "benchmarks": ("adj_close",),
    "fundamentals": (
        "total_assets",
        "total_equity",
        "short_term_debt",
        "long_term_debt",
        "total_liabilities",
        "revenue",
        "gross_profit",
        "operating_income",
        "net_income",
    ),
    "fundamentals_snapshots": ("price", "eps", "market_cap", "ebitda", "book_value"),
}

_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")


def _check_fx(fx: Mapping[str, float] | None) -> dict[str, float] | None:
    if fx is None:
        return None
    rates: dict[str, float] = {}
    for code, rate in fx.items():
        key = str(code).strip().upper()
        try:
            value = float(rate)
        except (TypeError, ValueError):
            value = float("nan")
        if not np.isfinite(value) or value <= 0:
            raise ConfigurationError(
                f"fx rate for {key} is {rate!r}; give USD per one {key} as a positive "
                "number, e.g. fx={'EUR': 1.08}"
            )
        if key == "USD" and value != 1.0:
            raise ConfigurationError(f"fx rate for USD must be 1, got {value}")
        rates[key] = value
    return rates


def _blank_markers(prep: _Prepared, spec: TableSpec) -> None:
    """Read terminal "no value" markers (``#N/A N/A``, ``@NA``...) in numbers as missing."""
    for col in prep.frame.columns:
        if spec.columns.get(col) not in ("float", "int") or pd.api.types.is_numeric_dtype(
            prep.frame[col]
        ):
            continue
        values = prep.frame[col].astype("string").str.strip()
        hit = values.isin(list(_MISSING_MARKERS)).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            prep.frame[col] = prep.frame[col].mask(hit)


def _normalize_identifiers(prep: _Prepared, column: str) -> None:
    """Vendor identifiers to store tickers: ``AAPL UW Equity`` -> ``AAPL``."""
    if column not in prep.frame.columns or (prep.cells is not None and column in prep.cell_columns):
        return
    values = prep.frame[column]
    lookup: dict[object, object] = {}
    for value in pd.unique(values.dropna()):
        text = str(value)
        lookup[value] = _to_ticker(text) if text.strip() else None
    prep.frame[column] = values.map(lookup).astype("string")


def _parse_dates(prep: _Prepared, spec: TableSpec, date_format: str, source: str) -> None:
    """Parse date columns with an explicit ``date_format`` (e.g. ``%d/%m/%Y``)."""
    for col in spec.date_columns:
        if col not in prep.frame.columns:
            continue
        series = prep.frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            continue
        text = series.astype("string").str.strip()
        text = text.mask(text == "")
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
        bad = (parsed.isna() & text.notna()).to_numpy(dtype=bool)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise MalformedDataError(
                source,
                f"{text.iloc[i]!r} does not match the date format {date_format!r}",
                row=int(prep.rows[i]),
                column=prep.label(col, i),
            )
        prep.frame[col] = parsed


def _check_decimal_commas(prep: _Prepared, spec: TableSpec, source: str) -> None:
    """Refuse ``12,5``: a comma that is no thousands separator is a decimal comma."""
    for col in prep.frame.columns:
        if spec.columns.get(col) not in ("float", "int") or pd.api.types.is_numeric_dtype(
            prep.frame[col]
        ):
            continue
        text = prep.frame[col].astype("string").str.strip()
        comma = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
        if not comma.any():
            continue
        ok = text.str.fullmatch(_THOUSANDS.pattern).fillna(False).to_numpy(dtype=bool)
        bad = comma & ~ok
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise MalformedDataError(
                source,
                f"{text.iloc[i]!r} is not a number: a comma may only group thousands "
                "(1,234.5); if the file uses decimal commas, export it with '.' as the "
                "decimal mark",
                row=int(prep.rows[i]),
                column=prep.label(col, i),
            )


def _split_currency(
    prep: _Prepared, spec: TableSpec, fx: dict[str, float] | None, source: str
) -> pd.Series | None:
    """Currency code per row when some rows need converting to USD, else None.

    Drops a ``currency`` column the table does not hold. Blank codes count as USD.
    """
    money = MONEY_COLUMNS.get(spec.name, ())
    if "currency" not in prep.frame.columns:
        if fx is not None and money:
            raise ConfigurationError(
                f"fx was given but {source} has no currency column, so no row says which "
                "rate applies; add a currency column (or map one) or drop fx"
            )
        return None
    label = prep.label("currency", None) or "currency"
    codes = prep.frame["currency"].astype("string").str.strip().str.upper()
    codes = codes.mask(codes == "")
    if "currency" not in spec.columns:
        prep.frame = prep.frame.drop(columns="currency")
    foreign = sorted(set(codes.dropna()) - {"USD"})
    if not foreign or not (money or spec.name == "securities"):
        if "currency" in spec.columns:
            prep.frame["currency"] = codes
        return None
    if fx is None:
        first = foreign[0]
        raise MalformedDataError(
            source,
            f"holds values in {foreign} besides USD; hedgekit stores USD only: convert the "
            f"file to USD before importing, or pass fx={{{first!r}: <USD per {first}>}} "
            f"(CLI: --fx {first}=<rate>)",
            column=label,
        )
    missing = [c for c in foreign if c not in fx]
    if missing:
        raise MalformedDataError(
            source,
            f"no fx rate for {missing}; fx gives {sorted(fx)}: add the missing rates "
            "(USD per one unit)",
            column=label,
        )
    return codes


def _coerce(prep: _Prepared, spec: TableSpec, source: str) -> pd.DataFrame:
    """``coerce_table`` in file order, its errors pointing at the file's rows and columns."""
    in_order = dataclasses.replace(spec, sort=())
    try:
        return coerce_table(prep.frame, in_order, source, duplicates="error")
    except MalformedDataError as exc:
        if exc.row is None and exc.column is None:
            raise
        i = None if exc.row is None else exc.row - 1
        row = None if i is None else int(prep.rows[i])
        raise MalformedDataError(
            source, exc.problem, row=row, column=prep.label(exc.column, i)
        ) from None


def _fill_closes(prep: _Prepared, spec: TableSpec, report: ImportReport) -> None:
    """Prices with one of close / adj_close: give the other the same values, and say so."""
    if spec.name != "prices":
        return
    cols = prep.frame.columns
    consequence = {
        "adj_close": "returns will miss dividends and show splits as price jumps; import "
        "adjusted closes too for exact returns",
        "close": "raw prices (used for market values) are the adjusted ones; import raw "
        "closes too for exact values",
    }
    for have, fill in (("close", "adj_close"), ("adj_close", "close")):
        if have in cols and fill not in cols:
            prep.frame[fill] = prep.frame[have]
            if prep.cells is not None and have in prep.cell_columns:
                prep.cell_columns = (*prep.cell_columns, fill)
            else:
                prep.labels[fill] = prep.labels.get(have, have)
            report.warnings.append(
                f"the file gives only {have}; {fill} was set to the same values (a merge "
                f"keeps the stored {fill} of rows already in the store): " + consequence[fill]
            )
            return


def _check_required(
    prep: _Prepared, spec: TableSpec, raw: pd.DataFrame, source: str, hint: str | None
) -> None:
    missing = [c for c in spec.required if c not in prep.frame.columns]
    if not missing:
        return
    if hint is None and prep.cells is not None:
        hint = f"a wide file fills one field: pass field={missing[0]!r} or use a long file"
    elif hint is None:
        hint = (
            f"rename the columns or map them, e.g. mapping={{'<column>': {missing[0]!r}}} "
            f"(CLI: --map '<column>={missing[0]}')"
        )
    raise MalformedDataError(
        source,
        f"missing required column(s) {missing} for table {spec.name!r}; the file has "
        f"{list(raw.columns)}: {hint}",
    )


def _validate(
    prep: _Prepared,
    raw: pd.DataFrame,
    spec: TableSpec,
    source: str,
    report: ImportReport,
    *,
    identifier_column: str = "ticker",
    date_format: str | None = None,
    fx: dict[str, float] | None = None,
    hint: str | None = None,
) -> tuple[pd.DataFrame, frozenset[str]]:
    """Every check and conversion between a prepared frame and a store-ready one.

    Returns the clean rows and the store columns the file gave (before any filling).
    """
    if raw.empty:
        raise MalformedDataError(source, "the file holds no data rows; nothing to import")
    given = frozenset(c for c in prep.frame.columns if c in spec.columns)
    _fill_closes(prep, spec, report)
    _check_required(prep, spec, raw, source, hint)
    if prep.frame.empty:
        raise MalformedDataError(source, "every value cell is blank; nothing to import")
    _blank_markers(prep, spec)
    _normalize_identifiers(prep, identifier_column)
    if date_format:
        _parse_dates(prep, spec, date_format, source)
    currency = _split_currency(prep, spec, fx, source)
    _check_decimal_commas(prep, spec, source)
    clean = _coerce(prep, spec, source)
    if currency is not None and fx is not None:
        foreign = (currency.fillna("USD") != "USD").to_numpy(dtype=bool)
        factor = currency.map(lambda c: fx.get(c, 1.0), na_action="ignore").fillna(1.0)
        factor_values = factor.astype("float64").to_numpy()
        for col in MONEY_COLUMNS.get(spec.name, ()):
            clean[col] = clean[col] * factor_values
        if "currency" in clean.columns:  # securities: their amounts are now USD
            clean["currency"] = pd.Series("USD", index=clean.index, dtype="string")
        report.derived["rows_converted_to_usd"] = int(foreign.sum())
        logger.info("converted %d rows to USD with %s", int(foreign.sum()), fx)
    if spec.sort:
        clean = clean.sort_values(list(spec.sort), kind="stable").reset_index(drop=True)
    return clean, given
