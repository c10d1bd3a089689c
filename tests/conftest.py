"""Shared fixtures: the real-data bundle path, an imported real store, the demo store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

# the machines that run the tests are shared and loaded: a property is judged on its
# result, not on a 200 ms wall-clock deadline (speed is measured by benchmarks/)
settings.register_profile("hedgekit", deadline=None)
settings.load_profile("hedgekit")
DEFAULT_REAL_DATA = REPO.parent / "shared" / "data" / "us_equities"


def real_data_path() -> Path:
    """Path of the real bundle: ``$HEDGEKIT_TEST_DATA`` or ``<repo>/../shared/data/us_equities``."""
    return Path(os.environ.get("HEDGEKIT_TEST_DATA", DEFAULT_REAL_DATA)).expanduser()


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real bundle directory; skips the test (with the reason) when it is absent."""
    path = real_data_path()
    if not (path / "prices.parquet").exists():
        if os.environ.get("HEDGEKIT_REQUIRE_REAL_DATA"):
            pytest.fail(f"HEDGEKIT_REQUIRE_REAL_DATA is set but {path} holds no prices.parquet")
        pytest.skip(
            f"real data not found at {path}; set HEDGEKIT_TEST_DATA to the us_equities folder"
        )
    return path


@pytest.fixture(scope="session")
def real_store(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A store holding the whole real bundle, imported once per test session."""
    from hedgekit.data import Store, import_bundle

    store = Store(tmp_path_factory.mktemp("real_home"))
    import_bundle(real_data_dir, store)
    return store


@pytest.fixture(scope="session")
def real_market(real_store):
    """MarketData over the imported real bundle (panels cached for the session)."""
    from hedgekit.data import MarketData

    return MarketData(real_store)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory):
    """A store holding the embedded synthetic demo market."""
    from hedgekit.data import Store, import_bundle
    from hedgekit.data._demo import demo_bundle_path

    store = Store(tmp_path_factory.mktemp("demo_home"))
    import_bundle(demo_bundle_path(), store)
    return store


@pytest.fixture(scope="session")
def demo_market(demo_store):
    """MarketData over the demo market."""
    from hedgekit.data import MarketData

    return MarketData(demo_store)


@pytest.fixture(scope="session")
def real_risk_model(real_market):
    """A factor risk model on the real data, 2020-12-31..2022-12-30 (fitted once, ~5 s)."""
    from hedgekit.risk import FactorRiskModel

    return FactorRiskModel("2020-12-31", "2022-12-30").fit(real_market)


@pytest.fixture(scope="session")
def demo_variant(tmp_path_factory: pytest.TempPathFactory):
    """A factory: ``demo_variant(name, edit)`` imports the demo bundle with its prices
    table passed through ``edit`` (a DataFrame in, a DataFrame out) into a store of its
    own, and returns the MarketData over it."""
    import shutil

    import pandas as pd

    from hedgekit.data import MarketData, Store, import_bundle
    from hedgekit.data._demo import demo_bundle_path

    def make(name: str, edit):
        tmp = tmp_path_factory.mktemp(name)
        bundle = tmp / "bundle"
        shutil.copytree(demo_bundle_path(), bundle)
        prices = pd.read_parquet(bundle / "prices.parquet")
        edit(prices).to_parquet(bundle / "prices.parquet")
        store = Store(tmp / "home")
        import_bundle(bundle, store)
        return MarketData(store)

    return make


@pytest.fixture(scope="session")
def planted_demo(demo_variant):
    """A factory: ``planted_demo(date, seed)`` is the demo market with every price after
    ``date`` scaled at random (x0.3..x3): a point-in-time computation on or before
    ``date`` must not see the difference."""
    import numpy as np
    import pandas as pd

    def make(date: str, seed: int):
        def scale(px):
            late = px["date"] > pd.Timestamp(date)
            factor = np.random.default_rng(seed).uniform(0.3, 3.0, late.sum())[:, None]
            px.loc[late, ["close", "adj_close"]] *= factor
            return px

        return demo_variant(f"planted_{seed}", scale)

    return make
