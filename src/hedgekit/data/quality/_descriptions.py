"""The ``descriptions`` check: coverage of each vintage and source of the business
descriptions, empty texts, and vintages that postdate the prices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgekit.data._market import MarketData
from hedgekit.data.quality._common import _plural
from hedgekit.data.quality._report import QualitySection, Status


def _descriptions(market: MarketData, current: list[str]) -> QualitySection:
    desc = market.store.read("descriptions", columns=["ticker", "as_of", "source", "text"])
    cols = [
        "as_of",
        "source",
        "tickers",
        "members_covered",
        "median_words",
        "empty_texts",
        "after_data_end",
    ]
    if desc.empty:
        frame = pd.DataFrame(columns=cols)
        return QualitySection(
            "descriptions",
            Status.WARN,
            "no descriptions: text-based peers cannot be built",
            {"vintages": 0},
            {"descriptions": frame},
        )
    text = desc["text"].fillna("").astype(str)
    desc = desc.assign(
        words=text.str.count(r"\S+"),
        empty=text.str.strip().eq(""),
        member=desc["ticker"].isin(current),
    )
    desc["source"] = desc["source"].fillna("(none)")
    grouped = desc.groupby(["as_of", "source"])
    tickers = grouped["ticker"].nunique()
    covered = desc[desc["member"]].groupby(["as_of", "source"])["ticker"].nunique()
    covered = covered.reindex(tickers.index, fill_value=0)
    frame = pd.DataFrame(
        {
            "tickers": tickers,
            "members_covered": covered / len(current) if current else np.nan,
            "median_words": grouped["words"].median(),
            "empty_texts": grouped["empty"].sum().astype(int),
        }
    ).reset_index()
    frame["after_data_end"] = frame["as_of"] > market.end
    frame = frame[cols]
    best = frame["members_covered"].max()
    inside = frame[~frame["after_data_end"]]
    metrics = {
        "vintages": len(frame),
        "first_vintage": frame["as_of"].min(),
        "last_vintage": frame["as_of"].max(),
        "tickers": int(desc["ticker"].nunique()),
        "current_members": len(current),
        "best_member_coverage": best,
        "vintages_after_data_end": int(frame["after_data_end"].sum()),
        "empty_texts": int(desc["empty"].sum()),
        "median_words": float(desc["words"].median()),
    }
    problems = []
    if metrics["empty_texts"]:
        problems.append(_plural(metrics["empty_texts"], "empty text"))
    if current and not best >= 0.9:
        problems.append(f"best vintage covers {best:.0%} of current members")
    if len(inside) == 0:
        problems.append("every vintage postdates the prices (all look-ahead)")
    first = pd.Timestamp(metrics["first_vintage"])
    if first > market.start:
        problems.append(f"none before {first:%Y-%m-%d}")
    summary = (
        f"{len(frame)} vintages from {first:%Y-%m-%d} to "
        f"{pd.Timestamp(metrics['last_vintage']):%Y-%m-%d}"
    )
    if current:
        summary += f", up to {best:.0%} of current members"
    status = Status.WARN if problems else Status.OK
    reason = summary + ("; " + "; ".join(problems) if problems else "")
    return QualitySection("descriptions", status, reason, metrics, {"descriptions": frame})
