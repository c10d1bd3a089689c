"""Benchmark the factor risk model on the real data: full build, add one day, save, reload.

Steps (the real bundle is imported into a temporary store first):

1. in a fresh child process (so its peak resident memory is the model's alone): load the
   market, fit ``FactorRiskModel(start, second-to-last day)`` (the full build, timed with
   and without loading the market), then ``update`` it by the last trading day (adding one
   day, market already loaded) and ``save`` it;
2. in this process: ``FactorRiskModel.load`` (median of 5), a forecast on a past date from
   the loaded model without the market (month-end exposures), and the same forecast with
   the market (exposures computed on the date).

The reference for "add one day" is the full build it replaces: the child's fit time.

The build runs twice: in one process, and with the month-end exposures computed by
``--jobs`` worker processes (``n_jobs``); the results are identical.

Run::

    python benchmarks/bench_risk.py [--data ../shared/data/us_equities]
        [--start 2009-12-31] [--end 2023-12-29] [--jobs 2]

Targets (issue "factor risk model"): full 2010-2023 build <= 60 s and <= 4 GiB peak; add
one day <= 1 s; reload <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "us_equities"


def child(home: str, start: str, end: str, out: str, jobs: str) -> None:
    """Fit, update by one day and save; print timings as JSON (runs in a subprocess)."""
    began = time.perf_counter()
    from hedgekit.data import MarketData, Store
    from hedgekit.risk import FactorRiskModel

    market = MarketData(Store(home))
    cal = market.calendar
    days = cal[cal <= end]
    last, before = days[-1], days[-2]
    t0 = time.perf_counter()
    model = FactorRiskModel(start, before, n_jobs=int(jobs)).fit(market)
    fit = time.perf_counter() - t0
    total = time.perf_counter() - began
    t0 = time.perf_counter()
    model.update(market, last)
    update = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.save(out)
    save = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "fit_seconds": fit,
                "fit_with_load_seconds": total,
                "update_one_day_seconds": update,
                "save_seconds": save,
                "days": len(model.factor_returns_),
                "stocks_per_day": float(model.n_stocks_.mean()),
                "tickers": model.residuals_.shape[1],
                "mean_r_squared": float(model.r_squared_.mean()),
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "last_day": f"{last:%Y-%m-%d}",
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--start", default="2009-12-31")
    parser.add_argument("--end", default="2023-12-29")
    parser.add_argument("--jobs", type=int, default=2, help="processes of the parallel build")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from hedgekit.data import MarketData, Store, import_bundle
    from hedgekit.risk import FactorRiskModel

    print(f"python {platform.python_version()} on {platform.machine()}, data {args.data}")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "home")
        t0 = time.perf_counter()
        import_bundle(args.data, store)
        print(f"import of the bundle: {time.perf_counter() - t0:.1f} s (not counted below)")
        out = str(Path(tmp) / "model")
        results = {}
        for jobs in (1, args.jobs):
            cmd = [sys.executable, __file__, "--child", str(store.home), args.start, args.end]
            run = subprocess.run(
                [*cmd, out, str(jobs)], capture_output=True, text=True, check=False
            )
            if run.returncode:
                sys.stderr.write(run.stderr)
                raise SystemExit(run.returncode)
            results[jobs] = json.loads(run.stdout.strip().splitlines()[-1])
        res, par = results[1], results[args.jobs]

        loads = []
        for _ in range(5):
            t0 = time.perf_counter()
            model = FactorRiskModel.load(out)
            loads.append(time.perf_counter() - t0)
        loads.sort()
        size = sum(p.stat().st_size for p in Path(out).iterdir()) / 2**20
        when = "2020-06-30"
        t0 = time.perf_counter()
        model.forecast(when)
        fc_plain = time.perf_counter() - t0
        market = MarketData(store)
        model.forecast(when, market)  # warm the market's caches
        other = "2020-07-15"  # another date: forecasts are cached per date
        t0 = time.perf_counter()
        model.forecast(other, market)
        fc_market = time.perf_counter() - t0
        hedges = factor_vs_returns(market, model)

    rows = [
        (
            f"full build {args.start}..{res['last_day']} ({res['days']} days, "
            f"{res['stocks_per_day']:.0f} stocks a day, {res['tickers']} tickers), one process",
            f"{res['fit_seconds']:.1f} s ({res['fit_with_load_seconds']:.1f} s with loading "
            "the market)",
            "<= 60 s",
        ),
        (
            f"same build, exposures in {args.jobs} worker processes (`n_jobs={args.jobs}`)",
            f"{par['fit_seconds']:.1f} s ({par['fit_with_load_seconds']:.1f} s with loading "
            "the market)",
            "<= 60 s",
        ),
        (
            "peak resident memory of the build process (one process)",
            f"{res['peak_rss_mib']:,.0f} MiB",
            "<= 4 GiB",
        ),
        (
            "add one day (`update`, market loaded)",
            f"{res['update_one_day_seconds']:.2f} s",
            f"<= 1 s; a full rebuild takes {res['fit_seconds']:.0f} s",
        ),
        ("save to the store cache", f"{res['save_seconds']:.2f} s", ""),
        (
            f"reload (`FactorRiskModel.load`, {size:.0f} MiB on disk), median of 5",
            f"{loads[2]:.3f} s",
            "<= 1 s",
        ),
        (f"forecast on {when}, month-end exposures", f"{fc_plain:.3f} s", ""),
        ("forecast on 2020-07-15, exposures computed on the date", f"{fc_market:.3f} s", ""),
    ]
    print(f"mean daily R^2 {res['mean_r_squared']:.3f}\n")
    print("| step | measured | target / reference |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        "\nFactor hedge (the loaded model) next to the returns hedge, K=10, max weight 25%, "
        "held 252 days after the date:\n"
    )
    print(
        "| date | target | method | ms (median of 3) | names | variance reduction in / out "
        "| predicted hedged vol (model) |"
    )
    print("|---|---|---|---|---|---|---|")
    for h in hedges:
        print(
            f"| {h['date']} | {h['ticker']} | {h['method']} | {h['ms']:.0f} | {h['names']} | "
            f"{h['vr_in']:.1%} / {h['vr_out']:.1%} | {h['predicted']:.1%} |"
        )


def factor_vs_returns(market, model) -> list[dict]:
    """Both hedge methods on the headline cases, timed warm, with out-of-sample results."""
    import numpy as np

    from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet

    out = []
    for date in ("2022-12-30", "2021-12-31"):
        fc = model.forecast(date, market)
        for ticker in ("WDC", "MOS", "AAPL"):
            for method in ("returns", "factor"):
                params = PerformanceHedgeParameters(
                    PositionSet([Position(ticker, quantity=100_000)], date),
                    max_names=10,
                    max_weight=25.0,
                    method=method,
                )
                times = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    res = PerformanceHedge(params, market, risk_model=model).calculate()
                    times.append(time.perf_counter() - t0)
                st = res.statistics
                c = res.constituents
                w = (c["notional"] / res.diagnostics["portfolio_notional"]).to_numpy()
                S = fc.covariance([ticker, *c.index]).to_numpy()
                x = np.concatenate([[1.0], -w])
                out.append(
                    {
                        "date": date,
                        "ticker": ticker,
                        "method": method,
                        "ms": 1e3 * sorted(times)[1],
                        "names": len(c),
                        "vr_in": float(st.loc["variance_reduction", ("in_sample", "Hedge")]),
                        "vr_out": float(st.loc["variance_reduction", ("out_of_sample", "Hedge")]),
                        "predicted": float(np.sqrt(x @ S @ x)),
                    }
                )
    return out


if __name__ == "__main__":
    main()
