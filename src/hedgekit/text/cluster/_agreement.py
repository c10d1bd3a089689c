"""Agreement of clusters with a reference labelling (GICS): adjusted Rand index and NMI."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError

__all__ = ["cluster_agreement"]


def cluster_agreement(
    labels: pd.Series | Sequence[int] | np.ndarray,
    reference: pd.Series | Sequence[Hashable] | np.ndarray,
) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information of clusters and a reference.

    Parameters
    ----------
    labels : Series or array-like of int, shape (n_samples,)
        Cluster labels, ``-1`` for noise. Two Series are aligned on their index.
    reference : Series or array-like, shape (n_samples,)
        Reference classes (e.g. GICS sectors); missing values are left out.

    Returns
    -------
    dict
        ``ari`` and ``nmi`` over the clustered samples only (noise excluded);
        ``ari_with_noise`` and ``nmi_with_noise`` over all samples, the noise points forming
        one extra label; ``n_clustered`` and ``n_scored`` (samples with a reference).
        A score is NaN when fewer than 2 samples take part.

    Notes
    -----
    ARI is ``sklearn.metrics.adjusted_rand_score`` (0 for a random labelling, 1 for
    identical partitions); NMI is ``normalized_mutual_info_score`` with the arithmetic mean
    of the two entropies. Excluding noise scores only what HDBSCAN chose to cluster (and
    flatters it); counting noise as one label penalises every noise point whose reference
    classes differ.

    Examples
    --------
    >>> cluster_agreement([0, 0, 1, 1, -1], ["a", "a", "b", "b", "b"])["ari"]
    1.0
    """
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    if isinstance(labels, pd.Series) and isinstance(reference, pd.Series):
        lab, ref = labels.align(reference, join="left")
    else:
        lab = pd.Series(np.asarray(labels))
        ref = pd.Series(list(reference) if not isinstance(reference, pd.Series) else reference)
        if len(lab) != len(ref):
            raise ConfigurationError(
                f"labels has {len(lab)} samples, reference {len(ref)}; pass one reference "
                "label per sample (or two Series indexed by ticker)"
            )
        ref.index = lab.index
    known = ref.notna().to_numpy() & lab.notna().to_numpy()
    lab_k = lab[known].astype(int).to_numpy()
    ref_k = ref[known].astype(str).to_numpy()
    clustered = lab_k >= 0
    out: dict[str, float] = {
        "ari": float("nan"),
        "nmi": float("nan"),
        "ari_with_noise": float("nan"),
        "nmi_with_noise": float("nan"),
        "n_clustered": float(clustered.sum()),
        "n_scored": float(len(lab_k)),
    }
    if clustered.sum() >= 2:
        out["ari"] = float(adjusted_rand_score(ref_k[clustered], lab_k[clustered]))
        out["nmi"] = float(normalized_mutual_info_score(ref_k[clustered], lab_k[clustered]))
    if len(lab_k) >= 2:
        out["ari_with_noise"] = float(adjusted_rand_score(ref_k, lab_k))
        out["nmi_with_noise"] = float(normalized_mutual_info_score(ref_k, lab_k))
    return out
