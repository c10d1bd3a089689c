"""The baseline hedge: invariants, exclusions and point in time, on the demo market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError, InsufficientHistoryError, UnknownIdentifierError
from hedgekit.hedge import baseline_hedge
from hedgekit.measures import tracking_error


@pytest.fixture(scope="module")
def setup(demo_market):
    target = (
        demo_market.manifest.get("demo_target") or demo_market.as_of(demo_market.end).members()[0]
    )
    date = demo_market.calendar[len(demo_market.calendar) - 253]
    return demo_market, target, date


def test_invariants(setup):
    market, target, date = setup
    res = baseline_hedge(market, target, date, max_names=7)
    assert res.synthetic is True
    assert res.weights.sum() == pytest.approx(1.0)
    assert (res.weights > 0).all()
    assert len(res.weights) <= 7
    assert target not in res.weights.index
    assert res.date == pd.Timestamp(date)
    # reported tracking error equals the one recomputed from returns
    rets = market.as_of(date).returns([target, *res.weights.index], window=252)
    te = tracking_error(rets[target], rets[res.weights.index] @ res.weights)
    assert res.in_sample["tracking_error"] == pytest.approx(te)
    assert res.out_of_sample is not None
    assert res.out_of_sample["observations"] == 126
    frame = res.to_frame()
    assert list(frame.columns) == ["name", "gics_sector", "gics_sub_industry", "weight"]
    assert res.to_dict()["synthetic"] is True


def test_future_data_does_not_move_the_hedge(setup, tmp_path):
    """Plant absurd prices after the hedge date: the weights must not change."""
    import shutil

    from hedgekit.data import MarketData, Store, import_bundle
    from hedgekit.data._demo import demo_bundle_path

    market, target, date = setup
    planted = tmp_path / "bundle"
    shutil.copytree(demo_bundle_path(), planted)
    px = pd.read_parquet(planted / "prices.parquet")
    late = px["date"] > pd.Timestamp(date)
    rng = np.random.default_rng(0)
    px.loc[late, "adj_close"] *= rng.uniform(0.2, 5.0, late.sum())
    px.to_parquet(planted / "prices.parquet")
    store = Store(tmp_path / "home")
    import_bundle(planted, store)
    a = baseline_hedge(market, target, date, max_names=7)
    b = baseline_hedge(MarketData(store), target, date, max_names=7)
    pd.testing.assert_series_equal(a.weights, b.weights)
    assert a.in_sample == b.in_sample
    assert a.out_of_sample != b.out_of_sample


def test_errors(setup):
    market, target, date = setup
    with pytest.raises(UnknownIdentifierError):
        baseline_hedge(market, "NOPE", date)
    with pytest.raises(ConfigurationError, match="max_names=0"):
        baseline_hedge(market, target, date, max_names=0)
    with pytest.raises(InsufficientHistoryError, match="choose a later date"):
        baseline_hedge(market, target, market.calendar[30])
