"""The embedding cache: hits, misses on any change, recovery from a damaged file."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit.text import (
    CacheEntry,
    ChunkingConfig,
    Document,
    EmbeddingCache,
    TfidfSvdEmbedder,
    default_cache_dir,
    embed_documents,
)

DOCS = [
    Document("WDC", "hard disk drives and flash storage for data centres", {"name": "Western"}),
    Document("STX", "hard disk drives for cloud data storage", {"name": "Seagate"}),
    Document("MOS", "phosphate and potash crop nutrients from mines", {"name": "Mosaic"}),
]
CONFIG = ChunkingConfig(8, 2, header=("name",))


def _only_namespace(cache: EmbeddingCache):
    files = sorted(cache.directory.glob("*.parquet"))
    assert len(files) == 1
    return files[0]


def test_second_call_hits_the_cache_and_does_not_embed(tmp_path, hash_embedder):
    cache = EmbeddingCache(tmp_path)
    emb = hash_embedder()
    first = embed_documents(DOCS, emb, CONFIG, cache)
    assert emb.calls == 1 and not first.from_cache.any()
    again = hash_embedder()
    second = embed_documents(DOCS, again, CONFIG, cache)
    assert again.calls == 0 and second.from_cache.all()
    np.testing.assert_array_equal(first.vectors, second.vectors)
    np.testing.assert_array_equal(first.n_chunks, second.n_chunks)
    np.testing.assert_array_equal(first.n_tokens, second.n_tokens)
    assert list(tmp_path.glob("*.tmp")) == []  # atomic write leaves no temporary file


def test_changed_text_misses_only_that_document(tmp_path, hash_embedder):
    cache = EmbeddingCache(tmp_path)
    embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    changed = [*DOCS[:2], Document("MOS", DOCS[2].text + " and nitrogen", DOCS[2].fields)]
    emb = hash_embedder()
    result = embed_documents(changed, emb, CONFIG, cache)
    assert result.from_cache.tolist() == [True, True, False]
    assert emb.seen and all(t.startswith("Mosaic: ") for t in emb.seen)  # only MOS embedded


def test_changed_header_value_misses(tmp_path, hash_embedder):
    cache = EmbeddingCache(tmp_path)
    embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    renamed = [Document("WDC", DOCS[0].text, {"name": "WD"}), *DOCS[1:]]
    result = embed_documents(renamed, hash_embedder(), CONFIG, cache)
    assert result.from_cache.tolist() == [False, True, True]


@pytest.mark.parametrize(
    "change",
    [
        {"tag": "v2"},  # another model: another fingerprint
        {"dim": 8},
        {"config": ChunkingConfig(8, 3, header=("name",))},
        {"config": ChunkingConfig(16, 2, header=("name",))},
        {"config": ChunkingConfig(8, 2, header=("name", "ticker"))},
    ],
)
def test_changed_model_or_settings_miss(tmp_path, hash_embedder, change):
    cache = EmbeddingCache(tmp_path)
    embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    config = change.pop("config", CONFIG)
    emb = hash_embedder(**change)
    result = embed_documents(DOCS, emb, config, cache)
    assert not result.from_cache.any() and emb.calls == 1
    assert len(list(tmp_path.glob("*.parquet"))) == 2  # one file per (model, settings)


def test_a_damaged_cache_file_is_recomputed_with_a_warning(tmp_path, hash_embedder):
    cache = EmbeddingCache(tmp_path)
    good = embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    path = _only_namespace(cache)
    path.write_bytes(b"PAR1 this is not a parquet file")
    emb = hash_embedder()
    with pytest.warns(UserWarning, match=r"embedding cache file .* is unreadable.*recomputed"):
        result = embed_documents(DOCS, emb, CONFIG, cache)
    assert emb.calls == 1 and not result.from_cache.any()
    np.testing.assert_allclose(result.vectors, good.vectors)
    # the file was rewritten and reads cleanly again
    third = embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    assert third.from_cache.all()


def test_a_truncated_cache_file_is_recomputed(tmp_path, hash_embedder):
    cache = EmbeddingCache(tmp_path)
    embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    path = _only_namespace(cache)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match="unreadable"):
        result = embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    assert not result.from_cache.any()


def test_a_file_with_the_wrong_dimension_is_not_trusted(tmp_path):
    cache = EmbeddingCache(tmp_path)
    ns = cache.namespace("fp", {"max_tokens": 8})
    cache.put(ns, {"a": CacheEntry(np.ones(4, np.float32), 1, 3)}, dim=4)
    with pytest.warns(UserWarning, match="4 dimensions, expected 3"):
        assert cache.get(ns, ["a"], dim=3) == {}


def test_put_merges_and_replaces_entries(tmp_path):
    cache = EmbeddingCache(tmp_path)
    ns = cache.namespace("fp", {})
    cache.put(ns, {"a": CacheEntry(np.zeros(2, np.float32), 1, 1)}, dim=2)
    cache.put(ns, {"b": CacheEntry(np.ones(2, np.float32), 2, 9)}, dim=2)
    cache.put(ns, {"a": CacheEntry(np.full(2, 0.5, np.float32), 3, 4)}, dim=2)
    got = cache.get(ns, ["a", "b", "c"], dim=2)
    assert sorted(got) == ["a", "b"]
    np.testing.assert_array_equal(got["a"].vector, [0.5, 0.5])
    assert (got["a"].n_chunks, got["b"].n_tokens) == (3, 9)
    with pytest.raises(ValueError, match=r"has shape \(3,\), not \(2,\)"):
        cache.put(ns, {"x": CacheEntry(np.ones(3, np.float32), 1, 1)}, dim=2)
    assert cache.clear() == 1 and cache.get(ns, ["a"], dim=2) == {}


def test_the_store_cache_lives_under_the_data_home(tmp_path):
    assert default_cache_dir(tmp_path) == tmp_path / "cache" / "embeddings"
    assert EmbeddingCache.for_home(tmp_path).directory == tmp_path / "cache" / "embeddings"


def test_a_corpus_fitted_backend_is_never_cached(tmp_path):
    cache = EmbeddingCache(tmp_path)
    emb = TfidfSvdEmbedder(n_components=2)
    assert not emb.cacheable
    embed_documents(DOCS, emb, ChunkingConfig(None), cache)
    assert not list(tmp_path.glob("*.parquet"))


def test_an_unwritable_cache_warns_and_still_returns_vectors(tmp_path, hash_embedder):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = EmbeddingCache(blocker / "cache")
    with pytest.warns(UserWarning, match=r"cannot write the embedding cache .* cache=PATH"):
        result = embed_documents(DOCS, hash_embedder(), CONFIG, cache)
    assert result.vectors.shape == (3, 16) and not result.from_cache.any()
