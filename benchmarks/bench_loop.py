"""Hedges in a Python loop without ``market=``: the process-level market against a fresh open.

A user scripting many hedges writes ``PerformanceHedge(params).calculate()`` in a loop. Before
the process-level market (issue 15) every call opened the default store again; now the first
call opens it and later calls reuse it (and its cache) until the store changes. In one run this
times, for a K=10, N~500 returns hedge of different targets on one date:

- ``loop``: ``PerformanceHedge(params).calculate()``, no market passed (the shared market);
- ``reopen``: the same with ``market=MarketData(store)`` opened for every call (the old cost);
- ``solve``: the optimizer alone on the same problem (``solve_tracking``), the reference.

Run::

    HEDGEKIT_DATA=STORE python benchmarks/bench_loop.py [--date 2023-12-29] [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", default="2023-12-29")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--estimator", default="default")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from hedgekit.data import MarketData, shared_market
    from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet
    from hedgekit.optimize import TrackingProblem, solve_tracking

    market = shared_market()
    view = market.as_of(args.date)
    members = view.tradable(view.members("SPX"))
    targets = [t for t in ("WDC", "MOS", "AAPL", "XOM", "JPM", "PFE", "NVDA", "HD") if t in members]

    def params(ticker: str) -> PerformanceHedgeParameters:
        return PerformanceHedgeParameters(
            PositionSet([Position(ticker, quantity=100_000)], args.date),
            max_names=10,
            max_weight=25.0,
            max_return_deviation=1e6,  # no return band: every target is feasible
            estimator=args.estimator,
        )

    t0 = time.perf_counter()
    PerformanceHedge(params(targets[0])).calculate()
    first = time.perf_counter() - t0

    loop, reopen, solve = [], [], []
    for i in range(args.repeat):
        p = params(targets[i % len(targets)])
        t0 = time.perf_counter()
        PerformanceHedge(p).calculate()
        loop.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        PerformanceHedge(p, MarketData(market.store)).calculate()
        reopen.append(time.perf_counter() - t0)

        prep = PerformanceHedge(p)._prepare()
        assert prep.moments is not None
        m = prep.moments
        prob = TrackingProblem(
            m.covariance, m.cross, m.target_variance, budget=1.0, upper=prep.upper, max_names=10
        )
        t0 = time.perf_counter()
        solve_tracking(prob)
        solve.append(time.perf_counter() - t0)

    timed = {"loop": loop, "reopen": reopen, "solve": solve}
    med = {k: statistics.median(v) for k, v in timed.items()}
    out = {
        "date": args.date,
        "estimator": args.estimator,
        "candidates": len(prep.candidate_returns.columns),
        "first_call_s": first,
        "median_ms": {k: 1000 * v for k, v in med.items()},
        "loop_over_solve": med["loop"] / med["solve"],
        "reopen_over_loop": med["reopen"] / med["loop"],
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
