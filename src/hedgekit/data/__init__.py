"""Market data: the store, importers, identifiers, point-in-time access and checks."""

from __future__ import annotations

from hedgekit.data._bundle import BUNDLE_FILES, ImportReport, import_bundle
from hedgekit.data._cache import Cache, CacheStats
from hedgekit.data._corporate import ACTION_TYPES, canonical_action_type
from hedgekit.data._demo import ensure_demo_store, open_market
from hedgekit.data._geography import COUNTRIES, REGIONS
from hedgekit.data._gics import resolve_gics_name
from hedgekit.data._market import INDEX_ALIASES, MarketData, shared_market
from hedgekit.data._schema import TABLES, TableSpec
from hedgekit.data._store import Store, default_data_home
from hedgekit.data._view import PointInTimeData, Sampling
from hedgekit.data.quality import QualityReport, check_data, plot_coverage
from hedgekit.data.tabular import import_list, import_table
from hedgekit.data.yahoo import YahooClient, YFinanceClient, pull

__all__ = [
    "ACTION_TYPES",
    "BUNDLE_FILES",
    "COUNTRIES",
    "INDEX_ALIASES",
    "REGIONS",
    "TABLES",
    "Cache",
    "CacheStats",
    "ImportReport",
    "MarketData",
    "PointInTimeData",
    "QualityReport",
    "Sampling",
    "Store",
    "TableSpec",
    "YFinanceClient",
    "YahooClient",
    "canonical_action_type",
    "check_data",
    "default_data_home",
    "ensure_demo_store",
    "import_bundle",
    "import_list",
    "import_table",
    "open_market",
    "plot_coverage",
    "pull",
    "resolve_gics_name",
    "shared_market",
]
