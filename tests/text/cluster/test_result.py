"""ClusterResult: the per-company frame, the display summary and the JSON dict."""

from __future__ import annotations

import json


def test_tables_and_dict(planted_result, words):
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
            words[group].replace(",", " ").split()
        ) - {"and"}
    assert "company" not in " ".join(summary["top_terms"])  # names, boilerplate left out
    data = json.loads(json.dumps(result.to_dict()))
    assert data["n_clusters"] == 4 and len(data["companies"]) == len(truth)
    assert data["scores"]["gics_sub_industry"]["ari"] > 0.95
