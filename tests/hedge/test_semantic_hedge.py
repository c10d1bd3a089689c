"""``method='nlp'`` (the study's hedge) and ``method='hybrid'`` on the real descriptions."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit import ConfigurationError, DataError, HedgekitError
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

DATE = "2022-12-30"


def _params(method: str, ticker: str = "WDC", **kw) -> PerformanceHedgeParameters:
    kw.setdefault("max_names", 10)
    kw.setdefault("max_weight", 25.0)
    ps = PositionSet([Position(ticker, quantity=1_000_000)], DATE)
    return PerformanceHedgeParameters(ps, method=method, embedder="tfidf", **kw)


@pytest.fixture(scope="module")
def index(real_market):
    from hedgekit.text import EmbeddingIndex

    return EmbeddingIndex.from_market(real_market, DATE, embedder="tfidf", allow_later=True)


@pytest.mark.realdata
def test_nlp_hedge_is_the_nearest_neighbours_equally_weighted(real_market, index):
    res = PerformanceHedge(_params("nlp"), real_market).calculate()
    c = res.get_constituents()
    assert len(c) == 10
    # equal weights up to whole shares
    np.testing.assert_allclose(c["weight"], 10.0, atol=0.05)
    # they are the 10 candidates most similar to WDC (among those passing the filters)
    sims = index.similarities("WDC")
    kept = res.diagnostics["semantic"]["similarity"]
    assert set(c.index) == set(kept)
    passed = sims.drop("WDC")
    assert min(kept.values()) >= passed.nlargest(40).min()
    assert {"STX", "MU"} & set(c.index)  # storage and memory makers
    assert res.diagnostics["semantic"]["embedder"] == "tfidf"


@pytest.mark.realdata
def test_hybrid_optimises_among_the_semantic_candidates(real_market):
    nlp = PerformanceHedge(_params("nlp"), real_market).calculate()
    hybrid = PerformanceHedge(_params("hybrid", semantic_candidates=30), real_market).calculate()
    c = hybrid.get_constituents()
    assert len(c) <= 10
    assert (c["weight"] <= 25.0 + 0.05).all()
    assert set(c.index) <= set(hybrid.diagnostics["semantic"]["similarity"])
    assert hybrid.diagnostics["semantic"]["candidates"] == 30
    te = ("in_sample", "Hedged Portfolio")
    assert hybrid.statistics.loc["tracking_error", te] < nlp.statistics.loc["tracking_error", te]


@pytest.mark.realdata
def test_semantic_hedges_keep_the_constraints(real_market):
    res = PerformanceHedge(_params("nlp", max_names=5, max_weight=15.0), real_market)
    with pytest.raises(HedgekitError, match="max_weight"):
        res.calculate()  # 5 names x 15% cannot reach 100%
    ok = PerformanceHedge(_params("nlp", max_names=8, max_weight=15.0), real_market).calculate()
    assert (ok.get_constituents()["weight"] <= 15.0 + 0.05).all()


@pytest.mark.realdata
def test_semantic_hedge_errors(real_market):
    with pytest.raises(DataError, match="no business description"):
        PerformanceHedge(_params("nlp", ticker="AA"), real_market).calculate()
    with pytest.raises(ConfigurationError, match="semantic_candidates"):
        PerformanceHedge(_params("hybrid", semantic_candidates=1), real_market).calculate()
