"""The search behind :func:`~hedgekit.optimize.solve_tracking`.

:class:`_Engine` holds the prepared arrays and the building blocks: the exact QP on a
support (``daqp``, elastic when infeasible) with the log-penalty reweighting and the
minimum weights, the continuous relaxation by column generation, the greedy start and
the swap local search with its closed-form lower bounds. :func:`_search` runs the
starting supports through the swap search and keeps the best.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from hedgekit._errors import OptimizationError
from hedgekit.optimize._problem import TrackingProblem
from hedgekit.optimize._solution import TrackingMethod

#: fraction of the budget that sets the scale of the log penalty: ``eps = 0.01 * budget``
_EPS_FRACTION = 0.01
#: tiny ridge added to every QP Hessian, relative to the mean variance, so it is definite
_TINY_RIDGE = 1e-10
#: weights at or below this fraction of the budget count as zero
_ZERO = 1e-12
#: largest working-set step of the relaxation (its first set is twice this)
_WORK_CAP = 100
#: supports above this size get their swap bounds by the rank-one downdate
_DOWNDATE_K = 20
#: with min_names, a held name without a minimum weight weighs at least this fraction of
#: the budget (at most half the budget over min_names), so that it counts as held
_NAMES_FLOOR = 1e-3


@dataclass(slots=True)
class _Fit:
    """Solution of the QP restricted to the columns ``idx``."""

    idx: np.ndarray  # candidate indices, ascending
    w: np.ndarray  # weights on idx
    obj: float  # true objective (with the log penalty)
    viol: float  # largest constraint violation (0 when feasible)
    lam: np.ndarray  # duals of (budget, rows...) in daqp's sign convention


class _Engine:
    """Prepared arrays and the building blocks of the search."""

    def __init__(self, p: TrackingProblem, deadline: float) -> None:
        self.p = p
        self.S = np.ascontiguousarray(p.covariance, dtype="float64")
        self.c = np.asarray(p.cross, dtype="float64")
        n = self.n = self.c.shape[0]
        self.budget = float(p.budget)
        upper = self.budget if p.upper is None else p.upper
        self.ub = np.minimum(np.broadcast_to(np.asarray(upper, dtype="float64"), (n,)), self.budget)
        self.mw = np.broadcast_to(np.asarray(p.min_weight, dtype="float64"), (n,)).copy()
        self.has_min = bool((self.mw > 0).any())
        self.K = n if p.max_names is None else min(int(p.max_names), n)
        #: at least this many names (0: no floor); each held name weighs >= floor
        self.min_names = 0 if p.min_names is None else int(p.min_names)
        small = min(_NAMES_FLOOR, 0.5 / max(self.min_names, 1)) * self.budget
        self.floor = np.minimum(np.maximum(self.mw, small), self.ub)
        self.ridge = float(p.ridge)
        self.lasso = float(p.lasso)
        self.eps = _EPS_FRACTION * self.budget
        diag = np.diag(self.S)
        self.diag = diag + self.ridge
        mean_var = float(diag.mean()) if n else 1.0
        self.tiny = _TINY_RIDGE * max(mean_var, 1e-300)
        self.obj_scale = float(p.target_variance) + mean_var * self.budget**2 + 1e-300
        grad_scale = 2 * (
            float(diag.max(initial=0.0)) * self.budget + float(np.abs(self.c).max(initial=0.0))
        )
        grad_scale += 2 * self.ridge * self.budget + self.lasso / self.eps
        self.grad_scale = max(grad_scale, 1e-300)
        self.rho = 1e4 * self.grad_scale  # exact-penalty weight of the elastic QP
        self.zero = _ZERO * self.budget
        self.feas_tol = 1e-7 * self.budget
        # general rows: groups then A_ub, as lo <= M w <= hi
        M, lo, hi, names = p.linear_rows()
        # presolve: a row that no weights in [0, caps] summing to the budget can violate
        # (a disabled return band, a group bound wider than the budget) is dropped
        top = np.max(M, axis=1, initial=-math.inf) * self.budget
        bottom = np.min(M, axis=1, initial=math.inf) * self.budget
        margin = 1e-9 * self.budget * (1.0 + np.max(np.abs(M), axis=1, initial=0.0))
        live = (top > hi + margin) | (bottom < lo - margin)
        self.M = M[live]
        self.lo = lo[live]
        self.hi = hi[live]
        self.row_names = [name for name, keep in zip(names, live, strict=True) if keep]
        self.m = int(self.M.shape[0])
        self.evaluations = 0
        self.deadline = deadline
        self._ones_cache: dict[int, np.ndarray] = {}
        self._loo_cache: dict[int, np.ndarray] = {}
        self._shift = 2.0 * (self.ridge + self.tiny)  # on the QP Hessian's diagonal
        self._budget_row = np.array([self.budget])
        # smallest log penalty of weights summing to the budget under the caps (it is
        # concave, so the minimum fills the largest caps first): a floor for swap_bounds
        caps = np.sort(self.ub)[::-1]
        filled = np.minimum(caps, np.maximum(self.budget - (np.cumsum(caps) - caps), 0.0))
        self.penalty_floor = float(np.log1p(filled / self.eps).sum()) if n else 0.0
        #: stop reweighting when no weight moves more than this (tightened for the answer)
        self.mm_tol = 1e-6 * self.budget
        #: settings of every QP (daqp's default dual tolerance, 1e-6, is loose next to
        #: gradients of order 1e-4: the relaxation behind the certificate tightens it)
        self.qp_options: dict[str, float] = {"primal_tol": 1e-10}
        self.accurate_options: dict[str, float] = {
            "primal_tol": 1e-10,
            "dual_tol": 1e-12 * self.grad_scale,
        }
        #: the working set of the last relaxation (its columns generated so far)
        self.relax_work: set[int] = set()
        #: the relaxation solved again accurately for the certificate (when it was)
        self.polished: _Fit | None = None
        #: a feasible fit at or below this objective ends the search (see solve_tracking)
        self.stop_below = -math.inf
        import daqp  # a core dependency (pyproject), loaded with the first solve

        self._daqp = daqp

    # -------------------------------------------------------------- QPs
    def objective(self, idx: np.ndarray, w: np.ndarray, Q: np.ndarray | None = None) -> float:
        if Q is None:
            Q = self.S.take(idx, 0).take(idx, 1)
        val = float(w @ Q @ w - 2.0 * self.c[idx] @ w + self.ridge * (w @ w))
        if self.lasso:
            val += self.lasso * float(np.log1p(np.maximum(w, 0.0) / self.eps).sum())
        return val

    def _leave_one_out(self, k: int) -> np.ndarray:
        """Positions ``0..k-1`` without each one in turn, shape ``(k, k-1)`` (cached)."""
        pos = self._loo_cache.get(k)
        if pos is None:
            full = np.arange(k)
            pos = self._loo_cache[k] = np.array(
                [np.delete(full, i) for i in range(k)], dtype=int
            ).reshape(k, k - 1)
        return pos

    def _ones(self, k: int) -> np.ndarray:
        """The budget row for ``k`` columns (cached: the solver reads it only)."""
        row = self._ones_cache.get(k)
        if row is None:
            row = self._ones_cache[k] = np.ones((1, k))
        return row

    def violation(self, idx: np.ndarray, w: np.ndarray) -> float:
        v = abs(float(w.sum()) - self.budget)
        if self.m:
            a = self.M[:, idx] @ w
            v = max(
                v, float(np.max(self.lo - a, initial=0.0)), float(np.max(a - self.hi, initial=0.0))
            )
        return v

    def qp(self, idx: np.ndarray, lb: np.ndarray, lin: np.ndarray | None) -> _Fit:
        """Exact QP over the columns ``idx`` with every linear constraint (elastic if needed)."""
        self.evaluations += 1
        k = idx.shape[0]
        Q = self.S.take(idx, 0).take(idx, 1)
        H = 2.0 * Q
        H.ravel()[:: k + 1] += self._shift
        f = -2.0 * self.c.take(idx)
        if lin is not None:
            f += lin
        ub = self.ub.take(idx)
        if self.m:
            Mk = self.M[:, idx]
            nonzero = np.any(Mk != 0.0, axis=1)
            used = np.flatnonzero(nonzero)
            # a row without members in idx reads 0: fine only if 0 is within its bounds
            empty_ok = bool(np.all(nonzero | ((self.lo <= 0.0) & (self.hi >= 0.0))))
            A = np.vstack([np.ones((1, k)), Mk[used]])
            bu = np.concatenate([ub, [self.budget], self.hi[used]])
            bl = np.concatenate([lb, [self.budget], self.lo[used]])
        else:
            used = np.zeros(0, dtype=int)
            empty_ok = True
            A = self._ones(k)
            bu = np.concatenate((ub, self._budget_row))
            bl = np.concatenate((lb, self._budget_row))
        if empty_ok and (lb <= ub).all() and float(ub.sum()) >= self.budget - self.feas_tol:
            sense = np.zeros(k + A.shape[0], dtype=np.int32)
            sense[k] = 5
            x, fval, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, **self.qp_options)
            if flag >= 1:
                x = np.minimum(np.maximum(x, lb), ub)
                lam = np.zeros(1 + self.m)
                lam[0] = info["lam"][k]
                if self.m:
                    lam[1 + used] = info["lam"][k + 1 :]
                # fval = x'(S + ridge + tiny)x - 2c'x + lin'x; the true objective from it
                obj = float(fval) - self.tiny * float(x @ x)
                if lin is not None:
                    obj -= float(lin @ x)
                if self.lasso:
                    obj += self.lasso * float(np.log1p(x / self.eps).sum())
                viol = self.violation(idx, x) if self.m else abs(float(x.sum()) - self.budget)
                return _Fit(idx, x, obj, viol, lam)
        return self._elastic(idx, lb, H, f, Q)

    def _elastic(
        self, idx: np.ndarray, lb: np.ndarray, H: np.ndarray, f: np.ndarray, Q: np.ndarray
    ) -> _Fit:
        """QP whose rows may be violated at a linear price ``rho`` per unit (exact penalty)."""
        k = idx.shape[0]
        r = 1 + self.m
        A = np.vstack([np.ones((1, k)), self.M[:, idx]]) if self.m else np.ones((1, k))
        Ael = np.hstack([A, np.eye(r), -np.eye(r)])
        nv = k + 2 * r
        Hel = np.zeros((nv, nv))
        Hel[:k, :k] = H
        Hel[np.arange(k, nv), np.arange(k, nv)] = 1e-6 * self.rho / max(self.budget, 1e-300)
        fel = np.concatenate([f, np.full(2 * r, self.rho)])
        ub = self.ub[idx]
        lo_rows = np.concatenate([[self.budget], self.lo])
        hi_rows = np.concatenate([[self.budget], self.hi])
        bu = np.concatenate([np.maximum(ub, lb), np.full(2 * r, np.inf), hi_rows])
        bl = np.concatenate([lb, np.zeros(2 * r), lo_rows])
        sense = np.zeros(nv + r, dtype=np.int32)
        x, _, flag, info = self._daqp.solve(Hel, fel, Ael, bu, bl, sense, **self.qp_options)
        if flag < 1:
            raise OptimizationError(
                f"the QP solver failed (daqp exit flag {flag}) on a {k}-name support; "
                "check the inputs for extreme values or rescale the returns"
            )
        w = np.clip(x[:k], lb, np.maximum(ub, lb))
        lam = np.asarray(info["lam"][nv:], dtype="float64").copy()
        return _Fit(idx, w, self.objective(idx, w, Q), self.violation(idx, w), lam)

    def convex_fit(self, idx: np.ndarray, lb: np.ndarray, start: np.ndarray | None = None) -> _Fit:
        """QP fit on ``idx``; with ``lasso > 0``, iteratively reweighted (see Notes) from the
        lasso-free fit, or from the weights ``start`` (length ``n``) when given."""
        lin0 = None if start is None or not self.lasso else self.lasso / (self.eps + start[idx])
        fit = self.qp(idx, lb, lin0)
        if not self.lasso:
            return fit
        for _ in range(100):
            lin = self.lasso / (self.eps + fit.w)
            new = self.qp(idx, lb, lin)
            done = float(np.max(np.abs(new.w - fit.w), initial=0.0)) <= self.mm_tol
            if new.viol <= fit.viol + self.feas_tol and new.obj <= fit.obj + 1e-14 * self.obj_scale:
                fit = new
            else:
                break
            if done:
                break
        return fit

    def fit_support(self, idx: np.ndarray, start: np.ndarray | None = None) -> _Fit:
        """Best fit on (a subset of) ``idx`` honouring the semi-continuous minimum weights;
        ``start`` (length ``n``) warm-starts the lasso reweighting."""
        idx = np.sort(idx)  # callers pass distinct indices
        best = self._fit_support(idx, start)
        if best.idx.size < min(self.min_names, idx.size):
            # too few names held: every name of idx at least at its floor
            best = self._compact(self.convex_fit(idx, self.floor[idx], start))
        return best

    def _fit_support(self, idx: np.ndarray, start: np.ndarray | None) -> _Fit:
        zeros = np.zeros(idx.shape[0])
        fit = self.convex_fit(idx, zeros, start)
        if not self.has_min:
            return self._compact(fit)
        # chain A: drop the names below their minimum weight, refit, repeat
        cur = fit
        for _ in range(idx.shape[0]):
            bad = (cur.w > self.zero) & (cur.w < self.mw[cur.idx] - self.feas_tol)
            if not bad.any():
                break
            keep = cur.idx[~bad]
            if keep.size == 0:
                cur = self._empty()
                break
            cur = self.convex_fit(keep, np.zeros(keep.shape[0]))
        best = self._compact(cur)
        # chain B: force the names below their minimum weight up to it, refit, repeat
        cur = fit
        lb = zeros.copy()
        for _ in range(idx.shape[0]):
            bad = (cur.w > self.zero) & (cur.w < self.mw[idx] - self.feas_tol)
            if not bad.any():
                break
            lb[bad] = self.mw[idx][bad]
            cur = self.convex_fit(idx, lb)
        bad = (cur.w > self.zero) & (cur.w < self.mw[cur.idx] - self.feas_tol)
        if not bad.any():
            cand = self._compact(cur)
            if self.better(cand, best):
                best = cand
        return best

    def _compact(self, fit: _Fit) -> _Fit:
        keep = fit.w > self.zero
        if keep.all():
            return fit
        return _Fit(fit.idx[keep], fit.w[keep], fit.obj, fit.viol, fit.lam)

    def _empty(self) -> _Fit:
        idx = np.zeros(0, dtype=int)
        w = np.zeros(0)
        return _Fit(idx, w, 0.0, self.violation(idx, w), np.zeros(1 + self.m))

    # -------------------------------------------------------------- search helpers
    def better(self, a: _Fit, b: _Fit) -> bool:
        """Lexicographic order: feasible first, then smaller violation or objective."""
        short_a = max(self.min_names - a.idx.size, 0)
        short_b = max(self.min_names - b.idx.size, 0)
        fa = a.viol <= self.feas_tol and not short_a
        fb = b.viol <= self.feas_tol and not short_b
        if fa != fb:
            return fa
        if not fa:
            if short_a != short_b:  # too few names ranks after any violation of the rows
                return short_a < short_b
            return a.viol < b.viol * (1 - 1e-9) - 1e-15
        return a.obj < b.obj - 1e-12 * self.obj_scale

    def reduced_costs(self, fit: _Fit, lin: np.ndarray | None = None) -> np.ndarray:
        """Gradient of the Lagrangian for every candidate: adding ``j`` helps if < 0."""
        g = 2.0 * (fit.w @ self.S[fit.idx] - self.c) if fit.idx.size else -2.0 * self.c
        if fit.idx.size:
            g[fit.idx] += 2.0 * self.ridge * fit.w
        if lin is not None:
            g += lin
        elif self.lasso:
            wf = np.zeros(self.n)
            wf[fit.idx] = fit.w
            g += self.lasso / (self.eps + wf)
        g += fit.lam[0]
        if self.m:
            g += fit.lam[1:] @ self.M
        return g

    def relax(self, *, accurate: bool = False, work: set[int] | None = None) -> _Fit:
        """Continuous relaxation (no cardinality, no minimum weights) by column generation.

        Solve the QP on a working set, price every other candidate with its reduced cost,
        add the most negative ones, repeat until none is negative (the KKT conditions of
        the full problem hold). The working set starts from the candidates most
        correlated with the target (``2 min(max_names, 100)`` of them, at least 30) and
        grows by ``min(max_names, 100)`` at a time (at least 10), so a problem without
        ``max_names`` never solves the QP on every candidate at once. ``accurate`` solves
        every QP to a tight dual tolerance (for the certificate); ``work`` starts from
        that working set instead. The final working set is kept in ``relax_work``.
        """
        n, K = self.n, min(self.K, _WORK_CAP)
        if work is None:
            size = min(n, max(2 * K, 30))
            order = np.argsort(-self.c)
            work = set(order[:size].tolist())
            caps = np.cumsum(self.ub[order])
            work |= set(order[: int(np.searchsorted(caps, self.budget)) + 1].tolist())
            for g in self.p.groups:
                if g.lower > 0:
                    mem = np.asarray(g.members, dtype=int)
                    mem = mem[np.argsort(-self.c[mem])]
                    need = int(np.searchsorted(np.cumsum(self.ub[mem]), g.lower)) + 1
                    work |= set(mem[: max(need, 3)].tolist())
        else:
            work = set(work)
        tol = 1e-10 * self.grad_scale
        saved = self.qp_options
        if accurate:
            self.qp_options = self.accurate_options
        # linearised log penalty; at w = 0 it is a constant under the budget: drop it
        lin_full: np.ndarray | None = np.zeros(n) if self.lasso else None
        fit: _Fit | None = None
        try:
            for step in range(30 if self.lasso else 1):  # reweighting steps
                for _ in range(200):  # column generation
                    idx = np.fromiter(sorted(work), dtype=int)
                    lin = None if lin_full is None or step == 0 else lin_full[idx]
                    fit = self.qp(idx, np.zeros(idx.shape[0]), lin)
                    d = self.reduced_costs(fit, lin_full)
                    d[idx] = np.inf
                    new = np.flatnonzero(d < -tol)
                    if new.size == 0:
                        break
                    take = new[np.argsort(d[new])[: max(10, K)]]
                    if self.K > _DOWNDATE_K:
                        # large problems keep the QP small: the columns the last QP left
                        # at zero leave the working set (the objective still decreases)
                        work = set(fit.idx[fit.w > self.zero].tolist())
                    work |= set(take.tolist())
                assert fit is not None
                if not self.lasso:
                    break
                wf = np.zeros(n)
                wf[fit.idx] = fit.w
                new_lin = self.lasso / (self.eps + wf)
                assert lin_full is not None
                if (
                    step
                    and float(np.max(np.abs(new_lin - lin_full))) <= 1e-9 * self.lasso / self.eps
                ):
                    break
                lin_full = new_lin
        finally:
            self.qp_options = saved
        assert fit is not None
        self.relax_work = work
        return self._compact(fit)

    def greedy(self) -> _Fit:
        """Forward selection: add the candidate with the most negative reduced cost, refit.

        While the support cannot meet the budget or a group's lower bound, the elastic QP
        prices the violated rows at ``rho``, so the members of unmet groups come first.
        """
        fit = self._empty()
        tol = 1e-10 * self.grad_scale
        for _ in range(3 * self.K + 5):
            supp = fit.idx
            if supp.size >= self.K:
                break
            d = self.reduced_costs(fit)
            d[supp] = np.inf
            j = int(np.argmin(d))
            if not np.isfinite(d[j]) or (
                fit.viol <= self.feas_tol and d[j] >= -tol and supp.size >= self.min_names
            ):
                break
            new = self.fit_support(np.append(supp, j))
            if new.idx.size <= supp.size and not self.better(new, fit):
                break
            fit = new
        return fit

    def local_search(
        self, fit: _Fit, *, full: bool, width: int, pool: np.ndarray | None = None
    ) -> tuple[_Fit, bool]:
        """Swap search: replace one name of the support by one outside it while that helps.

        ``full=False`` refits the ``width`` most promising swaps per pass, ranked by the
        change of the Lagrangian when the name's whole weight moves to the newcomer and
        the other weights stay (exact for the quadratic part, rows priced at their duals),
        and takes the best; ``full=True`` refits swaps in that order until one improves, and stops
        only after a pass over every (inside, outside) pair finds none. Returns the fit
        and whether the search ran to its end (False on the time limit).
        """
        tol = 1e-10 * self.grad_scale
        max_passes = 200 if full else 60
        for _ in range(max_passes):
            if time.perf_counter() > self.deadline:
                return fit, False
            if fit.obj <= self.stop_below and fit.viol <= self.feas_tol:
                return fit, True  # the certificate proves it close enough to the optimum
            supp = fit.idx
            k = supp.size
            d = self.reduced_costs(fit)
            # additions while there is room
            if k < self.K:
                dd = d.copy()
                dd[supp] = np.inf
                cand = np.argsort(dd)[: (self.n if full else (10 if self.lasso else 3))]
                improved = False
                for j in cand:
                    # (with the lasso the refit starts from the current weights, so a name
                    # whose reduced cost is not negative would stay at zero)
                    if not np.isfinite(dd[j]) or (dd[j] >= -tol and not full):
                        break
                    start = None
                    if self.lasso and not full:
                        start = np.zeros(self.n)
                        start[supp] = fit.w
                    new = self.fit_support(np.append(supp, j), start)
                    if self.better(new, fit):
                        fit, improved = new, True
                        break
                if improved:
                    continue
            if k == 0:
                break
            w = fit.w
            if self.lasso:
                # moving all of w_i to j leaves P(w) unchanged: price without the penalty
                d = self.reduced_costs(fit, np.zeros(self.n))
            # change of moving w_i from i to j, the rest fixed (first and second order)
            E = w[:, None] * (d[None, :] - d[supp][:, None]) + (w**2)[:, None] * (
                self.diag[supp][:, None] + self.diag[None, :] - 2.0 * self.S[supp]
            )
            E[:, supp] = np.inf
            flat = E.ravel()
            if full:
                order = np.argsort(flat, kind="stable")
                order = order[np.isfinite(flat[order])]
            else:
                m = min(width, flat.size)
                order = np.argpartition(flat, m - 1)[:m]
                order = order[np.argsort(flat[order])]
                order = order[np.isfinite(flat[order])]
            cols = None
            if k > _DOWNDATE_K:  # bounds only where the search may look
                cols = np.unique(order % self.n)
                if pool is not None:
                    cols = np.union1d(cols, pool)
            bounds = self.swap_bounds(fit) if cols is None else self.swap_bounds(fit, cols)
            best = self._try_swaps(fit, order, bounds, first=full)
            if best is None and not full and pool is not None:
                # second chance: every swap with the pool (the relaxation's names)
                cols = pool[~np.isin(pool, supp)]
                sub = (np.arange(k)[:, None] * self.n + cols[None, :]).ravel()
                sub = sub[np.argsort(flat[sub], kind="stable")]
                sub = sub[~np.isin(sub, order)]
                best = self._try_swaps(fit, sub, bounds, first=True)
            if best is None:
                break
            fit = best
            if time.perf_counter() > self.deadline:
                return fit, False
        return fit, True

    def swap_bounds(self, fit: _Fit, cols: np.ndarray | None = None) -> np.ndarray | None:
        """Lower bounds on the objective after each swap, shape ``(k, n)`` (or None).

        Entry ``(i, j)`` bounds the refit objective of the support with its ``i``-th name
        replaced by candidate ``j`` from below: the quadratic part minimised under the
        budget alone (no bounds, rows or minimum weights: a relaxation, so never above the
        refit), in closed form, plus the smallest value the log penalty takes on weights
        that sum to the budget under the caps. A swap whose bound is not below the best
        objective so far cannot improve, so the search skips its QP and finds the same
        answer. None when the fit is infeasible (ranked by violation, not objective).
        With ``cols`` and a support above ``_DOWNDATE_K`` names, only those candidates'
        columns are computed; the others read ``-inf`` (never skipped).

        Notes
        -----
        For a support with matrix ``Q = S + ridge I`` and cross ``c``, the minimum of
        ``w'Qw - 2c'w`` subject to ``1'w = B`` is ``-c'Q^{-1}c + (1'Q^{-1}c - B)^2 /
        1'Q^{-1}1``. With ``P`` the inverse over the support without name ``i``, adding
        candidate ``j`` (column ``q_j``) updates each ``x'Q^{-1}y`` by
        ``(x_j - q_j'Px)(y_j - q_j'Py) / s_j`` with the Schur complement
        ``s_j = S_jj + ridge - q_j'Pq_j``.
        """
        if fit.viol > self.feas_tol or fit.idx.size == 0:
            return None
        supp = fit.idx
        k, n = supp.size, self.n
        if k > _DOWNDATE_K:
            return self._swap_bounds_downdate(supp, cols)
        rest = supp[self._leave_one_out(k)]  # (k, k-1): the support without each name
        q = self.S[rest]  # (k, k-1, n): covariances of the kept names with everyone
        c_r = self.c[rest]
        if k > 1:
            Qr = self.S[rest[:, :, None], rest[:, None, :]] + self.ridge * np.eye(k - 1)
            try:
                P = np.linalg.inv(Qr)
            except np.linalg.LinAlgError:
                return None
            Pc = np.einsum("kab,kb->ka", P, c_r)
            P1 = P.sum(axis=2)
            base_cc = np.einsum("ka,ka->k", c_r, Pc)
            base_c1 = Pc.sum(axis=1)
            base_11 = P1.sum(axis=1)
            G = np.matmul(P, q)  # (k, k-1, n)
            s_j = self.diag[None, :] - np.einsum("kan,kan->kn", q, G)
            u_c = self.c[None, :] - np.einsum("ka,kan->kn", Pc, q)
            u_1 = 1.0 - np.einsum("ka,kan->kn", P1, q)
        else:
            base_cc = base_c1 = base_11 = np.zeros(1)
            s_j = self.diag[None, :].copy()
            u_c = self.c[None, :].copy()
            u_1 = np.ones((1, n))
        return self._bound_from_parts(base_cc, base_c1, base_11, s_j, u_c, u_1, self.diag)

    def _swap_bounds_downdate(
        self, supp: np.ndarray, cols: np.ndarray | None = None
    ) -> np.ndarray | None:
        """:meth:`swap_bounds` for a large support from one inverse, in ``O(k^2 n)``.

        The inverse over the support without name ``i`` is never formed: for vectors
        ``x, y`` over the support and ``Z`` the inverse of the whole support's matrix,
        ``x_R' Z_R^{-1} y_R = x'Zy - (Zx)_i (Zy)_i / Z_ii`` (``R`` the support without
        ``i``; the Schur complement). So each leave-one-out product is a correction of a
        full-support product, and ``q_j' P q_j = q_j'Zq_j - (Zq_j)_i^2 / Z_ii``. None
        (no pruning) when the support's matrix is too ill-conditioned for the identity.
        """
        k = supp.size
        Q = self.S[np.ix_(supp, supp)]
        Q.ravel()[:: k + 1] += self.ridge
        try:
            L = np.linalg.cholesky(Q)
        except np.linalg.LinAlgError:
            return None
        piv = np.diag(L)
        if float(piv.min()) ** 2 <= 1e-10 * float(piv.max()) ** 2:
            return None
        Linv = np.linalg.solve(L, np.eye(k))
        Z = Linv.T @ Linv
        z = np.diag(Z)  # (k,)
        cols = np.arange(self.n) if cols is None else np.asarray(cols, dtype=int)
        q = self.S[np.ix_(supp, cols)]  # (k, m)
        diag_j, c_j = self.diag[cols], self.c[cols]
        G = Z @ q  # (k, n)
        c_s = self.c[supp]
        Zc = Z @ c_s
        Z1 = Z.sum(axis=1)
        t = np.einsum("an,an->n", q, G)  # q_j'Zq_j
        cq = Zc @ q  # c'Zq_j
        oq = Z1 @ q  # 1'Zq_j
        base_cc = float(c_s @ Zc) - Zc**2 / z
        base_c1 = float(Z1 @ c_s) - Zc * Z1 / z
        base_11 = float(Z1.sum()) - Z1**2 / z
        s_j = diag_j[None, :] - t[None, :] + G**2 / z[:, None]
        u_c = c_j[None, :] - (cq[None, :] - Zc[:, None] * G / z[:, None])
        u_1 = 1.0 - (oq[None, :] - Z1[:, None] * G / z[:, None])
        out = np.full((k, self.n), -np.inf)
        out[:, cols] = self._bound_from_parts(base_cc, base_c1, base_11, s_j, u_c, u_1, diag_j)
        return out

    def _bound_from_parts(
        self,
        base_cc: np.ndarray,
        base_c1: np.ndarray,
        base_11: np.ndarray,
        s_j: np.ndarray,
        u_c: np.ndarray,
        u_1: np.ndarray,
        diag_j: np.ndarray,
    ) -> np.ndarray:
        """The swap bounds (one row per name leaving, one column per newcomer) from the
        leave-one-out products of the support (``base_*``) and each newcomer's Schur
        complement ``s_j`` and cross terms ``u_c``, ``u_1``; ``-inf`` where no useful bound
        exists (a newcomer (nearly) collinear with the kept names)."""
        degenerate = s_j <= 1e-9 * np.maximum(diag_j[None, :], 1e-300)
        s_j = np.where(degenerate, 1.0, s_j)
        cc = base_cc[:, None] + u_c**2 / s_j
        c1 = base_c1[:, None] + u_c * u_1 / s_j
        oo = base_11[:, None] + u_1**2 / s_j
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = -cc + (c1 - self.budget) ** 2 / oo
        bound = np.where(degenerate | ~np.isfinite(bound) | (oo <= 0), -np.inf, bound)
        return bound + self.lasso * self.penalty_floor

    def _try_swaps(
        self, fit: _Fit, order: np.ndarray, bounds: np.ndarray | None, *, first: bool
    ) -> _Fit | None:
        """Refit the swaps ``order`` (flat positions ``i * n + j``); the best improvement.

        With ``first=True`` the first improvement is returned. A swap whose lower bound
        (:meth:`swap_bounds`) cannot beat the reference is skipped without a QP.
        """
        best: _Fit | None = None
        supp = fit.idx
        flat_bounds = None if bounds is None else bounds.ravel()
        margin = 1e-9 * self.obj_scale
        for count, pos in enumerate(order):
            if flat_bounds is not None:
                ref = fit if best is None else best
                if flat_bounds[pos] > ref.obj + margin:
                    continue
            i, j = divmod(int(pos), self.n)
            trial = supp.copy()
            trial[i] = j
            start = None
            if self.lasso:
                # the newcomer takes the leaver's weight: the reweighting starts there
                start = np.zeros(self.n)
                start[supp] = fit.w
                start[j], start[supp[i]] = fit.w[i], 0.0
            new = self.fit_support(trial, start)
            if self.better(new, fit if best is None else best):
                best = new
                if first:
                    break
            if count % 64 == 63 and time.perf_counter() > self.deadline:
                break
        return best

    def random_support(self, rng: np.random.Generator) -> np.ndarray:
        k = max(min(self.K, self.n), self.min_names)
        return np.sort(rng.choice(self.n, size=k, replace=False))


def _search(
    eng: _Engine, relax: _Fit, method: TrackingMethod, seed: int, starts: int | None
) -> tuple[_Fit, str]:
    """Cardinality search: starts, swaps, best of all."""
    full = method is TrackingMethod.EXHAUSTIVE
    n_random = (16 if full else 0) if starts is None else starts
    width = 2 * eng.K + 10
    top = relax.idx[np.argsort(-relax.w, kind="stable")[: eng.K]]
    if top.size < eng.min_names:
        # too few names: grow by the candidates whose reduced cost is lowest
        d = eng.reduced_costs(relax)
        d[top] = np.inf
        d[eng.floor <= eng.zero] = np.inf
        top = np.append(top, np.argsort(d, kind="stable")[: eng.min_names - top.size])
    seeds: list[_Fit] = [eng.fit_support(top)]
    if eng.K <= _DOWNDATE_K or seeds[0].viol > eng.feas_tol:
        # (with many names the greedy start, K refits, never won on real index tracking:
        # it runs only when the relaxation's top names cannot meet the constraints)
        seeds.append(eng.greedy())
    best: _Fit | None = None
    complete = True
    tried: set[bytes] = set()
    polished: set[bytes] = set()

    def run(fit: _Fit) -> None:
        nonlocal best, complete
        key = np.sort(fit.idx).tobytes()
        if key in tried:
            return
        tried.add(key)
        if best is not None and best.obj <= eng.stop_below and best.viol <= eng.feas_tol:
            return
        out, done = eng.local_search(fit, full=False, width=width)
        if not full and done and out.idx.tobytes() not in polished:
            # every swap against the relaxation's names before giving up
            polished.add(out.idx.tobytes())
            out, done = eng.local_search(out, full=False, width=width, pool=relax.idx)
        if full and done:
            # the exhaustive search continues from the fast local optimum
            out, done = eng.local_search(out, full=True, width=width)
        complete &= done
        if best is None or eng.better(out, best):
            best = out

    rng = np.random.default_rng(seed)
    for i in range(len(seeds) + n_random):
        if time.perf_counter() > eng.deadline:
            complete = False
            break
        run(seeds[i] if i < len(seeds) else eng.fit_support(eng.random_support(rng)))
    assert best is not None
    return best, ("local_optimum" if complete else "time_limit")
