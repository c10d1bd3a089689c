"""A second factor hedge after a risk model was fitted on the fly: issue 15's "<= 1 s" target.

A ``method='factor'`` hedge without a built model fits one. On a date the default model reaches,
the first hedge builds the default model and keeps it in the data home; on an earlier date it
fits a model of the three years before the date and keeps it in the process's market. Either
way a later factor hedge must not fit again. This times, in a copy of the store with no kept
model (so the first call really fits), in one process:

- ``first``: the first factor hedge (fits and keeps the model);
- ``second``: a factor hedge of another target on another covered date;
- ``returns``: a returns hedge on the same date, the reference for "warm";

then the same two on an early date (before the default model's reach), and a factor hedge in a
new process (which loads the kept model from the data home).

Run::

    HEDGEKIT_DATA=STORE python benchmarks/bench_factor_reuse.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import sys, time
from hedgekit.data import MarketData
from hedgekit.hedge import PerformanceHedge, PerformanceHedgeParameters, Position, PositionSet
t0 = time.perf_counter()
market = MarketData(sys.argv[1])
p = PerformanceHedgeParameters(
    PositionSet([Position("MOS", quantity=100_000)], "2021-12-31"), method="factor",
    max_return_deviation=1e6,
)
PerformanceHedge(p, market).calculate()
print(time.perf_counter() - t0)
"""


def _params(ticker: str, date: str, method: str):
    from hedgekit.hedge import PerformanceHedgeParameters, Position, PositionSet

    return PerformanceHedgeParameters(
        PositionSet([Position(ticker, quantity=100_000)], date),
        method=method,
        max_return_deviation=1e6,  # no return band: every target is feasible
    )


def _timed(market, ticker: str, date: str, method: str) -> float:
    from hedgekit.hedge import PerformanceHedge

    t0 = time.perf_counter()
    PerformanceHedge(_params(ticker, date, method), market).calculate()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from hedgekit.data import MarketData, Store

    source = Store(os.environ.get("HEDGEKIT_DATA") or None)
    tmp = Path(tempfile.mkdtemp(prefix="hk_factor_reuse_"))
    try:
        home = tmp / "home"
        home.mkdir()
        shutil.copytree(source.home / "snapshots", home / "snapshots")
        shutil.copy2(source.home / "CURRENT", home / "CURRENT")
        market = MarketData(Store(home))
        out: dict[str, float] = {}
        out["first (fits the default model, keeps it)"] = _timed(
            market, "WDC", "2022-12-30", "factor"
        )
        out["second factor hedge, another date and target"] = _timed(
            market, "AAPL", "2022-06-30", "factor"
        )
        out["returns hedge, same date (reference)"] = _timed(
            market, "AAPL", "2022-06-30", "returns"
        )
        out["early date: first (fits a model for the date)"] = _timed(
            market, "WDC", "2008-06-30", "factor"
        )
        out["early date: second factor hedge, another target"] = _timed(
            market, "AAPL", "2008-06-30", "factor"
        )
        out["early date: returns hedge (reference)"] = _timed(
            market, "AAPL", "2008-06-30", "returns"
        )
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(home)],
            check=True,
            capture_output=True,
            text=True,
        )
        out["new process: open the store + factor hedge (loads the kept model)"] = float(
            child.stdout.strip().splitlines()[-1]
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}")
    for k, v in out.items():
        print(f"{k:70s} {v:8.2f} s")
    if args.json is not None:
        args.json.write_text(json.dumps({"load": load, "seconds": out}, indent=2))


if __name__ == "__main__":
    main()
