"""``hedgekit backtest``: the walk-forward backtest of hedge methods and its report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hedgekit._errors import ConfigurationError
from hedgekit.cli._common import (
    HomeOption,
    JsonOption,
    _market,
    _print_json,
    check_folder,
    console,
    err_console,
    user_warnings,
)
from hedgekit.cli._render import NUMBER, TEXT, _fmt

__all__ = ["backtest", "check_scheduler"]

#: seconds a --scheduler address may take to accept a connection in the early check
_SCHEDULER_CONNECT_TIMEOUT = 5.0


def check_scheduler(address: str) -> None:
    """Raise ConfigurationError unless a TCP server answers at the dask ``address``.

    A cheap early check (one connection, a few seconds at most) so a dead or mistyped
    address fails before the data is opened; addresses of other protocols (``tls://``,
    ``ucx://``...) are left to dask.
    """
    import socket
    from urllib.parse import urlsplit

    text = address.strip()
    scheme, sep, _ = text.partition("://")
    if sep and scheme.lower() != "tcp":
        return
    try:
        parts = urlsplit(text if sep else f"tcp://{text}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise ConfigurationError(
            f"--scheduler {address!r} is not a scheduler address; write tcp://HOST:PORT, "
            "e.g. tcp://127.0.0.1:8786"
        )
    try:
        with socket.create_connection((host, port), timeout=_SCHEDULER_CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"--scheduler {address}: no dask scheduler answers at {host}:{port} ({reason}); "
            "start one (`dask scheduler`) or check the address"
        ) from None


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
    allow_new_data: Annotated[
        bool,
        typer.Option(
            "--allow-new-data",
            help="Resume a run begun on another data snapshot (data imported since); by "
            "default such a resume is refused.",
        ),
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Walk-forward backtest of hedge methods, out of sample, with a report."""
    import shlex

    import pandas as pd
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hedgekit.backtest import (
        METHODS,
        BacktestConfig,
        BacktestSettings,
        by_method,
        load_results,
        parse_hold,
        run_backtest,
        select_targets,
        summarise,
        write_report,
    )

    hold_months = parse_hold(hold)  # a bad --hold fails before the data is opened
    # the output folders and the scheduler too: a typo must not cost the whole run
    what = "report.html, PNG plots and Parquet results"
    check_folder(report, "--report", what)
    check_folder(out, "--out", "results.sqlite")
    if workers is not None and scheduler is not None:
        raise ConfigurationError("pass either --workers or --scheduler, not both")
    if workers is not None and workers < 1:
        raise ConfigurationError(f"--workers {workers} must be >= 1 (the number of processes)")
    if scheduler is not None:
        check_scheduler(scheduler)
    market = _market(home)
    end_ts = pd.Timestamp(end)
    names = select_targets(market, targets, min(end_ts, market.end))
    chosen = [m.strip() for m in methods.split(",")] if methods else list(METHODS)
    settings = BacktestSettings(max_names=max_names, max_weight=max_weight, notional=notional)
    config = BacktestConfig.create(
        names, start, end, chosen, freq=freq, settings=settings, hold_months=hold_months,
        bound=bound,
    )  # fmt: skip
    run_dir = out or report
    if run_dir is None:
        raise ConfigurationError("pass --report DIR (or --out DIR) to keep the results")
    with (
        user_warnings(),
        Progress(
            TextColumn("[bold]backtest[/bold] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} dates"),
            TimeElapsedColumn(),
            console=err_console,
            transient=as_json,
        ) as bar,
    ):
        task = bar.add_task(f"{len(names)} targets x {len(chosen)} methods", total=None)
        run_backtest(
            config,
            market,
            run_dir,
            workers=workers,
            scheduler=scheduler,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            allow_new_data=allow_new_data,
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
    # the data's own limits (derived from the store by the quality checks), then the protocol's
    limits = [
        *market.limits,
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
            title=f"Walk-forward hedge backtest, {config.start:%Y-%m-%d} to {config.end:%Y-%m-%d}"
            + (" (synthetic demo market)" if market.is_synthetic else ""),
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
        t.add_column(col, **(TEXT if col == "method" else NUMBER))
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
