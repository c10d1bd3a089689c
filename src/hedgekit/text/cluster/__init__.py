"""Clusters of companies from their description embeddings: UMAP + HDBSCAN, maps, terms.

One purpose per module: :mod:`._cluster` reduces and clusters (:func:`cluster_embeddings`,
:func:`cluster_market`), :mod:`._result` holds :class:`ClusterResult`, :mod:`._agreement`
scores clusters against GICS (:func:`cluster_agreement`), :mod:`._ctfidf` names clusters by
their top terms (:func:`class_tfidf`), :mod:`._plot` draws the maps (PNG, plotly HTML, SVG
HTML) and :mod:`._experiment` is the study's "AI makers versus AI users" experiment
(:func:`ai_experiment`). The public names are also exported by :mod:`hedgekit.text`.
"""

from __future__ import annotations

from hedgekit.text.cluster._agreement import cluster_agreement
from hedgekit.text.cluster._cluster import cluster_embeddings, cluster_market
from hedgekit.text.cluster._ctfidf import BOILERPLATE_TERMS, class_tfidf
from hedgekit.text.cluster._experiment import (
    AI_KEYWORDS,
    MAKER_SUB_INDUSTRIES,
    AIExperimentResult,
    ai_experiment,
)
from hedgekit.text.cluster._result import ClusterResult

__all__ = [
    "AI_KEYWORDS",
    "BOILERPLATE_TERMS",
    "MAKER_SUB_INDUSTRIES",
    "AIExperimentResult",
    "ClusterResult",
    "ai_experiment",
    "class_tfidf",
    "cluster_agreement",
    "cluster_embeddings",
    "cluster_market",
]
