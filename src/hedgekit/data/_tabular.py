"""Import one table from a CSV or Parquet file: a Bloomberg, FactSet or spreadsheet export.

:func:`import_table` reads a file in one of two layouts and upserts it into one store
table; :func:`import_list` is a thin wrapper for the user lists a hedge respects
(hard-to-borrow names, restricted names, scores, corporate actions).

* ``long``: one row per record, columns named like the store's (``date``, ``ticker``,
  ``close``...) or renamed with a ``mapping`` (``{"PX_LAST": "close"}``);
* ``wide``: one row per date, one column per identifier, the cells one ``field``
  (``adj_close``...), as FactSet and Bloomberg spreadsheet exports lay out prices.

Identifiers are normalised (``AAPL UW Equity`` -> ``AAPL``), dates and numbers parsed,
prices checked, keys checked for duplicates, all before the store is touched; errors name
the file, the data row and the file's own column. The write is one store transaction, so a
failed import leaves the store exactly as it was.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import re
import time
import warnings
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from hedgekit._errors import ConfigurationError, MalformedDataError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._identifiers import normalize_identifier
from hedgekit.data._schema import TABLES, TableSpec, table_spec
from hedgekit.data._store import Store, Transaction
from hedgekit.data._validate import coerce_table

__all__ = [
    "LIST_KINDS",
    "MONEY_COLUMNS",
    "ImportMode",
    "Layout",
    "import_list",
    "import_table",
    "read_table_file",
]

logger = logging.getLogger(__name__)

_E = TypeVar("_E", bound=StrEnum)


class Layout(StrEnum):
    """How a file lays out its records."""

    LONG = "long"
    """One row per record, one column per field."""
    WIDE = "wide"
    """One row per date, one column per identifier, the cells one field."""


class ImportMode(StrEnum):
    """What an import does with the rows a table already holds."""

    MERGE = "merge"
    """Upsert by the table's key: file rows replace rows with the same key, others stay."""
    REPLACE = "replace"
    """The file becomes the table's whole content."""


#: The user lists :func:`import_list` reads.
LIST_KINDS: tuple[str, ...] = ("corporate_actions", "hard_to_borrow", "restricted", "scores")

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

_CSV_SUFFIXES = frozenset({".csv", ".txt"})
_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_SEPARATORS = (",", ";", "\t", "|")
# "no value" markers of terminal exports, read as missing in numeric columns (coerce_table
# already knows "", "nan", "None", "NULL", "#N/A" and "N/A"). Other "#N/A ..." texts, such
# as "#N/A Invalid Security" or "#N/A Requesting Data...", stay errors.
_MISSING_MARKERS = frozenset({"#N/A N/A", "#N/A Field Not Applicable", "@NA", "NA", "-", "--"})
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")
_FACTSET_US = re.compile(r"(\S+)-US", re.IGNORECASE)
_UNNAMED = re.compile(r"Unnamed: \d+")
_TICKER_LIKE = re.compile(r"[A-Z0-9][A-Z0-9.\-/]{0,11}")
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

_ID_ALIASES = (
    "ticker",
    "tickers",
    "symbol",
    "symbols",
    "security",
    "identifier",
    "id",
    "ric",
    "bloomberg_ticker",
    "bbg_ticker",
)
_START_ALIASES = ("start_date", "start", "from", "valid_from", "since")
_END_ALIASES = ("end_date", "end", "to", "until", "valid_to")
#: per list kind: store column -> accepted headers, normalised (the first found wins)
_LIST_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "hard_to_borrow": {
        "ticker": _ID_ALIASES,
        "start_date": _START_ALIASES,
        "end_date": _END_ALIASES,
        "borrow_cost_bps": (
            "borrow_cost_bps",
            "borrow_bps",
            "fee_bps",
            "borrow_fee_bps",
            "cost_bps",
            "rate_bps",
        ),
    },
    "restricted": {
        "ticker": _ID_ALIASES,
        "start_date": _START_ALIASES,
        "end_date": _END_ALIASES,
        "reason": ("reason", "comment", "comments", "note", "notes"),
    },
    "scores": {
        "ticker": _ID_ALIASES,
        "date": ("date", "as_of", "asof", "as_of_date"),
        "score": ("score", "score_name"),
        "value": ("value", "score_value"),
    },
    "corporate_actions": {
        "ticker": _ID_ALIASES,
        "action_type": ("action_type", "type", "action", "event", "event_type"),
        "effective_date": ("effective_date", "effective", "ex_date", "exdate", "date"),
        "announce_date": ("announce_date", "announcement_date", "announced", "announcement"),
        "ratio": ("ratio",),
        "details": ("details", "description", "comment", "comments", "note", "notes"),
    },
}
_ACTION_SYNONYMS = {"spinoff": "spin_off"}


@dataclasses.dataclass
class _Prepared:
    """Rows on their way to ``coerce_table`` with where each came from in the file.

    ``rows[i]`` is the 1-based data row of row ``i`` in the file; ``cells[i]`` (wide and
    melted files) is the file column its value came from, which error messages name for
    the columns in ``cell_columns``; ``labels`` maps other store columns to file columns.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    labels: dict[str, str]
    cells: np.ndarray | None = None
    cell_columns: tuple[str, ...] = ()

    def label(self, column: str | None, row: int | None) -> str | None:
        """The file's name for store ``column`` on (0-based) ``row``."""
        if column is None:
            return None
        if self.cells is not None and column in self.cell_columns and row is not None:
            return str(self.cells[row])
        return self.labels.get(column, column)

    def take(self, keep: np.ndarray) -> _Prepared:
        """The rows where ``keep`` is True."""
        return dataclasses.replace(
            self,
            frame=self.frame[keep].reset_index(drop=True),
            rows=self.rows[keep],
            cells=None if self.cells is None else self.cells[keep],
        )


# ------------------------------------------------------------------------------ reading
def _norm(name: object) -> str:
    """Header in lower snake case: ``"Adj Close"`` -> ``"adj_close"``."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _to_ticker(identifier: str) -> str:
    """Store ticker of a vendor identifier: ``AAPL UW Equity``, ``AAPL.OQ``, ``AAPL-US``.

    FactSet's US region suffix (``-US``, ``BRK.B-US``) is dropped first, then the best
    candidate of :func:`~hedgekit.data._identifiers.normalize_identifier` is taken.
    """
    factset = _FACTSET_US.fullmatch(identifier.strip())
    return normalize_identifier(factset.group(1) if factset else identifier)[0]


def _separator(path: Path) -> str:
    """The delimiter of a text file, judged by its header line (``,`` by default)."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {sep: unquoted.count(sep) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _raise_long_row(path: Path, sep: str, source: str) -> None:
    """Name the first row with more (non-blank) fields than the header, if any.

    Blank extra fields (a delimiter ending every line) are harmless and pass.
    """
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep)
        width = len(next(reader, []))
        for row, fields in enumerate(reader, start=1):
            if len(fields) > width and any(f.strip() for f in fields[width:]):
                raise MalformedDataError(
                    source,
                    f"{len(fields)} fields but the header has {width}; quote values that "
                    f'contain {sep!r} (e.g. "1,234.5") or remove the extra fields',
                    row=row,
                )


def read_table_file(path: str | Path, source: str | None = None) -> pd.DataFrame:
    """Read a CSV (``.csv``, ``.txt``) or Parquet (``.parquet``, ``.pq``) file as is.

    CSV cells come back as strings (``None`` for blanks) so that validation does all the
    parsing; the delimiter (``,``, ``;``, tab or ``|``) is taken from the header line.
    Header names are stripped, and columns without a header and without values (trailing
    commas of spreadsheet exports) are dropped. A Parquet index other than a plain range
    (dates of a wide frame) becomes a column.

    Parameters
    ----------
    path : path-like
        The file.
    source : str, optional
        Name of the file in error messages; defaults to ``path``.

    Returns
    -------
    DataFrame
        The file's rows, in file order, with a default index.

    Raises
    ------
    MalformedDataError
        The suffix is not a supported one, the file does not exist, is empty, not valid
        CSV or Parquet, or not UTF-8 text.
    """
    path = Path(path).expanduser()
    source = source or str(path)
    suffix = path.suffix.lower()
    if suffix not in _CSV_SUFFIXES | _PARQUET_SUFFIXES:
        raise MalformedDataError(
            source,
            f"unsupported file type {suffix or '(no suffix)'!r}; save the data as CSV "
            "(.csv, .txt) or Parquet (.parquet, .pq)",
        )
    kind = "Parquet" if suffix in _PARQUET_SUFFIXES else "CSV"
    if not path.is_file():
        raise MalformedDataError(source, "no such file; check the path")
    try:
        if kind == "Parquet":
            frame = pd.read_parquet(path)
            if not isinstance(frame.index, pd.RangeIndex):  # e.g. dates saved as the index
                frame = frame.reset_index()
        else:
            sep = _separator(path)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    path,
                    dtype=str,
                    sep=sep,
                    index_col=False,
                    keep_default_na=False,
                    na_values=[""],
                    encoding="utf-8-sig",
                )
            if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
                _raise_long_row(path, sep, source)  # else only blank fields were dropped
    except MalformedDataError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise MalformedDataError(
            source, "the file is empty; export the data with a header row"
        ) from exc
    except UnicodeDecodeError as exc:
        raise MalformedDataError(
            source, f"the file is not UTF-8 text ({exc.reason}); save it as UTF-8 CSV"
        ) from exc
    except (OSError, ValueError, pa.ArrowException) as exc:
        if isinstance(exc, pd.errors.ParserError):
            _raise_long_row(path, _separator(path), source)
        raise MalformedDataError(
            source, f"cannot read the file ({exc}); is it a valid {kind} file?"
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    empty = [c for c in frame.columns if _UNNAMED.fullmatch(c) and frame[c].isna().all()]
    return frame.drop(columns=empty).reset_index(drop=True)


# --------------------------------------------------------------------------- preparing
def _choice(enum: type[_E], value: _E | str, name: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise ConfigurationError(f"{name}={value!r} is not one of {allowed}") from None


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


def _check_mapping(
    raw: pd.DataFrame, mapping: Mapping[str, str] | None, source: str
) -> dict[str, str]:
    """``mapping`` with stripped names; every source column must exist in the file."""
    clean = {str(k).strip(): str(v).strip() for k, v in (mapping or {}).items()}
    unknown = [k for k in clean if k not in raw.columns]
    if unknown:
        raise MalformedDataError(
            source,
            f"mapping names column(s) {unknown} that the file does not have; "
            f"the file's columns are {list(raw.columns)}",
        )
    return clean


def _map_columns(
    raw: pd.DataFrame,
    spec: TableSpec,
    mapping: Mapping[str, str] | None,
    source: str,
    report: ImportReport,
) -> _Prepared:
    """Rename a long file's columns to store columns; ignore (and report) the others."""
    clean = _check_mapping(raw, mapping, source)
    allowed = [*spec.columns, "currency"]
    bad = sorted({v for v in clean.values() if v not in allowed})
    if bad:
        raise ConfigurationError(
            f"mapping target(s) {bad} are not columns of table {spec.name!r}; use one of {allowed}"
        )
    targets: dict[str, str] = {}  # store column -> file column
    for src, dst in clean.items():
        if dst in targets:
            raise ConfigurationError(
                f"mapping sends both {targets[dst]!r} and {src!r} to {dst!r}; keep one"
            )
        targets[dst] = src
    ignored: list[str] = []
    explicit = set(targets)
    for col in raw.columns:
        if col in clean:
            continue
        dst = _norm(col)
        if dst not in allowed or dst in explicit:
            ignored.append(col)
        elif dst in targets:
            raise MalformedDataError(
                source,
                f"columns {targets[dst]!r} and {col!r} both read as {dst!r}; "
                "pass a mapping naming the one to use",
            )
        else:
            targets[dst] = col
    if ignored:
        shown = ", ".join(repr(c) for c in ignored[:10])
        more = f" and {len(ignored) - 10} more" if len(ignored) > 10 else ""
        report.warnings.append(
            f"ignored {len(ignored)} column(s) that are not columns of table "
            f"{spec.name!r}: {shown}{more} (map them with mapping= / --map SRC=DST)"
        )
    frame = pd.DataFrame({dst: raw[src] for dst, src in targets.items()})
    return _Prepared(frame, np.arange(1, len(raw) + 1), dict(targets))


def _melt(
    raw: pd.DataFrame,
    id_columns: dict[str, str],
    value_columns: list[str],
    variable: str,
    variable_values: list[str],
    value: str,
) -> _Prepared:
    """Long rows from wide ``value_columns``, blank cells dropped, provenance kept.

    ``id_columns`` maps store column -> file column repeated on every row;
    ``variable`` receives ``variable_values[j]`` for cells of ``value_columns[j]``.
    """
    n, m = len(raw), len(value_columns)
    cells = raw[value_columns]
    values = cells.to_numpy(dtype=object).ravel(order="F")
    text = pd.Series(values, dtype=object).astype("string").str.strip()
    absent = text.isna() | text.isin(["", "#N/A", "N/A", *_MISSING_MARKERS])
    present = ~absent.fillna(True).to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            **{dst: np.tile(raw[src].to_numpy(dtype=object), m) for dst, src in id_columns.items()},
            variable: np.repeat(np.asarray(variable_values, dtype=object), n),
            value: values,
        }
    )
    rows = np.tile(np.arange(1, n + 1), m)
    headers = np.repeat(np.asarray(value_columns, dtype=object), n)
    prepared = _Prepared(frame, rows, dict(id_columns), headers, (variable, value))
    return prepared.take(present)


def _wide(
    raw: pd.DataFrame,
    spec: TableSpec,
    mapping: Mapping[str, str] | None,
    field: str | None,
    identifier_column: str,
    source: str,
) -> _Prepared:
    """Melt a dates x identifiers file into long rows of ``field``."""
    clean = _check_mapping(raw, mapping, source)
    dates = [c for c in spec.key if spec.columns[c] == "date"] or list(spec.date_columns)
    if not dates:
        raise ConfigurationError(
            f"table {spec.name!r} has no date column, so a wide file (one row per date) "
            "cannot fill it; use layout='long'"
        )
    date_col = dates[0]
    if field is None or field not in spec.columns or field in (date_col, identifier_column):
        options = [c for c in spec.columns if c not in (date_col, identifier_column)]
        raise ConfigurationError(
            f"layout='wide' needs field=, the column of table {spec.name!r} the cells hold "
            f"(one of {options}); got {field!r}"
        )
    others = {k: v for k, v in clean.items() if v != date_col}
    if others:
        raise ConfigurationError(
            f"in layout='wide' a mapping can only name the date column ({{'<column>': "
            f"{date_col!r}}}); the other columns are identifiers, got {others}"
        )
    if clean:
        date_src = next(iter(clean))
    else:
        named = [c for c in raw.columns if _norm(c) in ("date", "dates", date_col)]
        date_src = named[0] if named else raw.columns[0]
    headers = [c for c in raw.columns if c != date_src]
    if not headers:
        raise MalformedDataError(
            source, "a wide file needs one column per identifier after the date column"
        )
    tickers: list[str] = []
    seen: dict[str, str] = {}
    for position, header in enumerate(raw.columns, start=1):
        if header == date_src:
            continue
        if _UNNAMED.fullmatch(header) or not header:
            raise MalformedDataError(
                source,
                f"column {position} has values but no header; "
                "every column of a wide file after the date must be headed by an identifier",
            )
        ticker = _to_ticker(header)
        if ticker in seen:
            raise MalformedDataError(
                source,
                f"columns {seen[ticker]!r} and {header!r} both name {ticker!r}; keep one",
            )
        seen[ticker] = header
        tickers.append(ticker)
    return _melt(raw, {date_col: date_src}, headers, identifier_column, tickers, field)


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


# ----------------------------------------------------------------------------- writing
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


# ------------------------------------------------------------------------------ public
def import_table(
    path: str | Path,
    table: str,
    store: Store | None = None,
    *,
    mapping: Mapping[str, str] | None = None,
    layout: Layout | str = Layout.LONG,
    field: str | None = None,
    date_format: str | None = None,
    mode: ImportMode | str = ImportMode.MERGE,
    identifier_column: str = "ticker",
    sheet_source: str | None = None,
    fx: Mapping[str, float] | None = None,
) -> ImportReport:
    """Validate one CSV or Parquet file and merge it into (or make it) one store table.

    Parameters
    ----------
    path : path-like
        A ``.csv`` / ``.txt`` (delimiter ``,``, ``;``, tab or ``|``, UTF-8) or
        ``.parquet`` / ``.pq`` file.
    table : str
        The store table to fill, e.g. ``'prices'``, ``'benchmarks'``, ``'securities'``,
        ``'fundamentals'``, ``'scores'`` (see ``hedgekit.data.TABLES``).
    store : Store, optional
        Target store; defaults to the data home.
    mapping : dict of str to str, optional
        File column -> store column, e.g. ``{'Security': 'ticker', 'Date': 'date',
        'PX_LAST': 'close', 'PX_VOLUME': 'volume'}``. Unmapped columns whose names read
        as a store column (``Date``, ``Adj Close``) are used too; other columns are
        ignored and listed in the report's warnings. A ``currency`` column may be mapped
        as well (see `fx`). With ``layout='wide'`` only the date column may be mapped.
    layout : {'long', 'wide'}
        ``'long'``: one row per record. ``'wide'``: one row per date, one column per
        identifier, the cells holding `field`; the date column is the mapped one, else a
        column named ``date``, else the first.
    field : str, optional
        With ``layout='wide'``: the store column the cells hold, e.g. ``'adj_close'``.
    date_format : str, optional
        ``strftime`` format of the file's dates (``'%d/%m/%Y'``); by default ISO and
        other unambiguous forms are recognised, and ``01/02/2024`` reads month first.
    mode : {'merge', 'replace'}
        ``'merge'`` (default): file rows replace the table's rows with the same key, in
        the columns the file gives (columns it lacks keep their stored values, so a wide
        file of ``adj_close`` leaves ``volume`` alone); the other rows stay.
        ``'replace'``: the file becomes the table's whole content.
    identifier_column : str
        The store column that holds identifiers (``'ticker'``; ``'alias'`` for aliases):
        its values, or a wide file's headers, are normalised with
        :func:`~hedgekit.data._identifiers.normalize_identifier` (``AAPL UW Equity`` ->
        ``AAPL``, ``BRK/B US`` -> ``BRK-B``, ``AAPL.OQ`` -> ``AAPL``), after dropping
        FactSet's ``-US`` suffix (``AAPL-US`` -> ``AAPL``).
    sheet_source : str, optional
        Name of the data in error messages and the store history, e.g. the original name
        of an uploaded file; defaults to `path`.
    fx : dict of str to float, optional
        USD per one unit of each currency, e.g. ``{'EUR': 1.08}``. Needed when a
        ``currency`` column holds anything but USD: amounts (prices, statement figures;
        see ``MONEY_COLUMNS``) of those rows are multiplied by the rate. Blank
        currencies count as USD.

    Returns
    -------
    ImportReport
        ``rows[table]``: rows read from the file; ``derived``: ``rows_replaced`` (merge),
        ``rows_keeping_stored_columns`` (merge), ``rows_removed`` (replace),
        ``rows_in_table``, ``rows_converted_to_usd``, ``securities_added``;
        ``warnings``: ignored columns, filled closes, added securities, tickers the store
        does not know.

    Raises
    ------
    MalformedDataError
        The file is unreadable or empty; a mapped column is not in the file; a required
        column is missing; a date, number or identifier does not parse; a price is not
        positive; two rows share a key; amounts are in a currency other than USD and no
        `fx` rate is given. The message names the file, data row and file column, and
        nothing is written.
    ConfigurationError
        Unknown `table`, `layout` or `mode`; a mapping target that is not a column of
        the table; `layout='wide'` without a valid `field`; a bad `fx` rate, or `fx`
        given for a file without a currency column.

    Notes
    -----
    A prices file with only ``close`` or only ``adj_close`` (e.g. a wide file of one
    field) gives both columns the same values, and the report says so: returns then
    ignore dividends, or raw prices are adjusted ones. After an import into ``prices``,
    tickers new to a store that has a ``securities`` table get a minimal row there
    (ticker, currency USD), and the first and last price dates of the imported tickers
    are refreshed.

    Examples
    --------
    A Bloomberg-style long export:

    >>> report = import_table(                                  # doctest: +SKIP
    ...     "px.csv", "prices", store,
    ...     mapping={"Security": "ticker", "Date": "date", "PX_LAST": "close"},
    ... )

    A FactSet-style wide file of adjusted closes, day first:

    >>> report = import_table(                                  # doctest: +SKIP
    ...     "adj.csv", "prices", store, layout="wide", field="adj_close",
    ...     date_format="%d/%m/%Y",
    ... )
    """
    t0 = time.perf_counter()
    spec = table_spec(table)
    layout = _choice(Layout, layout, "layout")
    mode = _choice(ImportMode, mode, "mode")
    if spec.columns.get(identifier_column) != "str":
        options = [c for c, k in spec.columns.items() if k == "str"]
        raise ConfigurationError(
            f"identifier_column={identifier_column!r} is not a text column of table "
            f"{spec.name!r}; use one of {options}"
        )
    rates = _check_fx(fx)
    path = Path(path).expanduser()
    source = sheet_source or str(path)
    report = ImportReport(source=source)
    raw = read_table_file(path, source)
    if layout is Layout.WIDE:
        prep = _wide(raw, spec, mapping, field, identifier_column, source)
    else:
        if field is not None:
            raise ConfigurationError("field= only applies to layout='wide'")
        prep = _map_columns(raw, spec, mapping, source, report)
    clean, given = _validate(
        prep, raw, spec, source, report,
        identifier_column=identifier_column, date_format=date_format, fx=rates,
    )  # fmt: skip
    _write(clean, given, spec, store, mode, source, report)
    if spec.name == "prices":
        _warn_late_end(clean, store if store is not None else Store(), report)
    report.seconds = time.perf_counter() - t0
    logger.info("imported %d rows of %s from %s", len(clean), spec.name, source)
    return report


def _warn_late_end(clean: pd.DataFrame, store: Store, report: ImportReport) -> None:
    """Say so when the imported prices run past the date most stocks end.

    The data's last date (:attr:`MarketData.end`) is the last date any stock has a price,
    and it is what date-less commands hedge on; a file that extends only a few names moves
    it to a day the other stocks do not trade. The warning names those stocks (through
    :meth:`MarketData.end_hint`), the date most stocks end (:attr:`MarketData.coverage_end`)
    and the way out.
    """
    from hedgekit.data._market import MarketData

    if not len(clean) or "date" not in clean.columns:
        return
    market = MarketData(store)
    common = market.coverage_end
    if market.end <= common or pd.Timestamp(clean["date"].max()) <= common:
        return
    report.warnings.append(
        f"only a few stocks have prices after {common:%Y-%m-%d}"
        + market.end_hint(market.end)
        + f"; `hedgekit hedge`, `peers` and `cluster` without --date use the data's last "
        f"date, {market.end:%Y-%m-%d} (the last date any stock has a price): pass --date "
        f"{common:%Y-%m-%d}, or import the other stocks' later rows"
    )


def _list_columns(raw: pd.DataFrame, kind: str) -> dict[str, str]:
    """Store column -> file column, by the aliases of ``kind`` (first match wins)."""
    by_norm: dict[str, str] = {}
    for col in raw.columns:
        by_norm.setdefault(_norm(col), col)
    found: dict[str, str] = {}
    used: set[str] = set()
    for dst, names in _LIST_ALIASES[kind].items():
        for name in names:
            hit = by_norm.get(name)
            if hit is not None and hit not in used:
                found[dst] = hit
                used.add(hit)
                break
    return found


def _looks_like_identifier(text: str) -> bool:
    """Whether a lone header is rather the first ticker of a header-less list.

    Yes for upper-case ticker-like text (``AAPL``, ``BRK.B``) and vendor codes
    (``AAPL UW Equity``); no for words (``Name``, ``Restricted names``).
    """
    text = " ".join(text.split())
    if not text:
        return False
    candidate = normalize_identifier(text)[0]
    vendor_code = candidate != text.upper()
    return (vendor_code or text == text.upper()) and bool(_TICKER_LIKE.fullmatch(candidate))


def _read_list(path: Path, kind: str, source: str, report: ImportReport) -> pd.DataFrame:
    """Read a list; a one-column file of tickers may come without a header."""
    raw = read_table_file(path, source)
    if kind not in ("hard_to_borrow", "restricted") or len(raw.columns) != 1:
        return raw
    (only,) = raw.columns
    if _list_columns(raw, kind):
        return raw
    if path.suffix.lower() in _CSV_SUFFIXES and _looks_like_identifier(only):
        frame = pd.concat([pd.DataFrame({"ticker": [only]}), pd.DataFrame({"ticker": raw[only]})])
        report.warnings.append(
            f"read {source} as a list of {len(frame)} tickers without a header "
            f"(first line {only!r} is a ticker)"
        )
        return frame.reset_index(drop=True)
    report.warnings.append(f"read the only column {only!r} as tickers")
    return raw.rename(columns={only: "ticker"})


def _scores_frame(raw: pd.DataFrame, source: str, report: ImportReport) -> _Prepared:
    """Scores, long (ticker, date, score, value) or wide (ticker, date, esg, ...)."""
    found = _list_columns(raw, "scores")
    if "score" in found and "value" in found:
        frame = pd.DataFrame({dst: raw[src] for dst, src in found.items()})
        frame["score"] = frame["score"].map(
            lambda v: _norm(v) if isinstance(v, str) and v.strip() else None
        )
        return _Prepared(frame, np.arange(1, len(raw) + 1), found)
    missing = [c for c in ("ticker", "date") if c not in found]
    if missing:
        raise MalformedDataError(
            source,
            f"a scores file needs {missing} column(s) (ticker, date, then one column per "
            f"score, or ticker, date, score, value); the file has {list(raw.columns)}",
        )
    ids = {"ticker": found["ticker"], "date": found["date"]}
    score_cols: list[str] = []
    names: list[str] = []
    ignored: list[str] = []
    for col in raw.columns:
        if col in ids.values():
            continue
        values = raw[col]
        if not pd.api.types.is_numeric_dtype(values):
            text = values.astype("string").str.strip().str.replace(",", "", regex=False)
            text = text.mask(text.isin(["", *_MISSING_MARKERS, "#N/A", "N/A"]))
            if not pd.to_numeric(text, errors="coerce").notna().any():
                ignored.append(col)
                continue
        name = _norm(col)
        if name in names:
            raise MalformedDataError(
                source, f"columns {score_cols[names.index(name)]!r} and {col!r} both name "
                f"score {name!r}; keep one",
            )  # fmt: skip
        score_cols.append(col)
        names.append(name)
    if ignored:
        report.warnings.append(
            f"ignored column(s) without numbers (not scores): {', '.join(map(repr, ignored))}"
        )
    if not score_cols:
        raise MalformedDataError(
            source, f"no numeric score column besides ticker and date; found {list(raw.columns)}"
        )
    return _melt(raw, ids, score_cols, "score", names, "value")


def _action_type(value: object) -> object:
    if not isinstance(value, str):
        return value
    snake = _norm(value)
    return _ACTION_SYNONYMS.get(snake, snake)


def import_list(
    path: str | Path,
    kind: str,
    store: Store | None = None,
    mode: ImportMode | str = ImportMode.REPLACE,
    *,
    sheet_source: str | None = None,
) -> ImportReport:
    """Import a user list: hard-to-borrow names, restricted names, scores or corporate actions.

    A thin wrapper of :func:`import_table` that knows each list's usual headers
    (case, spaces and dashes do not matter):

    ==================  =================================================================
    kind                columns (store column: accepted headers)
    ==================  =================================================================
    hard_to_borrow      ticker (symbol, security, identifier); borrow_cost_bps (borrow_bps,
                        fee_bps, borrow_fee_bps, cost_bps, rate_bps); start_date (start,
                        from); end_date (end, to, until)
    restricted          ticker; start_date; end_date; reason (comment, note)
    scores              ticker, date (as_of) and one numeric column per score
                        (``ticker,date,esg,momentum``), or long ticker, date, score, value
    corporate_actions   ticker; action_type (type, action, event); effective_date
                        (effective, ex_date, date); announce_date (announced); ratio;
                        details (description)
    ==================  =================================================================

    A hard-to-borrow or restricted list may be a single column of tickers, with or
    without a header. Identifiers are normalised (``AAPL UW Equity`` -> ``AAPL``), score
    names and action types are put in lower snake case (``Spin-off`` -> ``spin_off``).

    Parameters
    ----------
    path : path-like
        CSV or Parquet file.
    kind : {'hard_to_borrow', 'restricted', 'scores', 'corporate_actions'}
        The list.
    store : Store, optional
        Target store; defaults to the data home.
    mode : {'replace', 'merge'}
        ``'replace'`` (default): the file is the new list. For scores only the scores
        the file names are replaced (an ESG file leaves other scores alone); for
        corporate actions the distributions hedgekit derived from prices are kept.
        ``'merge'``: upsert by key.
    sheet_source : str, optional
        Name of the data in messages, e.g. an uploaded file's original name.

    Returns
    -------
    ImportReport

    Raises
    ------
    ConfigurationError
        Unknown `kind` or `mode`.
    MalformedDataError
        As for :func:`import_table`; nothing is written.

    Examples
    --------
    >>> import_list("htb.csv", "hard_to_borrow", store)        # doctest: +SKIP
    >>> import_list("esg.csv", "scores", store)                # doctest: +SKIP
    """
    t0 = time.perf_counter()
    if kind not in LIST_KINDS:
        raise ConfigurationError(f"unknown list kind {kind!r}; use one of {list(LIST_KINDS)}")
    mode = _choice(ImportMode, mode, "mode")
    spec = TABLES[kind]
    path = Path(path).expanduser()
    source = sheet_source or str(path)
    report = ImportReport(source=source)
    raw = _read_list(path, kind, source, report)
    if kind == "scores":
        prep = _scores_frame(raw, source, report)
    else:
        found = _list_columns(raw, kind)
        frame = pd.DataFrame({dst: raw[src] for dst, src in found.items()}, index=raw.index)
        prep = _Prepared(frame, np.arange(1, len(raw) + 1), found)
        ignored = [c for c in raw.columns if c not in found.values()]
        if ignored:
            report.warnings.append(f"ignored column(s): {', '.join(map(repr, ignored))}")
    if kind == "corporate_actions" and "action_type" in prep.frame.columns:
        prep.frame["action_type"] = prep.frame["action_type"].map(_action_type)
    accepted = {dst: ", ".join(names) for dst, names in _LIST_ALIASES[kind].items()}
    hint = "headers accepted: " + "; ".join(f"{k} ({v})" for k, v in accepted.items())
    clean, given = _validate(prep, raw, spec, source, report, hint=hint)

    keep: Callable[[pd.DataFrame, pd.DataFrame], pd.Series] | None = None
    if kind == "scores":

        def keep(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
            return ~old["score"].isin(set(new["score"]))

    elif kind == "corporate_actions":

        def keep(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
            details = old["details"].astype("string").str.startswith(_DERIVED_PREFIX)
            return details.fillna(False)

    _write(clean, given, spec, store, mode, source, report, keep=keep)
    report.seconds = time.perf_counter() - t0
    return report
