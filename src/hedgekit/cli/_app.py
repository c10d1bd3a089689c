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
    if value is None:
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
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the main job end to end: load data, hedge one stock, report in and out of sample.

    Uses the data home if it holds an import (real data), else imports the embedded,
    synthetic demo market into it first.
    """
    from hedgekit.data import MarketData
    from hedgekit.data._demo import ensure_demo_store
    from hedgekit.hedge import baseline_hedge

    store = _store(home)
    report = ensure_demo_store(store)
    if report is not None and not as_json:
        err_console.print(f"[dim]imported the embedded demo market into {store.home}[/dim]")
    market = MarketData(store)
    if date is None:
        date = f"{market.calendar[max(0, len(market.calendar) - 253)]:%Y-%m-%d}"
    if target is None:
        target = _demo_target(market, date)
    result = baseline_hedge(market, target, date, max_names=max_names)
    if as_json:
        _print_json(result.to_dict())
        return
    kind = "[bold yellow]SYNTHETIC demo market[/bold yellow]" if result.synthetic else "real data"
    console.print(
        f"Hedge of [bold]{result.target}[/bold] as of {result.date:%Y-%m-%d} on {kind} "
        f"({market.store.home}); {result.candidates} candidates, "
        f"observation window {result.observation_start:%Y-%m-%d} to {result.date:%Y-%m-%d}"
    )
    frame = result.to_frame()
    table = Table(title="Hedge basket (short)")
    for col in ("ticker", "name", "sector", "sub-industry", "weight"):
        table.add_column(col, justify="right" if col == "weight" else "left")
    for ticker, row in frame.iterrows():
        table.add_row(
            str(ticker), _fmt(row["name"]), _fmt(row["gics_sector"]),
            _fmt(row["gics_sub_industry"]), f"{row['weight']:.1%}",
        )  # fmt: skip
    console.print(table)
    stats = Table(title="Statistics (annualised)")
    stats.add_column("measure")
    stats.add_column("in sample", justify="right")
    stats.add_column("out of sample", justify="right")
    oos = result.out_of_sample or {}
    rows = [
        ("target volatility", "target_volatility", "pct"),
        ("hedged volatility", "hedged_volatility", "pct"),
        ("correlation", "correlation", ""),
        ("tracking error", "tracking_error", "pct"),
        ("variance reduction", "variance_reduction", "pct"),
        ("risk reduction (bps)", "risk_reduction_bps", "bps"),
        ("hedged max drawdown", "hedged_max_drawdown", "pct"),
        ("observations", "observations", ""),
    ]
    for label, key, kind_ in rows:
        stats.add_row(label, _fmt(result.in_sample.get(key), kind_), _fmt(oos.get(key), kind_))
    console.print(stats)
    if result.holding_end is not None:
        console.print(
            f"Out of sample: {result.date:%Y-%m-%d} to {result.holding_end:%Y-%m-%d}, "
            "weights fixed at the hedge date."
        )
    if result.synthetic:
        console.print("[yellow]Every number above is synthetic (simulated demo market).[/yellow]")
    else:
        console.print(
            "[dim]Real data is survivorship-biased (only names still listed in 2024).[/dim]"
        )


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
    table = Table(title=f"Imported {directory} into {store.home} in {report.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in sorted(report.rows.items()):
        table.add_row(name, f"{n:,}")
    console.print(table)
    for k, v in report.derived.items():
        console.print(f"derived {k}: {v:,}")
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
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


def _print_tabular_report(report, title: str) -> None:
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows written", justify="right")
    for name, n in sorted(report.rows.items()):
        table.add_row(name, f"{n:,}")
    console.print(table)
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

    Example: hedgekit data import-table px.csv --table prices --map Security=ticker
    --map Date=date --map PX_LAST=close --map PX_VOLUME=volume
    """
    from hedgekit._errors import ConfigurationError
    from hedgekit.data._tabular import import_table

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
    _print_tabular_report(report, f"Imported {file} into {table} ({store.home})")


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
    from hedgekit.data._tabular import import_list

    store = _store(home)
    kind = kind.strip().lower().replace("-", "_")
    report = import_list(file, kind, store, mode="merge" if merge else "replace")
    if as_json:
        _print_json(report.to_dict())
        return
    _print_tabular_report(report, f"Imported {file} as {kind} ({store.home})")


def main() -> None:
    """Console entry point: run the app, turning user errors into one red line (exit 2).

    Usage errors are click's (exit 2 with usage help); any :class:`HedgekitError` is a user
    mistake and prints ``error: <message>``; anything else is a bug and keeps its traceback.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except HedgekitError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
