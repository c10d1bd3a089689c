"""Batched Huber robust regressions, one cross-section per day.

The factor-return step of a Barra-style risk model regresses each day's asset returns on
that day's exposures with weights (square root of market cap) and a robust loss. This
module runs all days together: every iteration of the iteratively reweighted least squares
(IRLS) solves the stacked ``(n_days, k, k)`` normal equations at once, and days drop out
of the working set as they converge.

The algorithm is statsmodels' ``RLM(M=HuberT(t=epsilon)).fit(scale_est="mad")`` step for
step (same start, scale estimate, update schedule and convergence test), so both agree to
rounding error; see :func:`huber_irls`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError
from hedgekit.risk._regression_inputs import (
    Constraint,
    FloatArray,
    _check_constraint,
    _check_data,
    _check_params,
)

__all__ = ["HuberFit", "huber_irls"]

logger = logging.getLogger(__name__)

#: normal-distribution consistency constant of the MAD: Phi^-1(3/4), as statsmodels
_MAD_CONSTANT = 0.6744897501960817
#: relative eigenvalue (of the column-normalised Gram matrix) below which a day's design
#: counts as rank deficient and is solved with a pseudo-inverse
_RANK_RTOL = 1e-12
#: re-gather the per-day arrays once fewer than this share of the working set still iterates
_COMPACT_BELOW = 0.75
#: days per block when forming per-day normal equations
_DAY_BLOCK = 32


@dataclass(frozen=True, eq=False)
class HuberFit:
    """Result of :func:`huber_irls`, one row per day.

    Attributes
    ----------
    coef : ndarray of shape (n_days, n_factors)
        Coefficients (factor returns); NaN on days that could not be fitted.
    residuals : ndarray of shape (n_days, n_assets)
        Residuals ``y - X b`` in the units of ``y`` (not multiplied by the square root of
        the regression weights); NaN for excluded assets and unfitted days.
    scale : ndarray of shape (n_days,)
        Final robust scale: the normalised MAD of the weighted residuals
        ``sqrt(w_i) * (y_i - x_i' b)``.
    weights : ndarray of shape (n_days, n_assets)
        Huber weights ``min(1, epsilon / |z_i|)`` of the last reweighted least-squares
        step (statsmodels' ``RLMResults.weights``); NaN for excluded assets.
    n_iter : ndarray of shape (n_days,)
        Least-squares fits made, the initial one included (statsmodels'
        ``fit_history["iteration"]``); 0 on unfitted days.
    converged : ndarray of shape (n_days,)
        Whether the convergence test passed before ``max_iter``; False on unfitted days and
        on days whose scale collapsed to 0 (a perfect fit of more than half the assets).
    r_squared : ndarray of shape (n_days,)
        Weighted, centred R^2 with the regression weights (see Notes of
        :func:`huber_irls`).
    n_obs : ndarray of shape (n_days,)
        Assets used on each day.
    """

    coef: FloatArray
    residuals: FloatArray
    scale: FloatArray
    weights: FloatArray
    n_iter: npt.NDArray[np.int64]
    converged: npt.NDArray[np.bool_]
    r_squared: FloatArray
    n_obs: npt.NDArray[np.int64]


# ------------------------------------------------------------------ constraints, null space


def _null_space(
    C: FloatArray, d: FloatArray, fitted: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Orthonormal null-space bases ``N (n_days, k, k - m)`` and ``b0 = pinv(C) d``."""
    m = C.shape[1]
    # scale each row of [C | d] to unit norm: same constraint, better conditioned
    norms = np.linalg.norm(C, axis=2)
    safe = np.where(norms > 0, norms, 1.0)
    C = C / safe[..., None]
    d = d / safe
    U, S, Vh = np.linalg.svd(C, full_matrices=True)
    bad = fitted & (S[:, -1] <= 1e-10 * np.maximum(S[:, 0], 1e-300))
    if bad.any():
        day = int(np.flatnonzero(bad)[0])
        raise ConfigurationError(
            f"the constraint rows are linearly dependent (or zero) on {int(bad.sum())} day(s), "
            f"first day index {day}; drop redundant constraints (with 'sum_to_zero', the "
            "industry columns need a positive market cap on every day)"
        )
    S = np.where(S > 0, S, 1.0)
    N = np.swapaxes(Vh[:, m:, :], 1, 2)
    coords = np.einsum("tji,tj->ti", U, d) / S
    b0 = np.einsum("tjk,tj->tk", Vh[:, :m, :], coords)
    return np.ascontiguousarray(N), b0


# ------------------------------------------------------------------------ batched kernels


class _Design:
    """Normal equations and fitted values for a shared or per-day design."""

    def __init__(self, X: FloatArray) -> None:
        self.X = X
        self.shared = X.ndim == 2
        k = X.shape[-1]
        self.k = k
        if self.shared:
            self.iu = np.triu_indices(k)
            # products x_ij x_il for j <= l, so X' diag(v) X is one (days, n) @ (n, k(k+1)/2)
            self.XX = np.ascontiguousarray(X[:, self.iu[0]] * X[:, self.iu[1]])

    def normal_equations(self, V: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``G = X' diag(V) X`` of shape (days, k, k) and ``h = X' diag(V) y`` (days, k)."""
        if self.shared:
            Gt = V @ self.XX
            G = np.empty((V.shape[0], self.k, self.k))
            G[:, self.iu[0], self.iu[1]] = Gt
            G[:, self.iu[1], self.iu[0]] = Gt
            return G, (V * y) @ self.X
        # blocks of days keep the weighted copy of X in cache (about 1.5x faster)
        G = np.empty((V.shape[0], self.k, self.k))
        h = np.empty((V.shape[0], self.k))
        for lo in range(0, V.shape[0], _DAY_BLOCK):
            Xb = self.X[lo : lo + _DAY_BLOCK]
            XV = np.swapaxes(Xb * V[lo : lo + _DAY_BLOCK, :, None], 1, 2)
            G[lo : lo + _DAY_BLOCK] = XV @ Xb
            h[lo : lo + _DAY_BLOCK] = (XV @ y[lo : lo + _DAY_BLOCK, :, None])[:, :, 0]
        return G, h

    def fitted(self, b: FloatArray) -> FloatArray:
        """``X b`` of shape (days, n_assets)."""
        if self.shared:
            return b @ self.X.T
        return (self.X @ b[:, :, None])[:, :, 0]

    def take(self, keep: npt.NDArray[np.intp]) -> _Design:
        """The design of the working rows ``keep`` (a shared design is kept as is)."""
        return self if self.shared else _Design(self.X[keep])


def _huber_weights(z: FloatArray, t: float) -> FloatArray:
    a = np.abs(z)
    return np.where(a <= t, 1.0, t / np.where(a > 0, a, 1.0))


def _huber_rho(z: FloatArray, t: float) -> FloatArray:
    a = np.abs(z)
    return np.where(a <= t, 0.5 * z * z, a * t - 0.5 * t * t)


def _mad(rt: FloatArray, mask: npt.NDArray[np.bool_], n_obs: npt.NDArray[np.int64]) -> FloatArray:
    """Per-row ``median(|r|) / 0.6745`` over the unmasked entries (statsmodels, center=0)."""
    a = np.where(mask, np.abs(rt) / _MAD_CONSTANT, np.inf)
    a.sort(axis=1)
    lo = np.take_along_axis(a, ((n_obs - 1) // 2)[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(a, (n_obs // 2)[:, None], axis=1)[:, 0]
    return 0.5 * (lo + hi)


def _solve(
    G: FloatArray,
    h: FloatArray,
    N: FloatArray | None,
    b0: FloatArray | None,
    deficient: npt.NDArray[np.bool_],
) -> FloatArray:
    """Minimiser of ``b' G b - 2 h' b`` over ``b = b0 + N z`` (all b without constraints)."""
    if N is not None and b0 is not None:
        Nt = np.swapaxes(N, 1, 2)
        A = Nt @ G @ N
        rhs = (Nt @ (h - (G @ b0[:, :, None])[:, :, 0])[:, :, None])[:, :, 0]
    else:
        A, rhs = G, h
    full = ~deficient
    if full.all():
        z = np.asarray(np.linalg.solve(A, rhs[:, :, None])[:, :, 0], dtype=np.float64)
    else:
        z = np.empty_like(rhs)
        if full.any():
            z[full] = np.linalg.solve(A[full], rhs[full][:, :, None])[:, :, 0]
        pinv = np.linalg.pinv(A[deficient], rcond=_RANK_RTOL, hermitian=True)
        z[deficient] = (pinv @ rhs[deficient][:, :, None])[:, :, 0]
    if N is not None and b0 is not None:
        return b0 + (N @ z[:, :, None])[:, :, 0]
    return z


def _rank_deficient(G: FloatArray, N: FloatArray | None) -> npt.NDArray[np.bool_]:
    """Days whose (reduced) weighted Gram matrix is numerically singular."""
    A = G if N is None else np.swapaxes(N, 1, 2) @ G @ N
    diag = np.diagonal(A, axis1=1, axis2=2)
    zero_col = (diag <= 0).any(axis=1)
    s = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    eig = np.linalg.eigvalsh(A * s[:, :, None] * s[:, None, :])
    return zero_col | (eig[:, 0] <= _RANK_RTOL * eig[:, -1])


def _deviance(rt: FloatArray, u: FloatArray, df: FloatArray, t: float) -> FloatArray:
    """statsmodels' ``RLM.deviance``: sum of rho(resid / wls_scale), wls_scale = RSS_u / df."""
    sigma2 = np.einsum("tn,tn->t", u, rt * rt) / df
    return _huber_rho(rt / sigma2[:, None], t).sum(axis=1)


def _empty() -> FloatArray:
    return np.empty(0)


@dataclass
class _Work:
    """Per-day arrays of the working set (rows = original day indices)."""

    rows: npt.NDArray[np.intp]
    y: FloatArray
    w: FloatArray
    mask: npt.NDArray[np.bool_]
    n_obs: npt.NDArray[np.int64]
    df: FloatArray
    N: FloatArray | None
    b0: FloatArray | None
    sw: FloatArray = field(default_factory=_empty)
    deficient: npt.NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, dtype=bool))
    b: FloatArray = field(default_factory=_empty)
    r: FloatArray = field(default_factory=_empty)
    u: FloatArray = field(default_factory=_empty)
    s: FloatArray = field(default_factory=_empty)
    dev: FloatArray = field(default_factory=_empty)
    it: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def take(self, keep: npt.NDArray[np.intp]) -> _Work:
        """The working set restricted to the rows ``keep``."""
        return replace(
            self,
            **{
                f.name: getattr(self, f.name)[keep]
                for f in fields(self)
                if getattr(self, f.name) is not None
            },
        )


@dataclass
class _Out:
    """Output arrays over all days, filled as days stop."""

    coef: FloatArray
    resid: FloatArray
    scale: FloatArray
    weights: FloatArray
    n_iter: npt.NDArray[np.int64]
    converged: npt.NDArray[np.bool_]

    def record(self, work: _Work, sel: npt.NDArray[np.bool_], ok: npt.NDArray[np.bool_]) -> None:
        days = work.rows[sel]
        mask = work.mask[sel]
        self.coef[days] = work.b[sel]
        self.resid[days] = np.where(mask, work.r[sel], np.nan)
        self.scale[days] = work.s[sel]
        self.weights[days] = np.where(mask, work.u[sel], np.nan)
        self.n_iter[days] = work.it[sel]
        self.converged[days] = ok[sel]


def _irls(design: _Design, work: _Work, out: _Out, t: float, tol: float, max_iter: int) -> None:
    """Batched IRLS of statsmodels' RLM; writes each day into ``out`` when it stops."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # initial weighted least squares (Huber weights all 1)
        work.sw = np.sqrt(work.w)
        work.u = np.ones_like(work.y)
        G, h = design.normal_equations(work.w, work.y)
        work.deficient = _rank_deficient(G, work.N)
        if work.deficient.any():
            logger.warning(
                "huber_irls: %d day(s) have a rank-deficient design (e.g. an empty "
                "industry); solved with a pseudo-inverse (minimum-norm coefficients)",
                int(work.deficient.sum()),
            )
        work.b = _solve(G, h, work.N, work.b0, work.deficient)
        work.r = work.y - design.fitted(work.b)
        rt = work.sw * work.r
        work.s = _mad(rt, work.mask, work.n_obs)
        work.dev = _deviance(rt, work.u, work.df, t)
        work.it = np.ones(work.rows.size, dtype=np.int64)
    live = np.ones(work.rows.size, dtype=bool)
    while True:
        zero = live & (work.s == 0.0)
        if zero.any():  # perfect fit of most assets: statsmodels stops here too
            out.record(work, zero, np.zeros_like(zero))
            live &= ~zero
        if not live.any():
            return
        if live.sum() < _COMPACT_BELOW * live.size:
            keep = np.flatnonzero(live)
            work, design = work.take(keep), design.take(keep)
            live = np.ones(keep.size, dtype=bool)
        # rows that already stopped are recomputed until the next compaction (their
        # results are recorded); a scale of 1 keeps their arithmetic finite
        with np.errstate(divide="ignore", invalid="ignore"):
            s_safe = np.where(live & (work.s > 0), work.s, 1.0)
            u = _huber_weights(work.sw * work.r / s_safe[:, None], t)
            G, h = design.normal_equations(work.w * u, work.y)
            work.b = _solve(G, h, work.N, work.b0, work.deficient)
            work.r = work.y - design.fitted(work.b)
            work.u = u
            rt = work.sw * work.r
            work.s = _mad(rt, work.mask, work.n_obs)
            dev = _deviance(rt, u, work.df, t)
            change = np.abs(dev - work.dev)
        work.dev = dev
        work.it = work.it + 1
        ok = live & (change <= tol)
        stop = live & (~(change > tol) | (work.it >= max_iter))
        if stop.any():
            out.record(work, stop, ok)
            live &= ~stop


# ---------------------------------------------------------------------------- main entry


def huber_irls(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    epsilon: float = 1.35,
    max_iter: int = 50,
    tol: float = 1e-10,
    scale: str = "mad",
    constraint: Constraint = None,
) -> HuberFit:
    r"""Weighted Huber regressions of many days at once, by batched IRLS.

    Parameters
    ----------
    X : array-like of shape (n_days, n_assets, n_factors) or (n_assets, n_factors)
        Regressors (exposures) per day, or one matrix shared by all days. NaN excludes the
        asset on that day (on every day for a shared matrix).
    y : array-like of shape (n_days, n_assets)
        Responses (asset returns). NaN excludes the asset on that day.
    weights : array-like of shape (n_days, n_assets), optional
        Regression weights :math:`w_{ti} \ge 0`, e.g. the square root of market cap. NaN
        or 0 excludes the asset on that day. Default: all ones.
    epsilon : float, default 1.35
        Huber threshold :math:`c` on standardised residuals.
    max_iter : int, default 50
        Maximum number of least-squares fits per day, the initial one included
        (statsmodels' ``maxiter``).
    tol : float, default 1e-10
        Convergence tolerance on the change of the deviance (see Notes).
    scale : {"mad"}, default "mad"
        Scale estimate; only the normalised median absolute deviation is available.
    constraint : tuple, optional
        Linear equality constraints :math:`C b = d` on each day's coefficients:

        - ``(C, d)`` with ``C`` of shape (n_constraints, n_factors) or
          (n_days, n_constraints, n_factors) and ``d`` of shape (n_constraints,) or
          (n_days, n_constraints);
        - ``("sum_to_zero", industry_columns, market_cap)`` with ``market_cap`` of shape
          (n_days, n_assets): the Barra industry constraint
          :math:`\sum_j M_{tj} b_{tj} = 0` over the industry columns, with
          :math:`M_{tj} = \sum_i \mathrm{cap}_{ti} x_{tij}` (the day's total cap of
          industry :math:`j` for dummy exposures, assets excluded that day left out). It
          makes the market (intercept) factor identifiable alongside a full set of
          industry dummies.

    Returns
    -------
    HuberFit
        Coefficients, residuals, scales, Huber weights, iteration counts, convergence
        flags, weighted R^2 and observation counts per day.

    Raises
    ------
    ConfigurationError
        Shapes that do not match, infinite values, negative weights, ``epsilon <= 0``,
        ``max_iter < 1``, an unknown ``scale`` or malformed / dependent constraints.

    Notes
    -----
    Day by day, with rows scaled by :math:`\sqrt{w_i}` (:math:`\tilde y_i = \sqrt{w_i}
    y_i`, :math:`\tilde x_i = \sqrt{w_i} x_i`), this is exactly statsmodels'
    ``RLM(ỹ, X̃, M=HuberT(t=epsilon)).fit(maxiter=max_iter, tol=tol)``, i.e. an M-estimate
    of

    .. math:: \min_b \sum_i \rho_c\!\left(\frac{\sqrt{w_i}\,(y_i - x_i^\top b)}{s}\right),
       \qquad \rho_c(z) = \begin{cases} z^2/2 & |z| \le c \\ c|z| - c^2/2 & |z| > c
       \end{cases}

    computed by iteratively reweighted least squares:

    1. start from weighted least squares (:math:`u_i = 1`);
    2. scale :math:`s = \mathrm{median}_i |\tilde r_i| / \Phi^{-1}(3/4)` of the current
       residuals :math:`\tilde r_i = \sqrt{w_i}(y_i - x_i^\top b)` (MAD about 0,
       statsmodels ``scale.mad(r, center=0)``); stop if :math:`s = 0`;
    3. Huber weights :math:`u_i = \min(1, c / |\tilde r_i / s|)`, then
       :math:`b = \arg\min \sum_i u_i w_i (y_i - x_i^\top b)^2` subject to the constraint;
       the scale is re-estimated from the new residuals (``update_scale=True``);
    4. deviance :math:`D = \sum_i \rho_c(\tilde r_i / \hat\sigma^2)` with
       :math:`\hat\sigma^2 = \sum_i u_i \tilde r_i^2 / (n - p)` (statsmodels' ``conv="dev"``
       criterion, including its use of the variance); stop once
       :math:`|D_j - D_{j-1}| \le` ``tol`` or after ``max_iter`` fits. ``tol`` is
       absolute, so the number of iterations depends on the units of ``y`` and ``w``
       (the fitted coefficients do not, up to ``tol``).

    The constraint is handled in the null space: with the orthonormal basis :math:`N` of
    :math:`\ker C` and :math:`b_0 = C^+ d`, each step solves the reduced normal equations
    :math:`N^\top X^\top W X N z = N^\top X^\top W (y - X b_0)` and sets
    :math:`b = b_0 + N z`. This equals an unconstrained RLM on the reparametrised design
    :math:`X N`, with :math:`p = k - m` free coefficients. Days with
    :math:`n \le p` observations get NaN coefficients (a warning is logged with their
    count). Days whose reduced design is rank deficient (e.g. an industry with no assets)
    are solved with a pseudo-inverse (minimum-norm coefficients, as statsmodels).

    All days iterate together: the normal equations are formed and solved as stacked
    ``(n_days, k, k)`` arrays (the Gram matrices by BLAS, not by a loop over days), and a
    day stops changing as soon as its own convergence test passes.

    The reported R^2 is centred and uses the regression weights:
    :math:`R^2 = 1 - \sum_i w_i r_i^2 / \sum_i w_i (y_i - \bar y_w)^2` with
    :math:`\bar y_w = \sum_i w_i y_i / \sum_i w_i`.

    Examples
    --------
    >>> import numpy as np
    >>> from hedgekit.risk import huber_irls
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(200), rng.normal(size=200)])
    >>> y = 0.01 + 0.5 * X[:, 1] + 0.1 * rng.standard_t(3, size=(4, 200))
    >>> fit = huber_irls(X, y)
    >>> fit.coef.shape, bool(fit.converged.all())
    ((4, 2), True)
    """
    _check_params(epsilon, max_iter, tol, scale)
    Xa, ya, wa = _check_data(X, y, weights)
    n_days, n_assets = ya.shape
    k = Xa.shape[-1]
    t = float(epsilon)

    # ---- mask: an asset counts on a day when y, its X row and its weight are usable
    x_ok = ~np.isnan(Xa).any(axis=-1)
    mask = ~np.isnan(ya) & ~np.isnan(wa) & (wa > 0) & x_ok
    cons = _check_constraint(constraint, Xa, mask, n_days)
    m = 0 if cons is None else cons[0].shape[1]
    p = k - m
    n_obs = mask.sum(axis=1).astype(np.int64)
    fitted = n_obs > p

    coef = np.full((n_days, k), np.nan)
    resid_out = np.full((n_days, n_assets), np.nan)
    scale_out = np.full(n_days, np.nan)
    u_out = np.full((n_days, n_assets), np.nan)
    n_iter = np.zeros(n_days, dtype=np.int64)
    converged = np.zeros(n_days, dtype=bool)

    n_short = int((~fitted).sum())
    if n_short:
        logger.warning(
            "huber_irls: %d of %d day(s) have no more observations than the %d free "
            "coefficient(s); their coefficients are NaN",
            n_short,
            n_days,
            p,
        )

    N_all: FloatArray | None = None
    b0_all: FloatArray | None = None
    if cons is not None:
        N_all, b0_all = _null_space(cons[0], cons[1], fitted)

    Xf = np.where(np.isnan(Xa), 0.0, Xa) if (~x_ok).any() else Xa
    y0 = np.where(mask, ya, 0.0)
    w0 = np.where(mask, wa, 0.0)

    # ---- all fitted days iterate together; see _irls
    rows = np.flatnonzero(fitted)
    if rows.size:
        nw = n_obs[rows]
        work = _Work(
            rows=rows,
            y=y0[rows],
            w=w0[rows],
            mask=mask[rows],
            n_obs=nw,
            df=(nw - p).astype(np.float64),
            N=None if N_all is None else N_all[rows],
            b0=None if b0_all is None else b0_all[rows],
        )
        out = _Out(coef, resid_out, scale_out, u_out, n_iter, converged)
        X_work = Xf if Xf.ndim == 2 or rows.size == n_days else Xf[rows]
        _irls(_Design(X_work), work, out, t, tol, max_iter)
    r_squared = _weighted_r2(ya, resid_out, w0, mask)
    n_max = int(((n_iter >= max_iter) & ~converged & fitted).sum())
    if n_max:
        logger.info("huber_irls: %d day(s) stopped at max_iter=%d", n_max, max_iter)
    return HuberFit(
        coef=coef,
        residuals=resid_out,
        scale=scale_out,
        weights=u_out,
        n_iter=n_iter,
        converged=converged,
        r_squared=r_squared,
        n_obs=n_obs,
    )


def _weighted_r2(
    y: FloatArray, resid: FloatArray, w: FloatArray, mask: npt.NDArray[np.bool_]
) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        yz = np.where(mask, y, 0.0)
        ybar = (w * yz).sum(axis=1) / w.sum(axis=1)
        tss = (w * np.where(mask, y - ybar[:, None], 0.0) ** 2).sum(axis=1)
        rss = (w * np.where(mask, resid, 0.0) ** 2).sum(axis=1)
        r2 = 1.0 - rss / tss
    return np.where(np.isnan(resid).all(axis=1) | (tss <= 0), np.nan, r2)
