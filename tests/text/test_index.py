"""EmbeddingIndex queries, point-in-time description vintages and semantic peers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError, UnknownIdentifierError
from hedgekit.text import EmbeddingIndex, company_documents, semantic_peers

# the demo market has vintages 2021-06-30 (99 names) and 2023-06-30 (100); TCVD only the later
FIRST, SECOND, ONLY_LATER = "2021-06-30", "2023-06-30", "TCVD"


# ---------------------------------------------------------------------- the index itself
def _toy() -> EmbeddingIndex:
    vecs = [[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.7, 0.7, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    info = pd.DataFrame({"name": list("abcde")}, index=list("ABCDE"))
    return EmbeddingIndex(list("ABCDE"), vecs, info=info, as_of="2022-12-30", embedder="toy")


def test_neighbours_are_sorted_by_cosine_and_skip_the_query():
    idx = _toy()
    nb = idx.neighbours("A", k=3)
    assert nb.index.tolist() == ["B", "C", "D"]
    assert nb["rank"].tolist() == [1, 2, 3]
    assert nb["similarity"].is_monotonic_decreasing
    b = np.array([0.9, 0.1, 0.0]) / np.linalg.norm([0.9, 0.1, 0.0])
    assert nb.loc["B", "similarity"] == pytest.approx(b[0], abs=1e-6)
    assert nb.loc["B", "name"] == "b"  # info columns come along
    assert idx.neighbours("A", k=2, exclude=["B"]).index.tolist() == ["C", "D"]
    assert len(idx.neighbours("A", k=50)) == 4  # never more than the others


def test_top_k_matches_one_query_at_a_time():
    rng = np.random.default_rng(1)
    tickers = [f"T{i}" for i in range(40)]
    idx = EmbeddingIndex(tickers, rng.normal(size=(40, 8)))
    rows, sims = idx.top_k(5, groups={"T0": frozenset({"T0", "T1"})})
    for i, t in enumerate(tickers):
        exclude = ["T1"] if t == "T0" else []
        expected = idx.neighbours(t, k=5, exclude=exclude)
        assert [tickers[j] for j in rows[i]] == expected.index.tolist()
        np.testing.assert_allclose(sims[i], expected["similarity"], rtol=1e-6)


def test_vectors_are_unit_and_read_only():
    idx = _toy()
    assert np.allclose(np.linalg.norm(idx.vectors, axis=1), 1.0)
    assert idx.vectors.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        idx.vectors[0, 0] = 3.0
    sub = idx.subset(["E", "A"])
    assert sub.tickers == ("E", "A") and sub.info["name"].tolist() == ["e", "a"]
    sim = idx.similarity_matrix()
    assert sim.shape == (5, 5) and np.allclose(np.diag(sim), 1.0)
    q = idx.neighbours(np.array([0.0, 0.0, 2.0]), k=1)  # a vector query keeps every row
    assert q.index.tolist() == ["E"]


def test_index_errors_name_the_problem():
    idx = _toy()
    with pytest.raises(UnknownIdentifierError, match=r"'AA'.*not in the embedding index.*A"):
        idx.neighbours("AA")
    with pytest.raises(ConfigurationError, match=r"k=0 must be a positive integer"):
        idx.neighbours("A", k=0)
    with pytest.raises(ConfigurationError, match=r"query vector has 2 dimensions, the index 3"):
        idx.neighbours(np.ones(2))
    with pytest.raises(ConfigurationError, match=r"do not match 2 tickers"):
        EmbeddingIndex(["A", "B"], np.ones((3, 2)))
    with pytest.raises(ConfigurationError, match=r"tickers \['A'\] appear more than once"):
        EmbeddingIndex(["A", "A"], np.ones((2, 2)))
    with pytest.raises(ConfigurationError, match=r"k=5 must be an integer in 1..4"):
        idx.top_k(5)


# ---------------------------------------------------------------------- point in time
def test_documents_use_the_vintage_known_at_the_date(demo_market):
    desc = demo_market.store.read("descriptions")
    text = desc.set_index(["ticker", "as_of"])["text"]
    docs, info = company_documents(demo_market.as_of("2022-06-30"), ["AMBY", ONLY_LATER])
    by = {d.ticker: d for d in docs}
    assert by["AMBY"].text == text[("AMBY", pd.Timestamp(FIRST))]
    assert info.loc["AMBY", "description_as_of"] == pd.Timestamp(FIRST)
    assert not info.loc["AMBY", "look_ahead"]
    # only a later vintage exists: used, and flagged
    assert by[ONLY_LATER].text == text[(ONLY_LATER, pd.Timestamp(SECOND))]
    assert info.loc[ONLY_LATER, "look_ahead"]
    # after the second vintage, the newer text replaces the older one
    docs, info = company_documents(demo_market.as_of("2023-12-29"), ["AMBY"])
    assert docs[0].text == text[("AMBY", pd.Timestamp(SECOND))]
    assert not info["look_ahead"].any()
    # allow_later=False drops what was not known yet
    docs, info = company_documents(
        demo_market.as_of("2022-06-30"), ["AMBY", ONLY_LATER], allow_later=False
    )
    assert [d.ticker for d in docs] == ["AMBY"]


def test_the_index_flags_look_ahead_descriptions(demo_market, hash_embedder):
    idx = EmbeddingIndex.from_market(
        demo_market, "2022-06-30", embedder=hash_embedder(), cache=False
    )
    assert idx.look_ahead[idx.look_ahead].index.tolist() == [ONLY_LATER]
    early = EmbeddingIndex.from_market(
        demo_market, "2020-06-30", embedder=hash_embedder(), cache=False
    )
    assert early.look_ahead.all()  # before the first vintage everything is a look-ahead
    assert (early.info["description_as_of"] == pd.Timestamp(FIRST)).all()
    assert ONLY_LATER not in early  # no price yet on 2020-06-30: not in the default universe


def test_semantic_peers_warn_and_flag_a_look_ahead_target(demo_market, hash_embedder):
    with pytest.warns(UserWarning, match=r"look-ahead: the target and 0 of 5 peers"):
        peers = semantic_peers(
            demo_market, ONLY_LATER, "2022-06-30", k=5, embedder=hash_embedder(), cache=False
        )
    assert peers.attrs["look_ahead"] is True
    assert not peers["look_ahead"].any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a point-in-time query warns about nothing
        clean = semantic_peers(
            demo_market,
            "AMBY",
            "2022-06-30",
            k=5,
            embedder=hash_embedder(),
            cache=False,
            universe=[t for t in demo_market.tickers if t != ONLY_LATER],
        )
    assert clean.attrs["look_ahead"] is False
    assert list(clean.columns[:5]) == [
        "rank",
        "similarity",
        "name",
        "gics_sector",
        "gics_sub_industry",
    ]
    assert "AMBY" not in clean.index and len(clean) == 5


def test_semantic_peers_of_an_unknown_ticker_suggest_close_ones(demo_market, hash_embedder):
    with pytest.raises(UnknownIdentifierError, match=r"'AMBX'.*did you mean.*AMBY"):
        semantic_peers(demo_market, "AMBX", "2022-06-30", embedder=hash_embedder(), cache=False)


def test_semantic_peers_of_a_ticker_without_description(demo_market, hash_embedder):
    idx = EmbeddingIndex.from_market(
        demo_market, "2022-06-30", embedder=hash_embedder(), universe=["AMBY", "AMPC"], cache=False
    )
    with pytest.raises(UnknownIdentifierError, match=r"'ARDN'.*ARDN has no business description"):
        semantic_peers(demo_market, "ARDN", "2022-06-30", index=idx)


@pytest.mark.realdata
def test_real_point_in_time_vintages(real_market, hash_embedder):
    emb = hash_embedder()
    late = EmbeddingIndex.from_market(real_market, "2023-06-30", embedder=emb, cache=False)
    info = late.info
    assert info.loc["WDC", "description_as_of"] == pd.Timestamp("2022-12-01")
    assert not info.loc["WDC", "look_ahead"]
    early = EmbeddingIndex.from_market(
        real_market, "2021-06-30", embedder=emb, universe=["WDC", "STX", "MOS"], cache=False
    )
    # no vintage before 2022-12: the earliest later one, flagged
    assert early.look_ahead.all()
    assert (early.info["description_as_of"] > pd.Timestamp("2021-06-30")).all()
    with pytest.warns(UserWarning, match="look-ahead"):
        peers = semantic_peers(real_market, "WDC", "2021-06-30", k=2, index=early)
    assert peers.attrs["look_ahead"] is True and peers["look_ahead"].all()


def test_combine_averages_the_cosines():
    from hedgekit.text import EmbeddingIndex

    rng = np.random.default_rng(0)
    a = EmbeddingIndex(["A", "B", "C", "D"], rng.normal(size=(4, 5)), embedder="x")
    b = EmbeddingIndex(["B", "A", "C", "E"], rng.normal(size=(4, 3)), embedder="y")
    both = EmbeddingIndex.combine([a, b])
    assert both.tickers == ("A", "B", "C")
    assert both.embedder == "x+y"
    expected = (a.similarities("A")[["A", "B", "C"]] + b.similarities("A")[["A", "B", "C"]]) / 2
    np.testing.assert_allclose(both.similarities("A").to_numpy(), expected.to_numpy(), atol=1e-6)
    with pytest.raises(ConfigurationError, match="at least one"):
        EmbeddingIndex.combine([])
