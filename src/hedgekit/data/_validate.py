"""Validation and coercion of incoming tables, once, at the boundary.

Every importer passes its frames through :func:`coerce_table` before anything is
written: required columns present, dates parseable, numbers numeric, prices
positive, keys unique. Errors name the file, the 1-based data row, the column and
the fix; nothing is half-written because the store only commits validated frames.
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd

from hedgekit._errors import MalformedDataError
from hedgekit.data._schema import TableSpec

__all__ = ["coerce_table", "normalize_ticker_column"]

logger = logging.getLogger(__name__)


def normalize_ticker_column(values: pd.Series) -> pd.Series:
    """Upper-case, strip and Yahoo-style tickers (``BRK.B`` / ``BRK/B`` -> ``BRK-B``).

    Works on the distinct values only, so a column of millions of rows costs as much as
    its few hundred tickers.
    """
    codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
    clean = pd.Series(uniques, dtype="string").str.strip().str.upper()
    clean = clean.str.replace(r"\s+", " ", regex=True).str.replace(r"[./ ]", "-", regex=True)
    table = np.empty(len(clean) + 1, dtype=object)  # last slot: code -1 (missing)
    table[:-1] = clean.astype(object).where(clean.notna(), None).to_numpy()
    table[-1] = None
    return pd.Series(table[codes], index=values.index, dtype="string")


def _first_bad(mask: np.ndarray | pd.Series) -> int:
    """1-based data row of the first True in ``mask``."""
    return int(np.flatnonzero(np.asarray(mask))[0]) + 1


def _coerce_dates(col: pd.Series, source: str, name: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(col):
        out = col
        if getattr(out.dt, "tz", None) is not None:
            # calendar dates: keep the local date (a Tokyo bar stays on its own day)
            out = out.dt.tz_localize(None)
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
    infinite = np.isinf(num.to_numpy(dtype="float64", na_value=np.nan))
    if infinite.any():
        raise MalformedDataError(source, "infinite value", row=_first_bad(infinite), column=name)
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


def coerce_table(
    frame: pd.DataFrame,
    spec: TableSpec,
    source: str,
    *,
    duplicates: Literal["error", "keep_most_complete", "repair"] = "error",
    repairs: dict[str, int] | None = None,
) -> pd.DataFrame:
    """Validate ``frame`` against ``spec`` and return a clean, typed copy.

    Parameters
    ----------
    frame : DataFrame
        Incoming rows; extra columns are dropped, missing optional ones added as nulls.
    spec : TableSpec
        The target table.
    source : str
        Name of the file the rows came from, used in error messages.
    duplicates : {'error', 'keep_most_complete', 'repair'}
        What to do with rows sharing a key. ``'keep_most_complete'`` keeps, per key,
        the row with the most non-null values, provided every other row of the key
        agrees with it wherever both have a value (exact copies, or copies with blanks);
        rows that truly conflict still raise. ``'repair'`` does the same, then resolves
        true conflicts by keeping the last row in file order (later rows supersede), and
        sets negative values of non-negative columns (shares, volume) to missing.
        Non-positive prices raise in every mode.
    repairs : dict, optional
        Receives ``{"<table>: duplicate rows dropped": n}`` for what was repaired.

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
    for name in (*[k for k in spec.key if k in spec.required], *spec.not_null):
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
                f"non-positive value {float(vals[bad][0])!r}; prices must be > 0 "
                "(drop the row or mark it missing)",
                row=_first_bad(bad),
                column=name,
            )
    for name in spec.non_negative:
        vals = df[name].to_numpy(dtype="float64", na_value=np.nan)
        bad = vals < 0
        if bad.any() and duplicates == "repair":
            df.loc[bad, name] = np.nan
            if repairs is not None:
                label = f"{spec.name}: negative {name} set to missing"
                repairs[label] = repairs.get(label, 0) + int(bad.sum())
        elif bad.any():
            raise MalformedDataError(
                source, f"negative value {float(vals[bad][0])!r}", row=_first_bad(bad), column=name
            )
    key = [k for k in spec.key if k in df.columns]
    if n and key and duplicates != "error":
        df, dropped = _drop_redundant_duplicates(df, key)
        if dropped and repairs is not None:
            label = f"{spec.name}: redundant duplicate rows dropped"
            repairs[label] = repairs.get(label, 0) + dropped
        if duplicates == "repair":
            clash = df.duplicated(subset=key, keep="last")
            if clash.any():
                df = df[~clash]
                if repairs is not None:
                    label = f"{spec.name}: conflicting duplicate rows replaced by the last one"
                    repairs[label] = repairs.get(label, 0) + int(clash.sum())
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


def _drop_redundant_duplicates(df: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, int]:
    """Keep the most complete row of each duplicated key when the others agree with it."""
    mask = df.duplicated(subset=key, keep=False)
    if not mask.any():
        return df, 0
    groups = df[mask]
    order = groups.assign(_c=groups.notna().sum(axis=1).to_numpy()).sort_values(
        "_c", ascending=False, kind="stable"
    )
    best = order.drop_duplicates(subset=key, keep="first")
    rest = order.drop(index=best.index).drop(columns="_c")
    paired = rest.reset_index(names="_row").merge(
        best.drop(columns="_c"), on=key, how="left", suffixes=("", "_best")
    )
    agree = np.ones(len(paired), dtype=bool)
    for col in df.columns:
        if col in key:
            continue
        mine, theirs = paired[col], paired[f"{col}_best"]
        same = (mine == theirs).fillna(False).to_numpy(dtype=bool)
        agree &= same | mine.isna().to_numpy() | theirs.isna().to_numpy()
    drop = pd.Index(paired.loc[agree, "_row"])
    return df.drop(index=drop), len(drop)
