"""``hedgekit risk ...``: build the factor risk model and decompose a stock's risk under it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hedgekit.cli._common import (
    HomeOption,
    JsonOption,
    _market,
    _print_json,
    check_date,
    console,
    progress_bars,
)
from hedgekit.cli._render import NUMBER, TEXT, _fmt

__all__ = ["risk_app"]

risk_app = typer.Typer(help="Build and inspect the factor risk model.", no_args_is_help=True)


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
    check_date(start, "--start")  # a typo fails before the data is opened
    check_date(end, "--end")
    from hedgekit.risk import cached_model_path, default_model

    market = _market(home)
    path = cached_model_path(market, name)
    with progress_bars("building the risk model (kept in the data home)"):
        model, action = default_model(
            market,
            start=start,
            end=end,
            covariance_method=covariance,
            name=name,
            rebuild=rebuild,
            n_jobs=jobs,
        )
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
    from hedgekit.risk import load_cached_model

    asked = check_date(date, "--date")  # a typo fails before the data is opened
    market = _market(home)
    model = load_cached_model(market, name)
    if model is None:
        from hedgekit._errors import DataError

        raise DataError(
            f"no current risk model {name!r} in {market.store.home}; build it with "
            "`hedgekit risk build`"
        )
    when = asked if asked is not None else model.factor_returns_.index[-1]
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
        t.add_column(col, **(TEXT if col == "factor" else NUMBER))
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
