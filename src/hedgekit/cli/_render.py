"""Tables and reports shared by the commands: hedge results, risk reports, data checks, imports.

Rendering only: every number comes from the library's result objects.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from hedgekit.cli._common import console

#: a column of numbers: never cut with "…" (folded onto a second line as a last resort,
#: every digit kept); text columns wrap
NUMBER: dict[str, Any] = {"justify": "right", "overflow": "fold"}
TEXT: dict[str, Any] = {"justify": "left", "overflow": "fold"}


def _word(header: str) -> int:
    """Width of a header's longest word (headers wrap between words)."""
    return max((len(w) for w in header.split()), default=1)


def print_fitted(
    title: str,
    headers: list[str],
    rows: list[list[str]],
    *,
    text: tuple[str, ...] = (),
    droppable: tuple[str, ...] = (),
) -> None:
    """Print a table whose numbers are never cut or folded, at any console width.

    The first column is the key (a ticker, a measure). Every other column not in ``text``
    holds numbers and gets a fixed width: its longest cell, or its header's longest word
    (headers wrap between words); only text columns wrap. When that is too wide, the
    ``droppable`` text columns are left out (in that order, a caption says so), then the
    number columns are split over as few tables as needed, each repeating the key column
    and titled ``(1/2)``, ``(2/2)``... Only a console too narrow for the key and one
    number column folds a number (onto a second line, every digit kept).
    """
    key = headers[0]

    def need(h: str) -> int:  # content width of a number column (or the key)
        i = headers.index(h)
        return max([len(r[i]) for r in rows] + [_word(h)])

    def room(h: str) -> int:  # on screen: content, padding (2) and a border (1)
        if h in text and h != key:  # a text column needs a word or two to be readable
            return min(need(h), 14) + 3
        if h == key and h in text:
            return min(need(h), max(_word(h), 14)) + 3
        return need(h) + 3

    avail = console.width - 1
    numeric = [h for h in headers[1:] if h not in text]
    texts = [h for h in headers[1:] if h in text]
    dropped: list[str] = []
    for h in droppable:
        if room(key) + sum(room(n) for n in numeric) + sum(room(t) for t in texts) <= avail:
            break
        if h in texts:
            texts.remove(h)
            dropped.append(h)
    # as few parts as fit, of balanced size; the text columns go with the first part
    parts: list[list[str]] = [numeric]
    for n_parts in range(1, max(1, len(numeric)) + 1):
        size = -(-len(numeric) // n_parts)
        parts = [numeric[i : i + size] for i in range(0, len(numeric), size)] or [[]]
        first = room(key) + sum(room(t) for t in texts)
        if all(
            first * (j == 0) + room(key) * (j > 0) + sum(room(h) for h in part) <= avail
            for j, part in enumerate(parts)
        ):
            break
    caption = (
        None
        if not dropped
        else f"{' and '.join(dropped)} left out to fit {console.width} columns (--json has them)"
    )
    for j, part in enumerate(parts):
        show = [key, *(texts if j == 0 else []), *part]
        show = [h for h in headers if h in show]  # the caller's order
        label = title if len(parts) == 1 else f"{title} ({j + 1}/{len(parts)})"
        table = Table(title=label, caption=caption if j == len(parts) - 1 else None)
        for h in show:
            if h in text:
                table.add_column(h, **TEXT)
            else:
                table.add_column(
                    h, justify="left" if h == key else "right", overflow="fold", width=need(h)
                )
        index = [headers.index(h) for h in show]
        for r in rows:
            table.add_row(*(r[i] for i in index))
        console.print(table)


def _fmt(value: Any, kind: str = "") -> str:
    if value is None or (not isinstance(value, str) and str(value) in ("<NA>", "NaT", "nan")):
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if kind == "pct":
            return f"{value:.1%}"
        if kind == "bps":
            return f"{value:,.0f}"
        return f"{value:,.4f}"
    return str(value)


def _print_import_report(report, title: str, empty: str | None = None) -> None:
    """Rows written per table, derived counts and warnings of any import or pull."""
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows written", **NUMBER)
    for name, n in sorted(report.rows.items()):
        table.add_row(name, f"{n:,}")
    if report.rows or empty is None:
        console.print(table)
    else:
        console.print(empty)
    for k, v in report.derived.items():
        console.print(f"{k.replace('_', ' ')}: {v:,}")
    for w in report.warnings:  # one line each, brackets kept ([plot] is not markup)
        console.print(f"[yellow]warning:[/yellow] {escape(w)}", highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- data check
_CHECK_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def _check_status(status: Any) -> str:
    text = str(status)
    style = _CHECK_STYLE.get(text, "white")
    return f"[{style}]{text.upper()}[/{style}]"


def _check_cell(value: Any, kind: str = "") -> str:
    """Format one cell: kind ``int`` (thousands separators), ``num``, ``pct``, ``ret`` or text."""
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NaT or value is pd.NA:
        return "-"
    if isinstance(value, float | np.floating) and np.isnan(value):
        return "-"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "num":
        return f"{float(value):,.2f}"
    if kind == "pct":
        return f"{float(value):.1%}"
    if kind == "ret":
        return f"{float(value):+.1%}"
    return str(value)


def _check_table(
    title: str, frame: Any, columns: list[tuple[str, str, str]], limit: int | None = 10
) -> None:
    """Print the first ``limit`` rows of a report table (the library sorts worst first)."""
    if frame is None or len(frame) == 0:
        console.print(f"[dim]{title}: none[/dim]")
        return
    frame = frame.reset_index() if frame.index.name is not None else frame
    shown = frame if limit is None else frame.head(limit)
    caption = None if len(shown) == len(frame) else f"top {len(shown)} of {len(frame):,}"
    table = Table(title=title, caption=caption)
    for _, header, kind in columns:
        table.add_column(header, **(NUMBER if kind in ("int", "pct", "ret", "num") else TEXT))
    kinds = [kind for _, _, kind in columns]
    for row in shown[[col for col, _, _ in columns]].itertuples(index=False, name=None):
        table.add_row(*(_check_cell(v, k) for v, k in zip(row, kinds, strict=True)))
    console.print(table)


def _check_heading(section: Any) -> None:
    console.print()
    console.print(
        f"[bold]{section.name}[/bold] {_check_status(section.status)}: {section.reason}",
        highlight=False,
    )


def _print_check(report: Any) -> None:
    """Render a QualityReport as one heading and a few tables per section."""
    if report.synthetic:
        console.print(
            "SYNTHETIC store: every number below describes a simulated market.",
            style="bold yellow",
        )
    console.print(
        f"Data check of {report.home} (snapshot {report.version}), "
        f"{report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}: {_check_status(report.status)}",
        highlight=False,
    )
    summary = Table(title="Summary")
    summary.add_column("section")
    summary.add_column("status")
    summary.add_column("reason")
    for name, section in report.sections.items():
        summary.add_row(name, _check_status(section.status), section.reason)
    console.print(summary)

    s = report.sections
    _check_heading(s["coverage"])
    _check_table(
        "Tables",
        s["coverage"].frames["coverage"],
        [("table", "table", ""), ("rows", "rows", "int"), ("tickers", "tickers", "int"),
         ("first", "first", ""), ("last", "last", "")],
        limit=None,
    )  # fmt: skip
    _check_table(
        "Reference series ending before the prices",
        s["coverage"].frames["early_ends"],
        [("table", "table", ""), ("series", "series", ""), ("last", "last", "")],
    )

    prices = s["prices"]
    m = prices.metrics
    _check_heading(prices)
    console.print(
        f"{m['tickers']:,} tickers, {m['observations']:,} closes; {m['missing_days']:,} missing "
        f"days inside the tickers' lives; {m['zero_volume_days']:,} zero-volume days "
        f"({m['unchanged_zero_volume_days']:,} with an unchanged close: likely filled, not traded)",
        highlight=False,
    )
    frame = prices.frames["prices"]
    _check_table(
        "Worst tickers",
        frame[frame["issues"] > 0],
        [("ticker", "ticker", ""), ("first", "first", ""), ("last", "last", ""),
         ("missing_days", "missing", "int"), ("gaps", "gaps", "int"),
         ("stale_runs", "stale runs", "int"), ("spikes", "spikes", "int"),
         ("zero_volume_days", "zero-vol days", "int"), ("non_positive", "<= 0", "int")],
    )  # fmt: skip
    _check_table(
        f"Spikes (|return| > {report.parameters['spike']:.0%})",
        prices.frames["spikes"],
        [("ticker", "ticker", ""), ("date", "date", ""), ("return", "return", "ret"),
         ("close_return", "raw close", "ret"), ("next_return", "next day", "ret"),
         ("hint", "hint", "")],
    )  # fmt: skip
    _check_table(
        f"Gaps (>= {report.parameters['gap_days']} missing trading days)",
        prices.frames["gaps"],
        [("ticker", "ticker", ""), ("start", "start", ""), ("end", "end", ""),
         ("days", "days", "int"), ("business_days", "business days", "int")],
    )  # fmt: skip
    _check_table(
        f"Stale runs (>= {report.parameters['stale_days']} identical closes)",
        prices.frames["stale"],
        [("ticker", "ticker", ""), ("start", "start", ""), ("end", "end", ""),
         ("days", "days", "int"), ("close", "close", "num")],
    )  # fmt: skip
    _check_table(
        "Non-positive values",
        prices.frames["non_positive"],
        [("ticker", "ticker", ""), ("date", "date", ""), ("close", "close", "num"),
         ("adj_close", "adj close", "num"), ("volume", "volume", "num")],
    )  # fmt: skip

    identity = s["identity"]
    _check_heading(identity)
    _check_table(
        "Possible ticker reuse",
        identity.frames["reuse"],
        [("ticker", "ticker", ""), ("name", "name", ""), ("strength", "strength", ""),
         ("reasons", "reasons", "")],
    )  # fmt: skip
    _check_table(
        "Survivorship: index members without prices, per year",
        identity.frames["survivorship"],
        [("year", "year", ""), ("members", "members", "int"),
         ("without_prices", "without prices", "int"),
         ("share_without_prices", "share", "pct"),
         ("left_without_prices", "left that year", "int")],
        limit=None,
    )  # fmt: skip
    _check_table(
        "Index members without prices (latest leavers first)",
        identity.frames["members_without_prices"],
        [("ticker", "ticker", ""), ("first_start", "first start", ""),
         ("last_end", "last end", ""), ("alias_of", "old ticker of", "")],
    )  # fmt: skip
    unnamed = identity.frames["no_name"]
    if len(unnamed):
        names = ", ".join(unnamed["ticker"].head(15))
        more = f" and {len(unnamed) - 15} more" if len(unnamed) > 15 else ""
        console.print(f"Priced tickers without a name or GICS ({len(unnamed)}): {names}{more}")
    overlaps = identity.frames["membership_overlaps"]
    if len(overlaps):
        console.print(
            f"Overlapping membership intervals: {', '.join(sorted(set(overlaps['ticker'])))}"
        )

    _check_heading(s["descriptions"])
    _check_table(
        "Description vintages",
        s["descriptions"].frames["descriptions"],
        [("as_of", "as of", ""), ("source", "source", ""), ("tickers", "tickers", "int"),
         ("members_covered", "current members", "pct"), ("median_words", "median words", "num"),
         ("empty_texts", "empty", "int"), ("after_data_end", "after data end", "")],
        limit=None,
    )  # fmt: skip

    fund = s["fundamentals"]
    _check_heading(fund)
    _check_table(
        "Fundamentals by fiscal year and source",
        fund.frames["fundamentals"],
        [("fiscal_year", "fiscal year", ""), ("source", "source", ""), ("rows", "rows", "int"),
         ("tickers", "tickers", "int"), ("priced_tickers", "with prices", "int"),
         ("estimated_share", "publish date estimated", "pct"),
         ("median_publish_lag_days", "median lag (days)", "num")],
        limit=None,
    )  # fmt: skip
    _check_table(
        "Fiscal years inconsistent with the period end",
        fund.frames["fiscal_year_mismatch"],
        [("ticker", "ticker", ""), ("fiscal_year", "fiscal year", ""), ("source", "source", ""),
         ("period_end", "period end", "")],
    )  # fmt: skip

    _check_heading(s["market_cap"])
    _check_table(
        "Share counts of index members by source",
        s["market_cap"].frames["market_cap"],
        [("date", "date", ""), ("members", "members", "int"), ("snapshot", "snapshot", "pct"),
         ("statement", "statement", "pct"), ("missing", "missing", "pct")],
        limit=None,
    )  # fmt: skip

    limits = s["limits"]
    _check_heading(limits)
    console.print("[bold]Known limits[/bold]")
    for line in limits.lines:
        console.print(f"- {line}", highlight=False, markup=False)


def _render_trades(result) -> None:
    """A rebalance's trades and their total turnover and cost."""
    info = result.diagnostics["rebalance"]
    rows = [
        [str(t), r["side"], format(r["shares"], ",.0f"), format(r["current_shares"], ",.0f"),
         format(r["target_shares"], ",.0f"), format(r["notional"], ",.0f"),
         format(r["cost_usd"], ",.0f"), r["reason"]]
        for t, r in result.trades.iterrows()
    ]  # fmt: skip
    headers = ["ticker", "side", "shares", "now", "target", "notional", "cost $", "reason"]
    print_fitted("Rebalance trades", headers, rows, text=("reason",), droppable=("reason",))
    limit = info["max_turnover"]
    console.print(
        f"Rebalance: {info['trades']} trades"
        + (f" (max {info['max_trades']})" if info["max_trades"] is not None else "")
        + f", turnover {info['turnover_pct']:.1f}% of the hedge notional"
        + (f" (max {limit:g}%)" if limit is not None else "")
        + f", cost ${info['cost_usd']:,.0f}"
    )


def _render_hedge(result, grid_table) -> None:
    kind = "[bold yellow]SYNTHETIC demo market[/bold yellow]" if result.synthetic else "real data"
    d = result.diagnostics
    console.print(
        f"Hedge as of {result.date:%Y-%m-%d} on {kind}: portfolio ${d['portfolio_notional']:,.0f}, "
        f"hedge ${d['hedge_notional']:,.0f}; {d['candidates']} candidates; window "
        f"{d['observation_start']:%Y-%m-%d}..{d['observation_end']:%Y-%m-%d} ({d['sampling']})"
    )
    if "estimator" in d:
        est = d["estimator"]
        console.print(
            f"Co-movement: estimator {est['name']!r} fitted on {est['observations']:,} "
            f"{d['sampling']} returns"
        )
    cols = [
        ("ticker", None), ("name", None), ("sector", None), ("shares", ",.0f"),
        ("notional", ",.0f"), ("weight %", ".1f"), ("cost bps", ".1f"), ("ADV %", ".1f"),
        ("days", ".2f"), ("corr", ".2f"), ("TE contrib", ".2%"),
    ]  # fmt: skip
    sides = result.constituents.get("side")
    two_sided = sides is not None and (sides == "long").any()
    if two_sided:  # a long/short or a long hedge: the side of each name
        cols.insert(3, ("side", None))
    rows = []
    for ticker, row in result.constituents.iterrows():
        vals = [
            ticker, row["name"], row["sector"], *([row["side"]] if two_sided else []),
            row["shares"], row["notional"], row["weight"],
            row["transaction_cost_bps"], row["adv_pct"], row["days_to_trade"],
            row["correlation"], row["tracking_error_contribution"],
        ]  # fmt: skip
        rows.append(
            [_fmt(v) if f is None else format(v, f) for v, (_, f) in zip(vals, cols, strict=True)]
        )
    headers = [c for c, _ in cols]
    title = "Hedge basket (short)"
    if two_sided:
        title = "Hedge basket (long)" if (sides == "long").all() else "Hedge basket (long/short)"
    print_fitted(
        title,
        headers,
        rows,
        text=("name", "sector"),
        droppable=("sector", "name"),
    )
    if "sides" in d:
        x = d["sides"]
        console.print(
            f"{x['book'].capitalize()} portfolio, {x['hedge_side']} hedge: short "
            f"${x['short_usd']:,.0f}, long ${x['long_usd']:,.0f}; gross {x['gross_pct']:.1f}%, "
            f"net {x['net_pct']:.1f}% of the portfolio"
            + (
                f" (bounds: gross <= {x['max_gross_pct']:g}%, net "
                f"{x['min_net_pct']:g}..{x['max_net_pct']:g}%)"
                if "max_gross_pct" in x
                else ""
            )
        )
    if result.trades is not None:
        _render_trades(result)
    stats = result.statistics
    pct = {
        "annualized_return",
        "annualized_volatility",
        "tracking_error",
        "variance_reduction",
        "max_drawdown",
        "holding_error",
    }
    stat_rows = []
    for measure, row in stats.iterrows():
        name = str(measure)
        kind_ = "pct" if name in pct else ""
        if name.endswith(("_bps", "_usd")) or name in ("number_of_names", "observations"):
            kind_ = "bps"  # whole numbers with thousands separators
        # spaces, not underscores: a narrow console wraps the measure between words
        stat_rows.append([name.replace("_", " "), *[_fmt(v, kind_) for v in row.to_numpy()]])
    print_fitted(
        "Statistics",
        ["measure", *[f"{leg}\n{sample.replace('_', ' ')}" for sample, leg in stats.columns]],
        stat_rows,
        text=("measure",),
    )
    held = d.get("holding_error")
    if held:
        console.print(
            f"Holding error {held['holding_error']:.4%} a year: the whole-share basket against "
            f"the optimiser's weights (tracking error {held['ideal_tracking_error']:.2%} ideal, "
            f"{held['held_tracking_error']:.2%} held)"
        )
    if grid_table is not None:
        print_fitted(
            "Grid search (walk-forward, out of fold)",
            [str(c) for c in grid_table.columns],
            [[_fmt(float(v)) for v in row.to_numpy()] for _, row in grid_table.iterrows()],
        )
    if result.risk_report is not None:
        _render_risk_report(result.risk_report)
    if "factor_share" in d:
        _render_factor_share(d["factor_share"])
    for line in d.get("data_limits", []):
        console.print(f"[dim]{line}[/dim]")
    for line in d.get("warnings", []):
        console.print(
            f"[yellow]warning:[/yellow] {escape(str(line))}", highlight=False, soft_wrap=True
        )


def _render_risk_report(report: dict[str, Any]) -> None:
    pr = report["predicted_risk"]
    # each factor group's share alone (market, sector, style) after the factor share
    columns = ["total_volatility", "factor_volatility", "specific_volatility"]
    columns += [c for c in pr.columns if c.endswith("_share_of_variance")]
    headers = ["leg", "total vol", "factor vol", "specific vol"]
    headers += [c.removesuffix("_of_variance").replace("_", " ") for c in columns[3:]]
    rows = [
        [str(leg), *[_fmt(float(row[c]), "pct") for c in columns]] for leg, row in pr.iterrows()
    ]
    print_fitted("Predicted risk under the factor model (annualised)", headers, rows, text=("leg",))
    ex = report["exposures"]
    ex = ex[(ex.abs() > 1e-9).any(axis=1)]
    et = Table(title="Factor exposures (per unit of portfolio notional)")
    for col in ("factor", "portfolio", "hedge", "hedged"):
        et.add_column(col, **(TEXT if col == "factor" else NUMBER))
    for factor, row in ex.iterrows():
        et.add_row(
            str(factor), *[f"{float(row[c]):+.3f}" for c in ("portfolio", "hedge", "hedged")]
        )
    console.print(et)
    corr = report.get("factor_correlation")
    if corr is not None:
        console.print(f"Predicted correlation of portfolio and hedge factor returns: {corr:.2f}")


def pd_date(value: Any) -> str:
    """A date cell as YYYY-MM-DD, '-' when missing."""
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value):
        return "-"
    try:
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    except (TypeError, ValueError):
        return str(value)


def _render_factor_share(share: dict[str, Any]) -> None:
    """The factor-share caps, the shares reached and the penalty weights that met them."""
    caps = [("overall", share.get("max_factor_share"), share.get("factor_share"))]
    got = share.get("factor_share_by_group") or {}
    caps += [(g, c, got.get(g)) for g, c in (share.get("max_factor_share_by_group") or {}).items()]
    parts = [f"{g} {v:.2f}% (cap {c:g}%)" for g, c, v in caps if c is not None and v is not None]
    lam = [("overall", share.get("lambda")), *(share.get("lambda_by_group") or {}).items()]
    weights = ", ".join(f"{g} {x:.3g}" for g, x in lam if x is not None)
    console.print(
        f"Factor share of the hedged portfolio's predicted variance: {'; '.join(parts)}; "
        f"penalty weight {weights or '0'} after {share.get('solves', 0)} solves, in-sample "
        f"tracking error {share.get('tracking_error_uncapped', 0):.2f}% -> "
        f"{share.get('tracking_error', 0):.2f}%",
        highlight=False,
        soft_wrap=True,
    )
