"""cluster_agreement against scikit-learn's ARI and NMI, noise and missing references."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from hedgekit import ConfigurationError
from hedgekit.text import cluster_agreement


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
