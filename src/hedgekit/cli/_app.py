"""Typer application: ``hedgekit demo``, ``hedgekit data ...``.

User mistakes (any :class:`~hedgekit.HedgekitError`) print one red line and exit
with code 2; nothing else is caught.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hedgekit._errors import HedgekitError

app = typer.Typer(
    name="hedgekit",
    help="Hedges for concentrated equity positions, on point-in-time data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Import, inspect and check market data.", no_args_is_help=True)
app.add_typer(data_app, name="data")
risk_app = typer.Typer(help="Build and inspect the factor risk model.", no_args_is_help=True)
app.add_typer(risk_app, name="risk")
text_app = typer.Typer(help="Business-description embeddings.", no_args_is_help=True)
app.add_typer(text_app, name="text")

console = Console()
err_console = Console(stderr=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data home (default: $HEDGEKIT_DATA or the user data dir)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _store(home: Path | None):
    from hedgekit.data import Store

    return Store(home)


def _market(home: Path | None):
    from hedgekit.data import MarketData

    return MarketData(_store(home))


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


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


# --------------------------------------------------------------------------- demo
@app.command()
def demo(
    target: Annotated[
        str | None, typer.Option(help="Stock to hedge (default: a demo pick).")
    ] = None,
    date: Annotated[
        str | None, typer.Option(help="Hedge date (default: a year before the data ends).")
    ] = None,
    max_names: Annotated[int, typer.Option("--max-names", help="Names in the hedge.")] = 10,
    notional: Annotated[float, typer.Option(help="USD value of the position.")] = 50_000_000.0,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Save backtest and correlation PNG here.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the main job end to end: hedge a $50M single-stock position with a basket of
    index members (Performance Hedger defaults, 10 names, 25% max weight), in and out of sample.

    Uses the data home if it holds an import (real data), else imports the embedded,
    synthetic demo market into it first.
    """
    from hedgekit.data import MarketData, ensure_demo_store
    from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

    store = _store(home)
    report = ensure_demo_store(store)
    if report is not None and not as_json:
        err_console.print(f"[dim]imported the embedded demo market into {store.home}[/dim]")
    market = MarketData(store)
    if date is None:
        date = f"{market.calendar[max(0, len(market.calendar) - 253)]:%Y-%m-%d}"
    if target is None:
        target = _demo_target(market, date)
    params = PerformanceHedgeParameters(
        PositionSet([Position(target, weight=1.0)], date, reference_notional=notional),
        universe=("SPX",),
        max_names=max_names,
        max_weight=25.0,
    )
    result = PerformanceHedge(params, market).calculate()
    if plot is not None:
        result.plot(plot)
    if as_json:
        _print_json(result.to_dict())
        return
    console.print(f"Position: [bold]{', '.join(result.portfolio.index)}[/bold], ${notional:,.0f}")
    _render_hedge(result, None)
    if result.diagnostics.get("out_of_sample_end") is not None:
        console.print(
            f"Out of sample: after {result.date:%Y-%m-%d} to "
            f"{result.diagnostics['out_of_sample_end']:%Y-%m-%d}, basket fixed at the hedge date."
        )
    if result.synthetic:
        console.print("[yellow]Every number above is synthetic (simulated demo market).[/yellow]")


def _demo_target(market, date: str) -> str:
    """A target with a year of history on ``date``: the demo's pick, else AAPL, else any."""
    pick = market.manifest.get("demo_target")
    view = market.as_of(date)
    members = view.members("SPX")
    for candidate in (pick, "AAPL", *members):
        if candidate and candidate in members:
            rets = view.returns(candidate, window=252)
            if rets.notna().all().all() and len(rets) == 252:
                return str(candidate)
    raise HedgekitError(f"no index member has a year of history before {date}")


# --------------------------------------------------------------------------- data
@data_app.command("import")
def data_import(
    directory: Annotated[
        Path, typer.Argument(help="Bundle folder, e.g. ../shared/data/us_equities.")
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a hedgekit bundle (atomic: a failed import changes nothing)."""
    from hedgekit.data import import_bundle

    store = _store(home)
    with console.status("importing...") as status:
        report = import_bundle(directory, store, progress=lambda m: status.update(m))
    if as_json:
        _print_json(report.to_dict())
        return
    _print_import_report(
        report, f"Imported {directory} into {store.home} in {report.seconds:.1f} s"
    )
    if report.synthetic:
        console.print("[yellow]this bundle is synthetic[/yellow]")


@data_app.command("info")
def data_info(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show what the store holds."""
    market = _market(home)
    info = {
        "home": str(market.store.home),
        "version": market.store.version,
        "synthetic": market.is_synthetic,
        "start": f"{market.start:%Y-%m-%d}",
        "end": f"{market.end:%Y-%m-%d}",
        "tickers": len(market.tickers),
        "rows": market.manifest.get("rows", {}),
    }
    if as_json:
        _print_json(info)
        return
    for k, v in info.items():
        if k != "rows":
            console.print(f"[bold]{k}[/bold]: {v}")
    table = Table(title="tables")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in info["rows"].items():
        table.add_row(name, f"{n:,}")
    console.print(table)


@data_app.command("resolve")
def data_resolve(
    identifiers: Annotated[list[str], typer.Argument(help="Tickers, Bloomberg or RIC codes.")],
    date: Annotated[str | None, typer.Option(help="Resolve as of this date.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve identifiers to store tickers."""
    market = _market(home)
    tickers = market.resolve_many(identifiers, date)
    if as_json:
        _print_json(dict(zip(identifiers, tickers, strict=True)))
        return
    for ident, ticker in zip(identifiers, tickers, strict=True):
        name = market.securities["name"].get(ticker)
        console.print(f"{ident} -> [bold]{ticker}[/bold] {'' if name is None else name}")


def _pairs(items: list[str] | None, option: str, example: str) -> dict[str, str]:
    """Repeated ``KEY=VALUE`` options as a dict (the last ``=`` splits)."""
    from hedgekit._errors import ConfigurationError

    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.rpartition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigurationError(f"{option} {item!r} is not KEY=VALUE, e.g. {option} {example}")
        out[key.strip()] = value.strip()
    return out


def _print_import_report(report, title: str, empty: str | None = None) -> None:
    """Rows written per table, derived counts and warnings of any import or pull."""
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows written", justify="right")
    for name, n in sorted(report.rows.items()):
        table.add_row(name, f"{n:,}")
    if report.rows or empty is None:
        console.print(table)
    else:
        console.print(empty)
    for k, v in report.derived.items():
        console.print(f"{k.replace('_', ' ')}: {v:,}")
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)


@data_app.command("import-table")
def data_import_table(
    file: Annotated[Path, typer.Argument(help="CSV (.csv, .txt) or Parquet (.parquet, .pq) file.")],
    table: Annotated[
        str,
        typer.Option("--table", help="Store table: prices, benchmarks, securities, scores, ..."),
    ],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="SRC=DST: read file column SRC as store column DST (repeatable)."
        ),
    ] = None,
    layout: Annotated[
        str,
        typer.Option(
            "--layout",
            help="long (a row per record) or wide (a row per date, a column per identifier).",
        ),
    ] = "long",
    field: Annotated[
        str | None,
        typer.Option(
            "--field", help="With --layout wide: the column the cells hold, e.g. adj_close."
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option("--date-format", help="strftime format of the dates, e.g. %d/%m/%Y."),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Make the file the whole table (default: merge by key)."),
    ] = False,
    fx: Annotated[
        list[str] | None,
        typer.Option(
            "--fx",
            help="CUR=RATE: USD per one CUR, for a file with a currency column (repeatable).",
        ),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import one table from a CSV or Parquet export (atomic: a failed import changes nothing).

    Examples (a Bloomberg long export, a FactSet wide one):

    hedgekit data import-table px.csv --table prices --map Security=ticker --map PX_LAST=close

    hedgekit data import-table adj.csv --table prices --layout wide --field adj_close
    """
    from hedgekit._errors import ConfigurationError
    from hedgekit.data import import_table

    rates: dict[str, float] | None = None
    if fx:
        rates = {}
        for code, rate in _pairs(fx, "--fx", "EUR=1.08").items():
            try:
                rates[code] = float(rate)
            except ValueError:
                raise ConfigurationError(f"--fx {code}={rate}: the rate must be a number") from None
    store = _store(home)
    report = import_table(
        file, table, store,
        mapping=_pairs(mapping, "--map", "PX_LAST=close") or None,
        layout=layout, field=field, date_format=date_format,
        mode="replace" if replace else "merge", fx=rates,
    )  # fmt: skip
    if as_json:
        _print_json(report.to_dict())
        return
    _print_import_report(report, f"Imported {file} into {table} ({store.home})")


@data_app.command("import-list")
def data_import_list(
    kind: Annotated[
        str, typer.Argument(help="hard_to_borrow, restricted, scores or corporate_actions.")
    ],
    file: Annotated[Path, typer.Argument(help="CSV or Parquet file.")],
    merge: Annotated[
        bool, typer.Option("--merge", help="Upsert by key (default: the file replaces the list).")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a user list: hard-to-borrow or restricted names, scores, corporate actions."""
    from hedgekit.data import import_list

    store = _store(home)
    kind = kind.strip().lower().replace("-", "_")
    report = import_list(file, kind, store, mode="merge" if merge else "replace")
    if as_json:
        _print_json(report.to_dict())
        return
    _print_import_report(report, f"Imported {file} as {kind} ({store.home})")


@data_app.command("pull")
def data_pull(
    tickers: Annotated[list[str], typer.Argument(help="Yahoo symbols, e.g. AAPL MSFT BRK-B.")],
    start: Annotated[
        str | None,
        typer.Option(
            help="First date for tickers new to the store (default: 10 years before --end)."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="Last date, inclusive (default: today; today's own bar is never stored)."
        ),
    ] = None,
    profiles: Annotated[
        bool,
        typer.Option(
            "--profiles/--no-profiles",
            help="Fetch names, sectors, currency, descriptions and shares outstanding.",
        ),
    ] = True,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pull daily prices and profiles from Yahoo Finance (incremental, cached, atomic).

    Needs yfinance (the 'yahoo' extra of hedgekit). Responses are cached under
    <home>/cache/yahoo, so re-running only asks Yahoo for dates it has not served yet.
    """
    from hedgekit.data import pull

    store = _store(home)
    with console.status("pulling from Yahoo Finance...") as status:
        report = pull(
            tickers, store, start=start, end=end, profiles=profiles,
            progress=lambda m: status.update(m),
        )  # fmt: skip
    if as_json:
        _print_json(report.to_dict())
        return
    _print_import_report(
        report,
        f"Pulled {len(tickers)} ticker(s) from Yahoo into {store.home}",
        empty="the store is already up to date",
    )


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
        table.add_column(
            header, justify="right" if kind in ("int", "pct", "ret", "num") else "left"
        )
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


@data_app.command("check")
def data_check(
    home: HomeOption = None,
    as_json: JsonOption = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the JSON report to this file.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Save a PNG: names priced per date, spikes per year."),
    ] = None,
    spike: Annotated[
        float,
        typer.Option(
            "--spike", help="Report daily moves with |return| above this (0.5 = 50 percent)."
        ),
    ] = 0.5,
    stale_days: Annotated[
        int,
        typer.Option("--stale-days", help="Report runs of at least this many identical closes."),
    ] = 5,
    gap_days: Annotated[
        int,
        typer.Option("--gap-days", help="Report runs of at least this many missing trading days."),
    ] = 5,
) -> None:
    """Check the data: coverage, gaps, stale prices, spikes, identity, survivorship, limits."""
    from hedgekit.data import check_data, plot_coverage

    market = _market(home)
    if as_json:
        report = check_data(market, spike=spike, stale_days=stale_days, gap_days=gap_days)
    else:
        with console.status("checking the data..."):
            report = check_data(market, spike=spike, stale_days=stale_days, gap_days=gap_days)
    payload = report.to_dict()
    if out is not None:
        out.write_text(json.dumps(payload, indent=2) + "\n")
    if plot is not None:
        plot_coverage(report, plot)
    if as_json:
        _print_json(payload)
        return
    _print_check(report)
    for path, what in ((out, "JSON report"), (plot, "coverage plot")):
        if path is not None:
            console.print(f"[dim]wrote the {what} to {path}[/dim]")


# --------------------------------------------------------------------------- hedge
# the `hedge` command lives in cli/_hedge.py; demo and hedge share the rendering
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
    table = Table(title="Hedge basket (short)")
    cols = [
        ("identifier", None), ("name", None), ("sector", None), ("shares", ",.0f"),
        ("notional", ",.0f"), ("weight %", ".1f"), ("cost bps", ".1f"), ("ADV %", ".1f"),
        ("days", ".2f"), ("corr", ".2f"), ("TE contrib", ".2%"),
    ]  # fmt: skip
    for c, _ in cols:
        table.add_column(c, justify="left" if c in ("identifier", "name", "sector") else "right")
    c = result.constituents
    for ticker, row in c.iterrows():
        vals = [
            ticker, row["name"], row["sector"], row["shares"], row["notional"], row["weight"],
            row["transaction_cost_bps"], row["adv_pct"], row["days_to_trade"],
            row["correlation"], row["tracking_error_contribution"],
        ]  # fmt: skip
        table.add_row(
            *[_fmt(v) if f is None else format(v, f) for v, (_, f) in zip(vals, cols, strict=True)]
        )
    console.print(table)
    stats = result.statistics
    st = Table(title="Statistics")
    st.add_column("measure")
    for sample, leg in stats.columns:
        st.add_column(f"{leg}\n{sample.replace('_', ' ')}", justify="right")
    pct = {
        "annualized_return",
        "annualized_volatility",
        "tracking_error",
        "variance_reduction",
        "max_drawdown",
    }
    for measure, row in stats.iterrows():
        name = str(measure)
        kind_ = "pct" if name in pct else ""
        if name.endswith(("_bps", "_usd")) or name in ("number_of_names", "observations"):
            kind_ = "bps"  # whole numbers with thousands separators
        st.add_row(str(measure), *[_fmt(v, kind_) for v in row.to_numpy()])
    console.print(st)
    if grid_table is not None:
        gt = Table(title="Grid search (walk-forward, out of fold)")
        for col in grid_table.columns:
            gt.add_column(str(col), justify="right")
        for _, row in grid_table.iterrows():
            gt.add_row(*[_fmt(float(v)) for v in row.to_numpy()])
        console.print(gt)
    if result.risk_report is not None:
        _render_risk_report(result.risk_report)
    for line in d.get("data_limits", []):
        console.print(f"[dim]{line}[/dim]")
    for line in d.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {escape(str(line))}")


def _render_risk_report(report: dict[str, Any]) -> None:
    pr = report["predicted_risk"]
    t = Table(title="Predicted risk under the factor model (annualised)")
    for col in ("leg", "total vol", "factor vol", "specific vol", "factor share"):
        t.add_column(col, justify="left" if col == "leg" else "right")
    for leg, row in pr.iterrows():
        t.add_row(
            str(leg),
            *[
                _fmt(float(row[c]), "pct")
                for c in (
                    "total_volatility",
                    "factor_volatility",
                    "specific_volatility",
                    "factor_share_of_variance",
                )
            ],
        )
    console.print(t)
    ex = report["exposures"]
    ex = ex[(ex.abs() > 1e-9).any(axis=1)]
    et = Table(title="Factor exposures (per unit of portfolio notional)")
    for col in ("factor", "portfolio", "hedge", "hedged"):
        et.add_column(col, justify="left" if col == "factor" else "right")
    for factor, row in ex.iterrows():
        et.add_row(
            str(factor), *[f"{float(row[c]):+.3f}" for c in ("portfolio", "hedge", "hedged")]
        )
    console.print(et)
    corr = report.get("factor_correlation")
    if corr is not None:
        console.print(f"Predicted correlation of portfolio and hedge factor returns: {corr:.2f}")


# --------------------------------------------------------------------------- risk
@risk_app.command("build")
def risk_build(
    start: Annotated[
        str | None,
        typer.Option(
            help="First regression day (default: 14 years before the end, or the data's start)."
        ),
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Last day (default: the data's last date).")
    ] = None,
    covariance: Annotated[
        str, typer.Option(help="Factor covariance: 'ewma' (Newey-West) or 'window' (2 years).")
    ] = "ewma",
    name: Annotated[str, typer.Option(help="Name of the cached model.")] = "default",
    jobs: Annotated[
        int | None,
        typer.Option(help="Worker processes for the month-end exposures (default: the CPUs)."),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option(help="Refit from scratch instead of extending the cached model.")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit the factor risk model and cache it in the data home (extends a cached one)."""
    import os

    import pandas as pd

    from hedgekit.risk import FactorRiskModel, cached_model_path, load_cached_model

    market = _market(home)
    n_jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 4)
    last = pd.Timestamp(end) if end else market.end
    first = (
        pd.Timestamp(start)
        if start
        else max(last - pd.DateOffset(years=14), market.calendar[0] + pd.Timedelta(days=35))
    )
    path = cached_model_path(market, name)
    model = None if rebuild else load_cached_model(market, name)
    action = "fitted"
    if (
        model is not None
        and model.get_params()["start"] == f"{first:%Y-%m-%d}"
        and model.covariance_method == covariance
        and model.factor_returns_.index[-1] <= last
    ):
        model.n_jobs = n_jobs
        with console.status("extending the cached risk model..."):
            model.update(market, last)
        action = "updated"
    else:
        with console.status(f"fitting the risk model {first:%Y-%m-%d}..{last:%Y-%m-%d}..."):
            model = FactorRiskModel(first, last, covariance_method=covariance, n_jobs=n_jobs).fit(
                market
            )
    model.save(path)
    fr = model.factor_returns_
    summary = {
        "action": action,
        "path": str(path),
        "start": f"{fr.index[0]:%Y-%m-%d}",
        "end": f"{fr.index[-1]:%Y-%m-%d}",
        "days": len(fr),
        "factors": len(model.factors_),
        "stocks_per_day": float(model.n_stocks_.mean()),
        "mean_r_squared": float(model.r_squared_.mean()),
        "seconds": round(model.seconds_, 2),
        "data_version": model.data_version_,
    }
    if as_json:
        _print_json(summary)
        return
    console.print(
        f"Risk model {action}: {summary['start']}..{summary['end']}, {summary['days']} days, "
        f"{summary['factors']} factors, {summary['stocks_per_day']:.0f} stocks a day, mean R^2 "
        f"{summary['mean_r_squared']:.3f}, {summary['seconds']} s -> {path}"
    )


@risk_app.command("show")
def risk_show(
    ticker: Annotated[str, typer.Argument(help="Ticker (or identifier) to decompose.")],
    date: Annotated[
        str | None, typer.Option(help="Forecast date (default: the model's last day).")
    ] = None,
    name: Annotated[str, typer.Option(help="Name of the cached model.")] = "default",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Exposures and risk decomposition of one stock under the cached risk model."""
    import pandas as pd

    from hedgekit.risk import load_cached_model

    market = _market(home)
    model = load_cached_model(market, name)
    if model is None:
        from hedgekit._errors import DataError

        raise DataError(
            f"no current risk model {name!r} in {market.store.home}; build it with "
            "`hedgekit risk build`"
        )
    when = pd.Timestamp(date) if date else model.factor_returns_.index[-1]
    symbol = market.resolve(ticker, when)
    fc = model.forecast_ if date is None else model.forecast(when, market)
    risk = fc.risk_decomposition({symbol: 1.0})
    expo = risk["exposures"]
    contrib = risk["contributions"]
    sector = next(
        (
            f.removeprefix("sector: ")
            for f in expo.index
            if f.startswith("sector: ") and expo[f] > 0
        ),
        None,
    )
    payload = {
        "ticker": symbol,
        "date": f"{fc.date:%Y-%m-%d}",
        "exposures_date": f"{fc.exposures_date:%Y-%m-%d}",
        "sector": sector,
        "total_volatility": risk["total_volatility"],
        "factor_volatility": risk["factor_volatility"],
        "specific_volatility": risk["specific_volatility"],
        "exposures": {k: float(v) for k, v in expo.items() if abs(v) > 1e-12},
        "share_of_variance": {k: float(v) for k, v in contrib.items() if abs(v) > 1e-12},
    }
    if as_json:
        _print_json(payload)
        return
    console.print(
        f"{symbol} on {payload['date']} (exposures of {payload['exposures_date']}; sector "
        f"{sector or 'unclassified'}): total volatility {_fmt(risk['total_volatility'], 'pct')}, "
        f"factor {_fmt(risk['factor_volatility'], 'pct')}, specific "
        f"{_fmt(risk['specific_volatility'], 'pct')}"
    )
    t = Table(title="Exposures and share of variance")
    for col in ("factor", "exposure", "factor vol", "share of variance"):
        t.add_column(col, justify="left" if col == "factor" else "right")
    F = fc.factor_covariance
    for f, x in expo.items():
        if abs(x) < 1e-12:
            continue
        vol = float(F.loc[f, f]) ** 0.5
        t.add_row(str(f), f"{x:+.3f}", _fmt(vol, "pct"), _fmt(float(contrib[f]), "pct"))
    t.add_row(
        "specific",
        "",
        _fmt(risk["specific_volatility"], "pct"),
        _fmt(float(contrib["specific"]), "pct"),
    )
    console.print(t)
    for note in fc.notes:
        console.print(f"[dim]{note}[/dim]")


# --------------------------------------------------------------------------- text
EmbedderOption = Annotated[
    str,
    typer.Option(help="Backend: auto (MiniLM if installed, else tfidf), minilm, tfidf or a model."),
]


@app.command()
def peers(
    ticker: Annotated[str, typer.Argument(help="The company whose peers to find.")],
    date: Annotated[
        str | None, typer.Option(help="As-of date (default: the data's last date).")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="Number of peers.")] = 10,
    embedder: EmbedderOption = "auto",
    universe: Annotated[
        str | None, typer.Option(help="Index (SPX) or comma-separated tickers; default: all.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Semantic peers: the companies whose business descriptions are closest."""
    from hedgekit.text import semantic_peers

    market = _market(home)
    when = date or f"{market.end:%Y-%m-%d}"
    uni: str | list[str] | None = None
    if universe:
        items = [u.strip() for u in universe.split(",") if u.strip()]
        uni = items[0] if len(items) == 1 and items[0].upper() in ("SPX", "SP500") else items
    with console.status("embedding descriptions..."):
        table = semantic_peers(market, ticker, when, k=k, embedder=embedder, universe=uni)
    attrs = table.attrs
    if as_json:
        _print_json(
            {
                "ticker": attrs.get("ticker"),
                "as_of": when,
                "embedder": attrs.get("embedder"),
                "look_ahead": bool(attrs.get("look_ahead", False)),
                "sub_industry": attrs.get("target_gics_sub_industry"),
                "peers": table.reset_index().to_dict("records"),
            }
        )
        return
    t = Table(
        title=f"Semantic peers of {attrs.get('ticker', ticker)} on {when} "
        f"({attrs.get('embedder', embedder)}; its sub-industry: "
        f"{attrs.get('target_gics_sub_industry') or '-'})"
    )
    for col in ("rank", "ticker", "name", "similarity", "sub-industry", "description"):
        t.add_column(col, justify="right" if col in ("rank", "similarity") else "left")
    for tick, row in table.iterrows():
        t.add_row(
            str(row["rank"]),
            str(tick),
            _fmt(row.get("name")),
            f"{float(row['similarity']):.3f}",
            _fmt(row.get("gics_sub_industry")),
            ("later vintage" if bool(row.get("look_ahead")) else "")
            or f"{pd_date(row.get('description_as_of'))}",
        )
    console.print(t)
    if attrs.get("look_ahead"):
        console.print(
            "[yellow]the target's description was published after the date (look-ahead)[/]"
        )


def pd_date(value: Any) -> str:
    """A date cell as YYYY-MM-DD, '-' when missing."""
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value):
        return "-"
    try:
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    except (TypeError, ValueError):
        return str(value)


@text_app.command("eval")
def text_eval(
    date: Annotated[
        str, typer.Option(help="As-of date: descriptions, members and GICS known then.")
    ] = "2022-12-30",
    embedders: Annotated[
        str, typer.Option(help="Comma-separated backends to compare.")
    ] = "minilm,tfidf,nomic-ai/nomic-embed-text-v1.5",
    k: Annotated[int, typer.Option("-k", help="Neighbours per stock.")] = 10,
    window: Annotated[int, typer.Option(help="Trading days of returns after the date.")] = 252,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One table per backend: silhouette on GICS, kNN sub-industry accuracy, and the realised
    return correlation with semantic neighbours versus sub-industry peers and random stocks."""
    from hedgekit.text import evaluate_embeddings

    market = _market(home)
    names = [e.strip() for e in embedders.split(",") if e.strip()]
    with console.status(f"evaluating {len(names)} backend(s)..."):
        table = evaluate_embeddings(
            market, names, as_of=date, k=k, window=window, skip_unavailable=True
        )
    if as_json:
        _print_json(table.reset_index().to_dict("records"))
        return
    t = Table(title=f"Embedding backends on {date} (k={k}, returns: {window} days after)")
    t.add_column("measure")
    for name in table.index:
        t.add_column(str(name), justify="right")
    for col in table.columns:
        t.add_row(
            str(col),
            *[
                f"{v:.3f}" if isinstance(v, float) and v == v else _fmt(v)
                for v in table[col].to_numpy()
            ],
        )
    console.print(t)


@app.command()
def cluster(
    date: Annotated[
        str | None, typer.Option(help="As-of date (default: the data's last date).")
    ] = None,
    embedder: EmbedderOption = "auto",
    png: Annotated[Path | None, typer.Option(help="Write the 2-D map as PNG here.")] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write the interactive 2-D map (HTML) here.")
    ] = None,
    min_cluster_size: Annotated[
        int, typer.Option("--min-cluster-size", help="HDBSCAN's smallest cluster.")
    ] = 8,
    seed: Annotated[int, typer.Option(help="UMAP seed.")] = 42,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """UMAP + HDBSCAN clusters of the business descriptions, with ARI against GICS."""
    from hedgekit.text import cluster_market

    market = _market(home)
    when = date or f"{market.end:%Y-%m-%d}"
    with console.status("embedding and clustering..."):
        result = cluster_market(
            market,
            when,
            embedder,
            png=png,
            html=html,
            min_cluster_size=min_cluster_size,
            seed=seed,
        )
    if as_json:
        _print_json(result.to_dict())
        return
    console.print(
        f"{len(result.labels)} companies on {when} ({result.embedder}, {result.reducer}): "
        f"{result.n_clusters} clusters, {result.noise_share:.0%} noise"
    )
    sc = Table(title="Agreement with GICS")
    sc.add_column("reference")
    for col in result.scores.columns:
        sc.add_column(str(col), justify="right")
    for ref, row in result.scores.iterrows():
        sc.add_row(str(ref), *[_fmt(v) for v in row.to_numpy()])
    console.print(sc)
    summary = result.summary()
    t = Table(title="Clusters (largest first)")
    t.add_column("cluster", justify="right")
    for col in summary.columns:
        t.add_column(str(col))
    for c, row in summary.iterrows():
        t.add_row(str(c), *[_fmt(v) for v in row.to_numpy()])
    console.print(t)
    for path in (png, html):
        if path is not None:
            console.print(f"wrote {path}")


# --------------------------------------------------------------------------- backtest
def resolve_targets(market, spec: str, end) -> list[str]:
    """Targets of ``--targets``: a comma list, ``sp500`` (index members on ``end`` with
    prices) or ``random:N[:SEED]`` (N of those, drawn with numpy's default_rng(SEED), seed
    42 by default: the study's design)."""
    import numpy as np

    from hedgekit._errors import ConfigurationError

    text = spec.strip()
    key = text.lower()
    if key in ("sp500", "spx", "s&p500"):
        return sorted(market.as_of(end).members("SPX"))
    if key.startswith("random:"):
        parts = key.split(":")
        try:
            n = int(parts[1])
            seed = int(parts[2]) if len(parts) > 2 else 42
        except (IndexError, ValueError):
            raise ConfigurationError(
                f"--targets {spec!r}: write random:N or random:N:SEED, e.g. random:50:42"
            ) from None
        pool = sorted(market.as_of(end).members("SPX"))
        if not 0 < n <= len(pool):
            raise ConfigurationError(f"--targets {spec!r}: N must be in 1..{len(pool)}")
        rng = np.random.default_rng(seed)
        return sorted(str(t) for t in rng.choice(pool, size=n, replace=False))
    names = [t.strip() for t in text.split(",") if t.strip()]
    return [market.resolve(t, end) for t in names]


@app.command()
def backtest(
    targets: Annotated[
        str, typer.Option(help="T1,T2,... | sp500 | random:N[:SEED] (S&P 500 members at --end).")
    ],
    start: Annotated[str, typer.Option(help="First rebalance month (its last trading day).")],
    end: Annotated[str, typer.Option(help="Last day of the last holding period.")],
    freq: Annotated[str, typer.Option(help="monthly or quarterly.")] = "monthly",
    hold: Annotated[
        str,
        typer.Option(
            help="Holding period: 1m rebalances at every date; Nm (e.g. 12m) holds each "
            "basket N months untouched (set and forget, overlapping holds)."
        ),
    ] = "1m",
    bound: Annotated[
        bool,
        typer.Option(
            "--bound/--no-bound",
            help="Record the perfect-foresight bound (hindsight basket, evaluation only).",
        ),
    ] = True,
    methods: Annotated[
        str | None, typer.Option(help="Comma-separated methods (default: all registered).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write report.html, PNG plots and Parquet results here.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Run directory (results.sqlite; rerun to resume). Default: --report."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Run on a local dask cluster with N workers.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Run on a dask scheduler (tcp://host:8786).")
    ] = None,
    max_names: Annotated[int, typer.Option("--max-names", help="Names per basket.")] = 10,
    max_weight: Annotated[float, typer.Option("--max-weight", help="Max % per name.")] = 25.0,
    notional: Annotated[float, typer.Option(help="Position size in USD (costs, ADV).")] = 1e7,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Walk-forward backtest of hedge methods, out of sample, with a report."""
    import shlex

    import pandas as pd
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hedgekit._errors import ConfigurationError
    from hedgekit.backtest import (
        METHODS,
        BacktestConfig,
        BacktestSettings,
        by_method,
        load_results,
        parse_hold,
        run_backtest,
        summarise,
        write_report,
    )

    hold_months = parse_hold(hold)  # a bad --hold fails before the data is opened
    market = _market(home)
    end_ts = pd.Timestamp(end)
    names = resolve_targets(market, targets, min(end_ts, market.end))
    chosen = [m.strip() for m in methods.split(",")] if methods else list(METHODS)
    settings = BacktestSettings(max_names=max_names, max_weight=max_weight, notional=notional)
    config = BacktestConfig.create(
        names, start, end, chosen, freq=freq, settings=settings, hold_months=hold_months,
        bound=bound,
    )  # fmt: skip
    run_dir = out or report
    if run_dir is None:
        raise ConfigurationError("pass --report DIR (or --out DIR) to keep the results")
    with Progress(
        TextColumn("[bold]backtest[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} dates"),
        TimeElapsedColumn(),
        console=err_console,
        transient=as_json,
    ) as bar:
        task = bar.add_task(f"{len(names)} targets x {len(chosen)} methods", total=None)
        run_backtest(
            config,
            market,
            run_dir,
            workers=workers,
            scheduler=scheduler,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    # the daily frame only for a report of the rebalance protocol: overlapping holds make
    # it N times larger, and the metrics come from the per-record moments without it
    periods, daily = load_results(run_dir, daily=report is not None and config.chained)
    recorded = list(config.record_methods)
    periods = periods[periods["target"].isin(names) & periods["method"].isin(recorded)]
    if daily is not None:
        daily = daily[daily["target"].isin(names) & daily["method"].isin(recorded)]
    first = periods["rebalance"].min()
    # by ticker as stored, not resolved again: on an early date an old ticker can alias another
    # company's (IR was Trane's before 2020)
    sec = market.as_of(first).securities().reindex(names)
    target_frame = pd.DataFrame(
        {
            "name": sec["name"],
            "sector": sec["gics_sector"],
            "sub_industry": sec["gics_sub_industry"],
        }
    )
    limits = [
        *(
            ["synthetic demo market: every number is simulated"]
            if market.is_synthetic
            else [
                "survivorship bias: the data holds only companies still listed when it was "
                "pulled (2024), so targets and hedge candidates are survivors; results "
                "overstate what could have been traded",
                "fundamentals stop at FY2021 and market caps are approximate; before 2013 "
                "GICS sectors are today's (flagged 'static')",
            ]
        ),
        "hedges use only data known at each rebalance date; holding-period returns are "
        "realised afterwards",
    ]
    summary = summarise(daily, periods, hold_months=config.hold_months)
    if report is not None:
        command = "hedgekit backtest " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        write_report(
            daily,
            periods,
            target_frame,
            report,
            title=f"Walk-forward hedge backtest, {config.start:%Y-%m-%d} to {config.end:%Y-%m-%d}",
            limits=limits,
            command=command,
            hold_months=config.hold_months,
        )
    table = (
        by_method(summary, n_boot=1000)
        .rename(columns={"mean": "risk_reduction_bps"})[
            [
                "risk_reduction_bps",
                "variance_reduction",
                "median_variance_reduction",
                "bound_share",
                "turnover",
                "cost_bps",
            ]
        ]
        .sort_values("risk_reduction_bps", ascending=False)
    )
    failed = int((periods["status"] != "ok").sum())
    if as_json:
        _print_json(
            {
                "targets": len(names),
                "periods": int(periods["rebalance"].nunique()),
                "hold_months": config.hold_months,
                "failed": failed,
                "run_dir": str(run_dir),
                "report": None if report is None else str(report / "report.html"),
                "by_method": [  # NaN (no bound to share) as null: valid JSON
                    {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                    for r in table.reset_index().to_dict("records")
                ],
            }
        )
        return
    protocol = "rebalanced monthly" if config.chained else f"{config.hold_months}-month holds"
    if config.chained and config.freq == "quarterly":
        protocol = "rebalanced quarterly"
    t = Table(title=f"Mean over {len(names)} targets, out of sample ({protocol})")
    columns = (
        "method", "risk reduction (bps)", "variance reduction", "median VR", "share of bound",
        "turnover (x/yr)", "cost (bps/yr)",
    )  # fmt: skip
    for col in columns:
        t.add_column(col, justify="left" if col == "method" else "right")
    for method, row in table.iterrows():
        t.add_row(
            str(method),
            _fmt(float(row["risk_reduction_bps"]), "bps"),
            _fmt(float(row["variance_reduction"]), "pct"),
            _fmt(float(row["median_variance_reduction"]), "pct"),
            _fmt(float(row["bound_share"]), "pct"),
            _fmt(f"{row['turnover']:.2f}" if row["turnover"] == row["turnover"] else None),
            _fmt(float(row["cost_bps"]), "bps"),
        )
    console.print(t)
    if failed:
        console.print(f"[yellow]{failed} (target, date, method) hedges failed; see the report[/]")
    for line in limits:
        console.print(f"[dim]{line}[/dim]")
    if report is not None:
        console.print(f"report: {report / 'report.html'}")


def main() -> None:
    """Console entry point: run the app, turning user errors into one red line (exit 2).

    Usage errors are click's (exit 2 with usage help); any :class:`HedgekitError` is a user
    mistake and prints ``error: <message>``; anything else is a bug and keeps its traceback.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except HedgekitError as exc:
        # escaped: rich would swallow the [plot] of `pip install 'hedgekit[plot]'` as markup
        err_console.print(
            f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise SystemExit(2) from None
