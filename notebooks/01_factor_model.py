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
# # The factor risk model
#
# A Barra-style model (market, GICS sectors, seven styles) estimated by robust cross-sectional
# regressions; its fit by year, its factor returns, a bias test of its forecasts, one stock's
# exposures and risk decomposition, and a factor hedge with its exposures before and after.
# Details in `docs/risk_model.md`.
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
from IPython.display import Image  # noqa: E402

from hedgekit.risk import FactorRiskModel, bias_statistics, r_squared_by_year  # noqa: E402
from hedgekit.risk._plot import (  # noqa: E402
    plot_bias,
    plot_factor_returns,
    plot_r_squared,
)

TARGET = market.manifest.get("demo_target") or "WDC"
# Two years of estimation ending a year before the end of the data (kept short to stay quick).
END = market.calendar[max(0, len(market.calendar) - 253)]
START = market.calendar[max(0, len(market.calendar) - 253 - 504)]
print(f"estimation {START:%Y-%m-%d}..{END:%Y-%m-%d}, target {TARGET}")
model = FactorRiskModel(START, END).fit(market)
print(model)

# %% [markdown]
# ## Fit by year

# %%
display(r_squared_by_year(model).round(3))
out = Path(tempfile.mkdtemp(prefix="hedgekit-risk-"))
Image(filename=str(plot_r_squared(model, out / "r2.png")))

# %% [markdown]
# ## Factor returns

# %%
Image(filename=str(plot_factor_returns(model, out / "factor_returns.png")))

# %% [markdown]
# ## Factor covariance (annualised volatilities and correlations)

# %%
cov = model.factor_covariance_
vol = pd.Series(cov.to_numpy().diagonal() ** 0.5, index=cov.index, name="volatility")
display(vol.sort_values(ascending=False).round(3).to_frame())
corr = cov / vol.to_numpy()[:, None] / vol.to_numpy()[None, :]
fig, ax = plt.subplots(figsize=(7, 6))
im = ax.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1)
ax.set_xticks(range(len(corr)), corr.columns, rotation=90, fontsize=7)
ax.set_yticks(range(len(corr)), corr.index, fontsize=7)
fig.colorbar(im, ax=ax)
ax.set_title("Factor correlations")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## One stock: exposures and risk decomposition

# %%
forecast = model.forecast(END)
display(forecast.exposures.loc[TARGET].rename(TARGET).to_frame().round(3))
decomposition = model.risk_decomposition({TARGET: 1.0})
display(pd.Series({k: v for k, v in decomposition.items() if pd.api.types.is_scalar(v)}))

# %% [markdown]
# ## Are the forecasts calibrated? Bias statistics
#
# A bias statistic near 1 means the predicted volatility matched the realised one; the report
# covers the stocks, random portfolios and factor portfolios over the following month.

# %%
bias = bias_statistics(model, market, n_random=20, random_size=20)
display(bias.summary)
Image(filename=str(plot_bias(bias, out / "bias.png")))

# %% [markdown]
# ## A factor hedge and its exposures

# %%
from hedgekit.hedge import (  # noqa: E402
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

params = PerformanceHedgeParameters(
    PositionSet([Position(TARGET, quantity=1_000_000)], END),
    max_names=10,
    max_weight=25,
    method="factor",
)
result = PerformanceHedge(params, market, risk_model=model).calculate()
display(result.get_predicted_risk())
exposures = result.get_factor_exposures()
display(exposures.round(3))
exposures.plot.barh(figsize=(7, 7), title="Factor exposures per leg")
plt.tight_layout()
plt.show()
