"""Market data: the store, importers, identifiers, point-in-time access and checks."""

from __future__ import annotations

from hedgekit.data._bundle import BUNDLE_FILES, ImportReport, import_bundle
from hedgekit.data._demo import open_market
from hedgekit.data._market import (
    INDEX_ALIASES,
    MarketData,
    PointInTimeData,
    Sampling,
)
from hedgekit.data._schema import TABLES, TableSpec
from hedgekit.data._store import Store, default_data_home
from hedgekit.data._tabular import import_list, import_table
from hedgekit.data._yahoo import YahooClient, YFinanceClient, pull
from hedgekit.data.quality import QualityReport, check_data, plot_coverage

__all__ = [
    "BUNDLE_FILES",
    "INDEX_ALIASES",
    "TABLES",
    "ImportReport",
    "MarketData",
    "PointInTimeData",
    "QualityReport",
    "Sampling",
    "Store",
    "TableSpec",
    "YFinanceClient",
    "YahooClient",
    "check_data",
    "default_data_home",
    "import_bundle",
    "import_list",
    "import_table",
    "open_market",
    "plot_coverage",
    "pull",
]
