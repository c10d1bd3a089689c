"""The ``identity`` check: possible ticker reuse, names without a name or GICS, index
members without prices (survivorship), ticker changes (aliases), overlapping membership
intervals, and the per-date counts of names and members priced.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data._market import MarketData
from hedgekit.data.quality._common import _plural, _share
from hedgekit.data.quality._report import QualitySection, Status

#: a one-day move at least this large near a ticker change points at a spliced history
_ALIAS_JUMP = 0.5
#: trading days either side of a ticker change searched for such a move
_ALIAS_WINDOW = 5
#: an index membership this many calendar days before the first price is suspicious
_MEMBER_SLACK_DAYS = 30
#: prices starting this many years before the first membership (or description)
_LEAD_YEARS = 5.0


def _tuples(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows of some columns as plain tuples (for the few loops over small tables)."""
    return list(frame[columns].itertuples(index=False, name=None))


def _main_index(membership: pd.DataFrame) -> str | None:
    if membership.empty:
        return None
    return str(membership["index"].value_counts().index[0])


def _member_matrix(membership: pd.DataFrame, cal: pd.DatetimeIndex) -> tuple[np.ndarray, pd.Index]:
    """Boolean (n_dates, n_member_tickers) matrix: ticker is an index member on that date."""
    names = pd.Index(sorted(set(membership["ticker"])), name="ticker")
    out = np.zeros((len(cal), len(names)), dtype=bool)
    if membership.empty:
        return out, names
    lo = cal.searchsorted(membership["start_date"].to_numpy())
    end = membership["end_date"]
    hi = np.where(end.isna(), len(cal), cal.searchsorted(end.fillna(cal[-1]).to_numpy()))
    cols = names.get_indexer(membership["ticker"])
    for c, a, b in zip(cols, lo, hi, strict=True):  # one slice per interval
        out[a:b, c] = True
    return out, names


def _identity(
    market: MarketData, valid: np.ndarray, rets: pd.DataFrame
) -> tuple[QualitySection, pd.DataFrame]:
    cal = market.calendar
    sec = market.securities
    price_tickers = market.tickers
    membership = market._membership
    code = _main_index(membership)
    members = membership[membership["index"] == code] if code else membership
    fp = sec["first_price_date"].reindex(price_tickers)
    lp = sec["last_price_date"].reindex(price_tickers)
    aliases = market.aliases
    reasons: dict[str, list[tuple[str, str]]] = {}

    def add(ticker: str, kind: str, text: str) -> None:
        reasons.setdefault(str(ticker), []).append((kind, text))

    # 1. the source's own flag
    if "possible_ticker_reuse" in sec.columns:
        flagged = sec.index[sec["possible_ticker_reuse"].fillna(False).astype(bool)]
        for t in flagged:
            if t in price_tickers:
                add(t, "source", "flagged by the data source (possible_ticker_reuse)")

    # 2. index member on dates before its price history starts (inside the data)
    priced_members = members[members["ticker"].isin(price_tickers)]
    if len(priced_members):
        first_px = priced_members["ticker"].map(fp)
        start = priced_members["start_date"]
        clipped = start.where(start > market.start, market.start)
        end = priced_members["end_date"]
        early = (clipped < first_px - pd.Timedelta(days=_MEMBER_SLACK_DAYS)) & (
            end.isna() | (end > market.start)
        )
        hits = priced_members[early].assign(first_price=first_px[early])
        for ticker, begin, stop, px in _tuples(
            hits, ["ticker", "start_date", "end_date", "first_price"]
        ):
            until = "now" if pd.isna(stop) else f"{stop:%Y-%m-%d}"
            add(
                ticker,
                "strong",
                f"index member {begin:%Y-%m-%d}..{until} but prices start {px:%Y-%m-%d}",
            )

    # 3. an old ticker of another company that has prices of its own
    alias_rows = aliases[
        aliases["alias"].isin(price_tickers) & (aliases["alias"] != aliases["ticker"])
    ]
    for alias, ticker, stop in _tuples(alias_rows, ["alias", "ticker", "end_date"]):
        until = "" if pd.isna(stop) else f" until {stop:%Y-%m-%d}"
        add(alias, "strong", f"was the ticker of {ticker}{until}")

    # 4. a >50% one-day move near a ticker change
    changes = aliases[aliases["end_date"].notna()]
    jumps: list[dict[str, Any]] = []
    for alias, ticker, change in _tuples(changes, ["alias", "ticker", "end_date"]):
        i = int(cal.searchsorted(pd.Timestamp(change)))
        lo, hi = max(0, i - _ALIAS_WINDOW), min(len(cal), i + _ALIAS_WINDOW + 1)
        for t in dict.fromkeys([str(ticker), str(alias)]):
            if t not in rets.columns:
                continue
            window = rets[t].iloc[lo:hi]
            big = window[window.abs() > _ALIAS_JUMP]
            for when, r in zip(big.index, big.to_numpy(), strict=True):
                jumps.append({"ticker": t, "date": when, "return": r, "change": change})
                add(
                    t,
                    "strong",
                    f"{r:+.0%} on {when:%Y-%m-%d} near the {alias}->{ticker} change "
                    f"on {change:%Y-%m-%d}",
                )

    # 5. (weak) prices start long before the first membership, or the first description
    desc_dates = market.store.read("descriptions", columns=["ticker", "as_of"])
    desc_first = desc_dates.groupby("ticker")["as_of"].min()
    first_member = members.groupby("ticker")["start_date"].min()
    ref = first_member.reindex(price_tickers)
    ref_kind = pd.Series("first index membership", index=price_tickers)
    no_member = ref.isna()
    ref[no_member] = desc_first.reindex(price_tickers)[no_member]
    ref_kind[no_member] = "first description"
    lead = (ref - fp).dt.days / 365.25
    for t in price_tickers[(lead > _LEAD_YEARS).to_numpy()]:
        add(
            t,
            "weak",
            f"prices start {fp[t]:%Y-%m-%d}, {lead[t]:.0f} years before its "
            f"{ref_kind[t]} ({ref[t]:%Y-%m-%d})",
        )

    names = sec["name"].reindex(price_tickers)
    reuse_rows = []
    for t, items in reasons.items():
        kinds = [k for k, _ in items]
        reuse_rows.append(
            {
                "ticker": t,
                "name": names.get(t),
                "strength": "strong"
                if "strong" in kinds
                else ("source" if "source" in kinds else "weak"),
                "signals": len(items),
                "first_price": fp.get(t),
                "first_member": first_member.get(t),
                "reasons": "; ".join(text for _, text in items),
            }
        )
    reuse = pd.DataFrame(
        reuse_rows,
        columns=["ticker", "name", "strength", "signals", "first_price", "first_member", "reasons"],
    )
    rank = reuse["strength"].map({"strong": 0, "source": 1, "weak": 2})
    reuse = (
        reuse.assign(_rank=rank)
        .sort_values(["_rank", "signals", "ticker"], ascending=[True, False, True], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )

    # tickers with prices but no name or no GICS sector
    unnamed_mask = (
        sec["name"].reindex(price_tickers).isna() | sec["gics_sector"].reindex(price_tickers).isna()
    )
    ever_member = pd.Index(price_tickers).isin(members["ticker"])
    unnamed = pd.DataFrame(
        {
            "ticker": price_tickers,
            "has_name": sec["name"].reindex(price_tickers).notna().to_numpy(),
            "has_gics": sec["gics_sector"].reindex(price_tickers).notna().to_numpy(),
            "index_member": ever_member,
            "first_price": fp.to_numpy(),
            "last_price": lp.to_numpy(),
        }
    )[unnamed_mask.to_numpy()].reset_index(drop=True)

    # index members without prices: per ticker and per year
    lost_mask = ~members["ticker"].isin(price_tickers)
    lost = (
        members[lost_mask]
        .groupby("ticker")
        .agg(first_start=("start_date", "min"), last_end=("end_date", "max"))
    )
    open_ended = members[lost_mask & members["end_date"].isna()]["ticker"].unique()
    lost.loc[lost.index.isin(open_ended), "last_end"] = pd.NaT
    alias_of = aliases.drop_duplicates("alias", keep="last").set_index("alias")["ticker"]
    lost["alias_of"] = alias_of.reindex(lost.index)
    lost = lost.reset_index().sort_values(
        ["last_end", "ticker"], ascending=[False, True], na_position="first", kind="stable"
    )
    lost = lost.reset_index(drop=True)
    years = []
    for year in range(market.start.year, market.end.year + 1):
        y0 = max(pd.Timestamp(year=year, month=1, day=1), market.start)
        y1 = min(pd.Timestamp(year=year, month=12, day=31), market.end)
        during = members[
            (members["start_date"] <= y1)
            & (members["end_date"].isna() | (members["end_date"] > y0))
        ]
        names_y = set(during["ticker"])
        lost_y = {t for t in names_y if t not in price_tickers}
        left = during[during["end_date"].notna() & (during["end_date"] <= y1)]
        left_lost = set(left["ticker"]) & lost_y
        years.append(
            {
                "year": year,
                "members": len(names_y),
                "without_prices": len(lost_y),
                "share_without_prices": _share(len(lost_y), len(names_y)),
                "left_without_prices": len(left_lost),
            }
        )
    survivorship = pd.DataFrame(
        years,
        columns=[
            "year",
            "members",
            "without_prices",
            "share_without_prices",
            "left_without_prices",
        ],
    )

    # aliases applied, and overlapping membership intervals
    alias_frame = aliases.assign(
        ticker_has_prices=aliases["ticker"].isin(price_tickers),
        alias_has_prices=aliases["alias"].isin(price_tickers),
        alias_still_in_membership=aliases["alias"].isin(membership["ticker"]),
    ).reset_index(drop=True)
    ordered = membership.sort_values(["index", "ticker", "start_date"]).reset_index(drop=True)
    far = pd.Timestamp("2262-01-01")
    ends = ordered["end_date"].fillna(far)
    prev_end = ends.groupby([ordered["index"], ordered["ticker"]]).cummax()
    prev_end = prev_end.groupby([ordered["index"], ordered["ticker"]]).shift(1)
    overlap = ordered[(ordered["start_date"] < prev_end).fillna(False).to_numpy()]
    overlaps = overlap[["index", "ticker", "start_date", "end_date"]].reset_index(drop=True)

    # daily counts: names with a price, members, members with a price
    mat, member_names = _member_matrix(members, cal)
    cols = pd.Index(price_tickers).get_indexer(member_names)
    priced_member = np.zeros_like(mat)
    ok = cols >= 0
    priced_member[:, ok] = mat[:, ok] & valid[:, cols[ok]]
    daily = pd.DataFrame(
        {
            "priced": valid.sum(axis=1),
            "members": mat.sum(axis=1),
            "members_priced": priced_member.sum(axis=1),
        },
        index=pd.DatetimeIndex(cal, name="date"),
    )

    strong = int((reuse["strength"] == "strong").sum())
    source = int((reuse["strength"] == "source").sum())
    weak = int((reuse["strength"] == "weak").sum())
    unmerged = int(lost["alias_of"].notna().sum())
    last_day = daily.iloc[-1] if len(daily) else None
    metrics: dict[str, Any] = {
        "index": code,
        "reuse_candidates": int(strong + source),
        "reuse_strong": strong,
        "reuse_source_flag_only": source,
        "reuse_weak_only": weak,
        "alias_jumps": len(jumps),
        "no_name_or_gics": len(unnamed),
        "members_ever": int(members["ticker"].nunique()),
        "members_without_prices": len(lost),
        "members_without_prices_filed_under_old_ticker": unmerged,
        "members_at_end": None if last_day is None else int(last_day["members"]),
        "members_priced_at_end": None if last_day is None else int(last_day["members_priced"]),
        "aliases": len(alias_frame),
        "overlapping_membership_intervals": len(overlaps),
    }
    frames = {
        "reuse": reuse,
        "no_name": unnamed,
        "members_without_prices": lost,
        "survivorship": survivorship,
        "aliases": alias_frame,
        "membership_overlaps": overlaps,
        "alias_jumps": pd.DataFrame(jumps, columns=["ticker", "date", "return", "change"]),
    }
    parts = []
    if strong + source:
        parts.append(f"{strong + source:,} possible ticker reuses ({strong} strong)")
    if len(lost):
        parts.append(
            f"{len(lost):,} index members without prices (survivorship"
            + (f"; {unmerged} filed under an old ticker)" if unmerged else ")")
        )
    if len(unnamed):
        parts.append(f"{len(unnamed):,} priced tickers without name or GICS")
    if len(overlaps):
        parts.append(_plural(len(overlaps), "overlapping membership interval"))
    if members.empty:
        parts.append("no index membership: survivorship and reuse by membership not checked")
    if parts:
        status, reason = Status.WARN, "; ".join(parts)
    else:
        status, reason = Status.OK, "every priced ticker named and classified; no reuse signals"
    return QualitySection("identity", status, reason, metrics, frames), daily
