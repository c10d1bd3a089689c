"""Estimator research, round 3: bagged baskets on top of the default estimator.

Same protocol as ``research_estimators.py`` (development years, point in time, both
protocols). On each date the default estimator is also fitted on ``--bags`` block-bootstrap
resamples of its three years (blocks of 21 days); each target is hedged on every resample and
the baskets' weights averaged. Two ways to get back to 10 names are compared with the plain
default:

- ``bag_select``: stability selection, the full-sample problem restricted to the 20 names with
  the largest average weight (the solver picks the best 10 of them);
- ``bag_average``: the 10 names with the largest average weight, at their average weights
  rescaled to the budget (caps re-applied).

    python scripts/research_bagging.py --home STORE --out bagging.parquet
    python scripts/research_estimators.py --summarise bagging.parquet
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from typing import Any

import numpy as np
import pandas as pd

from hedgekit.data import MarketData
from hedgekit.data._store import Store
from hedgekit.estimate import SampleCovariance, get_estimator
from hedgekit.optimize import TrackingProblem, solve_tracking

K, CAP, BLOCK = 10, 0.25, 21
_STATE: dict[str, Any] = {}


def _init(home: str, bags: int) -> None:
    market = MarketData(Store(home))
    _STATE["market"] = market
    _STATE["returns"] = market.as_of(market.end).returns(None)
    _STATE["bags"] = bags


def _hold(r: np.ndarray, R: np.ndarray, w: np.ndarray) -> np.ndarray:
    r, R = np.nan_to_num(r), np.nan_to_num(R)
    V = np.cumprod(1.0 + r)
    Vp = np.concatenate([[1.0], V[:-1]])
    H = w * np.cumprod(1.0 + R, axis=0)
    Hp = np.vstack([w, H[:-1]])
    return r - (H - Hp).sum(axis=1) / Vp


def _solve(S: np.ndarray, c: np.ndarray, tv: float, upper: Any = CAP) -> np.ndarray:
    return solve_tracking(TrackingProblem(S, c, tv, budget=1.0, upper=upper, max_names=K)).weights


def _capped(w: np.ndarray) -> np.ndarray:
    """Rescale to sum 1 with every weight <= CAP (excess spread over the others)."""
    w = w / w.sum()
    for _ in range(50):
        over = w > CAP + 1e-12
        if not over.any():
            break
        excess = float((w[over] - CAP).sum())
        w[over] = CAP
        free = ~over & (w > 0)
        w[free] += excess * w[free] / w[free].sum()
    return w


def run_date(args: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, int, int]) -> list[dict]:
    d, m1, m12, per_date, seed = args
    market: MarketData = _STATE["market"]
    rets: pd.DataFrame = _STATE["returns"]
    view = market.as_of(d)
    members = view.tradable(view.members("SPX"))
    pos = int(rets.index.searchsorted(d, side="right"))
    X = rets.iloc[pos - 756 : pos][members]
    cols = list(X.columns[X.notna().all().to_numpy()])
    A = X[cols].to_numpy()
    rng = np.random.default_rng(seed + int(d.strftime("%Y%m")))
    targets = list(rng.choice(cols, size=min(per_date, len(cols)), replace=False))
    est = get_estimator("default")
    Sig = est.fit(A).covariance_
    T = len(A)
    boot = np.random.default_rng(seed)
    bags = []
    for _ in range(_STATE["bags"]):
        starts = boot.integers(0, T - BLOCK + 1, size=-(-T // BLOCK))
        idx = np.concatenate([np.arange(s, s + BLOCK) for s in starts])[:T]
        bags.append(get_estimator("default").fit(A[idx]).covariance_)
    fut = {
        "1m": rets.loc[(rets.index > d) & (rets.index <= m1), cols],
        "12m": rets.loc[(rets.index > d) & (rets.index <= m12), cols],
    }
    s1 = SampleCovariance().fit(A[-252:]).covariance_
    bounds = {
        k: SampleCovariance().fit(f.fillna(0.0).to_numpy()).covariance_ for k, f in fut.items()
    }
    classes = market.share_classes
    ix = {c: i for i, c in enumerate(cols)}
    out = []
    for t in targets:
        own = classes.get(t, frozenset({t}))
        ci = np.array([ix[c] for c in cols if c not in own])
        ti = ix[t]
        names = [cols[i] for i in ci]

        def solve(M: np.ndarray, upper: Any = CAP, ci: np.ndarray = ci, ti: int = ti) -> np.ndarray:
            return _solve(M[np.ix_(ci, ci)], M[ci, ti], float(M[ti, ti]), upper)

        baskets: dict[str, np.ndarray] = {"sample_1y": solve(s1), "default": solve(Sig)}
        avg = np.mean([solve(B) for B in bags], axis=0)
        top = np.argsort(avg)[::-1]
        upper = np.zeros(len(ci))
        upper[top[: 2 * K]] = CAP
        try:
            baskets["bag_select"] = solve(Sig, upper)
        except Exception:
            baskets["bag_select"] = baskets["default"]
        w = np.zeros(len(ci))
        keep = top[:K][avg[top[:K]] > 0]
        w[keep] = _capped(avg[keep].copy())
        baskets["bag_average"] = w
        for label, B in bounds.items():
            baskets[f"bound_{label}"] = solve(B)
        for name, w in baskets.items():
            held = w > 1e-10
            sel = [names[i] for i in np.flatnonzero(held)]
            row: dict[str, Any] = {"date": d, "target": t, "estimator": name}
            for label, f in fut.items():
                if name.startswith("bound_") and not name.endswith(label):
                    continue
                u = np.nan_to_num(f[t].to_numpy())
                h = _hold(f[t].to_numpy(), f[sel].to_numpy(), w[held])
                row[f"n_{label}"] = len(u)
                row[f"su_{label}"], row[f"suu_{label}"] = u.sum(), (u * u).sum()
                row[f"sh_{label}"], row[f"shh_{label}"] = h.sum(), (h * h).sum()
                row[f"vr_{label}"] = 1.0 - float(np.var(h, ddof=1) / np.var(u, ddof=1))
            out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--start", default="2008-01")
    ap.add_argument("--end", default="2020-12")
    ap.add_argument("--step", type=int, default=3)
    ap.add_argument("--per-date", type=int, default=30)
    ap.add_argument("--bags", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    market = MarketData(Store(a.home))
    cal = market.calendar
    ends = pd.DatetimeIndex(pd.Series(cal, index=cal).groupby(cal.to_period("M")).max().to_numpy())
    periods = list(ends.to_period("M"))
    first = periods.index(pd.Period(a.start, "M"))
    last = periods.index(pd.Period(a.end, "M"))
    jobs = [
        (ends[i], ends[i + 1], ends[i + 12], a.per_date, a.seed)
        for i in range(first, last + 1, a.step)
        if i + 12 < len(ends)
    ]
    t0 = time.time()
    rows: list[dict] = []
    ctx = mp.get_context("fork")
    with ctx.Pool(a.workers, initializer=_init, initargs=(a.home, a.bags)) as pool:
        for k, res in enumerate(pool.imap_unordered(run_date, jobs)):
            rows.extend(res)
            print(f"{k + 1}/{len(jobs)} dates, {time.time() - t0:.0f}s", flush=True)
    pd.DataFrame(rows).to_parquet(a.out)


if __name__ == "__main__":
    main()
