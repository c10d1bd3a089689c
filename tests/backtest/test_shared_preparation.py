"""The shared preparation (one base per position and date, the grid's refit reused) gives
exactly the baskets of the unshared path: each hedge prepared from scratch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit.backtest._batch import DateBatch
from hedgekit.backtest._engine import _alone
from hedgekit.backtest._methods import (
    GRID_FOLDS,
    GRID_LASSO,
    GRID_RIDGE,
    METHODS,
    BacktestSettings,
    _params,
)
from hedgekit.hedge import PerformanceHedge
from hedgekit.hedge._prepare import prepare

pytestmark = pytest.mark.realdata

#: a member, one with another share class in the index, an energy name, a 2023 joiner
TARGETS = ("AAPL", "GOOGL", "XOM", "LULU")
#: the methods that call the performance hedge (the others never prepare one)
OPTIMISED = ("default", "returns", "returns_grid", "factor", "factor_study", "nlp", "hybrid")
DATE, NEXT = pd.Timestamp("2022-06-30"), pd.Timestamp("2022-07-29")


def test_shared_baskets_equal_unshared_baskets(real_store, real_market, real_risk_model):
    """Every optimised method of every target: the basket built with the date's shared
    memo and the market's cached bases equals, to the last bit, the basket of a hedge
    prepared alone (the market's bases cleared before it, a context of its own)."""
    from hedgekit.data import MarketData

    settings = BacktestSettings(embedder="tfidf")
    extras = {"study_model": real_risk_model}
    batch = DateBatch(real_market, DATE, NEXT, TARGETS, settings, real_risk_model, extras)
    alone_market = MarketData(real_store)
    alone_batch = DateBatch(alone_market, DATE, NEXT, TARGETS, settings, real_risk_model, extras)
    real_market.cache.clear("hedge_base")
    for target in TARGETS:
        ctx = batch.context(target)
        for method in OPTIMISED:
            shared = METHODS[method](ctx)
            alone_market.cache.clear("hedge_base")
            alone = METHODS[method](_alone(alone_batch, target))
            assert alone_market.cache.stats()["hedge_base"].hits == 0
            pd.testing.assert_series_equal(shared.stocks, alone.stocks, check_exact=True)
            pd.testing.assert_series_equal(shared.etfs, alone.etfs, check_exact=True)
            assert shared.note == alone.note
            assert shared.names > 0
    # one base per target, computed once, read by its other six hedges (the grid's too)
    stats = real_market.cache.stats()["hedge_base"]
    assert stats.misses == len(TARGETS)
    assert stats.hits >= len(TARGETS) * (len(OPTIMISED) - 1)


def test_prepared_inputs_equal_and_copies_handed_out(real_market):
    """The shared base's Prepared equals a fresh one field by field, and what a result
    may hand out (portfolio, window returns, filters) is a copy: changing it does not
    reach the next hedge of the position."""
    settings = BacktestSettings()
    batch = DateBatch(real_market, DATE, NEXT, ["XOM"], settings)
    params = _params(batch.context("XOM"), estimator="sample")
    real_market.cache.clear("hedge_base")
    fresh = prepare(params, real_market)
    shared = prepare(params, real_market)  # from the cached base
    assert real_market.cache.stats()["hedge_base"].hits >= 1
    pd.testing.assert_frame_equal(fresh.candidate_returns, shared.candidate_returns)
    pd.testing.assert_frame_equal(fresh.securities, shared.securities)
    pd.testing.assert_frame_equal(fresh.portfolio, shared.portfolio)
    pd.testing.assert_series_equal(fresh.target_returns, shared.target_returns)
    pd.testing.assert_series_equal(fresh.adv_shares, shared.adv_shares)
    np.testing.assert_array_equal(fresh.upper, shared.upper)
    assert fresh.filters.removed == shared.filters.removed
    assert fresh.moments is not None and shared.moments is not None
    np.testing.assert_array_equal(fresh.moments.covariance, shared.moments.covariance)
    shared.portfolio["weight"] = 0.0
    shared.target_returns.iloc[:] = 0.0
    shared.filters.drop("test", shared.filters.names[:5])
    again = prepare(params, real_market)
    pd.testing.assert_frame_equal(fresh.portfolio, again.portfolio)
    pd.testing.assert_series_equal(fresh.target_returns, again.target_returns)
    assert fresh.filters.removed == again.filters.removed
    assert fresh.filters.names == again.filters.names


def test_grid_refit_reuses_the_solved_basket(real_market):
    """``grid_weights(solved=...)`` returns the known basket when the chosen pair's
    parameters are a key, and that basket is what the refit would have given."""
    batch = DateBatch(real_market, DATE, NEXT, ["XOM"], BacktestSettings())
    params = _params(batch.context("XOM"), estimator="sample")
    engine = PerformanceHedge(params, real_market)
    refit, best = engine.grid_weights(GRID_LASSO, GRID_RIDGE, folds=GRID_FOLDS)
    assert PerformanceHedge(best, real_market).weights().equals(refit)
    marker = refit * 0.5  # not a basket: only proves it was taken from ``solved``
    w, best2 = engine.grid_weights(GRID_LASSO, GRID_RIDGE, folds=GRID_FOLDS, solved={best: marker})
    assert best2 == best
    assert w is marker
    w3, _ = engine.grid_weights(
        GRID_LASSO, GRID_RIDGE, folds=GRID_FOLDS, solved={best.replace(max_names=3): marker}
    )
    assert w3.equals(refit)
