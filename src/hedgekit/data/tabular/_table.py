"""The entry point :func:`import_table`: one CSV or Parquet file into one store table."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.data._bundle import ImportReport
from hedgekit.data._schema import table_spec
from hedgekit.data._store import Store
from hedgekit.data.tabular._checks import _check_fx, _validate
from hedgekit.data.tabular._columns import Layout, _map_columns, _wide
from hedgekit.data.tabular._read import read_table_file
from hedgekit.data.tabular._write import ImportMode, _write

__all__ = ["import_table"]

logger = logging.getLogger(__name__)

_E = TypeVar("_E", bound=StrEnum)


def _choice(enum: type[_E], value: _E | str, name: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise ConfigurationError(f"{name}={value!r} is not one of {allowed}") from None


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
