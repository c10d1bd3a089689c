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
# # Data quality
#
# What is in the store and how far to trust it: the universe over time, prices (spikes, stale
# runs, gaps), identifiers, descriptions, fundamentals and market caps, with the known limits of
# the data. The same checks as `hedgekit data check`.
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
print(
    f"{len(market.tickers)} tickers, {len(market.calendar)} trading days, "
    f"{market.start:%Y-%m-%d}..{market.end:%Y-%m-%d}, indices {sorted(market.indices)}"
)
display(pd.Series(market.manifest.get("rows", {}), name="rows").to_frame())

# %% [markdown]
# ## The quality report

# %%
from hedgekit.data import check_data, plot_coverage  # noqa: E402

report = check_data(market)
print("overall status:", report.status)
display(report.summary)

# %%
for name, section in report.sections.items():
    if section.metrics:
        print(f"--- {name}: {section.status}")
        display(pd.Series(section.metrics, name=name).to_frame())

# %% [markdown]
# The worst offenders of each section (first rows of its detail tables).

# %%
for name, frame in report.to_frames().items():
    if name in ("summary", "daily") or frame.empty:
        continue
    print(f"--- {name}: {len(frame)} rows")
    display(frame.head(5))

# %% [markdown]
# ## Coverage over time

# %%
display(report.daily.tail())
numeric = report.daily.select_dtypes("number")
numeric.plot(subplots=True, figsize=(9, 2 * len(numeric.columns)), title="Daily coverage")
plt.tight_layout()
plt.show()

# %% [markdown]
# `plot_coverage` writes the report's own figure as a PNG.

# %%
from IPython.display import Image  # noqa: E402

png = Path(tempfile.mkdtemp(prefix="hedgekit-quality-")) / "coverage.png"
plot_coverage(report, png)
Image(filename=str(png))

# %% [markdown]
# ## Known limits

# %%
for line in report.limits.lines:
    print("-", line)
for warning in report.warnings:
    print("warning:", warning)

# %% [markdown]
# ## Return distribution of the index members

# %%
view = market.as_of(market.end)
returns = view.returns(view.members("SPX"), window=252)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
returns.stack().clip(-0.2, 0.2).plot.hist(bins=100, ax=axes[0], title="Daily returns, last year")
returns.std().mul(252**0.5).plot.hist(bins=30, ax=axes[1], title="Annualised volatility")
plt.tight_layout()
plt.show()
