"""Estimator research: which covariance estimator makes the 10-name hedge that holds best?

A lean walk-forward, point in time, on the development years: on each sampled month end
``d`` every estimator is fitted on the index members' daily returns up to ``d`` (its own
lookback), a random sample of members is hedged (``max_names`` names, ``max_weight`` cap,
100% hedge, candidates the other members with a complete lookback), and each basket is
held with fixed shares over the next month and over the next twelve months. The
perfect-foresight bound fits the same problem on the holding period's own returns.

Reported per estimator and protocol: the mean over targets of the variance reduction
(monthly: each target's months concatenated; 12-month: the mean over its holds), the
paired difference to the reference estimator with a bootstrap 95% interval over targets,
and the share of the bound captured.

    python scripts/research_estimators.py --home STORE --start 2007-01 --end 2020-12 \
        --step 2 --per-date 60 --out /tmp/research.parquet

This is the script the default estimator was chosen with (docs/evaluation.md); it uses
the library's estimators and solver, not a copy of them.
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
from hedgekit.estimate import (
    AveragedCovariance,
    EWMACovariance,
    FactorShrinkage,
    MultiDayCovariance,
    SampleCovariance,
    ShrunkCovariance,
    TargetShrinkage,
    Winsorized,
    lookback_of,
)
from hedgekit.optimize import TrackingProblem, solve_tracking

K, CAP = 10, 0.25


def estimators(round_: int = 1) -> dict[str, Any]:
    """The candidates compared (name -> estimator): round 1, then round 2 built on it."""
    s1 = SampleCovariance(252)
    if round_ == 3:
        # round 3: the factor risk model's forecast as a structured target (issue 14)
        w3 = Winsorized(SampleCovariance(756), 4.0)
        default = FactorShrinkage(w3, 10, 0.5)
        return {
            "sample_1y": s1,
            "pca10_50_wins_3y": default,
            "barra_auto_wins_3y": TargetShrinkage(w3, "auto"),
            "barra_50_wins_3y": TargetShrinkage(w3, 0.5),
            "barra_30_wins_3y": TargetShrinkage(w3, 0.3),
            "barra_auto_1y": TargetShrinkage(s1, "auto"),
            "barra_30_on_default": TargetShrinkage(default, 0.3),
            "barra_raw_50_wins_3y": TargetShrinkage(w3, 0.5, keep_variances=False),
        }
    if round_ == 2:
        s3, s5 = SampleCovariance(756), SampleCovariance(1260)
        w3 = Winsorized(s3, 4.0)
        return {
            "sample_1y": s1,
            "sample_3y": s3,
            "sample_5y": s5,
            "wins_3y": w3,
            "pca10_50_3y": FactorShrinkage(s3, 10, 0.5),
            "pca10_50_wins_3y": FactorShrinkage(w3, 10, 0.5),
            "pca10_30_wins_3y": FactorShrinkage(w3, 10, 0.3),
            "pca10_70_wins_3y": FactorShrinkage(w3, 10, 0.7),
            "pca20_50_wins_3y": FactorShrinkage(w3, 20, 0.5),
            "pca10_50_wins_5y": FactorShrinkage(Winsorized(s5, 4.0), 10, 0.5),
            "md5_wins_3y": Winsorized(MultiDayCovariance(s3, 5), 4.0),
            "pca10_50_md5_wins_3y": FactorShrinkage(
                Winsorized(MultiDayCovariance(s3, 5), 4.0), 10, 0.5
            ),
        }
    return {
        "sample_1y": s1,
        "sample_2y": SampleCovariance(504),
        "sample_3y": SampleCovariance(756),
        "ewma_hl126_3y": EWMACovariance(126, 756),
        "ewma_hl252_3y": EWMACovariance(252, 756),
        "lw_1y": ShrunkCovariance("ledoit_wolf", 252),
        "lw_2y": ShrunkCovariance("ledoit_wolf", 504),
        "wins_1y": Winsorized(s1, 4.0),
        "wins_2y": Winsorized(SampleCovariance(504), 4.0),
        "pca10_50_1y": FactorShrinkage(s1, 10, 0.5),
        "pca10_50_2y": FactorShrinkage(SampleCovariance(504), 10, 0.5),
        "avg_1y_2y_3y": AveragedCovariance(
            [SampleCovariance(252), SampleCovariance(504), SampleCovariance(756)]
        ),
    }


_STATE: dict[str, Any] = {}


def _init(home: str, round_: int) -> None:
    market = MarketData(Store(home))
    view = market.as_of(market.end)
    _STATE["market"] = market
    _STATE["returns"] = view.returns(None)
    _STATE["ests"] = estimators(round_)
    if round_ == 3:
        from hedgekit.risk import load_cached_model

        _STATE["model"] = load_cached_model(market, "default")
        if _STATE["model"] is None:
            raise SystemExit("round 3 needs the store's risk model: hedgekit risk build")


def _hold(r: np.ndarray, R: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unhedged and hedged daily returns of a fixed-share basket (the engine's rule)."""
    r = np.nan_to_num(r)
    R = np.nan_to_num(R)
    V = np.cumprod(1.0 + r)
    Vp = np.concatenate([[1.0], V[:-1]])
    H = w * np.cumprod(1.0 + R, axis=0)
    Hp = np.vstack([w, H[:-1]])
    pnl = (H - Hp).sum(axis=1) / Vp
    return r, r - pnl


def _solve(S: np.ndarray, c: np.ndarray, tv: float) -> np.ndarray:
    prob = TrackingProblem(S, c, tv, budget=1.0, upper=CAP, max_names=K)
    return solve_tracking(prob).weights


def _vr(u: np.ndarray, h: np.ndarray) -> float:
    return 1.0 - float(np.var(h, ddof=1) / np.var(u, ddof=1))


def run_date(args: tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, int, int]) -> list[dict]:
    d, m1, m12, per_date, seed = args
    market: MarketData = _STATE["market"]
    rets: pd.DataFrame = _STATE["returns"]
    view = market.as_of(d)
    members = view.tradable(view.members("SPX"))
    pos = int(rets.index.searchsorted(d, side="right"))
    past = rets.iloc[:pos][members]
    prior: pd.DataFrame | None = None
    if "model" in _STATE:
        # the factor model's forecast on d (data up to d only), daily units; stocks it
        # does not cover leave the research's candidate set
        fc = _STATE["model"].forecast(d, market)
        covered = [t for t in past.columns if t in fc.exposures.index]
        past = past[covered]
        prior = fc.covariance(covered) / 252.0
    fut1 = rets.loc[(rets.index > d) & (rets.index <= m1), list(past.columns)]
    fut12 = rets.loc[(rets.index > d) & (rets.index <= m12), list(past.columns)]
    # targets: members with a full year (the window of the plain hedge)
    full_2y = past.iloc[-253:].notna().all()
    pool = sorted(full_2y.index[full_2y.to_numpy()])
    rng = np.random.default_rng(seed + int(d.strftime("%Y%m")))
    targets = list(rng.choice(pool, size=min(per_date, len(pool)), replace=False))
    classes = market.share_classes
    out: list[dict] = []
    fits: dict[str, tuple[list[str], np.ndarray]] = {}
    # each target's complete recent run (the library fits on at most that)
    last_gap = past.isna().to_numpy()[::-1].argmax(axis=0)
    run = pd.Series(np.where(past.isna().to_numpy().any(axis=0), last_gap, len(past)), past.columns)
    groups: dict[str, dict[int, list[str]]] = {}
    for name, est in _STATE["ests"].items():
        n = lookback_of(est) or 252
        by_len: dict[int, list[str]] = {}
        for t in targets:
            by_len.setdefault(int(min(n, run[t])), []).append(t)
        groups[name] = by_len
        for m_rows in by_len:
            X = past.iloc[-m_rows:]
            ok = X.notna().all().to_numpy()
            cols = list(X.columns[ok])
            kw = {}
            if prior is not None and isinstance(est, TargetShrinkage):
                kw = {"target": prior.loc[cols, cols].to_numpy()}
            fits[f"{name}@{m_rows}"] = (cols, est.fit(X.to_numpy()[:, ok], **kw).covariance_)
    # the bound: the holding period's own sample covariance
    for label, fut in (("1m", fut1), ("12m", fut12)):
        F = fut.fillna(0.0)
        fits[f"bound_{label}"] = (list(F.columns), SampleCovariance().fit(F.to_numpy()).covariance_)
    for t in targets:
        own = classes.get(t, frozenset({t}))
        for key, (cols, Sig) in fits.items():
            name, _, rows_ = key.partition("@")
            if rows_ and t not in groups[name][int(rows_)]:
                continue
            if t not in cols:
                continue
            ix = {c: i for i, c in enumerate(cols)}
            cand = [c for c in cols if c not in own]
            ci = np.array([ix[c] for c in cand])
            ti = ix[t]
            try:
                w = _solve(Sig[np.ix_(ci, ci)], Sig[ci, ti], float(Sig[ti, ti]))
            except Exception as exc:  # pragma: no cover - research log
                print(name, t, d, exc)
                continue
            held = w > 1e-10
            names = [cand[i] for i in np.flatnonzero(held)]
            row: dict[str, Any] = {"date": d, "target": t, "estimator": name}
            for label, fut in (("1m", fut1), ("12m", fut12)):
                if name.startswith("bound_") and not name.endswith(label):
                    continue
                u, h = _hold(fut[t].to_numpy(), fut[names].to_numpy(), w[held])
                row[f"n_{label}"] = len(u)
                row[f"su_{label}"], row[f"suu_{label}"] = u.sum(), (u * u).sum()
                row[f"sh_{label}"], row[f"shh_{label}"] = h.sum(), (h * h).sum()
                row[f"vr_{label}"] = _vr(u, h)
            row["names"] = ",".join(names)
            row["weights"] = ",".join(f"{x:.4f}" for x in w[held])
            out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", help="data home (a store); not needed with --summarise")
    ap.add_argument("--summarise", nargs="+", help="summarise these result files instead")
    ap.add_argument("--plot", help="with --summarise: a PNG of the gaps to sample_1y")
    ap.add_argument("--csv", help="with --summarise: the table as CSV")
    ap.add_argument("--start", default="2007-01")
    ap.add_argument("--end", default="2020-12")
    ap.add_argument("--step", type=int, default=2)
    ap.add_argument("--per-date", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out")
    ap.add_argument("--round", type=int, default=1)
    a = ap.parse_args()
    if a.summarise:
        frames = [pd.read_parquet(f) for f in a.summarise]
        table = summarise(pd.concat(frames, ignore_index=True))
        if a.csv:
            table.to_csv(a.csv)
        if a.plot:
            plot(table, a.plot)
        return
    if not a.home or not a.out:
        ap.error("--home and --out are required to run the research")
    market = MarketData(Store(a.home))
    cal = market.calendar
    ends = pd.DatetimeIndex(pd.Series(cal, index=cal).groupby(cal.to_period("M")).max().to_numpy())
    periods = ends.to_period("M")
    lo, hi = pd.Period(a.start, "M"), pd.Period(a.end, "M")
    jobs = []
    for i, d in enumerate(ends):
        if not (lo <= periods[i] <= hi) or (i - list(periods).index(lo)) % a.step:
            continue
        if i + 12 >= len(ends):
            continue
        jobs.append((d, ends[i + 1], ends[i + 12], a.per_date, a.seed))
    t0 = time.time()
    rows: list[dict] = []
    with mp.get_context("fork").Pool(
        a.workers, initializer=_init, initargs=(a.home, a.round)
    ) as pool:
        for k, res in enumerate(pool.imap_unordered(run_date, jobs)):
            rows.extend(res)
            print(f"{k + 1}/{len(jobs)} dates, {time.time() - t0:.0f}s", flush=True)
    pd.DataFrame(rows).to_parquet(a.out)
    summarise(pd.DataFrame(rows))


def summarise(df: pd.DataFrame, ref: str = "sample_1y", n_boot: int = 2000) -> pd.DataFrame:
    """Per estimator: mean VR over targets in both protocols, paired gap to ``ref``."""
    rng = np.random.default_rng(0)
    res = {}
    for label in ("1m", "12m"):
        d = df.dropna(subset=[f"vr_{label}"])
        g = d.groupby(["estimator", "target"])
        n, su, suu = g[f"n_{label}"].sum(), g[f"su_{label}"].sum(), g[f"suu_{label}"].sum()
        sh, shh = g[f"sh_{label}"].sum(), g[f"shh_{label}"].sum()
        if label == "1m":
            vu = suu / n - (su / n) ** 2
            vh = shh / n - (sh / n) ** 2
            vr = (1 - vh / vu).unstack("estimator")
        else:
            vr = g[f"vr_{label}"].mean().unstack("estimator")
        vr = vr.dropna()
        diff = vr.sub(vr[ref], axis=0)
        idx = rng.integers(0, len(vr), size=(n_boot, len(vr)))
        boots = diff.to_numpy()[idx].mean(axis=1)
        lo, hi = np.percentile(boots, [2.5, 97.5], axis=0)
        bound = vr[f"bound_{label}"].mean()
        res[label] = pd.DataFrame(
            {
                "mean_vr": vr.mean(),
                "median_vr": vr.median(),
                "gap_pp": 100 * diff.mean(),
                "lo_pp": 100 * lo,
                "hi_pp": 100 * hi,
                "share_of_bound": vr.mean() / bound,
                "targets": len(vr),
            }
        ).sort_values("mean_vr", ascending=False)
        print(f"\n== {label} hold ==")
        print(res[label].round(4).to_string())
    return pd.concat(res, axis=1)


def plot(table: pd.DataFrame, path: str) -> None:
    """Gap to the reference per estimator and protocol, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 0.35 * len(table) + 1.5), sharey=True)
    order = table[("12m", "gap_pp")].drop(["bound_1m", "bound_12m"], errors="ignore")
    order = order.dropna().sort_values().index
    for ax, label, title in zip(
        axes, ("1m", "12m"), ("monthly rebalance", "12-month hold"), strict=True
    ):
        t = table[label].reindex(order)
        y = np.arange(len(t))
        ax.errorbar(
            t["gap_pp"],
            y,
            xerr=[t["gap_pp"] - t["lo_pp"], t["hi_pp"] - t["gap_pp"]],
            fmt="o",
            color="tab:blue",
            capsize=3,
        )
        ax.axvline(0, color="grey", lw=0.8)
        ax.axvline(2, color="tab:red", lw=0.8, ls="--")
        ax.set_yticks(y, list(order))
        ax.set_xlabel("variance reduction minus sample_1y (pp), 95% interval")
        ax.set_title(title)
    fig.suptitle("Estimators on 2007-2021 (development years), point in time")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
