"""A file's columns as store columns: a long file renamed, a wide file melted.

Both give a :class:`_Prepared` frame that remembers, for every row and value, the data
row and the column of the file it came from, so that later errors can name them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from enum import StrEnum

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, MalformedDataError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._identifiers import normalize_identifier
from hedgekit.data._schema import TableSpec
from hedgekit.data.tabular._read import _UNNAMED

__all__ = ["Layout"]


class Layout(StrEnum):
    """How a file lays out its records."""

    LONG = "long"
    """One row per record, one column per field."""
    WIDE = "wide"
    """One row per date, one column per identifier, the cells one field."""


# "no value" markers of terminal exports, read as missing in numeric columns (coerce_table
# already knows "", "nan", "None", "NULL", "#N/A" and "N/A"). Other "#N/A ..." texts, such
# as "#N/A Invalid Security" or "#N/A Requesting Data...", stay errors.
_MISSING_MARKERS = frozenset({"#N/A N/A", "#N/A Field Not Applicable", "@NA", "NA", "-", "--"})
_FACTSET_US = re.compile(r"(\S+)-US", re.IGNORECASE)


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
