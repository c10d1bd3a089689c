"""Markdown tables of a walk-forward run for docs/evaluation.md.

Reads a run directory written by ``hedgekit backtest --out DIR`` (its ``results.sqlite``)
and prints, in Markdown: the summary by method (mean risk reduction with its bootstrap
interval, median, variance reduction, turnover, cost, best-for counts), the paired
comparisons given with ``--pairs``, and with ``--eras`` the mean risk reduction by method
within each era (the same targets, the daily records cut at the era boundaries), with a
bar chart of it written to ``--plot``.

Run::

    python scripts/make_evaluation_tables.py RUN_DIR --pairs hybrid:returns,returns:top_corr
        [--eras 2012-2015,2016-2019,2020-2023] [--plot docs/evaluation/full/eras.png]
        [--scatter factor_study:nlp:PATH.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from hedgekit.backtest import by_method, compare, load_results, summarise


def _fmt(x: float, signed: bool = False) -> str:
    if not np.isfinite(x):
        return "-"
    return f"{x:+.0f}" if signed else f"{x:.0f}"


def method_table(summary: pd.DataFrame) -> str:
    """The by-method table, best mean first."""
    t = by_method(summary).sort_values("mean", ascending=False)
    lines = [
        "| method | targets | mean risk reduction, bps [95% CI] | median | variance reduction "
        "| turnover / yr | cost, bps / yr | best for |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m, r in t.iterrows():
        lines.append(
            f"| `{m}` | {int(r['targets'])} | {_fmt(r['mean'])} [{_fmt(r['ci_low'])}, "
            f"{_fmt(r['ci_high'])}] | {_fmt(r['median'])} | {100 * r['variance_reduction']:.1f}% "
            f"| {r['turnover']:.1f} | {_fmt(r['cost_bps'])} | {int(r['wins'])} |"
        )
    return "\n".join(lines)


def pair_table(summary: pd.DataFrame, pairs: list[tuple[str, str]]) -> str:
    """Paired comparisons of risk reduction."""
    lines = [
        "| comparison | targets | mean difference [95% CI] | median | wins | Wilcoxon p |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for a, b in pairs:
        c = compare(summary, a, b).to_dict()
        lines.append(
            f"| `{a}` vs `{b}` | {c['n']} | {_fmt(c['mean_diff'], True)} "
            f"[{_fmt(c['ci_low'], True)}, {_fmt(c['ci_high'], True)}] "
            f"| {_fmt(c['median_diff'], True)} | {c['wins_a']}-{c['wins_b']} "
            f"| {c['wilcoxon_p']:.2g} |"
        )
    return "\n".join(lines)


def era_table(
    daily: pd.DataFrame, periods: pd.DataFrame, eras: list[tuple[int, int]]
) -> pd.DataFrame:
    """Mean risk reduction (bps) by method within each era, methods by row."""
    cols = {}
    for first, last in eras:
        days = daily["day"].dt.year.between(first, last)
        reb = periods["rebalance"].dt.year.between(first - 1, last)
        s = summarise(daily[days], periods[reb])
        cols[f"{first}-{last}"] = s.groupby("method")["risk_reduction_bps"].mean()
    return pd.DataFrame(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--pairs", default="", help="a:b,c:d (differences a - b)")
    parser.add_argument("--eras", default="", help="2012-2015,2016-2019 (calendar years)")
    parser.add_argument("--plot", type=Path, default=None, help="bar chart of the eras")
    parser.add_argument(
        "--scatter", default="", help="a:b:PATH, a per-target scatter of two methods"
    )
    args = parser.parse_args()

    periods, daily = load_results(args.run)
    summary = summarise(daily, periods)
    print(method_table(summary), end="\n\n")
    if args.scatter:
        from hedgekit.backtest._report import _plot_scatter

        a, b, path = args.scatter.split(":", 2)
        _plot_scatter(summary, (a, b), Path(path))
    pairs = [tuple(p.split(":")) for p in args.pairs.split(",") if p]
    if pairs:
        print(pair_table(summary, pairs), end="\n\n")  # type: ignore[arg-type]
    if args.eras:
        eras = [tuple(int(y) for y in e.split("-")) for e in args.eras.split(",")]
        table = era_table(daily, periods, eras)  # type: ignore[arg-type]
        table = table.loc[table.mean(axis=1).sort_values(ascending=False).index]
        print("| method | " + " | ".join(table.columns) + " |")
        print("|---|" + "---:|" * len(table.columns))
        for m, r in table.iterrows():
            print(f"| `{m}` | " + " | ".join(_fmt(v) for v in r) + " |")
        if args.plot is not None:
            import matplotlib

            matplotlib.use("Agg")
            from matplotlib.figure import Figure

            fig = Figure(figsize=(9, 4.5))
            ax = fig.subplots()
            table.T.plot.bar(ax=ax, width=0.85)
            ax.set_ylabel("mean risk reduction, bps")
            ax.set_xlabel("era (holding periods)")
            ax.legend(ncol=4, fontsize=8)
            ax.tick_params(axis="x", rotation=0)
            fig.tight_layout()
            args.plot.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(args.plot, dpi=110)


if __name__ == "__main__":
    main()
