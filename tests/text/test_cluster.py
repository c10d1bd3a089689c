"""Clustering of description embeddings: UMAP + HDBSCAN, c-TF-IDF terms, maps, AI experiment."""

from __future__ import annotations

import json
import logging
import re
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from hedgekit import ConfigurationError, DataError
from hedgekit.text import (
    ClusterResult,
    EmbeddingIndex,
    MissingDependencyError,
    ai_experiment,
    class_tfidf,
    cluster_agreement,
    cluster_embeddings,
    cluster_market,
)
from hedgekit.text.cluster._ctfidf import _clean_description

REAL_DATE = "2023-12-29"
#: the words of each planted group's descriptions
WORDS = {0: "chips and wafers", 1: "loans and deposits", 2: "crude pipelines", 3: "hotels, resorts"}


def _planted(
    n_per: int = 25, k: int = 4, dim: int = 32, outliers: int = 0, seed: int = 0
) -> tuple[EmbeddingIndex, pd.Series, pd.DataFrame]:
    """``k`` tight groups of ``n_per`` vectors around random centres (+ scattered outliers,
    labelled -1), as an index, the planted labels and a GICS-like table (sub-industry =
    planted group, sector = its parity)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    rows = [
        c + 0.15 * np.linalg.norm(c) / np.sqrt(dim) * rng.normal(size=(n_per, dim)) for c in centres
    ]
    labels = list(np.repeat(np.arange(k), n_per))
    if outliers:
        rows.append(rng.normal(size=(outliers, dim)))
        labels += [-1] * outliers
    tickers = [f"T{i:03d}" for i in range(len(labels))]
    gics = pd.DataFrame(
        {
            "name": [f"Company {t}" for t in tickers],
            "gics_sector": [f"S{lab % 2}" if lab >= 0 else "S9" for lab in labels],
            "gics_sub_industry": [f"I{lab}" for lab in labels],
        },
        index=tickers,
    )
    index = EmbeddingIndex(tickers, np.vstack(rows), info=gics[["name"]], embedder="planted")
    return index, pd.Series(labels, index=tickers, name="planted"), gics


@pytest.fixture(scope="module")
def planted_result() -> tuple[ClusterResult, pd.Series]:
    index, truth, gics = _planted()
    texts = {
        t: f"Company {t} sells {WORDS[lab]}. It was founded in 1990." for t, lab in truth.items()
    }
    return cluster_embeddings(index, securities=gics, texts=texts, seed=1), truth


# ---------------------------------------------------------------------- clustering
def test_planted_clusters_are_recovered(planted_result):
    result, truth = planted_result
    assert result.reducer == "umap"
    assert result.n_clusters == 4
    assert adjusted_rand_score(truth, result.labels.reindex(truth.index)) > 0.95
    assert result.agreement(truth)["ari"] > 0.95
    # clusters numbered by size then first ticker; the table adds up
    assert result.clusters["size"].sum() == len(truth)
    assert list(result.clusters.index) == sorted(result.clusters.index, key=lambda c: (c < 0, c))
    sizes = result.clusters.loc[result.clusters.index >= 0, "size"]
    assert sizes.is_monotonic_decreasing
    for c, row in result.clusters.iterrows():
        assert sorted(row["members"]) == sorted(result.labels.index[result.labels == c])
        assert row["top_sub_industry_share"] == pytest.approx(1.0)  # one planted group each
    # GICS scores: sub-industry = planted group
    assert result.scores.at["gics_sub_industry", "ari"] > 0.95
    assert result.coords.shape == (100, 2) and np.isfinite(result.coords.to_numpy()).all()


def test_same_seed_same_result_other_seed_same_partition():
    index, _, _ = _planted(seed=3)
    a = cluster_embeddings(index, seed=7)
    b = cluster_embeddings(index, seed=7)
    pd.testing.assert_series_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.coords.to_numpy(), b.coords.to_numpy())
    c = cluster_embeddings(index, seed=8)
    assert adjusted_rand_score(a.labels, c.labels) > 0.95  # planted groups do not depend on it


def test_noise_is_labelled_and_scored_both_ways():
    index, truth, gics = _planted(outliers=15, seed=2)
    result = cluster_embeddings(index, securities=gics, reducer="pca", seed=0)
    noise = result.labels < 0
    assert result.noise_share == pytest.approx(noise.mean()) and result.noise_share > 0
    assert (result.labels[truth >= 0] >= 0).all()  # planted members are never noise
    assert (result.labels[truth < 0] < 0).mean() >= 0.5  # most outliers are
    assert (result.probabilities[noise] == 0).all()
    assert result.clusters.index[-1] == -1
    assert result.clusters.at[-1, "size"] == noise.sum()
    assert -1 not in result.summary().index and -1 in result.summary(include_noise=True).index
    # noise excluded vs noise as one label, against sklearn directly
    ref = gics["gics_sub_industry"]
    s = result.scores.loc["gics_sub_industry"]
    keep = ~noise.to_numpy()
    assert s["ari"] == pytest.approx(adjusted_rand_score(ref[keep], result.labels[keep]))
    assert s["ari_with_noise"] == pytest.approx(adjusted_rand_score(ref, result.labels))
    assert s["n_clustered"] == keep.sum() and s["n_scored"] == len(ref)


def test_cluster_agreement_matches_sklearn_and_handles_missing_reference():
    labels = pd.Series([0, 0, 1, 1, -1, 2], index=list("abcdef"))
    ref = pd.Series(["x", "x", "y", "y", "y", None], index=list("abcdef"))
    got = cluster_agreement(labels, ref)
    assert got["n_scored"] == 5 and got["n_clustered"] == 4
    assert got["ari"] == 1.0 and got["nmi"] == pytest.approx(1.0)
    both = ["x", "x", "y", "y", "y"]
    assert got["ari_with_noise"] == pytest.approx(adjusted_rand_score(both, [0, 0, 1, 1, -1]))
    assert got["nmi_with_noise"] == pytest.approx(
        normalized_mutual_info_score(both, [0, 0, 1, 1, -1])
    )
    with pytest.raises(ConfigurationError, match="labels has 2 samples, reference 3"):
        cluster_agreement([0, 1], ["a", "b", "c"])


def test_pca_fallback_when_umap_is_missing(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` now raises ImportError
    index, truth, _ = _planted(seed=4)
    with caplog.at_level(logging.WARNING, logger="hedgekit.text.cluster._cluster"):
        result = cluster_embeddings(index)
    assert result.reducer == "pca" and result.params["reducer"] == "pca"
    assert "umap-learn is not installed" in result.params["fallback"]
    assert any("hedgekit[cluster]" in r.getMessage() for r in caplog.records)
    assert adjusted_rand_score(truth, result.labels) > 0.95
    with pytest.raises(MissingDependencyError, match=r"pip install 'hedgekit\[cluster\]'"):
        cluster_embeddings(index, reducer="umap")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_cluster_size": 1}, r"min_cluster_size=1 must be an integer >= 2"),
        ({"n_neighbors": 1.5}, r"n_neighbors=1.5 must be an integer >= 2"),
        ({"min_dist": 2.0}, r"min_dist=2.0 must be a number in \[0, 1\]"),
        ({"reducer": "tsne"}, r"reducer='tsne' must be 'auto', 'umap' or 'pca'"),
        ({"min_cluster_size": 200}, r"holds 100 companies, fewer than min_cluster_size=200"),
        ({"min_samples": 500}, r"min_samples=500 exceeds the 100 companies"),
    ],
)
def test_bad_parameters_say_how_to_fix_them(kwargs, match):
    index, _, _ = _planted()
    with pytest.raises(ConfigurationError, match=match):
        cluster_embeddings(index, **{"reducer": "pca", **kwargs})


# ---------------------------------------------------------------------- terms
def test_class_tfidf_top_terms_on_tiny_texts():
    texts = [
        "wafer fabrication and memory chips for phones",
        "memory chips and wafer testing equipment, Zorbex brand",
        "analog chips and wafer foundry services",
        "checking accounts, mortgage loans and deposits",
        "mortgage loans, deposits and wealth management",
        "commercial loans and deposits for small businesses",
    ]
    top = class_tfidf(texts, [0, 0, 0, 1, 1, 1], n_terms=3, ngram_range=(1, 1), min_df=1)
    assert [t for t, _ in top[0]][:2] in (["chips", "wafer"], ["wafer", "chips"])
    assert {t for t, _ in top[1]} >= {"deposits", "loans"}
    assert all(a[1] >= b[1] for a, b in zip(top[0], top[0][1:], strict=False))  # best first
    assert "zorbex" not in {t for t, _ in top[0]}  # one member's brand never names a cluster
    assert "and" not in {t for t, _ in top[0]}


def test_class_tfidf_weight_is_bertopics_formula():
    texts = ["alpha alpha beta", "alpha gamma", "beta beta delta", "delta gamma gamma"]
    top = class_tfidf(
        texts,
        ["a", "a", "b", "b"],
        n_terms=4,
        ngram_range=(1, 1),
        min_df=1,
        min_members=1,
        stop_words=(),
    )
    # counts per class: a = alpha 3, beta 1, gamma 1; b = beta 2, delta 2, gamma 2
    total = {"alpha": 3, "beta": 3, "gamma": 3, "delta": 2}
    mean_words = (5 + 6) / 2
    expected_a = {
        w: c / 5 * np.log1p(mean_words / total[w])
        for w, c in {"alpha": 3, "beta": 1, "gamma": 1}.items()
    }
    assert dict(top["a"]) == pytest.approx(expected_a)
    assert top["b"][0][0] == "delta"  # rarest overall, as frequent as the others in b


def test_bigrams_absorb_their_words_and_names_are_removed():
    texts = ["natural gas pipelines and natural gas storage"] * 2 + ["banks and loans"] * 2
    top = class_tfidf(texts, [0, 0, 1, 1], n_terms=3)
    terms = [t for t, _ in top[0]]
    assert "natural gas" in terms and "natural" not in terms and "gas" not in terms
    cleaned = _clean_description(
        "Acme Widgets, Inc. makes widgets. Acme sells them. The company was founded in 1901 "
        "and is headquartered in Springfield, Ohio.",
        ["Acme Widgets, Inc."],
    )
    assert "Acme" not in cleaned and "widgets" in cleaned and "Springfield" not in cleaned


# ---------------------------------------------------------------------- output
def test_png_and_html_maps_are_written(planted_result, tmp_path):
    result, _ = planted_result
    png = result.plot_png(tmp_path / "map.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = result.plot_html(tmp_path / "map_svg.html", engine="svg").read_text()
    assert "<svg" in svg and "T000 Company T000" in svg and "cluster 0" in svg
    assert "http" not in svg  # self-contained: nothing fetched
    pytest.importorskip("plotly")
    page = result.plot_html(tmp_path / "map.html").read_text()
    assert 'id="hedgekit-map"' in page and "T000" in page and "colour: GICS sector" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)  # plotly.js inlined, nothing fetched
    assert not re.search(r"<script[^>]*\bsrc=", svg)


def test_html_falls_back_to_svg_and_png_names_the_extra(planted_result, tmp_path, monkeypatch):
    result, _ = planted_result
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    assert "<svg" in result.plot_html(tmp_path / "a.html").read_text()
    with pytest.raises(MissingDependencyError, match=r"plotly.*hedgekit\[cluster\].*'svg'"):
        result.plot_html(tmp_path / "b.html", engine="plotly")
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hedgekit\[plot\]'"):
        result.plot_png(tmp_path / "a.png")


def test_tables_and_dict(planted_result):
    result, truth = planted_result
    frame = result.to_frame()
    assert list(frame.columns[:4]) == ["cluster", "probability", "x", "y"]
    assert frame.index.tolist() == list(truth.index)
    summary = result.summary(n_terms=2, n_members=3)
    assert summary["size"].sum() == len(truth) - (result.labels < 0).sum()
    assert summary["members"].str.contains(r"\(\+\d+\)").all()
    for c, terms in summary["top_terms"].items():
        group = truth[result.labels == c].mode()[0]
        assert set(terms.replace(",", " ").split()) == set(
            WORDS[group].replace(",", " ").split()
        ) - {"and"}
    assert "company" not in " ".join(summary["top_terms"])  # names, boilerplate left out
    data = json.loads(json.dumps(result.to_dict()))
    assert data["n_clusters"] == 4 and len(data["companies"]) == len(truth)
    assert data["scores"]["gics_sub_industry"]["ari"] > 0.95


# ---------------------------------------------------------------------- markets
def test_cluster_market_on_the_demo_market(demo_market, tmp_path):
    result = cluster_market(
        demo_market,
        "2023-12-29",
        "tfidf",
        cache=False,
        png=tmp_path / "d.png",
        html=tmp_path / "d.html",
        min_cluster_size=5,
    )
    assert result.embedder.startswith("tfidf") and (tmp_path / "d.png").exists()
    assert {"gics_sector", "gics_sub_industry"} <= set(result.scores.index)
    assert result.n_clusters >= 2
    assert "embed" in result.timings


def test_ai_experiment_needs_both_groups(demo_market):
    with pytest.raises(DataError, match="the experiment needs at least 2 of each"):
        ai_experiment("tfidf", demo_market, "2023-12-29", cache=False, keywords={"GPU": r"GPUs?"})
    exp = ai_experiment(
        "tfidf",
        demo_market,
        "2023-12-29",
        cache=False,
        n_permutations=49,
        keywords={"AI": r"\bAI\b", "software": r"(?i)\bsoftware\b"},
    )
    m = exp.metrics
    assert m["n_makers"] >= 2 and m["n_users"] >= 2
    assert 0 <= m["knn_purity"] <= 1 and 0 < m["knn_p_value"] <= 1
    assert m["knn_purity_chance"] == pytest.approx(
        ((m["n_makers"] - 1) * m["n_makers"] + (m["n_users"] - 1) * m["n_users"])
        / (m["n"] * (m["n"] - 1))
    )
    assert set(exp.companies["group"]) == {"maker", "user"}


@pytest.mark.realdata
def test_real_descriptions_cluster_along_gics(real_market, tmp_path):
    result = cluster_market(real_market, REAL_DATE, "tfidf", cache=False)
    assert len(result.labels) > 450 and result.n_clusters >= 5
    assert result.scores.at["gics_sector", "ari"] > 0.2
    assert result.scores.at["gics_sub_industry", "nmi"] > 0.3
    named = result.clusters[result.clusters.index >= 0]
    assert named["top_terms"].map(len).ge(5).all()
    assert named["top_sub_industry"].notna().all()
    for terms in named["top_terms"]:
        assert not {"inc", "company", "headquartered"} & set(terms)
    exp = ai_experiment("tfidf", real_market, REAL_DATE, cache=False, n_permutations=99)
    assert {"NVDA", "AMD", "MSFT"} <= set(exp.companies.index)
    assert exp.companies.at["NVDA", "group"] == "maker"
    assert exp.companies.at["MSFT", "group"] == "user"
    assert exp.metrics["knn_purity"] > exp.metrics["knn_purity_chance"]
