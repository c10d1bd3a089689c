"""Validation and coercion of incoming tables, once, at the boundary.

Every importer passes its frames through :func:`coerce_table` before anything is
written: required columns present, dates parseable, numbers numeric, prices
positive, keys unique. Errors name the file, the 1-based data row, the column and
the fix; nothing is half-written because the store only commits validated frames.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hedgekit._errors import MalformedDataError
from hedgekit.data._schema import TableSpec

__all__ = ["coerce_table", "normalize_ticker_column"]

logger = logging.getLogger(__name__)


def normalize_ticker_column(values: pd.Series) -> pd.Series:
    """Upper-case, strip and Yahoo-style tickers (``BRK.B`` / ``BRK/B`` -> ``BRK-B``)."""
    out = values.astype("string").str.strip().str.upper()
    return out.str.replace(r"\s+", " ", regex=True).str.replace(r"[./ ]", "-", regex=True)


def _first_bad(mask: np.ndarray | pd.Series) -> int:
    """1-based data row of the first True in ``mask``."""
    return int(np.flatnonzero(np.asarray(mask))[0]) + 1


def _coerce_dates(col: pd.Series, source: str, name: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        return out.astype("datetime64[ns]").dt.normalize()
    raw = col.astype("string").str.strip()
    raw = raw.mask(raw.isin(["", "NaT", "nan", "None", "NULL", "null"]))
    parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        row = _first_bad(bad)
        raise MalformedDataError(
            source,
            f"cannot parse {raw[bad].iloc[0]!r} as a date; use ISO dates like 2023-12-29",
            row=row,
            column=name,
        )
    return parsed.astype("datetime64[ns]")


def _coerce_numeric(col: pd.Series, source: str, name: str, kind: str) -> pd.Series:
    if kind == "bool":
        if pd.api.types.is_bool_dtype(col):
            return col.astype("boolean")
        txt = col.astype("string").str.strip().str.lower()
        mapped = txt.map(
            {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False},
            na_action="ignore",
        )
        bad = mapped.isna() & txt.notna() & (txt != "")
        if bad.any():
            raise MalformedDataError(
                source,
                f"cannot read {col[bad].iloc[0]!r} as true/false",
                row=_first_bad(bad),
                column=name,
            )
        return mapped.astype("boolean")
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        num = col.astype("float64")
    else:
        txt = col.astype("string").str.strip().str.replace(",", "", regex=False)
        txt = txt.mask(txt.isin(["", "nan", "NaN", "None", "NULL", "null", "#N/A", "N/A"]))
        num = pd.to_numeric(txt, errors="coerce").astype("float64")
        bad = num.isna() & txt.notna()
        if bad.any():
            raise MalformedDataError(
                source,
                f"cannot read {col[bad].iloc[0]!r} as a number",
                row=_first_bad(bad),
                column=name,
            )
    if np.isinf(num.to_numpy(dtype="float64", na_value=np.nan)).any():
        bad = np.isinf(num.to_numpy(dtype="float64", na_value=np.nan))
        raise MalformedDataError(source, "infinite value", row=_first_bad(bad), column=name)
    if kind == "int":
        vals = num.to_numpy(dtype="float64", na_value=np.nan)
        frac = ~np.isnan(vals) & (vals != np.round(vals))
        if frac.any():
            raise MalformedDataError(
                source,
                f"expected a whole number, got {vals[frac][0]!r}",
                row=_first_bad(frac),
                column=name,
            )
        return num.astype("Int64")
    return num


def coerce_table(frame: pd.DataFrame, spec: TableSpec, source: str) -> pd.DataFrame:
    """Validate ``frame`` against ``spec`` and return a clean, typed copy.

    Parameters
    ----------
    frame : DataFrame
        Incoming rows; extra columns are dropped, missing optional ones added as nulls.
    spec : TableSpec
        The target table.
    source : str
        Name of the file the rows came from, used in error messages.

    Returns
    -------
    DataFrame
        Columns exactly ``spec.columns`` in order, typed, sorted by ``spec.sort``.

    Raises
    ------
    MalformedDataError
        Missing required column, unparseable value, non-positive price, null key
        or duplicate key; the message names file, row and column.
    """
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise MalformedDataError(
            source,
            f"missing required column(s) {missing} for table {spec.name!r}; "
            f"found {list(frame.columns)}; rename the columns or pass a column mapping",
        )
    out: dict[str, pd.Series] = {}
    n = len(frame)
    for name, kind in spec.columns.items():
        if name not in frame.columns:
            if kind == "date":
                out[name] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
            elif kind == "str":
                out[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
            elif kind == "bool":
                out[name] = pd.Series(pd.NA, index=frame.index, dtype="boolean")
            elif kind == "int":
                out[name] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            else:
                out[name] = pd.Series(np.nan, index=frame.index, dtype="float64")
            continue
        col = frame[name]
        if kind == "date":
            out[name] = _coerce_dates(col, source, name)
        elif kind == "str":
            s = col.astype("string").str.strip()
            out[name] = s.mask(s == "")
        else:
            out[name] = _coerce_numeric(col, source, name, kind)
    df = pd.DataFrame(out, index=frame.index)
    if "ticker" in df.columns:
        df["ticker"] = normalize_ticker_column(df["ticker"])
    for name in (*spec.key, *spec.not_null):
        if name not in spec.required and name not in frame.columns:
            continue
        isnull = df[name].isna()
        if isnull.any():
            raise MalformedDataError(
                source,
                f"empty value in column {name!r}, which table {spec.name!r} requires",
                row=_first_bad(isnull),
                column=name,
            )
    for name in spec.positive:
        vals = df[name].to_numpy(dtype="float64", na_value=np.nan)
        bad = vals <= 0
        if bad.any():
            raise MalformedDataError(
                source,
                f"non-positive value {vals[bad][0]!r}; prices must be > 0 "
                "(drop the row or mark it missing)",
                row=_first_bad(bad),
                column=name,
            )
    for name in spec.non_negative:
        vals = df[name].to_numpy(dtype="float64", na_value=np.nan)
        bad = vals < 0
        if bad.any():
            raise MalformedDataError(
                source, f"negative value {vals[bad][0]!r}", row=_first_bad(bad), column=name
            )
    key = [k for k in spec.key if k in df.columns]
    if n and key:
        dup = df.duplicated(subset=key, keep="first")
        if dup.any():
            row = _first_bad(dup)
            values = {k: str(df[k].iloc[row - 1]) for k in key}
            raise MalformedDataError(
                source,
                f"duplicate key {values} (also on an earlier row); "
                f"table {spec.name!r} needs one row per {tuple(key)}",
                row=row,
            )
    if spec.sort:
        df = df.sort_values(list(spec.sort), kind="stable").reset_index(drop=True)
    return df
