"""What the estimation layer costs: the default hedge next to the plain sample hedge, one run.

For 20 S&P 500 members as of 2023-12-29 (K=10 names, max weight 25%, 100% hedge, the index
members known then as candidates, N ~ 480), it times per hedge, for ``estimator='default'``
and ``estimator='sample'`` side by side in the same process:

- ``solve``: ``solve_tracking`` on the prepared problem (the optimizer alone);
- ``warm``: ``PerformanceHedge(...).weights()`` with the date's joint fit cached (every
  target after the first on a date, the walk-forward case);
- ``cold``: the first hedge of a date (the estimator fitted on every candidate), with the
  caches cleared before each repetition.

Run::

    python benchmarks/bench_estimators.py [--home STORE | --data BUNDLE] [--json OUT]
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
    parser.add_argument("--date", default="2023-12-29")
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from hedgekit.data import MarketData, Store, import_bundle
    from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet
    from hedgekit.hedge._problem import tracking_problem  # the solve alone, timed
    from hedgekit.optimize import solve_tracking

    tmp = None
    if args.home is None:
        tmp = tempfile.TemporaryDirectory()
        args.home = Path(tmp.name)
        import_bundle(args.data, Store(args.home))
    market = MarketData(Store(args.home))
    view = market.as_of(args.date)
    targets = view.tradable(view.members("SPX"))[:: max(1, 480 // args.targets)][: args.targets]

    def params(ticker: str, estimator: str) -> PerformanceHedgeParameters:
        return PerformanceHedgeParameters(
            PositionSet([Position(ticker, quantity=100_000)], args.date),
            max_names=10,
            max_weight=25.0,
            max_return_deviation=1e6,
            estimator=estimator,
        )

    def clear() -> None:
        market.cache.clear("estimate")
        market.cache.clear("hedge_universe")

    results: dict[str, dict[str, list[float]]] = {}
    for est in ("sample", "default"):
        PerformanceHedge(params(targets[0], est), market).weights()  # panels loaded
        times: dict[str, list[float]] = {"solve": [], "warm": [], "cold": []}
        for _ in range(args.repeat):
            clear()
            t0 = time.perf_counter()
            PerformanceHedge(params(targets[0], est), market).weights()
            times["cold"].append(time.perf_counter() - t0)
            for t in targets:
                engine = PerformanceHedge(params(t, est), market)
                t0 = time.perf_counter()
                engine.weights()
                times["warm"].append(time.perf_counter() - t0)
                prep = engine._prepare()
                problem = tracking_problem(prep, engine.parameters)
                t0 = time.perf_counter()
                solve_tracking(problem)
                times["solve"].append(time.perf_counter() - t0)
        results[est] = times
        n = len(PerformanceHedge(params(targets[0], est), market)._prepare().candidate_returns.T)
        print(
            f"{est:8s} N={n}: solve median {1e3 * statistics.median(times['solve']):6.1f} ms, "
            f"warm hedge {1e3 * statistics.median(times['warm']):6.1f} ms, "
            f"cold hedge {1e3 * statistics.median(times['cold']):7.1f} ms"
        )
    ratio = {
        k: statistics.median(results["default"][k]) / statistics.median(results["sample"][k])
        for k in ("solve", "warm", "cold")
    }
    print("default / sample: " + ", ".join(f"{k} x{v:.2f}" for k, v in ratio.items()))
    if args.json is not None:
        summary = {
            est: {k: statistics.median(v) for k, v in t.items()} for est, t in results.items()
        }
        args.json.write_text(json.dumps({"median_seconds": summary, "ratio": ratio}, indent=2))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
