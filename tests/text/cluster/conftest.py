"""Fixtures of the cluster tests: planted groups of vectors and their clustering."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from hedgekit.text import ClusterResult, EmbeddingIndex, cluster_embeddings

#: the words of each planted group's descriptions
WORDS = {0: "chips and wafers", 1: "loans and deposits", 2: "crude pipelines", 3: "hotels, resorts"}

Planted = tuple[EmbeddingIndex, pd.Series, pd.DataFrame]


def _planted(
    n_per: int = 25, k: int = 4, dim: int = 32, outliers: int = 0, seed: int = 0
) -> Planted:
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


@pytest.fixture
def planted() -> Callable[..., Planted]:
    """The factory of planted groups (:func:`_planted`)."""
    return _planted


@pytest.fixture
def words() -> dict[int, str]:
    """The words of each planted group's descriptions."""
    return WORDS


@pytest.fixture(scope="package")
def planted_result() -> tuple[ClusterResult, pd.Series]:
    index, truth, gics = _planted()
    texts = {
        t: f"Company {t} sells {WORDS[lab]}. It was founded in 1990." for t, lab in truth.items()
    }
    return cluster_embeddings(index, securities=gics, texts=texts, seed=1), truth
