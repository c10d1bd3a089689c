"""End-to-end performance hedge on the real data, next to the baseline hedge, in one run.

For WDC, MOS and AAPL (the issue's headline cases) as of 2023-12-29 and 2022-12-30, against
the S&P 500 members known then (K=10 names, max weight 25%, 100% hedge ratio, one year of
daily returns), it times ``PerformanceHedge.calculate()`` (warm: price panels loaded) and the
reference ``baseline_hedge`` (correlation screen of 40 names + SLSQP least squares), and
reports in-sample tracking error and, where the data continues, out-of-sample variance
reduction of both.

Run::

    python benchmarks/bench_hedge.py [--home STORE | --data BUNDLE] [--repeat 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=REPO.parent / "shared" / "data" / "us_equities"
    )
    parser.add_argument("--home", type=Path, default=None, help="an existing store")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from hedgekit.data import MarketData, Store, import_bundle
    from hedgekit.hedge import (
        PerformanceHedge,
        PerformanceHedgeParameters,
        Position,
        PositionSet,
        baseline_hedge,
    )

    tmp = None
    if args.home is None:
        tmp = tempfile.TemporaryDirectory()
        args.home = Path(tmp.name)
        import_bundle(args.data, Store(args.home))
    market = MarketData(Store(args.home))
    market.as_of(market.end).returns("AAPL", window=2)  # load the panels once

    rows = []
    for date in ("2023-12-29", "2022-12-30"):
        for ticker in ("WDC", "MOS", "AAPL"):
            params = PerformanceHedgeParameters(
                PositionSet([Position(ticker, quantity=100_000)], date),
                universe=["SPX"],
                max_names=10,
                max_weight=25.0,
                out_of_sample_days=126,
            )
            times, res = [], None
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                res = PerformanceHedge(params, market).calculate()
                times.append(time.perf_counter() - t0)
            assert res is not None
            stats = res.statistics
            oos = ("out_of_sample", "Hedge") in stats.columns
            loose = PerformanceHedge(
                params.replace(max_weight=100.0, max_return_deviation=1e4, max_adv_percentage=1e4),
                market,
            ).calculate()
            t0 = time.perf_counter()
            base = baseline_hedge(market, ticker, date, max_names=10, holding=126)
            base_s = time.perf_counter() - t0
            rows.append(
                {
                    "date": date,
                    "ticker": ticker,
                    "hedgekit_ms_median": 1e3 * statistics.median(times),
                    "hedgekit_optimizer_ms": 1e3 * res.diagnostics["optimizer_seconds"],
                    "hedgekit_names": len(res.constituents),
                    "hedgekit_te_in": float(stats.loc["tracking_error", ("in_sample", "Hedge")]),
                    "hedgekit_vr_out": float(
                        stats.loc["variance_reduction", ("out_of_sample", "Hedge")]
                    )
                    if oos
                    else None,
                    "hedgekit_loose_te_in": float(
                        loose.statistics.loc["tracking_error", ("in_sample", "Hedge")]
                    ),
                    "baseline_ms": 1e3 * base_s,
                    "baseline_te_in": base.in_sample["tracking_error"],
                    "baseline_vr_out": None
                    if base.out_of_sample is None
                    else base.out_of_sample["variance_reduction"],
                    "candidates": res.diagnostics["candidates"],
                }
            )
    print(
        "| date | target | hedgekit ms (median) | optimizer ms | names | TE in: hk defaults "
        "/ hk unconstrained / baseline | var. reduction out, 126 d: hk / baseline | baseline ms |"
    )
    print("|" + "---|" * 8)
    for r in rows:
        vr = (
            "-"
            if r["hedgekit_vr_out"] is None
            else f"{r['hedgekit_vr_out']:.1%} / {r['baseline_vr_out']:.1%}"
        )
        print(
            f"| {r['date']} | {r['ticker']} | {r['hedgekit_ms_median']:.0f} | "
            f"{r['hedgekit_optimizer_ms']:.0f} | {r['hedgekit_names']} | "
            f"{r['hedgekit_te_in']:.2%} / {r['hedgekit_loose_te_in']:.2%} / "
            f"{r['baseline_te_in']:.2%} | {vr} | {r['baseline_ms']:.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
