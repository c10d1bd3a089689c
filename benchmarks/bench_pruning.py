"""Benchmark the swap search's lower-bound pruning against the same search without it.

The optimizer's swap search skips a swap when a closed-form lower bound on its refit
(:meth:`hedgekit.optimize._tracking._Engine.swap_bounds`) cannot beat the best objective so
far. This script solves the same real-data problems twice in one run, with the bounds and
with them switched off (the search as it was before), and reports the QPs solved, the median
time and whether both found the same hedge (same names, weights within 1e-10).

Cases: those of ``bench_optimizer.py`` (WDC, MOS, AAPL and ten random S&P 500 members as of
2022-12-30 and 2019-12-31, every tradable member with a full window as a candidate), T = 252,
``max_names=10``, ``max_weight=25%``, plain and with the walk-forward grid's penalties
(``lasso_weight`` 0.1 and ``ridge_weight`` 1, scaled as :class:`PerformanceHedge` does).

Run::

    python benchmarks/bench_pruning.py [--home STORE] [--repeat 5]
"""

# ruff: noqa: E402  (BLAS threads are pinned before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
K, CAP = 10, 0.25
PENALTIES = {"plain": (0.0, 0.0), "ridge 1": (0.0, 1.0), "lasso 0.1": (0.1, 0.0)}


def _load_cases(market: Any) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location(
        "bench_optimizer", REPO / "benchmarks/bench_optimizer.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [c for date in module.DATES for c in module.load_cases(market, date, 252, 10)]


def _solve(case: dict[str, Any], lasso: float, ridge: float, repeat: int) -> tuple[Any, float]:
    from hedgekit.optimize import TrackingProblem, solve_tracking

    X, y = case["X"], case["y"]
    scale = float(np.mean(X.var(axis=0, ddof=1)))
    problem = TrackingProblem.from_returns(
        X, y, max_names=K, upper=CAP, lasso=lasso * scale, ridge=ridge * scale
    )
    sol = solve_tracking(problem)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        solve_tracking(problem)
        times.append(time.perf_counter() - t0)
    return sol, 1e3 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/us_equities")
    parser.add_argument("--home", type=Path, default=None, help="an existing store")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from hedgekit.data import MarketData, Store, import_bundle
    from hedgekit.optimize._search import _Engine

    tmp = tempfile.TemporaryDirectory()
    home = args.home
    if home is None:
        home = Path(tmp.name) / "home"
        import_bundle(args.data, Store(home))
    cases = _load_cases(MarketData(Store(home)))
    bounds = _Engine.swap_bounds
    print(
        f"{len(cases)} cases, N = {min(c['X'].shape[1] for c in cases)}..."
        f"{max(c['X'].shape[1] for c in cases)}, T = 252, K = {K}, cap {CAP:.0%}\n"
    )
    print(
        "| penalties | QPs per solve, pruned / not | median ms per solve, pruned / not "
        "| same hedge |"
    )
    print("|---|---:|---:|---:|")
    for label, (lasso, ridge) in PENALTIES.items():
        rows = []
        for case in cases:
            _Engine.swap_bounds = bounds  # type: ignore[method-assign]
            a, ms_a = _solve(case, lasso, ridge, args.repeat)
            _Engine.swap_bounds = lambda self, fit: None  # type: ignore[method-assign]
            b, ms_b = _solve(case, lasso, ridge, args.repeat)
            same = np.array_equal(a.support, b.support) and bool(
                np.max(np.abs(a.weights - b.weights)) <= 1e-10
            )
            rows.append((a.evaluations, b.evaluations, ms_a, ms_b, same))
        _Engine.swap_bounds = bounds  # type: ignore[method-assign]
        qa, qb, ta, tb, same = (list(x) for x in zip(*rows, strict=True))
        print(
            f"| {label} | {statistics.mean(qa):.0f} / {statistics.mean(qb):.0f} "
            f"| {statistics.median(ta):.1f} / {statistics.median(tb):.1f} "
            f"| {sum(same)} of {len(same)} |"
        )


if __name__ == "__main__":
    main()
