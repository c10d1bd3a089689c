"""The ``fundamentals`` check: coverage by fiscal year and source, estimated publish
dates, fiscal years inconsistent with their period end, staleness at the last date.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hedgekit.data._market import MarketData
from hedgekit.data.quality._common import _plural, _share
from hedgekit.data.quality._report import QualitySection, Status


def _fundamentals(market: MarketData, current: list[str]) -> QualitySection:
    fund = market.store.read(
        "fundamentals",
        columns=[
            "ticker",
            "fiscal_year",
            "source",
            "period_end",
            "publish_date",
            "publish_date_estimated",
        ],
    )
    cols = [
        "fiscal_year",
        "source",
        "rows",
        "tickers",
        "priced_tickers",
        "estimated_share",
        "median_publish_lag_days",
    ]
    if fund.empty:
        return QualitySection(
            "fundamentals",
            Status.WARN,
            "no fundamentals: market caps and fundamental factors are unavailable",
            {"rows": 0},
            {"fundamentals": pd.DataFrame(columns=cols), "fiscal_year_mismatch": pd.DataFrame()},
        )
    priced = pd.Index(market.tickers)
    est = fund["publish_date_estimated"].fillna(False).astype(bool)
    lag = (fund["publish_date"] - fund["period_end"]).dt.days
    fund = fund.assign(
        est=est, lag=lag, priced=fund["ticker"].isin(priced), source=fund["source"].fillna("(none)")
    )
    grouped = fund.groupby(["fiscal_year", "source"])
    tickers = grouped["ticker"].nunique()
    priced_count = fund[fund["priced"]].groupby(["fiscal_year", "source"])["ticker"].nunique()
    frame = pd.DataFrame(
        {
            "rows": grouped.size(),
            "tickers": tickers,
            "priced_tickers": priced_count.reindex(tickers.index, fill_value=0),
            "estimated_share": grouped["est"].mean(),
            "median_publish_lag_days": grouped["lag"].median(),
        }
    ).reset_index()[cols]
    frame["fiscal_year"] = frame["fiscal_year"].astype("int64")
    year_gap = fund["fiscal_year"].astype("float64") - fund["period_end"].dt.year
    mismatch = fund[(year_gap.abs() > 1).fillna(False).to_numpy()][
        ["ticker", "fiscal_year", "source", "period_end", "publish_date"]
    ].reset_index(drop=True)

    known = fund[(fund["publish_date"] <= market.end) & fund["priced"]]
    latest = known.groupby("ticker")["period_end"].max()
    stale = (market.end - latest).dt.days
    in_members = known[known["ticker"].isin(current)]
    without = sorted(set(current) - set(in_members["ticker"]))
    # the main body of fiscal years: years holding at least a tenth of the busiest year
    per_year = fund[fund["priced"]].groupby("fiscal_year")["ticker"].nunique()
    body = per_year[per_year >= 0.1 * per_year.max()].index if len(per_year) else per_year.index
    metrics: dict[str, Any] = {
        "rows": len(fund),
        "tickers": int(fund["ticker"].nunique()),
        "priced_tickers": int(fund.loc[fund["priced"], "ticker"].nunique()),
        "first_fiscal_year": int(min(body)) if len(body) else None,
        "last_fiscal_year": int(max(body)) if len(body) else None,
        "outlier_fiscal_years": sorted(int(y) for y in per_year.index if y not in set(body)),
        "estimated_publish_share": float(est.mean()),
        "staleness_median_days": float(stale.median()) if len(stale) else None,
        "staleness_max_days": int(stale.max()) if len(stale) else None,
        "current_members": len(current),
        "members_without_fundamentals": len(without),
        "members_without_fundamentals_share": _share(len(without), len(current)),
        "fiscal_year_mismatches": len(mismatch),
    }
    problems = []
    med = metrics["staleness_median_days"]
    if med is not None and med > 400:
        problems.append(
            f"median {med:.0f} days since the latest period end at {market.end:%Y-%m-%d}"
        )
    if metrics["members_without_fundamentals_share"] > 0.1:
        problems.append(
            f"{metrics['members_without_fundamentals_share']:.0%} of current members have none"
        )
    if len(mismatch):
        problems.append(_plural(len(mismatch), "fiscal year inconsistent with its period end"))
    span = f"FY{metrics['first_fiscal_year']}-FY{metrics['last_fiscal_year']}"
    reason = f"{span}, {metrics['estimated_publish_share']:.0%} of publish dates estimated" + (
        "; " + "; ".join(problems) if problems else ""
    )
    status = Status.WARN if problems else Status.OK
    frames = {
        "fundamentals": frame,
        "fiscal_year_mismatch": mismatch,
        "members_without_fundamentals": pd.DataFrame({"ticker": without}),
    }
    return QualitySection("fundamentals", status, reason, metrics, frames)
