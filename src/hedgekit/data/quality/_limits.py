"""The ``limits`` section: the data's known limits as plain text, drawn from the other
sections, and the import history and warnings kept in the store manifest.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hedgekit.data._market import MarketData
from hedgekit.data.quality._common import _plural
from hedgekit.data.quality._report import QualitySection, Status


def _manifest_warnings(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The importer's warnings, if the manifest (or an entry of its history) keeps them."""
    out: list[str] = []
    for entry in [manifest, *manifest.get("history", [])]:
        if isinstance(entry, dict):
            for key in ("warnings", "repairs"):
                value = entry.get(key)
                if isinstance(value, list):
                    out.extend(str(v) for v in value)
                elif isinstance(value, dict):
                    out.extend(f"{k}: {v}" for k, v in value.items())
    return tuple(dict.fromkeys(out))


def _limits(
    market: MarketData,
    coverage: QualitySection,
    identity: QualitySection,
    descriptions: QualitySection,
    fundamentals: QualitySection,
    market_cap: QualitySection,
    warnings: tuple[str, ...],
) -> QualitySection:
    lines: list[str] = []
    if market.is_synthetic:
        lines.append(
            "SYNTHETIC: this store holds a simulated market; no number built on it "
            "describes real securities."
        )
    im = identity.metrics
    if im.get("members_without_prices"):
        lines.append(
            f"Survivorship bias: {im['members_without_prices']:,} of {im['members_ever']:,} "
            f"{im['index']} members in the membership table have no prices (delisted, "
            "acquired or renamed names the source lacks); past universes look better than "
            "they were."
        )
    if im.get("reuse_candidates"):
        lines.append(
            f"Identity: {im['reuse_candidates']:,} priced tickers may carry another company's "
            f"history ({im['reuse_strong']} with strong signals); check them before hedging "
            "with them over old dates."
        )
    fm = fundamentals.metrics
    if fm.get("last_fiscal_year") is not None:
        lines.append(
            f"Fundamentals are annual, FY{fm['first_fiscal_year']}-FY{fm['last_fiscal_year']}, "
            f"{fm['estimated_publish_share']:.0%} with estimated publish dates; at "
            f"{market.end:%Y-%m-%d} the latest statement is a median "
            f"{fm['staleness_median_days']:.0f} days old (carried forward)."
        )
    elif fm.get("rows") == 0:
        lines.append("No fundamentals: market caps and fundamental factors are unavailable.")
    dm = descriptions.metrics
    if dm.get("vintages"):
        first = pd.Timestamp(dm["first_vintage"])
        if first > market.start:
            lines.append(
                f"Descriptions start {first:%Y-%m-%d}: for a hedge dated before that, any "
                "description is a look-ahead and is flagged as such."
            )
        if dm.get("vintages_after_data_end"):
            lines.append(
                f"{dm['vintages_after_data_end']} description vintage(s) postdate the last "
                f"price ({market.end:%Y-%m-%d}): look-ahead for every date in the data."
            )
    elif dm.get("vintages") == 0:
        lines.append("No descriptions: text-based peers cannot be built.")
    mm = market_cap.metrics
    if mm.get("first_usable_date") is not None:
        first_usable = pd.Timestamp(mm["first_usable_date"])
        if first_usable > market.start + pd.Timedelta(days=366):
            lines.append(
                f"Market caps of index members are mostly missing before {first_usable:%Y}: "
                "no share counts are known earlier."
            )
    early = coverage.frames.get("early_ends", pd.DataFrame())
    for row in early.itertuples():
        lines.append(
            f"{row.table} series {row.series} ends {row.last:%Y-%m-%d}, before the prices "
            f"({market.end:%Y-%m-%d})."
        )
    history = [h for h in market.manifest.get("history", []) if isinstance(h, dict)]
    hist_frame = pd.DataFrame(
        [
            {
                "committed_at": h.get("committed_at"),
                "source": h.get("source"),
                "tables": ", ".join(h.get("tables", [])),
                "deleted": ", ".join(h.get("deleted", [])),
            }
            for h in history
        ],
        columns=["committed_at", "source", "tables", "deleted"],
    )
    for h in history:
        lines.append(
            f"Import {h.get('committed_at', '?')}: {h.get('source', '?')} "
            f"({len(h.get('tables', []))} tables)"
        )
    if warnings:
        lines.extend(f"Import warning: {w}" for w in warnings)
    else:
        lines.append(
            "The importer's repairs (dropped duplicates, fixed labels, renamed tickers) are not "
            "kept in the store manifest; re-run `hedgekit data import` to see them."
        )
    real_limits = [line for line in lines if not line.startswith(("Import ", "The importer's"))]
    status = Status.WARN if real_limits else Status.OK
    reason = (
        f"{_plural(len(real_limits), 'known limit')}; read them before trusting a result"
        if real_limits
        else "no known limits beyond the checks above"
    )
    metrics = {
        "limits": len(real_limits),
        "imports": len(history),
        "synthetic": market.is_synthetic,
    }
    return QualitySection("limits", status, reason, metrics, {"history": hist_frame}, tuple(lines))
