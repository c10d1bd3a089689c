"""``hedgekit hedge``: the positions and options as a :class:`~hedgekit.hedge.HedgeRequest`.

Registered on the main Typer app by :mod:`hedgekit.cli._app`. The command holds no rules
of its own: it turns its arguments into the request the library and the service validate
with, checks what only the command has (output files, the grid-search metric) before any
data is read, then runs the hedge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from hedgekit._errors import ConfigurationError
from hedgekit.cli._common import (
    HomeOption,
    JsonOption,
    _market,
    _print_json,
    check_output,
    progress_bars,
)
from hedgekit.cli._render import _render_hedge

__all__ = ["hedge", "parse_positions"]

#: request fields as the hedge command's options name them, for error messages
_OPTIONS = {
    "date": "--date",
    "notional": "--notional",
    "universe": "--universe",
    "method": "--method",
    "estimator": "--estimator",
    "exclusions.assets": "--exclude",
    "exclusions.sectors": "--exclude-sector",
    "parameters.observation_start_date": "--start",
    "parameters.sampling_period": "--sampling",
    "parameters.max_leverage": "--leverage",
    "parameters.percentage_in_cash": "--cash",
    "parameters.max_adv_percentage": "--max-adv",
    "parameters.max_weight": "--max-weight",
    "parameters.max_names": "--max-names",
    "parameters.min_names": "--min-names",
    "parameters.max_tracking_error": "--max-tracking-error",
    "parameters.factor_constraints": "--factor-constraint",
    "parameters.min_esg_score": "--min-esg-score",
    "parameters.lasso_weight": "--lasso",
    "parameters.ridge_weight": "--ridge",
    "parameters.max_turnover": "--max-turnover",
    "parameters.max_trades": "--max-trades",
    "parameters.allow_long_short": "--long-short",
    "parameters.max_gross": "--max-gross",
    "parameters.min_net": "--min-net",
    "parameters.max_net": "--max-net",
    "current_hedge": "--current-hedge",
    "basket_instruments": "--basket-instrument",
    "parameters.benchmarks": "--benchmark",
    "parameters.max_factor_share": "--max-factor-share",
    "parameters.max_factor_share_by_group": "--max-factor-share-group",
    "parameters.factor_risk_weight": "--factor-risk-weight",
    "parameters.specific_risk_weight": "--specific-risk-weight",
}
#: the help panel of the factor-risk options (their own table: the main one keeps its widths)
_FACTOR_RISK = "Factor risk (docs/hedge.md)"
#: what each output option can write
_SUFFIXES = {"--csv": (".csv",), "--basket-json": (".json",), "--plot": (".png", ".pdf", ".svg")}
_METRICS = ("tracking_error", "correlation", "r_squared", "cost")


def _option(field: str) -> str:
    """A request field as the option (or position) the user typed."""
    head, _, _ = field.partition("[")
    if head == "positions" and field != "positions":
        index = int(field[len("positions[") :].split("]", 1)[0])
        return f"position {index + 1}"
    if field in _OPTIONS or head in _OPTIONS:
        return _OPTIONS.get(field, _OPTIONS.get(head, field))
    parts = field.split(".")  # a mapping's key: parameters.min_esg_score.esg
    for end in range(len(parts) - 1, 1, -1):
        option = _OPTIONS.get(".".join(parts[:end]))
        if option is not None:
            return option
    return field


def parse_positions(items: Sequence[str]) -> list[dict[str, Any]]:
    """``TICKER``, ``TICKER=QUANTITY`` or ``TICKER:WEIGHT`` strings as request positions.

    Weights are fractions (0.4) or percents (40%); bare tickers share the portfolio
    equally (weights of ``1/n``, so ``--notional`` is required). Whether the positions
    are consistent (one kind, weights summing to 100%...) is the request's to check.
    """
    positions: list[dict[str, Any]] = []
    for raw in items:
        text = raw.strip()
        try:
            if "=" in text:
                ticker, qty = text.split("=", 1)
                positions.append(
                    {"identifier": ticker.strip(), "quantity": float(qty.replace(",", ""))}
                )
            elif ":" in text:
                ticker, weight = text.split(":", 1)
                weight = weight.strip()
                value = float(weight.rstrip("%")) / (100.0 if weight.endswith("%") else 1.0)
                positions.append({"identifier": ticker.strip(), "weight": value})
            else:
                positions.append({"identifier": text, "weight": 1.0 / len(items)})
        except ValueError:
            raise ConfigurationError(
                f"cannot read position {raw!r}; write TICKER, TICKER=QUANTITY or TICKER:WEIGHT"
            ) from None
    return positions


def _date(value: str | None, option: str) -> dt.date | None:
    from hedgekit.typing import to_timestamp

    if value is None:
        return None
    try:
        return to_timestamp(value, option).date()
    except (ValueError, TypeError):
        raise ConfigurationError(
            f"{option} {value!r} is not a date; write e.g. 2022-12-30"
        ) from None


def hedge(
    positions: Annotated[
        list[str],
        typer.Argument(
            help="TICKER=QUANTITY, TICKER:WEIGHT (e.g. AAPL:60%; weights sum to 100% and need "
            "--notional) or TICKER (equal weights)."
        ),
    ],
    date: Annotated[
        str | None, typer.Option(help="Hedge date (default: last date in the data).")
    ] = None,
    universe: Annotated[
        str | None, typer.Option(help="Comma-separated indices/ETFs/tickers (default SPX).")
    ] = None,
    explode: Annotated[
        bool | None,
        typer.Option(
            "--explode/--no-explode",
            help="Indices and ETFs become their members (default); --no-explode holds ETFs "
            "(SPY, XLK...) as themselves.",
        ),
    ] = None,
    max_names: Annotated[
        int | None,
        typer.Option("--max-names", help="At most K names (default 10; 0 = no limit)."),
    ] = None,
    min_names: Annotated[
        int | None,
        typer.Option("--min-names", help="At least K names (default: no floor)."),
    ] = None,
    max_tracking_error: Annotated[
        float | None,
        typer.Option(
            "--max-tracking-error",
            help="TE as a constraint, annualised %: the fewest names whose in-sample tracking "
            "error is at most this.",
        ),
    ] = None,
    factor_constraint: Annotated[
        list[str] | None,
        typer.Option(
            "--factor-constraint",
            help="FACTOR=MIN:MAX, a bound on the hedged portfolio's net exposure to a risk "
            "model factor (repeatable), e.g. momentum=-0.1:0.1.",
        ),
    ] = None,
    min_esg_score: Annotated[
        list[str] | None,
        typer.Option(
            "--min-esg-score",
            help="SCORE=MIN, drop candidates whose latest score on the date is below MIN or "
            "missing (repeatable), e.g. esg=5; import scores with `hedgekit data import-list "
            "scores FILE`.",
        ),
    ] = None,
    max_weight: Annotated[
        float | None,
        typer.Option("--max-weight", help="Max % of the hedge per name (default 25)."),
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="returns (default), factor, nlp or hybrid.")
    ] = None,
    estimator: Annotated[
        str | None,
        typer.Option(
            help="Co-movement estimator of the returns/hybrid methods: default, sample "
            "(Marquee's: the observation window), ewma, ledoit_wolf, oas, winsorized, "
            "factor_shrinkage, factor_target (toward the risk model's forecast: build it "
            "once with `hedgekit risk build`), ensemble."
        ),
    ] = None,
    notional: Annotated[
        float | None, typer.Option(help="Portfolio USD notional; required with weights.")
    ] = None,
    leverage: Annotated[
        float | None, typer.Option(help="Hedge notional, % of the portfolio (default 100).")
    ] = None,
    cash: Annotated[float | None, typer.Option(help="% of the hedge held in cash.")] = None,
    max_adv: Annotated[
        float | None, typer.Option("--max-adv", help="Max % of a name's ADV (default 15).")
    ] = None,
    sampling: Annotated[
        str | None, typer.Option(help="Daily (default), Weekly or Monthly.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Observation start date (default: date - 1 year).")
    ] = None,
    exclude_sector: Annotated[list[str] | None, typer.Option("--exclude-sector")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Assets to exclude.")
    ] = None,
    lasso: Annotated[float | None, typer.Option(help="Concentration strength.")] = None,
    ridge: Annotated[float | None, typer.Option(help="Diversity strength.")] = None,
    current_hedge: Annotated[
        Path | None,
        typer.Option(
            "--current-hedge",
            help="Rebalance this hedge: a basket JSON or CSV written by --basket-json / "
            "--csv (SELL_SHORT or BUY rows); the output lists the trades from it.",
        ),
    ] = None,
    max_turnover: Annotated[
        float | None,
        typer.Option(
            "--max-turnover", help="Rebalance: max % of the hedge notional traded (0 keeps it)."
        ),
    ] = None,
    max_trades: Annotated[
        int | None,
        typer.Option("--max-trades", help="Rebalance: max names whose shares change."),
    ] = None,
    basket_instrument: Annotated[
        list[str] | None,
        typer.Option(
            "--basket-instrument",
            help="NAME=FILE.csv, a user basket added to the universe and held as one "
            "instrument (repeatable); the CSV has columns identifier,weight.",
        ),
    ] = None,
    benchmark: Annotated[
        str | None,
        typer.Option(
            "--benchmark",
            help="Comma-separated curves beside the backtest: SPY, sector, nlp (the NLP "
            "basket of the nearest descriptions; default SPY,sector).",
        ),
    ] = None,
    long_short: Annotated[
        bool,
        typer.Option(
            "--long-short",
            help="Long/short hedge: names on both sides within --max-gross and the net bounds.",
        ),
    ] = False,
    max_gross: Annotated[
        float | None,
        typer.Option(
            "--max-gross",
            help="Long/short: max gross of the hedge, % of the portfolio (default 1.5 x "
            "--leverage).",
        ),
    ] = None,
    min_net: Annotated[
        float | None,
        typer.Option("--min-net", help="Long/short: min net of the hedge, % of the portfolio."),
    ] = None,
    max_net: Annotated[
        float | None,
        typer.Option("--max-net", help="Long/short: max net of the hedge, % of the portfolio."),
    ] = None,
    grid: Annotated[
        bool, typer.Option(help="Grid-search lasso and ridge (walk-forward CV).")
    ] = False,
    metric: Annotated[
        str, typer.Option(help=f"Grid-search metric: {', '.join(_METRICS)}.")
    ] = "tracking_error",
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the basket CSV here.")] = None,
    basket_json: Annotated[
        Path | None, typer.Option("--basket-json", help="Write the basket JSON here.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Save backtest and correlation PNG here.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
    max_factor_share: Annotated[
        float | None,
        typer.Option(
            "--max-factor-share",
            rich_help_panel=_FACTOR_RISK,
            help="At most this % of the hedged portfolio's predicted variance (risk model) "
            "from factors.",
        ),
    ] = None,
    max_factor_share_group: Annotated[
        list[str] | None,
        typer.Option(
            "--max-factor-share-group",
            rich_help_panel=_FACTOR_RISK,
            help="GROUP=PCT, the same cap per factor group: Market, Sector or Style "
            "(repeatable), e.g. Style=10.",
        ),
    ] = None,
    factor_risk_weight: Annotated[
        float | None,
        typer.Option(
            "--factor-risk-weight",
            rich_help_panel=_FACTOR_RISK,
            help="Method factor: weight of factor variance (default 1).",
        ),
    ] = None,
    specific_risk_weight: Annotated[
        float | None,
        typer.Option(
            "--specific-risk-weight",
            rich_help_panel=_FACTOR_RISK,
            help="Method factor: weight of specific variance (default 1).",
        ),
    ] = None,
) -> None:
    """Build the basket that best tracks the positions (Performance Hedger): sold short
    against a net-long portfolio, bought against a net-short one (TICKER=-QUANTITY), on both
    sides with --long-short.

    Defaults are the library's and the service's (docs/hedge.md, "Defaults").
    """
    # what only the command has, checked before any data is read
    for path, option in ((csv, "--csv"), (basket_json, "--basket-json"), (plot, "--plot")):
        check_output(path, option, _SUFFIXES[option])
    if plot is not None:
        from hedgekit._optional import import_optional

        import_optional("matplotlib.figure", extra="plot", purpose="--plot")
    if metric.strip().lower() not in _METRICS:
        raise ConfigurationError(
            f"--metric {metric!r} is not a grid-search metric; use one of {', '.join(_METRICS)}"
        )
    settings: dict[str, Any] = {
        "explode_universe": explode,
        "max_names": max_names,
        "min_names": min_names,
        "max_tracking_error": max_tracking_error,
        "factor_constraints": _factor_bounds(factor_constraint),
        "min_esg_score": _named_numbers(min_esg_score, "--min-esg-score", "SCORE=MIN, e.g. esg=5"),
        "max_weight": max_weight,
        "max_leverage": leverage,
        "percentage_in_cash": cash,
        "max_adv_percentage": max_adv,
        "sampling_period": sampling,
        "observation_start_date": _date(start, "--start"),
        "lasso_weight": lasso,
        "ridge_weight": ridge,
        "max_turnover": max_turnover,
        "max_trades": max_trades,
        "benchmarks": None
        if benchmark is None
        else [b.strip() for b in benchmark.split(",") if b.strip()],
        "allow_long_short": long_short or None,
        "max_gross": max_gross,
        "min_net": min_net,
        "max_net": max_net,
        "max_factor_share": max_factor_share,
        "max_factor_share_by_group": _named_numbers(
            max_factor_share_group, "--max-factor-share-group", "GROUP=PCT, e.g. Style=10"
        ),
        "factor_risk_weight": factor_risk_weight,
        "specific_risk_weight": specific_risk_weight,
    }
    request: dict[str, Any] = {
        "positions": parse_positions(positions),
        "notional": notional,
        "method": method,
        "estimator": estimator,
        "universe": None if universe is None else [u for u in universe.split(",") if u.strip()],
        "exclusions": {"assets": list(exclude or ()), "sectors": list(exclude_sector or ())},
        # an option not given takes the request's default; --max-names 0 lifts the limit
        "parameters": {k: v for k, v in settings.items() if v is not None},
    }
    if max_names == 0:
        request["parameters"]["max_names"] = None
    if current_hedge is not None:
        from hedgekit.hedge import basket_positions

        if not current_hedge.is_file():
            raise ConfigurationError(
                f"--current-hedge {current_hedge} is not a file; write one with "
                "`hedgekit hedge ... --basket-json FILE` (or --csv)"
            )
        held = basket_positions(current_hedge)  # BUY rows positive, SELL_SHORT negative
        request["current_hedge"] = [{"identifier": t, "quantity": q} for t, q in held.items()]
    if basket_instrument:
        request["basket_instruments"] = _basket_instruments(basket_instrument)
    request = {k: v for k, v in request.items() if v is not None}

    from hedgekit.hedge import HedgeRequest, PerformanceHedge

    request["date"] = _date(date, "--date")
    if request["date"] is not None:  # the request's mistakes before the data is opened
        HedgeRequest.from_input(request, label=_option)
    market = _market(home)
    if request["date"] is None:
        request["date"] = market.end.date()
    params = HedgeRequest.from_input(request, label=_option).to_parameters()
    engine = PerformanceHedge(params, market)
    grid_table = None
    if grid and current_hedge is not None:
        raise ConfigurationError("--grid and --current-hedge do not combine; drop one")
    if grid:
        with progress_bars("grid search"):
            found = engine.grid_search(metric=metric.strip().lower())
        result, grid_table = found.best, found.grid
    else:
        # a factor hedge may fit its risk model, a semantic one embed the descriptions:
        # their progress shows as bars on a terminal
        with progress_bars("hedging"):
            result = engine.calculate()
    if csv is not None:
        result.to_basket_csv(csv)
    if basket_json is not None:
        result.to_basket_json(basket_json)
    if plot is not None:
        result.plot(plot)
    if as_json:
        payload = result.to_dict()
        if grid_table is not None:
            payload["grid"] = grid_table.to_dict("records")
        _print_json(payload)
        return
    _render_hedge(result, grid_table)


def _factor_bounds(items: list[str] | None) -> dict[str, tuple[float, float]] | None:
    """``--factor-constraint FACTOR=MIN:MAX`` options as the request's mapping."""
    if not items:
        return None
    out: dict[str, tuple[float, float]] = {}
    for item in items:
        name, eq, rest = item.rpartition("=")
        lo, colon, hi = rest.partition(":")
        try:
            if not (eq and colon and name.strip()):
                raise ValueError
            out[name.strip()] = (float(lo), float(hi))
        except ValueError:
            raise ConfigurationError(
                f"--factor-constraint {item!r} is not FACTOR=MIN:MAX, e.g. momentum=-0.1:0.1"
            ) from None
    return out


def _named_numbers(items: list[str] | None, option: str, form: str) -> dict[str, float] | None:
    """Repeated ``option NAME=NUMBER`` options as the request's mapping (a trailing ``%``
    is allowed); ``form`` is the error's example, e.g. ``'SCORE=MIN, e.g. esg=5'``."""
    if not items:
        return None
    out: dict[str, float] = {}
    for item in items:
        name, eq, value = item.rpartition("=")
        try:
            if not (eq and name.strip()):
                raise ValueError
            out[name.strip()] = float(value.strip().rstrip("%"))
        except ValueError:
            raise ConfigurationError(f"{option} {item!r} is not {form}") from None
    return out


def _basket_instruments(items: list[str]) -> list[dict[str, Any]]:
    """``--basket-instrument NAME=FILE.csv`` options as the request's baskets."""
    from hedgekit.hedge import Basket

    out = []
    for item in items:
        name, eq, path = item.partition("=")
        if not (eq and name.strip() and path.strip()):
            raise ConfigurationError(
                f"--basket-instrument {item!r} is not NAME=FILE.csv, e.g. MYSEMIS=semis.csv"
            )
        try:
            basket = Basket.from_csv(name.strip(), path.strip())
        except ConfigurationError as exc:
            raise ConfigurationError(f"--basket-instrument: {exc}") from None
        out.append(basket.to_dict())
    return out
