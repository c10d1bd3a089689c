"""Read a user's CSV or Parquet file as it is: cells as text, nothing parsed yet."""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa

from hedgekit._errors import MalformedDataError

__all__ = ["read_table_file"]

_CSV_SUFFIXES = frozenset({".csv", ".txt"})
_PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_SEPARATORS = (",", ";", "\t", "|")
_UNNAMED = re.compile(r"Unnamed: \d+")


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
