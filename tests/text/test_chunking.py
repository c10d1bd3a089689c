"""Chunking windows, headers and pooling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgekit import ConfigurationError
from hedgekit.text import (
    CLASSIFICATION_FIELDS,
    ChunkingConfig,
    Document,
    HeaderField,
    chunk_document,
    make_header,
    pool_chunks,
)

WORDS = [f"w{i:02d}" for i in range(35)]
TEXT = " ".join(WORDS)


def _doc(text: str = TEXT) -> Document:
    return Document("WDC", text, {"name": "Western Digital Corporation", "country": "US"})


def test_windows_have_the_size_and_overlap_asked_for(hash_embedder):
    chunks = chunk_document(_doc(), ChunkingConfig(10, 3), hash_embedder())
    bodies = [c.body.split() for c in chunks]
    assert [len(b) for b in bodies] == [10, 10, 10, 10, 7]  # starts 0, 7, 14, 21, 28
    for prev, nxt in itertools.pairwise(bodies):
        assert prev[-3:] == nxt[:3]  # exactly 3 tokens shared
    assert bodies[0][0] == "w00" and bodies[-1][-1] == "w34"
    assert all(c.n_tokens == len(b) for c, b in zip(chunks, bodies, strict=True))
    for c in chunks:  # bodies are slices of the description, whole words only
        assert TEXT[c.start : c.end] == c.body


def test_no_overlap_partitions_the_words(hash_embedder):
    chunks = chunk_document(_doc(), ChunkingConfig(10, 0), hash_embedder())
    assert " ".join(c.body for c in chunks) == TEXT
    assert [c.n_tokens for c in chunks] == [10, 10, 10, 5]


def test_model_limit_caps_the_window_net_of_the_header(hash_embedder):
    emb = hash_embedder(limit=12)
    header = make_header(_doc(), [HeaderField.NAME])
    assert header == "Western Digital Corporation: "
    chunks = chunk_document(_doc(), ChunkingConfig(100, 2, header=("name",)), emb)
    assert all(c.n_tokens <= 12 - 3 for c in chunks)  # header = 3 words
    assert max(c.n_tokens for c in chunks) == 9
    assert all(emb.count_tokens(c.text) <= 12 for c in chunks)


def test_windows_count_subword_tokens_not_words(hash_embedder):
    text = "storage " * 12  # 7 letters -> 3 pieces of 3 chars each
    chunks = chunk_document(
        _doc(text.strip()), ChunkingConfig(10, 0, header=()), hash_embedder(pieces=3)
    )
    assert [c.n_tokens for c in chunks] == [9, 9, 9, 9]
    assert [len(c.body.split()) for c in chunks] == [3, 3, 3, 3]


def test_header_is_on_every_chunk_and_holds_only_the_fields_asked(hash_embedder):
    config = ChunkingConfig(10, 3, header=("name", "ticker"))
    chunks = chunk_document(_doc(), config, hash_embedder())
    assert len(chunks) > 1
    assert all(c.text.startswith("Western Digital Corporation (WDC): ") for c in chunks)
    assert all(c.text == c.header + c.body for c in chunks)
    bare = chunk_document(_doc(), ChunkingConfig(10, 3, header=()), hash_embedder())
    assert all(c.header == "" and c.text == c.body for c in bare)


def test_header_formats():
    doc = Document("MOS", "x", {"name": "The Mosaic Company", "country": "United States"})
    assert make_header(doc, [HeaderField.TICKER]) == "MOS: "
    assert make_header(doc, [HeaderField.NAME, HeaderField.COUNTRY]) == (
        "The Mosaic Company; country: United States: "
    )
    assert make_header(Document("MOS", "x"), [HeaderField.NAME]) == ""  # unknown name


def test_no_limit_and_no_max_tokens_gives_one_chunk(hash_embedder):
    chunks = chunk_document(_doc("  a b  c "), ChunkingConfig(None), hash_embedder())
    assert len(chunks) == 1
    assert chunks[0].body == "a b  c" and chunks[0].n_tokens == 3


def test_empty_text_gives_one_empty_chunk(hash_embedder):
    (chunk,) = chunk_document(_doc(""), ChunkingConfig(header=("name",)), hash_embedder())
    assert chunk.body == "" and chunk.n_tokens == 0
    assert chunk.text == "Western Digital Corporation: "


def test_a_word_longer_than_the_window_is_its_own_chunk(hash_embedder):
    text = "a b " + "x" * 40 + " c d"
    chunks = chunk_document(_doc(text), ChunkingConfig(8, 2, header=()), hash_embedder(pieces=2))
    assert any(c.body == "x" * 40 for c in chunks)
    assert chunks[-1].body.endswith("c d")


def test_a_header_that_fills_the_model_is_refused(hash_embedder):
    with pytest.raises(ConfigurationError, match=r"header .* takes 3 of the 10 tokens"):
        chunk_document(_doc(), ChunkingConfig(100, 2, ("name",)), hash_embedder(limit=10))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_tokens": 4}, r"max_tokens=4 must be an integer >= 8"),
        ({"max_tokens": 32, "overlap": 32}, r"overlap=32 must be smaller than max_tokens=32"),
        ({"overlap": -1}, r"overlap=-1 must be a non-negative integer"),
        ({"header": ("name", "sic_code")}, r"header field 'sic_code' is not one of"),
        ({"header": "name"}, r"must be a sequence of field names"),
        ({"header": ("name", "NAME")}, r"repeats a field"),
    ],
)
def test_config_errors_name_the_value_and_the_fix(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        ChunkingConfig(**kwargs)


def test_auto_windows_only_a_model_with_an_input_limit(hash_embedder):
    long_text = " ".join(f"w{i}" for i in range(300))
    auto = ChunkingConfig()
    assert auto.max_tokens == "auto" and auto.header == ()
    limited = chunk_document(_doc(long_text), auto, hash_embedder(limit=512))
    assert [c.n_tokens for c in limited] == [128, 128, 108]  # starts 0, 96, 192
    (whole,) = chunk_document(_doc(long_text), auto, hash_embedder(limit=None))
    assert whole.n_tokens == 300 and whole.body == long_text


def test_header_fields_accept_any_case():
    config = ChunkingConfig(header=(" Name ", "GICS_SECTOR"))
    assert config.header == (HeaderField.NAME, HeaderField.GICS_SECTOR)
    assert config.classification_fields == (HeaderField.GICS_SECTOR,)


@pytest.mark.parametrize("field", sorted(f.value for f in CLASSIFICATION_FIELDS))
def test_classification_headers_are_refused_for_evaluation(field):
    config = ChunkingConfig(header=("name", field))
    with pytest.raises(ConfigurationError, match=rf"\['{field}'\] put classification labels"):
        config.require_no_classification()
    ChunkingConfig(header=("name", "ticker", "country")).require_no_classification()


@settings(max_examples=60, deadline=None)
@given(
    n_words=st.integers(0, 120),
    max_tokens=st.integers(8, 40),
    overlap_share=st.floats(0, 0.9),
    pieces=st.sampled_from([0, 2, 3]),
)
def test_chunks_cover_the_text_in_order_within_budget(
    hash_embedder, n_words, max_tokens, overlap_share, pieces
):
    emb = hash_embedder(pieces=pieces)
    text = " ".join(f"word{i}" for i in range(n_words))
    overlap = min(int(overlap_share * max_tokens), max_tokens - 1)
    chunks = chunk_document(Document("T", text), ChunkingConfig(max_tokens, overlap, ()), emb)
    if n_words == 0:
        assert len(chunks) == 1 and chunks[0].body == ""
        return
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))  # always advances
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.start <= prev.end + 1  # no gap: every word is in some chunk
    for c in chunks:
        words = c.body.split()
        assert c.n_tokens == emb.count_tokens(c.body)
        assert c.n_tokens <= max_tokens or len(words) == 1


def test_pooling_is_the_token_weighted_mean_renormalised():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(4, 6))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    w = np.array([128, 128, 64, 7])
    pooled = pool_chunks(v, w)
    expected = (w[:, None] * v).sum(axis=0)
    expected /= np.linalg.norm(expected)
    assert pooled.dtype == np.float32
    np.testing.assert_allclose(pooled, expected, rtol=1e-6, atol=1e-7)
    assert np.linalg.norm(pooled) == pytest.approx(1.0, abs=1e-6)
    # weights matter: the heavy chunks pull the result towards them
    assert pooled @ v[0] > pool_chunks(v, [1, 1, 1, 1]) @ v[0] - 1e-9
    assert np.allclose(pool_chunks(v[:1], [5]), v[0], atol=1e-6)  # one chunk: itself


def test_pooling_with_zero_weights_is_the_plain_mean():
    v = np.eye(3)
    np.testing.assert_allclose(pool_chunks(v, [0, 0, 0]), np.full(3, 1 / np.sqrt(3)), rtol=1e-6)


@pytest.mark.parametrize(
    ("vectors", "weights", "match"),
    [
        (np.eye(2), [1.0], r"weights of shape \(n_chunks,\)"),
        (np.zeros((0, 3)), [], r"n_chunks >= 1"),
        (np.eye(2), [1.0, -1.0], r"finite and >= 0"),
    ],
)
def test_pooling_errors(vectors, weights, match):
    with pytest.raises(ValueError, match=match):
        pool_chunks(vectors, weights)
