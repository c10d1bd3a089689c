"""The embedded demo market: a simulated bundle shipped inside the package.

It is built by ``scripts/make_demo_market.py`` (seeded, documented) and lets
``hedgekit demo`` run with no network and no real data. Every result built on it
is synthetic, and says so.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from hedgekit._errors import DataError
from hedgekit.data._bundle import ImportReport, import_bundle
from hedgekit.data._store import Store

__all__ = ["demo_bundle_path", "ensure_demo_store"]


def demo_bundle_path() -> Path:
    """Directory of the packaged demo bundle."""
    path = Path(str(resources.files("hedgekit.data") / "_bundled" / "demo"))
    if not (path / "prices.parquet").exists():
        raise DataError(
            f"the demo market is missing from the installation ({path}); "
            "rebuild it with `python scripts/make_demo_market.py` or reinstall hedgekit"
        )
    return path


def ensure_demo_store(store: Store) -> ImportReport | None:
    """Import the demo market into ``store`` unless it already holds data."""
    if store.exists():
        return None
    return import_bundle(demo_bundle_path(), store)
