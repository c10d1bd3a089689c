"""``hedgekit monitor``: how a saved hedge has done since its date, and whether to rebalance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from hedgekit._errors import ConfigurationError
from hedgekit.cli._common import (
    HomeOption,
    JsonOption,
    _market,
    _print_json,
    check_date,
    check_output,
    console,
)

__all__ = ["monitor"]


def monitor(
    basket: Annotated[
        Path,
        typer.Argument(help="A basket JSON written by `hedgekit hedge ... --basket-json FILE`."),
    ],
    date: Annotated[
        str | None, typer.Option(help="Monitoring date (default: the data's last day).")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(help="Write the hedged return against the predicted band (.png/.pdf/.svg)."),
    ] = None,
    trades: Annotated[
        bool,
        typer.Option("--trades/--no-trades", help="Fit a fresh hedge and list the trades to it."),
    ] = True,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Monitor a saved hedge: realised vs predicted tracking error, drift, names gone, a
    rebalance verdict with its trades."""
    check_date(date, "--date")
    check_output(plot, "--plot", (".png", ".pdf", ".svg"), stem="monitor")
    if not basket.is_file():
        raise ConfigurationError(
            f"BASKET {basket} is not a file; write one with `hedgekit hedge ... --basket-json FILE`"
        )
    from hedgekit.hedge import monitor_basket

    market = _market(home)
    mon = monitor_basket(basket, date, market, rebalance_trades=trades)
    if plot is not None:
        mon.plot(plot)
    if as_json:
        _print_json(mon.to_dict())
        return
    colour = "yellow" if mon.rebalance else "green"
    console.print(
        f"Hedge of {mon.inception:%Y-%m-%d} monitored on {mon.as_of:%Y-%m-%d} "
        f"({mon.observations} days): [bold {colour}]{mon.verdict}[/bold {colour}]"
    )
    console.print(
        f"tracking error {mon.realised_tracking_error:.1%} realised vs "
        f"{mon.predicted_tracking_error:.1%} predicted; variance reduction "
        f"{mon.variance_reduction:.1%}; hedge ratio {mon.hedge_ratio['inception']:.0%} -> "
        f"{mon.hedge_ratio['now']:.0%}; correlation {mon.correlation['fitted']:.2f} fitted, "
        f"{mon.correlation['recent']:.2f} last quarter"
    )
    console.print(
        f"holding error {mon.holding_error:.2%}: the drifted hedge against its weights at "
        "inception (annualised, per unit of the position today)"
    )
    for reason in mon.reasons:
        console.print(f"- {escape(reason)}")
    names = Table(title="Hedge names")
    sided = "side" in mon.names.columns and (mon.names["side"] == "long").any()
    cols = ("ticker", *(("side",) if sided else ()), "shares", "weight then", "weight now")
    for col in (*cols, "ADV now $M", "status", "events"):
        left = col in ("ticker", "side", "status", "events")
        names.add_column(col, justify="left" if left else "right")
    for t, r in mon.names.iterrows():
        names.add_row(
            str(t),
            *((str(r["side"]),) if sided else ()),
            f"{r['shares']:,.0f}",
            f"{r['weight_inception']:.1%}",
            f"{r['weight_now']:.1%}",
            f"{r['adv_usd_now'] / 1e6:,.0f}",
            str(r["status"]),
            escape(str(r["events"])),
        )
    console.print(names)
    if mon.trades is not None and len(mon.trades):
        tt = Table(title="Trades to a fresh fit")
        for col in ("ticker", "side", "shares", "notional $", "cost $"):
            tt.add_column(col, justify="left" if col in ("ticker", "side") else "right")
        for t, r in mon.trades.iterrows():
            tt.add_row(
                str(t),
                str(r["side"]),
                f"{abs(r['trade_shares']):,.0f}",
                f"{r['trade_notional']:,.0f}",
                f"{r['cost_usd']:,.0f}",
            )
        console.print(tt)
    for note in mon.notes:
        console.print(f"[dim]{escape(note)}[/dim]")
