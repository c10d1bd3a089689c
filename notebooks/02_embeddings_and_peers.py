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
# # Embeddings and semantic peers
#
# Business descriptions known on a date are embedded into vectors; the companies nearest to a
# stock are its **semantic peers**. We build the index, look at one stock's peers, check that
# similar descriptions mean correlated returns, and score the embedder against GICS and realised
# correlations (`evaluate_embeddings`). Details in `docs/text.md`.
#
# Data: `HEDGEKIT_NOTEBOOK_DATA` (`demo` by default, or a bundle directory / data home).
# `HEDGEKIT_NOTEBOOK_EMBEDDER` picks the backend (default `tfidf`: fast, no torch; `minilm` is
# the packaged sentence-transformer).

# %%
# %matplotlib inline
import os

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from hedgekit.data import open_market

DATA = os.environ.get("HEDGEKIT_NOTEBOOK_DATA", "demo")
market = open_market(DATA)
print(market)

# %%
import numpy as np  # noqa: E402

from hedgekit.text import EmbeddingIndex, evaluate_embeddings, semantic_peers  # noqa: E402

EMBEDDER = os.environ.get("HEDGEKIT_NOTEBOOK_EMBEDDER", "tfidf")
TARGET = market.manifest.get("demo_target") or "WDC"
AS_OF = market.calendar[max(0, len(market.calendar) - 253)]
print(f"target {TARGET}, descriptions as of {AS_OF:%Y-%m-%d}, embedder {EMBEDDER}")

# %% [markdown]
# ## The index: one vector per company

# %%
index = EmbeddingIndex.from_market(
    market, AS_OF, embedder=EMBEDDER, universe="SPX", include=[TARGET]
)
print(f"{len(index.tickers)} companies, {index.dim} dimensions")
display(index.info.head())

# %% [markdown]
# ## The target's peers

# %%
peers = semantic_peers(market, TARGET, AS_OF, k=10, index=index)
display(peers)
view = market.as_of(AS_OF)
description = view.descriptions([TARGET], allow_later=True).iloc[0]
print(f"{description['name']} ({description['source']}, {description['as_of']:%Y-%m-%d}):")
print(description["text"][:600], "...")

# %% [markdown]
# ## Similar descriptions, correlated returns?
#
# For every pair of companies: cosine similarity of the descriptions against the correlation of
# their daily returns over the following year (out of sample for the descriptions).

# %%
after = market.as_of(market.end).returns(list(index.tickers), window=252)
after = after.loc[after.index > AS_OF].dropna(axis=1, thresh=int(0.8 * len(after)))
tickers = [t for t in index.tickers if t in after.columns]
similarity = index.similarity_matrix().loc[tickers, tickers].to_numpy()
correlation = after[tickers].corr().to_numpy()
upper = np.triu_indices(len(tickers), k=1)
pairs = pd.DataFrame({"similarity": similarity[upper], "correlation": correlation[upper]})
pairs["similarity_decile"] = pd.qcut(pairs["similarity"], 10, labels=False, duplicates="drop")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
pairs.plot.scatter(x="similarity", y="correlation", s=2, alpha=0.3, ax=axes[0])
pairs.groupby("similarity_decile")["correlation"].mean().plot.bar(
    ax=axes[1], title="Mean return correlation by similarity decile"
)
plt.tight_layout()
plt.show()
print(f"rank correlation: {pairs['similarity'].corr(pairs['correlation'], method='spearman'):.3f}")

# %% [markdown]
# ## The target's peers against its most correlated stocks

# %%
target_corr = after.corr()[TARGET].drop(TARGET).sort_values(ascending=False)
peer_tickers = [t for t in peers.index if t in target_corr.index]
comparison = pd.DataFrame(
    {
        "mean correlation": [
            target_corr.reindex(peer_tickers).mean(),
            target_corr.head(10).mean(),
            target_corr.mean(),
        ]
    },
    index=["10 semantic peers", "10 most correlated (hindsight)", "all stocks"],
)
display(comparison.round(3))

# %% [markdown]
# ## Scoring the embedder
#
# Agreement with GICS (silhouette, same-sector share of neighbours) and the return correlation
# of each stock with its neighbours over the following year, against random neighbours.

# %%
scores = evaluate_embeddings(
    market, [EMBEDDER], as_of=AS_OF, k=10, window=252, universe="SPX", min_coverage=0.5
)
display(scores.T)
