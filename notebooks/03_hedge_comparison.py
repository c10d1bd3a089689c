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
# # Comparing hedges of one stock
#
# The same position hedged four ways on the same date with the same basket rules (10 names, 25%
# cap): `returns` (minimum tracking error over a year of returns, the Performance Hedger),
# `factor` (minimum active risk under the factor risk model), `nlp` (equal weights on the nearest
# semantic peers) and `hybrid` (minimum tracking error among the semantic peers). Then a short
# walk-forward backtest of the same methods against simple ETF hedges.
#
# Data: `HEDGEKIT_NOTEBOOK_DATA` (`demo` by default, or a bundle directory / data home).

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
from hedgekit.backtest import (  # noqa: E402
    BacktestConfig,
    BacktestSettings,
    load_results,
    run_backtest,
    summarise,
)
from hedgekit.hedge import (  # noqa: E402
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.risk import FactorRiskModel  # noqa: E402

TARGET = market.manifest.get("demo_target") or "WDC"
HEDGE_DATE = market.calendar[max(0, len(market.calendar) - 253)]
# TF-IDF keeps the notebook fast and torch-free; "minilm" is the study's embedder.
EMBEDDER = os.environ.get("HEDGEKIT_NOTEBOOK_EMBEDDER", "tfidf")
print(f"target {TARGET}, hedge date {HEDGE_DATE:%Y-%m-%d}, embedder {EMBEDDER}")

# %% [markdown]
# The factor hedge needs a risk model; one fitted on the year before the hedge date sees nothing
# after it.

# %%
risk_start = market.calendar[max(0, len(market.calendar) - 253 - 252)]
risk_model = FactorRiskModel(risk_start, HEDGE_DATE).fit(market)
portfolio = PositionSet([Position(TARGET, quantity=1_000_000)], HEDGE_DATE)

results = {}
for method in ["returns", "factor", "nlp", "hybrid"]:
    params = PerformanceHedgeParameters(
        portfolio, max_names=10, max_weight=25, method=method, embedder=EMBEDDER
    )
    results[method] = PerformanceHedge(params, market, risk_model=risk_model).calculate()

# %% [markdown]
# ## Baskets

# %%
baskets = pd.DataFrame(
    {method: res.get_constituents()["weight"] for method, res in results.items()}
).fillna(0.0)
display(baskets.loc[baskets.max(axis=1).sort_values(ascending=False).index].round(3))

# %% [markdown]
# ## Statistics of the hedged portfolio, in and out of sample

# %%
rows = {}
for method, res in results.items():
    stats = res.get_statistics()
    for sample in stats.columns.get_level_values(0).unique():
        hedged = stats[(sample, "Hedged Portfolio")]
        rows[(method, sample)] = hedged[
            ["annualized_volatility", "tracking_error", "variance_reduction", "max_drawdown"]
        ]
comparison = pd.DataFrame(rows).T
display(comparison.round(4))

# %%
ax = (
    comparison["variance_reduction"]
    .unstack()
    .plot.bar(figsize=(7, 3.5), title=f"Variance reduction of {TARGET} by method")
)
ax.set_ylabel("share of variance removed")
plt.tight_layout()
plt.show()

# %%
fig, ax = plt.subplots(figsize=(9, 4))
for method, res in results.items():
    perf = res.get_backtest_performance()
    perf["hedged"].plot(ax=ax, label=method)
ax.axvline(HEDGE_DATE, color="grey", linestyle="--")
ax.set_title("Cumulative hedged performance (weights fixed at the hedge date)")
ax.legend()
plt.show()

# %% [markdown]
# ## A short walk-forward backtest
#
# Each quarter the hedges are rebuilt with only the data known then and held to the next
# rebalance, costs included. One target over the last year keeps it quick; `hedgekit backtest`
# runs the study at scale.

# %%
settings = BacktestSettings(max_names=10, max_weight=25.0, window_days=126, embedder=EMBEDDER)
config = BacktestConfig.create(
    [TARGET],
    HEDGE_DATE,
    market.end,
    methods=["returns", "hybrid", "spy", "spy_beta", "sector_etf"],
    freq="quarterly",
    settings=settings,
)
run_dir = Path(tempfile.mkdtemp(prefix="hedgekit-backtest-"))
run_backtest(config, market, run_dir)  # in process; workers=N runs on dask
periods, daily = load_results(run_dir)
summary = summarise(daily, periods)
display(summary.set_index(["target", "method"]).T)

# %%
fig, ax = plt.subplots(figsize=(9, 4))
for method, frame in daily.groupby("method"):
    frame.set_index("day")["hedged"].dropna().add(1).cumprod().plot(ax=ax, label=method)
ax.set_title(f"Walk-forward hedged {TARGET}, quarterly rebalancing")
ax.legend()
plt.show()
