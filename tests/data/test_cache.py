"""The data layer's cache: one LRU policy per region, clear, stats; one market per store."""

from __future__ import annotations

import pickle
import shutil

import pandas as pd
import pytest

from hedgekit import StoreNotFoundError
from hedgekit.data import Cache, MarketData, Store, import_bundle, shared_market
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet


def test_regions_evict_least_recently_used():
    cache = Cache({"a": 2})
    cache.put("a", 1, "one")
    cache.put("a", 2, "two")
    assert cache.get("a", 1) == "one"  # 1 is now the most recent
    cache.put("a", 3, "three")
    assert cache.get("a", 2) is None and cache.get("a", 1) == "one"
    calls = []
    assert cache.get_or_compute("b", "k", lambda: calls.append(1) or 7) == 7
    assert cache.get_or_compute("b", "k", lambda: calls.append(1) or 8) == 7
    assert calls == [1]
    stats = cache.stats()
    assert stats["a"].entries == 2 and stats["a"].maxsize == 2 and stats["a"].hits == 2
    cache.clear("a")
    assert cache.get("a", 1) is None and cache.get("b", "k") == 7
    cache.clear()
    assert cache.stats() == {}
    copy = pickle.loads(pickle.dumps(Cache({"a": 3})))
    assert copy.maxsize("a") == 3


def test_the_hedge_keeps_its_fits_in_the_markets_cache(demo_market):
    demo_market.cache.clear()
    ps = PositionSet([Position("KSTD", 1_000_000)], "2022-12-30")
    PerformanceHedge(PerformanceHedgeParameters(ps, max_names=5), demo_market).weights()
    stats = demo_market.cache.stats()
    assert stats["hedge_universe"].entries == 1 and stats["estimate"].entries == 1
    PerformanceHedge(PerformanceHedgeParameters(ps, max_names=5), demo_market).weights()
    assert demo_market.cache.stats()["estimate"].hits >= 1
    assert not any(k.endswith("_cache") for k in vars(demo_market))


def test_shared_market_is_reused_until_the_store_changes(tmp_path, monkeypatch):
    from hedgekit.data._demo import demo_bundle_path

    home = tmp_path / "home"
    with pytest.raises(StoreNotFoundError):
        shared_market(home)
    import_bundle(demo_bundle_path(), Store(home))
    first = shared_market(home)
    assert shared_market(home) is first
    monkeypatch.setenv("HEDGEKIT_DATA", str(home))
    ps = PositionSet([Position("KSTD", 1_000_000)], "2022-12-30")
    engine = PerformanceHedge(PerformanceHedgeParameters(ps, max_names=5))
    engine.weights()
    assert engine.market is first  # no market passed: the process's market
    bundle = tmp_path / "bundle"
    shutil.copytree(demo_bundle_path(), bundle)
    import_bundle(bundle, Store(home))  # a new snapshot
    second = shared_market(home)
    assert second is not first and second.version != first.version
    assert isinstance(second, MarketData)


def test_price_panels_are_kept_per_snapshot_and_read_only(tmp_path):

    from hedgekit.data._demo import demo_bundle_path

    home = tmp_path / "home"
    import_bundle(demo_bundle_path(), Store(home))
    first = MarketData(Store(home))
    built = first._panels
    kept = home / "cache" / "panels" / first.version
    assert (kept / "adj_close.npy").exists() and (kept / "index.json").exists()
    again = MarketData(Store(home))._panels  # a new process would read these
    for field, frame in built.items():
        pd.testing.assert_frame_equal(again[field], frame)
    arr = again["close"].to_numpy()
    assert not arr.flags.writeable  # memory-mapped, read-only
    with pytest.raises(ValueError, match="read-only"):
        arr[0, 0] = 1.0
