"""The embedded demo market: a simulated bundle shipped inside the package.

It is built by ``scripts/make_demo_market.py`` (seeded, documented) and lets
``hedgekit demo`` run with no network and no real data. Every result built on it
is synthetic, and says so.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from hedgekit._errors import DataError
from hedgekit.data._bundle import ImportReport, import_bundle
from hedgekit.data._market import MarketData
from hedgekit.data._store import Store

__all__ = ["demo_bundle_path", "ensure_demo_store", "open_market"]


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


def open_market(data: str | os.PathLike[str] = "demo") -> MarketData:
    """The market of ``'demo'``, a bundle folder or a data home (notebooks, scripts).

    ``'demo'`` and a bundle folder (one holding ``prices.parquet`` or ``prices.csv``) are
    imported into a temporary store that is removed when the process exits; any other folder
    is opened as a data home.
    """
    if str(data) == "demo":
        bundle = demo_bundle_path()
    else:
        path = Path(data).expanduser()
        if not any((path / f"prices.{ext}").exists() for ext in ("parquet", "csv")):
            return MarketData(Store(path))
        bundle = path
    home = tempfile.mkdtemp(prefix="hedgekit-market-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    store = Store(home)
    import_bundle(bundle, store)
    return MarketData(store)
