"""The ``market_cap`` check: where the share counts of index members come from
(snapshot, statement or missing), at each year end.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hedgekit.data._market import MarketData
from hedgekit.data.quality._common import _share
from hedgekit.data.quality._report import QualitySection, Status


def _market_cap(market: MarketData) -> QualitySection:
    cal = market.calendar
    dates = pd.Series(cal, index=cal).groupby(cal.year).max().tolist()
    snaps = market._cap_anchors
    statements = market._statements
    firsts = [snaps["snapshot_date"].min()] if len(snaps) else []
    firsts += [g["publish_date"].min() for g in statements.values()]
    earliest = min(firsts) if firsts else None
    rows = []
    for d in dates:
        view = market.as_of(d)
        members = view.members(with_prices=True) if market.indices else []
        if not members:
            continue
        counts: dict[Any, int]
        if earliest is None or d < earliest:
            counts = {"missing": len(members)}
        else:
            counts = view.market_cap(members)["shares_source"].value_counts().to_dict()
        n = len(members)
        rows.append(
            {
                "date": pd.Timestamp(d),
                "members": n,
                "snapshot": _share(counts.get("snapshot", 0), n),
                "statement": _share(counts.get("statement", 0), n),
                "missing": _share(counts.get("missing", 0), n),
            }
        )
    frame = pd.DataFrame(rows, columns=["date", "members", "snapshot", "statement", "missing"])
    if frame.empty:
        return QualitySection(
            "market_cap",
            Status.WARN,
            "no index membership: market caps of members not checked",
            {"dates": 0},
            {"market_cap": frame},
        )
    last = frame.iloc[-1]
    usable = frame[frame["missing"] < 0.5]
    metrics = {
        "dates": len(frame),
        "last_date": last["date"],
        "snapshot_share_at_end": float(last["snapshot"]),
        "statement_share_at_end": float(last["statement"]),
        "missing_share_at_end": float(last["missing"]),
        "first_usable_date": usable["date"].iloc[0] if len(usable) else None,
    }
    reason = (
        f"at {last['date']:%Y-%m-%d}: {last['snapshot']:.0%} snapshot, "
        f"{last['statement']:.0%} statement, {last['missing']:.0%} missing"
    )
    if len(usable) and usable["date"].iloc[0] > frame["date"].iloc[0]:
        reason += f"; mostly missing before {usable['date'].iloc[0]:%Y}"
    status = Status.WARN if last["missing"] > 0.05 or len(usable) < len(frame) else Status.OK
    return QualitySection("market_cap", status, reason, metrics, {"market_cap": frame})
