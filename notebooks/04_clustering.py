# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Clustering the market by business description
#
# Description embeddings reduced to a few dimensions (UMAP when installed, else PCA) and
# clustered with HDBSCAN; each cluster is named by its most distinctive words (class TF-IDF) and
# compared with GICS. Then the "AI makers versus AI users" experiment. Details in
# `docs/clusters.md`.
#
# Data: `HEDGEKIT_NOTEBOOK_DATA` (`demo` by default, or a bundle directory / data home);
# `HEDGEKIT_NOTEBOOK_EMBEDDER` picks the backend (default `tfidf`).

# %%
# %matplotlib inline
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from hedgekit.data import open_market

DATA = os.environ.get("HEDGEKIT_NOTEBOOK_DATA", "demo")
market = open_market(DATA)
print(market)

# %%
from IPython.display import Image  # noqa: E402

from hedgekit import HedgekitError  # noqa: E402
from hedgekit.text import EmbeddingIndex, ai_experiment, cluster_market  # noqa: E402

EMBEDDER = os.environ.get("HEDGEKIT_NOTEBOOK_EMBEDDER", "tfidf")
AS_OF = market.calendar[-1]
# Small markets (the demo has 100 stocks) need smaller clusters than the S&P 500.
MIN_CLUSTER_SIZE = 4 if len(market.tickers) < 300 else 8
print(f"descriptions as of {AS_OF:%Y-%m-%d}, embedder {EMBEDDER}")
index = EmbeddingIndex.from_market(market, AS_OF, embedder=EMBEDDER, universe="SPX")
print(f"{len(index.tickers)} companies, {index.dim} dimensions")

# %% [markdown]
# ## Clusters

# %%
out = Path(tempfile.mkdtemp(prefix="hedgekit-clusters-"))
clusters = cluster_market(
    market,
    AS_OF,
    index=index,
    png=out / "clusters.png",
    html=out / "clusters.html",
    min_cluster_size=MIN_CLUSTER_SIZE,
)
print(clusters)
print(
    f"{clusters.n_clusters} clusters, {clusters.noise_share:.0%} noise, reducer {clusters.reducer}"
)
display(clusters.clusters)

# %%
Image(filename=str(out / "clusters.png"))

# %% [markdown]
# ## Agreement with GICS

# %%
display(clusters.scores.T)
sectors = market.as_of(AS_OF).securities(list(clusters.tickers))["gics_sector"]
display(pd.crosstab(clusters.labels, sectors.reindex(clusters.labels.index)))

# %%
fig, ax = plt.subplots(figsize=(7, 6))
for label, frame in clusters.coords.groupby(clusters.labels):
    ax.scatter(frame.iloc[:, 0], frame.iloc[:, 1], s=12, label=str(label))
ax.set_title("Companies on the 2-D map, by cluster (-1: noise)")
ax.legend(fontsize=7, ncol=2)
plt.show()

# %% [markdown]
# ## AI makers versus AI users
#
# Companies whose description mentions AI are split by GICS sub-industry into makers
# (semiconductors, hardware) and users; do the embeddings separate them?

# %%
try:
    experiment = ai_experiment(
        index, market, AS_OF, n_permutations=99, png=out / "ai.png", min_cluster_size=3
    )
except HedgekitError as exc:  # a small market may hold too few AI companies
    print(f"AI experiment not available on this data: {exc}")
else:
    display(experiment.summary())
    display(experiment.to_frame().head(20))
    display(Image(filename=str(out / "ai.png")))
