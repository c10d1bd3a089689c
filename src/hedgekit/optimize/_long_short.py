"""Long/short tracking hedges: weights of either sign under gross and net bounds.

:func:`solve_long_short` answers a :class:`TrackingProblem` with ``long_short=True``: at
most ``max_names`` names, ``|w_i| <= upper_i``, ``net_lower <= sum(w) <= net_upper``,
``sum(|w_i|) <= max_gross`` and the group and ``A_ub`` rows on the signed weights. Every
QP splits the weights of a support into their two sides, ``w = u - v`` with ``u, v >= 0``
(``daqp``, as the long-only search), so the gross bound is the linear row
``sum(u + v) <= max_gross``. The long-only path (:mod:`._search`) is not touched.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from hedgekit._errors import InfeasibleError, OptimizationError
from hedgekit.optimize._bound import relative_gap
from hedgekit.optimize._problem import TrackingProblem
from hedgekit.optimize._search import _Engine, _Fit
from hedgekit.optimize._solution import TrackingMethod, TrackingSolution

__all__ = ["long_short_bound", "solve_long_short"]

#: regularisation of each side, relative to the mean variance: it makes the split QP's
#: Hessian definite (``[[Q, -Q], [-Q, Q]]`` is singular along ``u + v``) and changes the
#: objective by about ``1e-9`` of the mean variance times ``||w||^2``
_SIDE_RIDGE = 1e-9
#: weights at or below this fraction of the gross bound count as zero
_ZERO = 1e-12
#: largest working-set step of the relaxation
_WORK_CAP = 100


@dataclass(slots=True)
class _LSFit:
    """The QP on the columns ``idx``: signed weights and the duals of its rows."""

    idx: np.ndarray
    w: np.ndarray
    obj: float
    viol: float
    lam: np.ndarray  # duals of (net, gross, rows...) in daqp's sign convention


class _LSEngine:
    """Prepared arrays and the QP of a long/short support."""

    def __init__(self, p: TrackingProblem, deadline: float) -> None:
        import daqp  # a core dependency (pyproject)

        self._daqp = daqp
        self.p = p
        self.S = np.ascontiguousarray(p.covariance, dtype="float64")
        self.c = np.asarray(p.cross, dtype="float64")
        n = self.n = self.c.shape[0]
        self.net_lo, self.net_hi, self.gross = p.net_bounds()
        upper = self.gross if p.upper is None else p.upper
        self.ub = np.minimum(np.broadcast_to(np.asarray(upper, dtype="float64"), (n,)), self.gross)
        self.K = n if p.max_names is None else min(int(p.max_names), n)
        self.ridge = float(p.ridge)
        diag = np.diag(self.S)
        self.diag = diag + self.ridge
        mean_var = float(diag.mean()) if n else 1.0
        self.reg = _SIDE_RIDGE * max(mean_var, 1e-300)
        self.obj_scale = float(p.target_variance) + mean_var * self.gross**2 + 1e-300
        self.grad_scale = max(
            2 * (float(diag.max(initial=0.0)) * self.gross + float(np.abs(self.c).max(initial=0))),
            1e-300,
        )
        self.rho = 1e4 * self.grad_scale
        self.zero = _ZERO * self.gross
        self.feas_tol = 1e-7 * max(self.gross, 1e-300)
        M, lo, hi, names = p.linear_rows()
        live = np.isfinite(lo) | np.isfinite(hi)
        self.M, self.lo, self.hi = M[live], lo[live], hi[live]
        self.row_names = [x for x, keep in zip(names, live, strict=True) if keep]
        self.m = int(self.M.shape[0])
        # the rows on [u, v] for every candidate: net, gross, then the general rows
        one = np.ones((1, n))
        self.A_u = np.vstack([one, one, self.M])
        self.A_v = np.vstack([-one, one, -self.M])
        self.row_lo = np.concatenate([[self.net_lo, 0.0], self.lo])
        self.row_hi = np.concatenate([[self.net_hi, self.gross], self.hi])
        self.row_sense = np.where(self.row_lo == self.row_hi, 5, 0).astype(np.int32)
        self.deadline = deadline
        self.evaluations = 0
        #: with a fixed net, the long-only engine of that budget gives every swap a
        #: closed-form lower bound (the quadratic part under the net row alone: a relaxation
        #: of the long/short refit too), so swaps that cannot improve skip their QP
        self.bounder: _Engine | None = None
        if self.net_lo == self.net_hi and self.net_lo > 0:
            plain = dataclasses.replace(
                p, long_short=False, max_gross=None, net_lower=None, net_upper=None,
                budget=self.net_lo, upper=None, A_ub=None, b_ub=None, ub_names=None, groups=(),
            )  # fmt: skip
            self.bounder = _Engine(plain, deadline)
        #: every QP to a tight dual tolerance (small differences decide the swaps and the
        #: certificate); the elastic QP, and a QP that cycles, at daqp's default
        self.options: dict[str, float] = {"primal_tol": 1e-10, "dual_tol": 1e-12 * self.grad_scale}
        self.loose: dict[str, float] = {"primal_tol": 1e-10}

    # -------------------------------------------------------------- the QP
    def objective(self, idx: np.ndarray, w: np.ndarray) -> float:
        Q = self.S.take(idx, 0).take(idx, 1)
        return float(w @ Q @ w - 2.0 * self.c[idx] @ w + self.ridge * (w @ w))

    def violation(self, idx: np.ndarray, w: np.ndarray) -> float:
        net = float(w.sum())
        v = max(self.net_lo - net, net - self.net_hi, float(np.abs(w).sum()) - self.gross, 0.0)
        if self.m:
            a = self.M.take(idx, 1) @ w
            v = max(v, float((self.lo - a).max()), float((a - self.hi).max()))
        return v

    def qp(self, idx: np.ndarray) -> _LSFit:
        """The exact QP on the columns ``idx`` (elastic when its rows cannot all hold)."""
        self.evaluations += 1
        k = idx.size
        Q = self.S.take(idx, 0).take(idx, 1)
        Q.ravel()[:: k + 1] += self.ridge
        Q *= 2.0
        H = np.empty((2 * k, 2 * k))
        H[:k, :k] = Q
        H[k:, k:] = Q
        H[:k, k:] = -Q
        H[k:, :k] = -Q
        H.ravel()[:: 2 * k + 1] += 2.0 * self.reg
        ck = self.c.take(idx)
        f = np.concatenate([-2.0 * ck, 2.0 * ck])
        A = np.hstack([self.A_u.take(idx, 1), self.A_v.take(idx, 1)])
        lo, hi = self.row_lo, self.row_hi
        ub = self.ub.take(idx)
        bu = np.concatenate([ub, ub, hi])
        bl = np.concatenate([np.zeros(2 * k), lo])
        sense = np.concatenate([np.zeros(2 * k, dtype=np.int32), self.row_sense])
        if float(ub.sum()) >= max(self.net_lo, -self.net_hi, 0.0) - self.feas_tol:
            x, _, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, **self.options)
            if flag < 1 and flag != -1:  # not infeasible: again at daqp's default dual tolerance
                x, _, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, **self.loose)
            if flag >= 1:
                x = np.clip(x, 0.0, np.concatenate([ub, ub]))
                w = x[:k] - x[k:]
                lam = np.asarray(info["lam"][2 * k :], dtype="float64").copy()
                return _LSFit(idx, w, self.objective(idx, w), self.violation(idx, w), lam)
        return self._elastic(idx, H, f, A, lo, hi, ub)

    def _elastic(
        self,
        idx: np.ndarray,
        H: np.ndarray,
        f: np.ndarray,
        A: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        ub: np.ndarray,
    ) -> _LSFit:
        """The QP whose rows may be violated at a linear price ``rho`` per unit."""
        k2 = H.shape[0]
        r = A.shape[0]
        nv = k2 + 2 * r
        Hel = np.zeros((nv, nv))
        Hel[:k2, :k2] = H
        Hel[np.arange(k2, nv), np.arange(k2, nv)] = 1e-6 * self.rho / max(self.gross, 1e-300)
        fel = np.concatenate([f, np.full(2 * r, self.rho)])
        Ael = np.hstack([A, np.eye(r), -np.eye(r)])
        bu = np.concatenate([ub, ub, np.full(2 * r, np.inf), hi])
        bl = np.concatenate([np.zeros(k2 + 2 * r), lo])
        sense = np.zeros(nv + r, dtype=np.int32)
        x, _, flag, info = self._daqp.solve(Hel, fel, Ael, bu, bl, sense, **self.loose)
        if flag < 1:
            raise OptimizationError(
                f"the QP solver failed (daqp exit flag {flag}) on a {idx.size}-name long/short "
                "support; check the inputs for extreme values or rescale the returns"
            )
        k = idx.size
        x = np.clip(x[:k2], 0.0, np.concatenate([ub, ub]))
        w = x[:k] - x[k:]
        lam = np.asarray(info["lam"][nv:], dtype="float64").copy()
        return _LSFit(idx, w, self.objective(idx, w), self.violation(idx, w), lam)

    def fit(self, idx: np.ndarray) -> _LSFit:
        """The QP on ``idx`` (sorted), names left at zero dropped."""
        fit = self.qp(np.sort(idx))
        keep = np.abs(fit.w) > self.zero
        if keep.all():
            return fit
        return _LSFit(fit.idx[keep], fit.w[keep], fit.obj, fit.viol, fit.lam)

    def better(self, a: _LSFit, b: _LSFit) -> bool:
        fa, fb = a.viol <= self.feas_tol, b.viol <= self.feas_tol
        if fa != fb:
            return fa
        if not fa:
            return a.viol < b.viol * (1 - 1e-9) - 1e-15
        return a.obj < b.obj - 1e-12 * self.obj_scale

    # -------------------------------------------------------------- prices
    def gradient(self, fit: _LSFit) -> np.ndarray:
        """Gradient of the objective in ``w`` for every candidate."""
        if fit.idx.size == 0:
            return -2.0 * self.c
        g = 2.0 * (fit.w @ self.S[fit.idx] - self.c)
        g[fit.idx] += 2.0 * self.ridge * fit.w
        return g

    def prices(self, fit: _LSFit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(d, d_long, d_short)``: the signed Lagrangian gradient (net and rows priced at
        their duals) and the reduced costs of ``u_j`` and ``v_j`` (gross priced too); a
        name outside the support helps on a side whose reduced cost is negative."""
        d = self.gradient(fit) + fit.lam[0]
        if self.m:
            d = d + fit.lam[2:] @ self.M
        return d, d + fit.lam[1], -d + fit.lam[1]

    # -------------------------------------------------------------- relaxation
    def relax(self) -> _LSFit:
        """The continuous relaxation (no cardinality) by column generation: the QP on a
        working set, every other candidate priced on both sides, the most negative added,
        until none is (the KKT conditions of the whole problem then hold)."""
        n, K = self.n, min(self.K, _WORK_CAP)
        size = min(n, max(2 * K, 30))
        work = set(np.argsort(-np.abs(self.c))[:size].tolist())
        tol = 1e-10 * self.grad_scale
        fit: _LSFit | None = None
        for _ in range(200):
            idx = np.fromiter(sorted(work), dtype=int)
            fit = self.qp(idx)
            _, dl, ds = self.prices(fit)
            best = np.minimum(dl, ds)
            best[idx] = np.inf
            new = np.flatnonzero(best < -tol)
            if new.size == 0:
                break
            work |= set(new[np.argsort(best[new])[: max(10, K)]].tolist())
        assert fit is not None
        keep = np.abs(fit.w) > self.zero
        return _LSFit(fit.idx[keep], fit.w[keep], fit.obj, fit.viol, fit.lam)

    # -------------------------------------------------------------- search
    def greedy(self) -> _LSFit:
        """Forward selection: add the name of the most negative reduced cost, refit."""
        none = np.zeros(0, dtype=int)
        fit = _LSFit(
            none, np.zeros(0), 0.0, self.violation(none, np.zeros(0)), np.zeros(2 + self.m)
        )
        tol = 1e-10 * self.grad_scale
        for _ in range(2 * self.K + 5):
            if fit.idx.size >= self.K:
                break
            _, dl, ds = self.prices(fit)
            best = np.minimum(dl, ds)
            best[fit.idx] = np.inf
            j = int(np.argmin(best))
            if not np.isfinite(best[j]) or (fit.viol <= self.feas_tol and best[j] >= -tol):
                break
            new = self.fit(np.append(fit.idx, j))
            if new.idx.size <= fit.idx.size and not self.better(new, fit):
                break
            fit = new
        return fit

    def local_search(self, fit: _LSFit, pool: np.ndarray, width: int) -> tuple[_LSFit, bool]:
        """Swap search: a name of the support for one outside it, while that helps.

        Swaps are ranked by the change of the Lagrangian when name ``i``'s signed weight
        moves to ``j`` with the other weights fixed (net and gross unchanged),
        ``w_i (d_j - d_i) + w_i^2 (S_ii + S_jj - 2 S_ij + 2 ridge)``, joined by every
        swap with the outsiders whose reduced cost on either side is lowest (a name the
        hedge would hold on the other side); the ``width`` best are refitted and the best
        improvement kept. When none improves, every swap with ``pool`` (the relaxation's
        names) is refitted (first improvement). Returns the fit and whether the search
        ran to its end (False on the time limit).
        """
        tol = 1e-10 * self.grad_scale
        for _ in range(60):
            if time.perf_counter() > self.deadline:
                return fit, False
            supp, k = fit.idx, fit.idx.size
            d, dl, ds = self.prices(fit)
            enter = np.minimum(dl, ds)
            enter[supp] = np.inf
            if k < self.K:
                improved = False
                for j in np.argsort(enter)[:3]:
                    if not np.isfinite(enter[j]) or enter[j] >= -tol:
                        break
                    new = self.fit(np.append(supp, j))
                    if self.better(new, fit):
                        fit, improved = new, True
                        break
                if improved:
                    continue
            if k == 0:
                break
            w = fit.w
            E = w[:, None] * (d[None, :] - d[supp][:, None]) + (w**2)[:, None] * (
                self.diag[supp][:, None] + self.diag[None, :] - 2.0 * self.S[supp]
            )
            E[:, supp] = np.inf
            flat = E.ravel()
            m = min(width, flat.size)
            order = np.argpartition(flat, m - 1)[:m]
            # the outsiders best priced on either side, against every name of the support
            top = np.argsort(enter)[:3]
            top = top[np.isfinite(enter[top])]
            extra = (np.arange(k)[:, None] * self.n + top[None, :]).ravel()
            order = np.unique(np.concatenate([order, extra]))
            order = order[np.isfinite(flat[order])]
            order = order[np.argsort(flat[order], kind="stable")]
            best = self._try(fit, order, first=False)
            if best is None:
                cols = pool[~np.isin(pool, supp)]
                sub = (np.arange(k)[:, None] * self.n + cols[None, :]).ravel()
                sub = sub[~np.isin(sub, order)]
                sub = sub[np.argsort(flat[sub], kind="stable")]
                best = self._try(fit, sub, first=True)
            if best is None:
                break
            fit = best
        return fit, True

    def _try(self, fit: _LSFit, order: np.ndarray, *, first: bool) -> _LSFit | None:
        """Refit the swaps ``order`` (flat positions ``i * n + j``); the best improvement
        (the first with ``first``). A swap whose lower bound cannot beat the reference is
        skipped without its QP."""
        best: _LSFit | None = None
        bounds = None
        if self.bounder is not None and fit.viol <= self.feas_tol:
            b = self.bounder.swap_bounds(_Fit(fit.idx, fit.w, fit.obj, 0.0, fit.lam))
            bounds = None if b is None else b.ravel()
        margin = 1e-9 * self.obj_scale
        for count, pos in enumerate(order):
            if bounds is not None and bounds[pos] > (fit if best is None else best).obj + margin:
                continue
            i, j = divmod(int(pos), self.n)
            trial = fit.idx.copy()
            trial[i] = j
            new = self.fit(trial)
            if self.better(new, fit if best is None else best):
                best = new
                if first:
                    break
            if count % 32 == 31 and time.perf_counter() > self.deadline:
                break
        return best


def long_short_bound(eng: _LSEngine, fit: _LSFit) -> float:
    """A proven lower bound on the objective of every feasible long/short hedge.

    Notes
    -----
    Every feasible ``w`` lies in ``X = {|w_i| <= ub_i, sum |w_i| <= G}`` and meets the net
    and general rows. With ``g`` the gradient of the convex objective ``q`` at ``w0``,
    ``q(w) >= q(w0) + g'(w - w0)``; the rows enter with multipliers ``a, b >= 0`` of
    their upper and lower sides (the QP's duals), whose term is ``<= 0`` on the feasible
    set. So (weak duality)

    .. math::

        q(w) \\ge q(w_0) - g^T w_0 - a^T hi + b^T lo + \\min_{v \\in X} h^T v,
        \\qquad h = g + A^T (a - b),

    and the minimum is a fractional knapsack: ``-sum |h_i| t_i`` with the caps ``t_i``
    filled in order of ``|h_i|`` until the gross ``G`` is spent. It holds whatever the QP's
    accuracy and equals the relaxation's optimum at it.
    """
    if fit.idx.size == 0:
        return -math.inf
    idx, w = fit.idx, fit.w
    g = eng.gradient(fit)
    value = eng.objective(idx, w) - float(g[idx] @ w)
    rows = [np.ones(eng.n)]
    lo, hi = [eng.net_lo], [eng.net_hi]
    lam = [float(fit.lam[0])]
    if eng.m:
        rows.extend(eng.M)
        lo.extend(eng.lo)
        hi.extend(eng.hi)
        lam.extend(np.asarray(fit.lam[2:], dtype="float64"))
    A = np.vstack(rows)
    lo_a, hi_a, lam_a = np.asarray(lo), np.asarray(hi), np.asarray(lam)
    above = np.where(np.isfinite(hi_a), np.maximum(lam_a, 0.0), 0.0)
    below = np.where(np.isfinite(lo_a), np.maximum(-lam_a, 0.0), 0.0)
    value -= float(above @ np.where(above > 0, hi_a, 0.0))
    value += float(below @ np.where(below > 0, lo_a, 0.0))
    h = np.abs(g + (above - below) @ A)
    order = np.argsort(-h, kind="stable")
    caps = eng.ub[order]
    take = np.clip(eng.gross - (np.cumsum(caps) - caps), 0.0, caps)
    value -= float(h[order] @ take)
    return value if math.isfinite(value) else -math.inf


def _long_only_seed(p: TrackingProblem, deadline: float) -> np.ndarray | None:
    """The support of the long-only hedge of the same problem (all weights on one side,
    summing to the net bound nearest the budget), or None when it has none: its weights
    are feasible here, so the long/short search starting from it never ends worse."""
    from hedgekit.optimize._solve import solve_tracking

    lo, hi, gross = p.net_bounds()
    budget = min(max(float(p.budget), lo), hi)
    if budget <= 0 or budget > gross:
        return None
    plain = dataclasses.replace(
        p, long_short=False, max_gross=None, net_lower=None, net_upper=None, budget=budget
    )
    left = deadline - time.perf_counter()
    if left < 0.5:  # a seed needs its relaxation and one start: no time left for it
        return None
    try:
        sol = solve_tracking(plain, time_limit=None if math.isinf(left) else left)
    except InfeasibleError:
        return None
    return sol.support


def solve_long_short(
    problem: TrackingProblem,
    *,
    method: TrackingMethod | str = TrackingMethod.FAST,
    seed: int = 0,
    starts: int | None = None,
    time_limit: float | None = None,
) -> TrackingSolution:
    """Solve a long/short tracking problem (``problem.long_short``); called by
    :func:`~hedgekit.optimize.solve_tracking`, which validates the problem first.

    Parameters
    ----------
    problem : TrackingProblem
        With ``long_short=True``.
    method : {'fast', 'exhaustive', 'relaxation'}
        ``'relaxation'``: the continuous relaxation only (no cardinality);
        ``'exhaustive'``: ``'fast'`` plus ``starts`` random supports (default 16).
    seed, starts, time_limit
        As :func:`~hedgekit.optimize.solve_tracking`.

    Returns
    -------
    TrackingSolution
        Signed weights (positive: the hedge's usual side), with the relaxation's
        certificate (``lower_bound``, ``gap``).

    Raises
    ------
    InfeasibleError
        No weights meet the net, gross, caps and rows; the message names them.

    Notes
    -----
    1. *Relaxation*: the QP without cardinality by column generation over the split
       variables (each candidate priced on both sides); its optimum is the certificate's
       lower bound (:func:`long_short_bound`). If it holds at most ``max_names`` names it
       is the answer (status ``'optimal'``).
    2. *Starts*: the ``max_names`` largest ``|w|`` of the relaxation, a greedy forward
       selection and the support of the long-only hedge of the same problem (when it has
       one). That hedge is feasible for the long/short problem, so the answer's objective
       is never above the long-only one: long/short is a relaxation of long-only.
    3. *Swap search* from each start (:meth:`_LSEngine.local_search`); the best is kept.
    """
    t0 = time.perf_counter()
    method = TrackingMethod(method)
    deadline = math.inf if time_limit is None else t0 + time_limit
    eng = _LSEngine(problem, deadline)
    if eng.n == 0:
        raise InfeasibleError("no hedge candidates; widen the universe or relax the exclusions")
    lo, hi = eng.net_lo, eng.net_hi
    need = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
    reach = float(np.sort(eng.ub)[::-1][: eng.K].sum())
    if reach < need * (1 - 1e-9):
        raise InfeasibleError(
            f"the {eng.K} largest weight caps add to {100 * reach:.4g}%, below the net "
            f"{100 * need:.4g}% the long/short hedge must reach; raise max_weight or "
            "max_adv_percentage, max_names, or lower the net bounds"
        )
    relax = eng.relax()
    if relax.viol > eng.feas_tol:
        raise InfeasibleError(
            "no long/short hedge meets the net bounds "
            f"[{100 * lo:.4g}%, {100 * hi:.4g}%], the gross bound {100 * eng.gross:.4g}%, "
            "the weight caps and the rows ("
            + ", ".join(eng.row_names[:5])
            + ") together, even without max_names; relax the group, return-deviation or "
            "factor bounds, or widen the net bounds"
        )
    bound = long_short_bound(eng, relax)
    status = "optimal"
    best = relax
    if method is not TrackingMethod.RELAXATION and relax.idx.size > eng.K:
        status = "local_optimum"
        top = relax.idx[np.argsort(-np.abs(relax.w), kind="stable")[: eng.K]]
        starts_: list[np.ndarray] = [top]
        lo_supp = _long_only_seed(problem, deadline)
        if lo_supp is not None and lo_supp.size:
            starts_.append(lo_supp)
        fits = [eng.fit(s) for s in starts_] + [eng.greedy()]
        n_random = (16 if method is TrackingMethod.EXHAUSTIVE else 0) if starts is None else starts
        rng = np.random.default_rng(seed)
        for _ in range(n_random):
            fits.append(eng.fit(np.asarray(rng.choice(eng.n, size=eng.K, replace=False))))
        width = 2 * eng.K + 10
        tried: set[bytes] = set()
        found: _LSFit | None = None
        for start in fits:
            key = np.sort(start.idx).tobytes()
            if key in tried:
                continue
            tried.add(key)
            out, done = eng.local_search(start, relax.idx, width)
            if not done:
                status = "time_limit"
            if found is None or eng.better(out, found):
                found = out
            if time.perf_counter() > deadline:
                status = "time_limit"
                break
        assert found is not None
        best = found
        if best.viol > eng.feas_tol:
            raise InfeasibleError(
                f"no long/short hedge of at most max_names={eng.K} names meets the net "
                f"bounds [{100 * lo:.4g}%, {100 * hi:.4g}%], the gross bound "
                f"{100 * eng.gross:.4g}%, the caps and the rows; raise max_names or "
                "relax those bounds"
            )
    w = np.zeros(eng.n)
    w[best.idx] = best.w
    w[np.abs(w) <= eng.zero] = 0.0
    support = np.flatnonzero(w)
    ws = w[support]
    objective = eng.objective(support, ws)
    Q = eng.S.take(support, 0).take(support, 1)
    te_var = float(ws @ Q @ ws - 2.0 * eng.c[support] @ ws + problem.target_variance)
    bound = min(bound, objective)
    return TrackingSolution(
        weights=w,
        objective=objective,
        tracking_variance=te_var,
        support=support,
        status=status,
        seconds=time.perf_counter() - t0,
        evaluations=eng.evaluations,
        method=method.value,
        lower_bound=bound,
        gap=relative_gap(objective, bound, float(problem.target_variance)),
    )
