"""class_tfidf: top terms, BERTopic's weight, bigrams, names and boilerplate removed."""

from __future__ import annotations

import numpy as np
import pytest

from hedgekit.text import class_tfidf
from hedgekit.text.cluster._ctfidf import _clean_description


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
