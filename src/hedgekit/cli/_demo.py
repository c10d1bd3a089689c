"""``hedgekit demo``: the main job end to end on the data home (the demo market if empty)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hedgekit._errors import HedgekitError
from hedgekit.cli._common import HomeOption, JsonOption, _print_json, _store, console, err_console
from hedgekit.cli._render import _render_hedge

__all__ = ["demo"]


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
