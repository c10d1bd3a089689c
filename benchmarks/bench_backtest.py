"""Benchmark the walk-forward backtest: the study-sized comparison, serial and on dask.

Runs ``run_backtest`` on the real data for ``--targets`` (default ``random:50:42``: 50
S&P 500 members at the end date drawn with numpy's default_rng(42), the study's design)
over ``--start``..``--end`` monthly with every method, twice: serially and on a dask
``LocalCluster`` with ``--workers`` processes, into fresh run directories. It prints the
wall time of each, the seconds per (target, date) by method, and checks that both runs
recorded the same baskets. With ``--out DIR`` the run directories are kept in ``DIR/serial``
and ``DIR/parallel`` (``hedgekit backtest ... --out DIR/serial --report R`` then writes the
report without recomputing anything).

Run::

    python benchmarks/bench_backtest.py [--data ../shared/data/us_equities]
        [--targets random:50:42] [--start 2019-12-31] [--end 2023-12-29]
        [--methods all] [--workers 2] [--out DIR]

Target (issue "walk-forward evaluation"): the 50-stock x 48-month comparison of all methods
<= 5 minutes on this 2-core machine.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=REPO.parent / "shared" / "data" / "us_equities"
    )
    parser.add_argument("--home", type=Path, default=None, help="an existing store")
    parser.add_argument("--targets", default="random:50:42")
    parser.add_argument("--start", default="2019-12-31")
    parser.add_argument("--end", default="2023-12-29")
    parser.add_argument("--methods", default="all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-serial", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="keep the run directories here")
    args = parser.parse_args()

    import pandas as pd

    from hedgekit.backtest import METHODS, BacktestConfig, load_results, run_backtest, summarise
    from hedgekit.cli._app import resolve_targets
    from hedgekit.data import MarketData, Store, import_bundle

    tmp = tempfile.TemporaryDirectory()
    home = args.home
    if home is None:
        home = Path(tmp.name) / "home"
        import_bundle(args.data, Store(home))
    market = MarketData(Store(home))
    targets = resolve_targets(market, args.targets, min(pd.Timestamp(args.end), market.end))
    methods = list(METHODS) if args.methods == "all" else args.methods.split(",")
    config = BacktestConfig.create(targets, args.start, args.end, methods)
    print(
        f"python {platform.python_version()}; {len(targets)} targets x {len(methods)} methods "
        f"({', '.join(methods)}), {args.start}..{args.end} monthly"
    )
    runs = {}
    modes = [("parallel", args.workers)] if args.skip_serial else [("serial", None)]
    if not args.skip_serial and args.workers:
        modes.append(("parallel", args.workers))
    root = args.out if args.out is not None else Path(tmp.name)
    for label, workers in modes:
        out = root / label
        t0 = time.perf_counter()
        run_backtest(config, market, out, workers=workers)
        runs[label] = (time.perf_counter() - t0, out)
        print(f"{label}: {runs[label][0]:.0f} s")
    first = next(iter(runs.values()))[1]
    periods, daily = load_results(first)
    per = periods.groupby("method")["seconds"].mean()
    print("\n| method | mean seconds per (target, date) | failed |")
    print("|---|---:|---:|")
    failed = periods.assign(f=periods["status"] != "ok").groupby("method")["f"].sum()
    for m in methods:
        print(f"| {m} | {per.get(m, float('nan')):.3f} | {int(failed.get(m, 0))} |")
    if len(runs) == 2:
        a, _ = load_results(runs["serial"][1])
        b, _ = load_results(runs["parallel"][1])
        cols = ["target", "rebalance", "method", "turnover", "cost_bps"]
        same = a[cols].reset_index(drop=True).equals(b[cols].reset_index(drop=True))
        print(f"\nserial and dask runs record the same baskets: {same}")
    summary = summarise(daily, periods)
    print(
        "\nmean risk reduction (bps) by method:\n",
        summary.groupby("method")["risk_reduction_bps"].mean().sort_values().round(0),
    )
    tmp.cleanup()


if __name__ == "__main__":
    main()
