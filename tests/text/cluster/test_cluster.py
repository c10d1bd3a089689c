"""cluster_embeddings and cluster_market: UMAP + HDBSCAN on planted groups and markets."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from hedgekit import ConfigurationError
from hedgekit.text import MissingDependencyError, cluster_embeddings, cluster_market

REAL_DATE = "2023-12-29"


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


def test_same_seed_same_result_other_seed_same_partition(planted):
    index, _, _ = planted(seed=3)
    a = cluster_embeddings(index, seed=7)
    b = cluster_embeddings(index, seed=7)
    pd.testing.assert_series_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.coords.to_numpy(), b.coords.to_numpy())
    c = cluster_embeddings(index, seed=8)
    assert adjusted_rand_score(a.labels, c.labels) > 0.95  # planted groups do not depend on it


def test_noise_is_labelled_and_scored_both_ways(planted):
    index, truth, gics = planted(outliers=15, seed=2)
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


def test_pca_fallback_when_umap_is_missing(planted, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` now raises ImportError
    index, truth, _ = planted(seed=4)
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
def test_bad_parameters_say_how_to_fix_them(planted, kwargs, match):
    index, _, _ = planted()
    with pytest.raises(ConfigurationError, match=match):
        cluster_embeddings(index, **{"reducer": "pca", **kwargs})


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
