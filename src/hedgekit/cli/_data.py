"""``hedgekit data ...``: import, pull, inspect, resolve and check market data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hedgekit.cli._common import (
    HomeOption,
    JsonOption,
    _market,
    _print_json,
    _store,
    check_output,
    console,
)
from hedgekit.cli._render import NUMBER, _print_check, _print_import_report

__all__ = ["data_app"]

data_app = typer.Typer(help="Import, inspect and check market data.", no_args_is_help=True)


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
    table.add_column("rows", **NUMBER)
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
    # the output paths and the plotting library before the (slow) checks
    check_output(out, "--out", None, stem="check")
    check_output(plot, "--plot", (".png", ".pdf", ".svg"), stem="coverage")
    if plot is not None:
        from hedgekit._optional import import_optional

        import_optional("matplotlib.figure", extra="plot", purpose="--plot")
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
