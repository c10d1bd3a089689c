"""Benchmark the tracking-error optimizer against reference methods, in one run.

On the real bundle (default ``../shared/data/us_equities``, imported into a temporary
store, or ``--home`` of an existing store), for hedges of WDC, MOS, AAPL and ten random
S&P 500 members (seed 0) as of 2022-12-30 and 2019-12-31, with every tradable member with
a full return history as a candidate (the target's share classes excluded), T = 252 and
504 daily returns, ``max_names=10``, ``max_weight=25%``, a 100% hedge:

- ``fast``: :func:`~hedgekit.optimize.solve_tracking` as in production; time from the
  returns array to the weights (covariances included), median and p90 over repeats;
- ``exhaustive``: the best known answer (many starts, full swap search);
- cvxpy + SCIP: the MIQP with binary indicators, under a time limit (a few cases only);
- cvxpy + CLARABEL: the continuous relaxation, then its top-10 names refitted;
- the baseline screen: 40 most correlated names, ``simplex_least_squares``, top 10, refit
  (as in ``hedgekit.hedge.baseline_hedge``, with the 25% cap added to both solves).

Plus a synthetic N=1500 universe (a 10-factor model fitted on the real 2022 returns:
real factor returns, resampled loadings and specific variances) for the 500 ms target.
TE ratios are tracking errors (square roots of the tracking variance) relative to the
best answer found by any method for that case.

Run::

    python benchmarks/bench_optimizer.py [--home STORE] [--json OUT] [--no-scip]

Everything runs single-threaded (BLAS threads pinned to 1 before numpy loads).
Targets (issue "Optimizer"): fast median <= 50 ms at N=500, <= 500 ms at N=1500, TE within
0.5% of the exhaustive search.
"""

# ruff: noqa: E402  (BLAS threads are pinned before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
NAMED = ("WDC", "MOS", "AAPL")
DATES = ("2022-12-30", "2019-12-31")
WINDOWS = (252, 504)
K = 10
CAP = 0.25


# ---------------------------------------------------------------------- data
def load_cases(market: Any, date: str, window: int, n_random: int) -> list[dict[str, Any]]:
    """Targets and candidate returns (numpy) for one date and window."""
    view = market.as_of(date)
    members = view.tradable(view.members())
    rets = view.returns(members, window=window)
    full = rets.dropna(axis=1)
    rng = np.random.default_rng(0)
    others = sorted(set(full.columns) - set(NAMED))
    targets = [t for t in NAMED if t in full.columns]
    targets += list(rng.choice(others, size=n_random, replace=False))
    cases = []
    for t in targets:
        siblings = market.share_classes.get(t, frozenset({t}))
        cols = [c for c in full.columns if c not in siblings]
        cases.append(
            {
                "date": date,
                "T": window,
                "target": str(t),
                "X": np.ascontiguousarray(full[cols].to_numpy()),
                "y": full[t].to_numpy().copy(),
                "names": cols,
            }
        )
    return cases


def synthetic_cases(market: Any, n_assets: int, window: int = 504) -> list[dict[str, Any]]:
    """N synthetic candidates from a 10-factor model fitted on real returns; real targets."""
    view = market.as_of(DATES[0])
    members = view.tradable(view.members())
    full = view.returns(members, window=window).dropna(axis=1)
    R = full.to_numpy()
    Rc = R - R.mean(axis=0)
    U, s, Vt = np.linalg.svd(Rc, full_matrices=False)
    f = U[:, :10] * s[:10]  # real factor returns, (T, 10)
    B = Vt[:10].T  # loadings, (N, 10)
    resid = Rc - f @ B.T
    spec = resid.var(axis=0, ddof=1)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, B.shape[0], n_assets)
    B_syn = B[pick] * rng.uniform(0.8, 1.2, (n_assets, 1)) + rng.normal(
        scale=0.1 * np.abs(B).mean(), size=(n_assets, 10)
    )
    X = f @ B_syn.T + rng.normal(size=(window, n_assets)) * np.sqrt(spec[pick])
    X += R.mean(axis=0)[pick]
    return [
        {
            "date": f"{DATES[0]} synthetic",
            "T": window,
            "target": t,
            "X": np.ascontiguousarray(X),
            "y": full[t].to_numpy().copy(),
            "names": [f"S{i}" for i in range(n_assets)],
        }
        for t in NAMED
    ]


# ---------------------------------------------------------------------- methods
def te(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Per-period tracking error of ``y - X w`` (ddof=1)."""
    return float(np.std(y - X @ w, ddof=1))


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, list[float]]:
    out = fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def run_fast(case: dict[str, Any], repeat: int) -> dict[str, Any]:
    from hedgekit.optimize import TrackingProblem, solve_tracking

    X, y = case["X"], case["y"]

    def go() -> Any:
        return solve_tracking(TrackingProblem.from_returns(X, y, max_names=K, upper=CAP))

    sol, times = timed(go, repeat)
    return {
        "te": te(X, y, sol.weights),
        "ms_median": 1e3 * statistics.median(times),
        "ms_all": [1e3 * t for t in times],
        "names": int(sol.support.size),
        "evaluations": sol.evaluations,
        "status": sol.status,
    }


def run_exhaustive(case: dict[str, Any], starts: int) -> dict[str, Any]:
    from hedgekit.optimize import TrackingProblem, solve_tracking

    X, y = case["X"], case["y"]
    t0 = time.perf_counter()
    sol = solve_tracking(
        TrackingProblem.from_returns(X, y, max_names=K, upper=CAP),
        method="exhaustive",
        starts=starts,
    )
    return {
        "te": te(X, y, sol.weights),
        "seconds": time.perf_counter() - t0,
        "evaluations": sol.evaluations,
        "weights": sol.weights,
    }


def run_relaxation_topk(case: dict[str, Any]) -> dict[str, Any]:
    """cvxpy + CLARABEL relaxation, keep the 10 largest weights, refit them with cvxpy."""
    import cvxpy as cp

    X, y = case["X"], case["y"]
    t0 = time.perf_counter()
    T, n = X.shape
    Xc, yc = X - X.mean(axis=0), y - y.mean()

    def solve(cols: np.ndarray) -> np.ndarray:
        w = cp.Variable(cols.size)
        prob = cp.Problem(
            cp.Minimize(cp.sum_squares(Xc[:, cols] @ w - yc) / (T - 1)),
            [cp.sum(w) == 1.0, w >= 0, w <= CAP],
        )
        prob.solve(solver=cp.CLARABEL)
        return np.clip(np.asarray(w.value), 0.0, CAP)

    w_all = solve(np.arange(n))
    top = np.argsort(-w_all)[:K]
    w = np.zeros(n)
    w[top] = solve(top)
    return {"te": te(X, y, w), "seconds": time.perf_counter() - t0}


def run_simplex_screen(case: dict[str, Any]) -> dict[str, Any]:
    """The baseline hedge's approach: screen 40 by correlation, SLSQP, top 10, SLSQP."""
    from hedgekit.optimize import simplex_least_squares

    X, y = case["X"], case["y"]
    t0 = time.perf_counter()
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    corr = (Xc.T @ yc) / (np.linalg.norm(Xc, axis=0) * np.linalg.norm(yc))
    pool = np.argsort(-corr)[:40]
    w40 = simplex_least_squares(X[:, pool], y, max_weight=CAP)
    keep = pool[np.argsort(-w40)[:K]]
    w = np.zeros(X.shape[1])
    w[keep] = simplex_least_squares(X[:, keep], y, max_weight=CAP)
    return {"te": te(X, y, w), "seconds": time.perf_counter() - t0}


def run_scip(case: dict[str, Any], limit: float) -> dict[str, Any]:
    """MIQP with binary indicators, cvxpy + SCIP, under a time limit."""
    import cvxpy as cp

    X, y = case["X"], case["y"]
    T, n = X.shape
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    t0 = time.perf_counter()
    w = cp.Variable(n)
    z = cp.Variable(n, boolean=True)
    prob = cp.Problem(
        cp.Minimize(cp.sum_squares(Xc @ w - yc) / (T - 1)),
        [cp.sum(w) == 1.0, w >= 0, w <= CAP * z, cp.sum(z) <= K],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            prob.solve(solver=cp.SCIP, scip_params={"limits/time": limit})
        except cp.error.SolverError as exc:
            return {"te": float("nan"), "seconds": time.perf_counter() - t0, "status": str(exc)}
    seconds = time.perf_counter() - t0
    if w.value is None:
        return {"te": float("nan"), "seconds": seconds, "status": str(prob.status)}
    wv = np.clip(np.asarray(w.value), 0.0, CAP)
    wv[wv < 1e-9] = 0.0
    return {
        "te": te(X, y, wv),
        "seconds": seconds,
        "status": str(prob.status),
        "names": int(np.count_nonzero(wv)),
        "sum": float(wv.sum()),
    }


# ---------------------------------------------------------------------- report
def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def bench_case(case: dict[str, Any], args: argparse.Namespace, scip: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"date": case["date"], "T": case["T"], "target": case["target"]}
    row["N"] = int(case["X"].shape[1])
    row["fast"] = run_fast(case, args.repeat)
    ex = run_exhaustive(case, args.starts)
    ex.pop("weights")
    row["exhaustive"] = ex
    if not args.no_cvxpy:
        row["cvxpy_relaxation_topk"] = run_relaxation_topk(case)
    row["simplex_screen40"] = run_simplex_screen(case)
    if scip:
        row["cvxpy_scip_miqp"] = run_scip(case, args.scip_limit)
    results = [v for v in row.values() if isinstance(v, dict)]
    best = min(v["te"] for v in results if np.isfinite(v["te"]))
    row["best_te"] = best
    for v in results:
        v["ratio"] = v["te"] / best
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=REPO.parent / "shared" / "data" / "us_equities"
    )
    parser.add_argument("--home", type=Path, default=None, help="existing store (skips import)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of fast per case")
    parser.add_argument("--starts", type=int, default=16, help="random starts of exhaustive")
    parser.add_argument("--random-targets", type=int, default=10)
    parser.add_argument("--scip-limit", type=float, default=60.0)
    parser.add_argument("--no-scip", action="store_true")
    parser.add_argument("--no-cvxpy", action="store_true", help="skip the cvxpy relaxation")
    parser.add_argument("--large-n", type=int, default=1500)
    args = parser.parse_args()

    from hedgekit.data import MarketData, Store, import_bundle

    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        if args.home is None:
            store = Store(Path(tmp) / "home")
            import_bundle(args.data, store)
        else:
            store = Store(args.home)
        market = MarketData(store)
        rows: list[dict[str, Any]] = []
        for date in DATES:
            for window in WINDOWS:
                for case in load_cases(market, date, window, args.random_targets):
                    scip = (
                        not args.no_scip
                        and date == DATES[0]
                        and window == WINDOWS[0]
                        and case["target"] in NAMED
                    )
                    rows.append(bench_case(case, args, scip))
                    r = rows[-1]
                    print(
                        f"{r['date']} T={r['T']} {r['target']:>5} N={r['N']} "
                        f"fast {r['fast']['ms_median']:.1f} ms x{r['fast']['ratio']:.4f} | "
                        f"exhaustive {r['exhaustive']['seconds']:.1f} s",
                        flush=True,
                    )
        large = []
        for case in synthetic_cases(market, args.large_n):
            large.append(bench_case(case, args, False))
            r = large[-1]
            print(
                f"N={r['N']} {r['target']:>5} fast {r['fast']['ms_median']:.1f} ms "
                f"x{r['fast']['ratio']:.4f} | exhaustive {r['exhaustive']['seconds']:.1f} s",
                flush=True,
            )

    results = {
        "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count()},
        "settings": {"max_names": K, "max_weight": CAP, "budget": 1.0, **vars(args)},
        "cases": rows,
        "large": large,
        "total_seconds": time.perf_counter() - t_start,
    }
    print()
    print(render(rows, large))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


def render(rows: list[dict[str, Any]], large: list[dict[str, Any]]) -> str:
    """Markdown tables: a summary per (date, T), SCIP cases, the large universe."""
    methods = [
        ("fast", "fast"),
        ("exhaustive", "exhaustive"),
        ("cvxpy_relaxation_topk", "cvxpy relax + top-10"),
        ("simplex_screen40", "screen-40 SLSQP"),
    ]
    lines = [
        "| universe | T | N | cases | fast median ms | fast p90 ms | fast TE / best (mean, max) "
        "| exhaustive s (median) | "
        + " | ".join(f"{lab} TE / best (mean, max), s" for _, lab in methods[2:])
        + " |",
        "|" + "---|" * (8 + len(methods) - 2),
    ]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in rows + large:
        groups.setdefault((r["date"], r["T"]), []).append(r)
    for (date, T), rs in groups.items():
        ms = [t for r in rs for t in r["fast"]["ms_all"]]
        fr = [r["fast"]["ratio"] for r in rs]
        cells = []
        for key, _ in methods[2:]:
            vals = [r[key] for r in rs if key in r]
            if vals:
                rat = [v["ratio"] for v in vals]
                sec = statistics.median(v["seconds"] for v in vals)
                cells.append(f"{np.mean(rat):.4f}, {max(rat):.4f}, {sec:.2f} s")
            else:
                cells.append("-")
        lines.append(
            f"| {date} | {T} | {rs[0]['N']} | {len(rs)} | {statistics.median(ms):.1f} | "
            f"{pct(ms, 90):.1f} | {np.mean(fr):.5f}, {max(fr):.5f} | "
            f"{statistics.median(r['exhaustive']['seconds'] for r in rs):.2f} | "
            + " | ".join(cells)
            + " |"
        )
    lines += [
        "",
        "| case | fast ms | fast TE / best | exhaustive s | SCIP TE / best | SCIP s "
        "| SCIP status |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r.get("cvxpy_scip_miqp")
        if s is None:
            continue
        lines.append(
            f"| {r['date']} T={r['T']} {r['target']} | {r['fast']['ms_median']:.1f} | "
            f"{r['fast']['ratio']:.4f} | {r['exhaustive']['seconds']:.1f} | {s['ratio']:.4f} | "
            f"{s['seconds']:.1f} | {s.get('status', '')} |"
        )
    lines += [
        "",
        "| case | N | fast ms (median) | fast TE / exhaustive TE "
        "| annualised TE fast, exhaustive |",
        "|---|---|---|---|---|",
    ]
    for r in rows + large:
        lines.append(
            f"| {r['date']} T={r['T']} {r['target']} | {r['N']} | {r['fast']['ms_median']:.1f} | "
            f"{r['fast']['te'] / r['exhaustive']['te']:.5f} | "
            f"{100 * r['fast']['te'] * np.sqrt(252):.2f}%, "
            f"{100 * r['exhaustive']['te'] * np.sqrt(252):.2f}% |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
