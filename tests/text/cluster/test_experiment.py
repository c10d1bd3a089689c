"""ai_experiment: AI makers versus AI users on the demo and the real market."""

from __future__ import annotations

import pytest

from hedgekit import DataError
from hedgekit.text import ai_experiment

REAL_DATE = "2023-12-29"


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
def test_real_ai_makers_and_users(real_market):
    exp = ai_experiment("tfidf", real_market, REAL_DATE, cache=False, n_permutations=99)
    assert {"NVDA", "AMD", "MSFT"} <= set(exp.companies.index)
    assert exp.companies.at["NVDA", "group"] == "maker"
    assert exp.companies.at["MSFT", "group"] == "user"
    assert exp.metrics["knn_purity"] > exp.metrics["knn_purity_chance"]
