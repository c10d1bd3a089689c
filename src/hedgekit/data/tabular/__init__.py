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

One module per step: ``_read`` reads the file as it is, ``_columns`` turns its columns
into store columns (a long file renamed by a mapping, a wide file melted), ``_checks``
parses and checks every value, ``_write`` merges the rows into the store; the entry
points are :func:`import_table` (``_table``) and :func:`import_list` (``_lists``).
"""

from __future__ import annotations

from hedgekit.data.tabular._checks import MONEY_COLUMNS
from hedgekit.data.tabular._columns import Layout
from hedgekit.data.tabular._lists import LIST_KINDS, import_list
from hedgekit.data.tabular._read import read_table_file
from hedgekit.data.tabular._table import import_table
from hedgekit.data.tabular._write import ImportMode

__all__ = [
    "LIST_KINDS",
    "MONEY_COLUMNS",
    "ImportMode",
    "Layout",
    "import_list",
    "import_table",
    "read_table_file",
]
