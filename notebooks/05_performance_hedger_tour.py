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
# # A tour of the Performance Hedger
#
# The whole `hedgekit.hedge` API on one position: the portfolio, the universe, exclusions,
# constraints, a walk-forward grid search over the lasso and ridge penalties, the basket, its
# statistics in and out of sample, the backtest and correlation plots and the basket export.
#
# The data home is set by **one variable**, `HEDGEKIT_NOTEBOOK_DATA`: `demo` (the default) imports
# the embedded synthetic demo market into a temporary store; a bundle directory (holding
# `prices.parquet`) is imported the same way; any other directory is used as a data home as is.

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

# %% [markdown]
# The stock to hedge and the hedge date adapt to the data: the demo market names its target in
# the manifest; on the real data we hedge Western Digital (WDC). The hedge date leaves a year of
# data after it, so the statistics have an out-of-sample half.

# %%
TARGET = market.manifest.get("demo_target") or "WDC"
HEDGE_DATE = market.calendar[max(0, len(market.calendar) - 253)]
print(f"target {TARGET}, hedge date {HEDGE_DATE:%Y-%m-%d}, synthetic: {market.is_synthetic}")
view = market.as_of(HEDGE_DATE)
display(view.securities([TARGET]).T)

# %% [markdown]
# ## 1. Positions
#
# A position is a number of shares (or a weight of a reference notional). Positions are priced at
# the close of the hedge date.

# %%
from hedgekit.hedge import (  # noqa: E402
    Constraint,
    HedgeConstraints,
    HedgeExclusions,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

price = float(view.last_prices([TARGET]).iloc[0])
shares = round(50_000_000 / price)
portfolio = PositionSet([Position(TARGET, quantity=shares)], HEDGE_DATE)
print(f"{shares:,} shares of {TARGET} at {price:,.2f} = ${shares * price:,.0f}")

# %% [markdown]
# ## 2. Universe, exclusions and constraints
#
# `universe=["SPX"]` is exploded into the index members known on the hedge date. We exclude one
# sector and cap the target's own sector at 40% of the hedge.

# %%
sectors = view.securities(view.members("SPX"))["gics_sector"].value_counts()
display(sectors.rename("members").to_frame())
target_sector = view.securities([TARGET])["gics_sector"].iloc[0]
excluded_sector = next(s for s in sectors.index[::-1] if s != target_sector)
print(f"target sector: {target_sector}; excluded sector: {excluded_sector}")

params = PerformanceHedgeParameters(
    portfolio,
    universe=["SPX"],
    exclusions=HedgeExclusions(sectors=[excluded_sector]),
    constraints=HedgeConstraints(sectors=[Constraint(target_sector, 0, 40)]),
    max_names=10,
    max_weight=25,
)
print(params)

# %% [markdown]
# ## 3. Choosing the penalties by walk-forward cross-validation
#
# `grid_search` cuts the observation window into consecutive blocks, fits on the past blocks and
# scores on the next one; the best (lasso, ridge) pair is refitted on the whole window.

# %%
search = PerformanceHedge(params, market).grid_search(
    lasso_weights=[0.0, 0.1, 1.0], ridge_weights=[0.0, 0.1], folds=3
)
display(search.grid.round(4))
print("best:", search.parameters.lasso_weight, search.parameters.ridge_weight)
result = search.best

# %% [markdown]
# ## 4. The basket

# %%
constituents = result.get_constituents()
display(constituents)

# %%
ax = constituents["weight"].sort_values().plot.barh(figsize=(6, 4), title="Hedge weights")
ax.set_xlabel("weight")
plt.show()

# %% [markdown]
# ## 5. Statistics, in and out of sample

# %%
display(result.get_statistics())

# %% [markdown]
# ## 6. Backtest and rolling correlation

# %%
performance = result.get_backtest_performance()
correlation = result.get_backtest_correlation(window=44)
fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
performance[["portfolio", "hedge", "hedged"]].plot(ax=axes[0], title="Cumulative performance")
axes[0].axvline(HEDGE_DATE, color="grey", linestyle="--")
correlation.plot(ax=axes[1], title="Rolling 44-day correlation of portfolio and hedge")
axes[1].axvline(HEDGE_DATE, color="grey", linestyle="--")
plt.tight_layout()
plt.show()

# %% [markdown]
# `result.plot(path)` writes the same two panels as a PNG.

# %%
out_dir = Path(tempfile.mkdtemp(prefix="hedgekit-tour-"))
png = result.plot(out_dir / "hedge.png")
print(png, png.stat().st_size, "bytes")

# %% [markdown]
# ## 7. Export the basket

# %%
csv_text = result.to_basket_csv(out_dir / "basket.csv")
display(pd.read_csv(out_dir / "basket.csv"))
