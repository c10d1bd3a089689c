"""Benchmark the batched Huber regressions of the risk model against per-day references.

Synthetic but realistic daily cross-sections: 500 assets, 19 regressors (a market column
of ones, 11 sector dummies, 7 standardised styles drifting slowly over time), returns from
that factor model plus Student-t (4 dof) specific returns whose volatility falls with
size, about 1% missing returns, sqrt(market cap) regression weights, and the Barra
constraint that the cap-weighted sector returns sum to zero (it identifies the market).

Methods, all on the same days:

- ``huber_irls``: :func:`hedgekit.risk.huber_irls` on every day at once (the constraint
  built from the caps, ``("sum_to_zero", sectors, cap)``);
- statsmodels ``RLM(M=HuberT(t=1.35))``, one day at a time, on the sqrt(w)-scaled rows of
  the design reparametrised to honour the constraint (the last sector eliminated);
- scikit-learn ``HuberRegressor(epsilon=1.35, alpha=0, fit_intercept=False)``, one day at
  a time with ``sample_weight=w`` on the same reparametrised design. Its loss differs
  (scale estimated jointly, as in Owen 2007), so it is a timing reference only.

The per-day references run on a subset of days (``--ref-days``, default 200) and their
time is extrapolated linearly to all days; the output says so. Everything runs
single-threaded (BLAS threads pinned to 1 before numpy loads).

Run::

    python benchmarks/bench_huber.py [--days 2500] [--assets 500] [--ref-days 200]

Target (issue "risk model regressions"): ~5.5 s or less for 500 x 19 x 2,500 batched.
"""

# ruff: noqa: E402  (BLAS threads are pinned before numpy is imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import platform
import time
import warnings

import numpy as np

from hedgekit.risk import huber_irls

N_SECTORS = 11
N_STYLES = 7
EPSILON = 1.35


def make_data(
    n_days: int, n_assets: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exposures (days, assets, 19), returns (days, assets), caps and sector labels."""
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, N_SECTORS, size=n_assets)
    log_cap = rng.normal(1.5, 1.2, size=n_assets)  # $bn, lognormal
    log_cap = log_cap + np.cumsum(rng.normal(0, 0.02, size=(n_days, n_assets)), axis=0)
    cap = np.exp(log_cap)
    # styles: AR(1) drift, cross-sectionally standardised every day
    styles = np.empty((n_days, n_assets, N_STYLES))
    s = rng.normal(size=(n_assets, N_STYLES))
    for t in range(n_days):
        s = 0.995 * s + 0.1 * rng.normal(size=s.shape)
        styles[t] = s
    styles[:, :, 0] = log_cap  # a size style
    styles -= styles.mean(axis=1, keepdims=True)
    styles /= styles.std(axis=1, keepdims=True)
    X = np.zeros((n_days, n_assets, 1 + N_SECTORS + N_STYLES))
    X[:, :, 0] = 1.0
    X[:, np.arange(n_assets), 1 + sector] = 1.0
    X[:, :, 1 + N_SECTORS :] = styles
    f = np.column_stack(
        [
            rng.normal(0.0003, 0.01, size=n_days),
            rng.normal(0, 0.005, size=(n_days, N_SECTORS)),
            rng.normal(0, 0.003, size=(n_days, N_STYLES)),
        ]
    )
    spec_vol = 0.025 * np.exp(-0.15 * (log_cap - 1.5))
    eps = spec_vol * rng.standard_t(4, size=(n_days, n_assets)) / np.sqrt(2.0)
    y = np.einsum("tnk,tk->tn", X, f) + eps
    y[rng.random(size=y.shape) < 0.01] = np.nan
    return X, y, cap, sector


def reparametrise(
    X: np.ndarray, cap: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Design without the last sector, and the map back, for one day.

    With ``c_j`` the sector caps, ``b_last = -sum_{j<last} (c_j / c_last) b_j``; so
    ``X b = X_r b_r`` with ``X_r[:, j] = X[:, j] - (c_j / c_last) X[:, last]``.
    Returns ``X_r`` (assets, 18) and ``M`` (19, 18) with ``b = M b_r``.
    """
    k = X.shape[1]
    cols = np.arange(1, 1 + N_SECTORS)
    c = (cap[mask, None] * X[mask][:, cols]).sum(axis=0)
    M = np.zeros((k, k - 1))
    keep = [j for j in range(k) if j != cols[-1]]
    M[keep, np.arange(k - 1)] = 1.0
    M[cols[-1], cols[:-1]] = -c[:-1] / c[-1]
    return X @ M, M


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2500)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--ref-days", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the batched run")
    args = parser.parse_args()

    import statsmodels.api as sm
    from sklearn.linear_model import HuberRegressor

    t0 = time.perf_counter()
    X, y, cap, _ = make_data(args.days, args.assets)
    w = np.sqrt(cap)
    print(
        f"data: {args.days} days x {args.assets} assets x {X.shape[2]} regressors "
        f"({time.perf_counter() - t0:.1f} s to build); python {platform.python_version()}, "
        f"numpy {np.__version__}, single-threaded BLAS"
    )
    sectors = list(range(1, 1 + N_SECTORS))
    constraint = ("sum_to_zero", sectors, cap)

    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        fit = huber_irls(X, y, w, epsilon=EPSILON, constraint=constraint)
        times.append(time.perf_counter() - t0)
    t_batch = min(times)

    n_ref = min(args.ref_days, args.days)
    ref_days = np.linspace(0, args.days - 1, n_ref).astype(int)
    sm_coef = np.empty((n_ref, X.shape[2]))
    sk_coef = np.empty_like(sm_coef)
    t_sm = t_sk = 0.0
    for i, d in enumerate(ref_days):
        mask = ~np.isnan(y[d])
        Xr, M = reparametrise(X[d], cap[d], mask)
        sw = np.sqrt(w[d, mask])
        t0 = time.perf_counter()
        res = sm.RLM(y[d, mask] * sw, Xr[mask] * sw[:, None], M=sm.robust.norms.HuberT(EPSILON))
        params = res.fit(tol=1e-10).params
        t_sm += time.perf_counter() - t0
        sm_coef[i] = M @ params
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hub = HuberRegressor(epsilon=EPSILON, alpha=0.0, fit_intercept=False, max_iter=1000)
            hub.fit(Xr[mask], y[d, mask], sample_weight=w[d, mask])
        t_sk += time.perf_counter() - t0
        sk_coef[i] = M @ hub.coef_

    scale = args.days / n_ref
    rows = [
        ("hedgekit `huber_irls` (batched, all days)", t_batch),
        (f"statsmodels RLM HuberT, day by day (x{scale:g} from {n_ref} days)", t_sm * scale),
        (f"scikit-learn HuberRegressor, day by day (x{scale:g} from {n_ref} days)", t_sk * scale),
    ]
    print()
    print(f"| method | seconds for {args.days:,} days | speed-up of huber_irls |")
    print("|---|---:|---:|")
    for name, sec in rows:
        print(f"| {name} | {sec:.2f} | {sec / t_batch:.1f}x |")
    print()
    diff_sm = np.abs(fit.coef[ref_days] - sm_coef).max()
    diff_sk = np.abs(fit.coef[ref_days] - sk_coef).max()
    typical = np.abs(sm_coef).mean()
    print(f"batched runs: {', '.join(f'{t:.2f}' for t in times)} s (best reported)")
    print(
        f"max |coef difference| vs statsmodels on the {n_ref} reference days: {diff_sm:.2e} "
        f"(mean |coef| {typical:.1e})"
    )
    print(f"max |coef difference| vs scikit-learn (different loss, for context): {diff_sk:.2e}")
    print(
        f"iterations: median {np.median(fit.n_iter):.0f}, max {fit.n_iter.max()}; "
        f"converged {int(fit.converged.sum())}/{args.days}; "
        f"max |C b| {np.abs((fit.coef[:, 1:12] * _sector_caps(X, cap, y)).sum(1)).max():.1e} "
        "(relative to total cap)"
    )


def _sector_caps(X: np.ndarray, cap: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cap shares of each sector per day (assets with a return only)."""
    c = np.where(np.isnan(y), 0.0, cap)
    totals = np.einsum("tn,tnj->tj", c, X[:, :, 1 : 1 + N_SECTORS])
    return totals / totals.sum(axis=1, keepdims=True)


if __name__ == "__main__":
    main()
