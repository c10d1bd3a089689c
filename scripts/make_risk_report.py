"""Validate the factor risk model on the real data: bias statistics, R^2, plots.

Fits ``FactorRiskModel(start, end)`` (default 2009-12-31 .. 2023-12-29, EWMA covariance) on
the ``us_equities`` bundle, computes the bias statistics of its month-end forecasts
(:func:`hedgekit.risk._validation.bias_statistics`) for the EWMA model, the same model with
the plain 2-year window covariance (``window``) and, on request (``--variants``), with USE4's
volatility regime adjustment (``ewma+vra``, half-life 42 days), writes the figures of
``docs/risk_model.md`` and prints its tables as markdown::

    python scripts/make_risk_report.py --data /work/shared/data/us_equities --out docs

    docs/img/risk_factor_returns.png   cumulative factor returns
    docs/img/risk_r_squared.png        daily regression R^2 and its 63-day mean
    docs/img/risk_bias.png             mean bias statistic by year, per variant
    docs/img/risk_bias_robust.png      the same for the clipped (robust) statistic

The bundle is imported into a temporary store unless ``--store`` names an existing data
home. ``--model DIR`` reuses a model saved there (or saves the fitted one there), so the
statistics can be recomputed without the ~1-2 minute fit. The variants are
:func:`~hedgekit.risk._validation.forecast_variant` copies of the fitted model: factor
returns, residuals and exposures do not depend on the covariance method or the regime
adjustment (only ``FactorRiskModel.forecast`` reads them).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from hedgekit.data import MarketData, Store, import_bundle
from hedgekit.risk._bias import ALL, FAMILIES, BiasReport
from hedgekit.risk._model import FactorRiskModel
from hedgekit.risk._plot import plot_bias, plot_factor_returns, plot_r_squared
from hedgekit.risk._validation import bias_statistics, forecast_variant, r_squared_by_year


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Path("/work/shared/data/us_equities"))
    p.add_argument("--store", type=Path, default=None, help="existing data home (skips import)")
    p.add_argument("--out", type=Path, default=Path("docs"), help="docs folder (PNGs in img/)")
    p.add_argument("--model", type=Path, default=None, help="saved model to reuse / write")
    p.add_argument("--start", default="2009-12-31")
    p.add_argument("--end", default="2023-12-29")
    p.add_argument("--n-random", type=int, default=100)
    p.add_argument("--random-size", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-history", type=int, default=252)
    p.add_argument(
        "--variants",
        default="ewma,window",
        help="comma-separated forecast variants: ewma, window, ewma+vra (default ewma,window)",
    )
    p.add_argument("--n-jobs", type=int, default=None, help="processes for the exposures")
    return p.parse_args(argv)


def _model(args: argparse.Namespace, market: MarketData) -> FactorRiskModel:
    if args.model is not None and (args.model / "model.json").exists():
        model = FactorRiskModel.load(args.model)
        params = model.get_params()
        wanted = (
            f"{pd.Timestamp(args.start):%Y-%m-%d}",
            f"{pd.Timestamp(args.end):%Y-%m-%d}",
        )
        default = params["covariance_method"] == "ewma" and not params.get(
            "volatility_regime_half_life"
        )
        if (params["start"], params["end"]) != wanted or not default:
            sys.exit(
                f"{args.model} holds a model {params['start']}..{params['end']} "
                f"({params['covariance_method']}), not {wanted[0]}..{wanted[1]} (ewma); "
                "remove it or pass another --model"
            )
        print(f"loaded {model!r} from {args.model}", file=sys.stderr)
        return model
    began = time.perf_counter()
    model = FactorRiskModel(args.start, args.end, n_jobs=args.n_jobs).fit(market)
    print(f"fitted {model!r} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    if args.model is not None:
        model.save(args.model)
    return model


def _comparison(reports: dict[str, BiasReport], statistic: str) -> str:
    """Markdown: periods x (family, method) for one statistic."""
    names = list(reports)
    first = reports[names[0]]
    header = ["year"] + [f"{f} {n}" for f in FAMILIES for n in names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    tables = {n: r.table(statistic) for n, r in reports.items()}
    for period in first.table(statistic).index:
        cells = [str(period)]
        for f in FAMILIES:
            for n in names:
                value = tables[n].loc[period, f] if period in tables[n].index else float("nan")
                cells.append("" if pd.isna(value) else f"{value:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _r2_markdown(table: pd.DataFrame) -> str:
    lines = [
        "| year | days | mean R^2 | median R^2 | stocks per regression |",
        "|---|---|---|---|---|",
    ]
    for period, row in table.iterrows():
        lines.append(
            f"| {period} | {int(row['n_days'])} | {row['r_squared_mean']:.3f} | "
            f"{row['r_squared_median']:.3f} | {row['n_stocks_mean']:.0f} |"
        )
    return "\n".join(lines)


def _counts(report: BiasReport) -> str:
    """Markdown: portfolios per family and year (how many series each statistic averages)."""
    table = report.table("n_portfolios")
    lines = ["| year | " + " | ".join(FAMILIES) + " |", "|---|" + "---|" * len(FAMILIES)]
    for period, row in table.iterrows():
        lines.append(f"| {period} | " + " | ".join(f"{int(v)}" for v in row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Fit, validate, plot and print; returns the exit code."""
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("hedgekit.risk._regression").setLevel(logging.ERROR)
    began = time.perf_counter()
    tmp = None
    if args.store is None:
        tmp = Path(tempfile.mkdtemp(prefix="hk_risk_report_"))
        import_bundle(args.data, Store(tmp))
        store = Store(tmp)
    else:
        store = Store(args.store)
    try:
        market = MarketData(store)
        model = _model(args, market)
        reports: dict[str, BiasReport] = {}
        seconds: dict[str, float] = {}
        variants: dict[str, dict[str, Any]] = {
            "ewma": {},
            "window": {"covariance_method": "window"},
            "ewma+vra": {"volatility_regime_half_life": 42.0},
        }
        methods = [v.strip() for v in args.variants.split(",") if v.strip()]
        unknown = [v for v in methods if v not in variants]
        if unknown or "ewma" not in methods:
            sys.exit(f"--variants={args.variants!r}: use ewma (required), window, ewma+vra")
        for method in methods:
            m = forecast_variant(model, **variants[method]) if variants[method] else model
            reports[method] = bias_statistics(
                m,
                market,
                n_random=args.n_random,
                random_size=args.random_size,
                seed=args.seed,
                min_history=args.min_history,
            )
            seconds[method] = reports[method].seconds
        img = args.out / "img"
        plot_factor_returns(model, img / "risk_factor_returns.png")
        plot_r_squared(model, img / "risk_r_squared.png")
        plot_bias(reports, img / "risk_bias.png", statistic="bias_mean")
        plot_bias(reports, img / "risk_bias_robust.png", statistic="robust_mean")

        ewma = reports["ewma"]
        print(f"## Bias statistics, EWMA model ({ewma.params['model_start']}..", end="")
        print(f"{ewma.params['model_end']}, {len(ewma.forecast_dates)} month ends)\n")
        print(ewma.to_markdown())
        print("\n## Portfolios per family and year\n")
        print(_counts(ewma))
        if len(reports) > 1:
            print("\n## Mean bias statistic per variant\n")
            print(_comparison(reports, "bias_mean"))
            print("\n## Mean robust (clipped at 3) bias statistic per variant\n")
            print(_comparison(reports, "robust_mean"))
            for method, report in reports.items():
                if method != "ewma":
                    print(f"\n## Variant {method}, full table\n")
                    print(report.to_markdown())
        print("\n## Regression R^2 by year\n")
        print(_r2_markdown(r_squared_by_year(model)))
        print("\n## Notes\n")
        for note in ewma.notes:
            print(f"- {note}")
        for method, report in reports.items():
            dev = (report.table("bias_mean").drop(ALL) - 1.0).abs().mean()
            print(
                f"- {method}: mean |bias - 1| over the years: "
                + ", ".join(f"{f} {dev[f]:.3f}" for f in FAMILIES)
            )
        print(
            f"- timings: model fit {model.seconds_:.0f} s, "
            + ", ".join(f"bias statistics ({k}) {v:.0f} s" for k, v in seconds.items())
            + f", total {time.perf_counter() - began:.0f} s"
        )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
