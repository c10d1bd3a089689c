"""Former home of the clustering code, now the package :mod:`hedgekit.text.cluster`.

Kept only because ``scripts/make_cluster_report.py`` still imports from here; import from
:mod:`hedgekit.text` (or :mod:`hedgekit.text.cluster`) instead. Remove this module once that
script has moved.
"""

from __future__ import annotations

from hedgekit.text.cluster import (
    AI_KEYWORDS,
    BOILERPLATE_TERMS,
    MAKER_SUB_INDUSTRIES,
    AIExperimentResult,
    ClusterResult,
    ai_experiment,
    class_tfidf,
    cluster_agreement,
    cluster_embeddings,
    cluster_market,
)

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
