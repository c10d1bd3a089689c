"""Market data: the store, importers, identifiers and point-in-time access."""

from __future__ import annotations

from hedgekit.data._bundle import BUNDLE_FILES, ImportReport, import_bundle
from hedgekit.data._market import (
    INDEX_ALIASES,
    DateLike,
    MarketData,
    PointInTimeData,
    Sampling,
)
from hedgekit.data._schema import TABLES, TableSpec
from hedgekit.data._store import Store, default_data_home

__all__ = [
    "BUNDLE_FILES",
    "INDEX_ALIASES",
    "TABLES",
    "DateLike",
    "ImportReport",
    "MarketData",
    "PointInTimeData",
    "Sampling",
    "Store",
    "TableSpec",
    "default_data_home",
    "import_bundle",
]
