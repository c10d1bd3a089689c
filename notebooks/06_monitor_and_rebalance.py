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
# # Monitor and rebalance a hedge
#
# A hedge lives for months. This notebook builds one on 2022-06-30 (on the real data: a million
# shares of Western Digital) and walks it through the next 18 months: at every
# quarter end the monitor measures how the hedge tracked since it was put on (realised against
# predicted tracking error, correlation, weight and hedge-ratio drift, names that left the index
# or have corporate actions) and says whether to rebalance, with the trades to a fresh fit.
# We follow its advice and compare with never touching the hedge.
#
# Everything the monitor reads is dated on or before the monitoring date.
#
# The data home is set by **one variable**, `HEDGEKIT_NOTEBOOK_DATA`: `demo` (the default) imports
# the embedded synthetic demo market into a temporary store; a bundle directory is imported the
# same way; any other directory is used as a data home as is.

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
# The hedge date is 2022-06-30 when the data has 18 months after it (the real data does), else
# the date 18 months before the data's end.

# %%
TARGET = market.manifest.get("demo_target") or "WDC"
cal = market.calendar
wanted = pd.Timestamp("2022-06-30")
if wanted + pd.DateOffset(months=18) <= market.end + pd.Timedelta(days=7):
    START = cal[cal <= wanted][-1]
else:
    START = cal[cal <= market.end - pd.DateOffset(months=18)][-1]
quarters = [
    cal[cal <= START + pd.DateOffset(months=3 * k)][-1] for k in range(1, 7)
]  # six quarter ends
print(
    f"target {TARGET}, hedge date {START:%Y-%m-%d}, checks: {[f'{d:%Y-%m-%d}' for d in quarters]}"
)

# %% [markdown]
# ## 1. The hedge on day one
#
# The library's defaults: at most 10 names, at most 25% each, the default estimator.

# %%
from hedgekit.hedge import (  # noqa: E402
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
    monitor_hedge,
)

SHARES = 1_000_000
params = PerformanceHedgeParameters(PositionSet([Position(TARGET, quantity=SHARES)], START))
day_one = PerformanceHedge(params, market).calculate()
display(day_one.get_constituents()[["shares", "notional", "weight", "correlation"]].round(2))
predicted = float(day_one.statistics.loc["tracking_error", ("in_sample", "Hedge")])
print(f"predicted tracking error {predicted:.1%} a year")

# %% [markdown]
# ## 2. Every quarter: the monitor's verdict
#
# Two books: **untouched** keeps the day-one basket; **advised** rebalances to a fresh fit
# whenever the monitor recommends it (its trades), and is monitored from its last rebalance.

# %%
untouched = day_one.constituents["shares"].to_dict()
advised = dict(untouched)
advised_since, advised_te = START, predicted
rows, trade_log, segments = [], [], []
for when in quarters:
    mon_u = monitor_hedge({TARGET: SHARES}, untouched, START, when, market,
                          predicted_tracking_error=predicted)  # fmt: skip
    mon_a = monitor_hedge(
        {TARGET: SHARES},
        advised,
        advised_since,
        when,
        market,
        predicted_tracking_error=advised_te,
        parameters=params,
    )
    rows.append(
        {
            "date": when,
            "untouched TE": mon_u.realised_tracking_error,
            "untouched VR": mon_u.variance_reduction,
            "untouched verdict": mon_u.verdict,
            "advised verdict": mon_a.verdict,
            "reasons": "; ".join(mon_a.reasons),
        }
    )
    if (mon_a.rebalance and mon_a.trades is not None) or when == quarters[-1]:
        segments.append(mon_a.series)  # the advised book's returns up to its rebalance
    if mon_a.rebalance and mon_a.trades is not None:
        trades = mon_a.trades.assign(date=when)
        trade_log.append(trades)
        advised = {t: s for t, s in trades["target_shares"].items() if s > 0} | {
            t: s for t, s in advised.items() if t not in trades.index
        }
        advised_since = when
        fresh = PerformanceHedge(
            params.replace(initial_portfolio=PositionSet([Position(TARGET, SHARES)], when)),
            market,
        ).calculate()
        advised_te = float(fresh.statistics.loc["tracking_error", ("in_sample", "Hedge")])
verdicts = pd.DataFrame(rows).set_index("date")
display(verdicts.round(3))

# %% [markdown]
# ## 3. The trades the monitor proposed
#
# Positive `trade_shares` sell more short, negative buy to cover; costs from the same model as the
# hedge (half spread plus square-root impact).

# %%
if trade_log:
    log = pd.concat(trade_log).reset_index().set_index(["date", "ticker"])
    display(log[["current_shares", "target_shares", "trade_shares", "side", "cost_usd"]])
    print(f"total estimated trading cost: ${log['cost_usd'].sum():,.0f}")
else:
    print("the monitor never recommended a rebalance")

# %% [markdown]
# Over the whole 18 months, before trading costs: the share of the position's variance each book
# removed.

# %%
advised_returns = pd.concat(segments)
vr_advised = 1 - advised_returns["hedged"].var() / advised_returns["position"].var()
print(f"untouched: {rows[-1]['untouched VR']:.1%} of the variance removed")
print(f"advised:   {vr_advised:.1%} ({len(trade_log)} rebalances)")

# %% [markdown]
# ## 4. The last check, as a picture
#
# The untouched hedge's cumulative hedged return since day one against the band its predicted
# tracking error draws (1 and 2 standard deviations, growing with the square root of time).

# %%
final = monitor_hedge({TARGET: SHARES}, untouched, START, quarters[-1], market,
                      predicted_tracking_error=predicted, parameters=params)  # fmt: skip
print(final.verdict, final.reasons)
display(final.names.round(3))
png = final.plot(Path(tempfile.mkdtemp()) / "monitor.png")
img = plt.imread(png)
plt.figure(figsize=(10, 5))
plt.imshow(img)
plt.axis("off")
plt.show()

# %% [markdown]
# What this does not cover: the monitor's returns are total returns (dividends reinvested in the
# same name), borrow fees and dividends owed on the short are not deducted, and the proposed trades
# move to a fresh fit without a turnover limit. On the real data the universe holds only
# survivors (see `market.limits`).

# %%
for line in market.limits:
    print("-", line)
