"""evaluate_embeddings: the metrics, and the rule that no classification label reaches the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hedgekit import ConfigurationError
from hedgekit.text import (
    ChunkingConfig,
    SentenceTransformerEmbedder,
    company_documents,
    cosine_silhouette,
    embed_documents,
    evaluate_embeddings,
)

LEVELS = ("gics_sector", "gics_industry_group", "gics_industry", "gics_sub_industry")


def test_cosine_silhouette_is_scikit_learns():
    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is not installed")
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 12))
    labels = rng.integers(0, 4, size=80)
    labels[0] = 5  # a singleton cluster scores 0 in both
    x = centres[labels % 4] + rng.normal(scale=0.8, size=(80, 12))
    ref = metrics.silhouette_score(x, labels, metric="cosine")
    assert cosine_silhouette(x, labels) == pytest.approx(ref, abs=1e-12)
    # cosine distance ignores the lengths of the rows; the labels' names do not matter
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    names = np.array([f"c{lab}" for lab in labels])
    assert cosine_silhouette(unit, names) == pytest.approx(ref, abs=1e-12)
    # the precomputed distances the AI experiment's permutations use give the same number
    dist = metrics.pairwise.cosine_distances(x)
    precomputed = metrics.silhouette_score(dist, labels, metric="precomputed")
    assert precomputed == pytest.approx(ref, abs=1e-12)


def test_cosine_silhouette_on_a_hand_computed_example():
    # two tight pairs at right angles: a_i = 1 - cos(small angle), b_i ~ 1
    x = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0]])
    cos = (x @ x.T) / np.outer(np.linalg.norm(x, axis=1), np.linalg.norm(x, axis=1))
    d = 1.0 - cos
    a = np.array([d[0, 1], d[0, 1], d[2, 3], d[2, 3]])
    b = np.array([d[0, 2:].mean(), d[1, 2:].mean(), d[2, :2].mean(), d[3, :2].mean()])
    assert cosine_silhouette(x, [0, 0, 1, 1]) == pytest.approx(np.mean((b - a) / np.maximum(a, b)))


@pytest.mark.parametrize(
    "labels", [np.zeros(6), np.arange(6)], ids=["one label", "one label per sample"]
)
def test_cosine_silhouette_says_how_many_labels_it_needs(labels):
    x = np.random.default_rng(1).normal(size=(6, 3))
    with pytest.raises(
        ConfigurationError, match=r"needs 2 to n_samples - 1 distinct labels, got \d+ for 6"
    ):
        cosine_silhouette(x, labels)


def _label_leaks(market, as_of, texts, tickers, name_header):
    """Check every text sent to the model; returns the number checked."""
    view = market.as_of(as_of)
    sec = view.securities(tickers)
    desc = view.descriptions(tickers)
    checked = 0
    for text in texts:
        ticker = next(t for t in tickers if f"({t}): " in text)
        raw = desc.at[ticker, "text"]
        name = desc.at[ticker, "name"]
        header = f"{name} ({ticker}): " if name_header else f"{ticker}: "
        assert text.startswith(header), text[:80]
        body = text[len(header) :]
        assert body in raw  # nothing but the description follows the header
        labels = [sec.at[ticker, c] for c in LEVELS] + [
            desc.at[ticker, c] for c in ("sector", "industry")
        ]
        for label in labels:
            if not isinstance(label, str) or not label:
                continue
            if label.lower() in header.lower():  # only possible through the company's own name
                assert label.lower() in str(name).lower(), (ticker, label)
            if label.lower() not in raw.lower():  # a label absent from the description ...
                assert label.lower() not in text.lower(), (ticker, label)  # ... never appears
        checked += 1
    return checked


def test_evaluation_refuses_a_classification_header(demo_market):
    for field in ("gics_sector", "gics_sub_industry", "industry", "sector"):
        config = ChunkingConfig(header=("name", field))
        with pytest.raises(ConfigurationError, match=rf"\['{field}'\] put classification labels"):
            evaluate_embeddings(demo_market, "tfidf", as_of="2021-06-30", chunking=config)


def test_the_text_sent_to_the_model_holds_no_classification_label(demo_market, hash_embedder):
    spy = hash_embedder()
    config = ChunkingConfig(24, 4, header=("name", "ticker"))
    table = evaluate_embeddings(
        demo_market, spy, as_of="2021-06-30", k=5, chunking=config, cache=False
    )
    assert table.loc["hash-v1", "n_companies"] > 80
    tickers = list(demo_market.as_of("2021-06-30").descriptions().index)
    assert _label_leaks(demo_market, "2021-06-30", spy.seen, tickers, True) == len(spy.seen)
    # the check can fail: a header with the sub-industry puts "Biotechnology" into the text
    docs, _ = company_documents(
        demo_market.as_of("2021-06-30"), ["AMBY"], fields=("name", "gics_sub_industry")
    )
    assert "biotechnology" not in docs[0].text.lower()
    leaky = hash_embedder()
    embed_documents(docs, leaky, ChunkingConfig(header=("name", "gics_sub_industry")))
    assert all("gics sub industry: Biotechnology" in t for t in leaky.seen)


@pytest.mark.realdata
def test_no_label_leak_on_the_real_descriptions(real_market, hash_embedder):
    spy = hash_embedder()
    config = ChunkingConfig(64, 16, header=("name", "ticker"))
    evaluate_embeddings(
        real_market, spy, as_of="2022-12-01", k=5, chunking=config, cache=False, window=60
    )
    have = set(real_market.tickers)
    tickers = [t for t in real_market.as_of("2022-12-01").descriptions().index if t in have]
    assert len(spy.seen) > 1000
    assert _label_leaks(real_market, "2022-12-01", spy.seen, tickers, True) == len(spy.seen)


def test_evaluation_table_on_the_demo_market(demo_market, hash_embedder):
    table = evaluate_embeddings(
        demo_market,
        ["tfidf", hash_embedder()],
        as_of="2021-06-30",
        k=5,
        cache=False,
        returns_window="after",
    )
    assert table.index.tolist() == ["tfidf-svd256", "hash-v1"]
    assert (table["status"] == "ok").all()
    for col in ("silhouette_sector", "silhouette_sub_industry"):
        assert table[col].between(-1, 1).all()
    for col in (
        "knn_top1_sub_industry",
        "knn_majority_sub_industry",
        "precision_at_k_sub_industry",
    ):
        assert table[col].between(0, 1).all()
    assert (table["n_scored"] <= table["n_companies"]).all()
    # the random baseline is the same draw for every backend
    assert table["corr_random"].nunique() == 1 and table["corr_sub_industry"].nunique() == 1
    assert table.attrs["returns_start"] > pd.Timestamp("2021-06-30")
    assert table.attrs["n_returns"] == 252 and table.attrs["look_ahead_companies"] == 0
    # the synthetic market's descriptions carry its industry structure: TF-IDF finds it
    assert table.loc["tfidf-svd256", "knn_top1_sub_industry"] > 0.5
    assert table.loc["tfidf-svd256", "corr_semantic"] > table.loc["tfidf-svd256", "corr_random"]


def test_an_unavailable_backend_is_reported_not_raised(demo_market, tmp_path):
    broken = tmp_path / "no-such-model"
    broken.mkdir()
    (broken / "config.json").write_text("{")
    pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    table = evaluate_embeddings(
        demo_market,
        ["tfidf", SentenceTransformerEmbedder(broken)],
        as_of="2021-06-30",
        cache=False,
        skip_unavailable=True,
        returns_window="before",
    )
    assert table.loc["no-such-model", "status"].startswith("not run: cannot load")
    assert np.isnan(table.loc["no-such-model", "corr_semantic"])
    assert table.loc["tfidf-svd256", "status"] == "ok"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"returns_window": "during"}, r"returns_window='during' must be 'after'"),
        ({"k": 0}, r"k=0 must be a positive integer"),
        ({"min_coverage": 0}, r"min_coverage=0 must be in \(0, 1\]"),
        ({"k": 500}, r"need more than k \+ 1 = 501"),
    ],
)
def test_evaluation_parameter_errors(demo_market, kwargs, match):
    with pytest.raises((ConfigurationError, ValueError), match=match):
        evaluate_embeddings(demo_market, "tfidf", as_of="2021-06-30", cache=False, **kwargs)


@pytest.mark.realdata
def test_tfidf_evaluation_on_real_data_beats_random(real_market):
    table = evaluate_embeddings(
        real_market, "tfidf", as_of="2022-12-01", returns_window="before", cache=False
    )
    row = table.loc["tfidf-svd256"]
    assert row["n_companies"] > 450
    assert row["knn_top1_sub_industry"] > 0.45
    assert row["corr_semantic"] > row["corr_random"] + 0.1
    assert table.attrs["returns_end"] <= pd.Timestamp("2022-12-01")


# ---------------------------------------------------------------- no network unless asked
@pytest.mark.parametrize(
    "backends",
    [
        ["tfidf", "nomic"],
        ["nomic-ai/nomic-embed-text-v1.5"],
        ["minilm+sentence-transformers/all-mpnet-base-v2"],
        "some-org/some-model",
    ],
)
def test_hub_models_are_refused_before_any_work_unless_allowed(backends, demo_market, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    def no_work(*_args, **_kwargs):
        raise AssertionError("work started before the download check")

    monkeypatch.setattr("hedgekit.text._evaluation.get_embedder", no_work)
    monkeypatch.setattr("hedgekit.text._evaluation.company_documents", no_work)
    with pytest.raises(ConfigurationError, match=r"hub model.*--allow-download"):
        evaluate_embeddings(demo_market, backends, as_of="2021-06-30", skip_unavailable=True)


def test_hub_models_load_when_allowed_or_offline(demo_market, monkeypatch):
    """With allow_download, or HF_HUB_OFFLINE=1 (the libraries read only the cache), the
    name goes on to the loader; here a stub that records it."""
    from hedgekit import HedgekitError

    asked = []

    def stub(name, **_kwargs):
        asked.append(name)
        raise HedgekitError(f"stub: {name} not loaded")

    monkeypatch.setattr("hedgekit.text._evaluation.get_embedder", stub)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    for kwargs, offline in (({"allow_download": True}, "0"), ({}, "1")):
        monkeypatch.setenv("HF_HUB_OFFLINE", offline)
        table = evaluate_embeddings(
            demo_market, ["nomic"], as_of="2021-06-30", cache=False,
            skip_unavailable=True, returns_window="before", **kwargs,
        )  # fmt: skip
        assert table.loc["nomic", "status"] == "not run: stub: nomic not loaded"
    assert asked == ["nomic", "nomic"]


def test_local_backends_need_no_permission(demo_market, hash_embedder, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    folder = tmp_path / "my-model"
    folder.mkdir()
    table = evaluate_embeddings(
        demo_market, ["tfidf", hash_embedder(), str(folder)], as_of="2021-06-30", k=5,
        cache=False, skip_unavailable=True, returns_window="before",
    )  # fmt: skip
    assert table.loc["tfidf-svd256", "status"] == "ok"
    assert table.loc["hash-v1", "status"] == "ok"
    assert table.loc[str(folder), "status"].startswith("not run")  # tried locally, no hub
