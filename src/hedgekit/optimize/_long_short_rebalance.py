"""The rebalance of a long/short hedge: signed current weights, a turnover limit and a
limit on the number of trades (:func:`solve_long_short_rebalance`).

A long/short :class:`~hedgekit.optimize.TrackingProblem` with signed ``current`` weights
``w0`` and ``max_turnover`` ``T`` or ``max_trades`` ``m`` asks for::

    minimise  w'Sw - 2c'w + ridge ||w||^2
    subject to  net_lower <= sum(w) <= net_upper,  sum |w_i| <= max_gross,
                |w_i| <= upper_i, the linear rows, at most max_names names,
                sum_i |w_i - w0_i| <= T,   #{i : w_i != w0_i} <= m.

On a set of names allowed to trade the QP is exact (``daqp``) with four split variables
per name: the sides ``w = p - q`` (the gross row ``sum(p + q)``) and the trade
``w - w0 = a - b`` (the turnover row ``sum(a + b) <= T``), tied by one equality row per
name. The names and trades are chosen by a local search over the set of names the hedge
may hold (current names outside it are closed out), started from the current names and
from the continuous relaxation; a support that trades more names than ``m`` keeps the
names with the smallest trades at their current weights (or leaves a new name out) until
it does not. The current names are always candidates.

The net bounds are a target: when the turnover limit cannot reach them, the net is moved
as far toward them as it allows (two linear programs give the reachable nets), and
stepped back toward the current net if the name and trade limits need it. Limits the
current hedge already breaks (a cap, the gross, a row, ``max_names``) are relaxed to its
level, so zero turnover always returns the current hedge exactly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from hedgekit._errors import InfeasibleError
from hedgekit.optimize._problem import TrackingProblem
from hedgekit.optimize._solution import TrackingSolution

__all__ = ["solve_long_short_rebalance"]

#: ridge on the split variables, relative to the mean variance (a definite Hessian)
_TINY_RIDGE = 1e-9
#: default seconds of the local search when no time limit is given
_DEFAULT_SECONDS = 60.0


@dataclass(slots=True)
class _State:
    """A fitted support: weights, objective (inf: infeasible) and row duals."""

    hold: frozenset[int]
    w: np.ndarray
    obj: float
    lam: np.ndarray  # (net, gross, turnover, rows...) in daqp's sign convention

    @property
    def feasible(self) -> bool:
        return math.isfinite(self.obj)


class _LSRebalancer:
    """Prepared arrays, the split QP and the local search of a long/short rebalance."""

    def __init__(self, p: TrackingProblem) -> None:
        import daqp  # a core dependency (pyproject)

        self._daqp = daqp
        self.S = np.ascontiguousarray(p.covariance, dtype="float64")
        self.c = np.asarray(p.cross, dtype="float64")
        n = self.n = self.c.shape[0]
        lo, hi, gross = p.net_bounds()
        self.w0 = np.asarray(p.current, dtype="float64").copy()
        self.zero = 1e-10 * max(gross, 1e-300)
        self.w0[np.abs(self.w0) <= self.zero] = 0.0
        self.C = frozenset(np.flatnonzero(self.w0).tolist())
        self.G = max(gross, float(np.abs(self.w0).sum()))
        self.tol = 1e-7 * max(self.G, 1e-300)
        self.target = (lo, hi)
        self.net_lo, self.net_hi = lo, hi
        upper = self.G if p.upper is None else p.upper
        ub = np.minimum(np.broadcast_to(np.asarray(upper, dtype="float64"), (n,)), self.G)
        self.ub = np.maximum(ub, np.abs(self.w0))  # a current name above its cap may stay
        K = n if p.max_names is None else min(int(p.max_names), n)
        self.K = max(K, len(self.C))
        self.T = math.inf if p.max_turnover is None else float(p.max_turnover)
        self.m = n if p.max_trades is None else int(p.max_trades)
        self.ridge = float(p.ridge)
        diag = np.diag(self.S)
        self.diag = diag + self.ridge
        mean_var = float(diag.mean()) if n else 1.0
        self.tiny = _TINY_RIDGE * max(mean_var, 1e-300)
        self.obj_scale = float(p.target_variance) + mean_var * self.G**2 + 1e-300
        self.grad_tol = 1e-10 * (2 * float(diag.max(initial=0.0)) * self.G + 1e-300)
        #: every QP to a tight dual tolerance (small differences decide the swaps)
        self.options = {"primal_tol": 1e-11, "dual_tol": 1e-2 * self.grad_tol}
        M, rlo, rhi, _ = p.linear_rows()
        live = np.isfinite(rlo) | np.isfinite(rhi)
        self.M = M[live]
        now = self.M @ self.w0
        self.lo = np.minimum(rlo[live], now)  # a row the current hedge breaks: its level
        self.hi = np.maximum(rhi[live], now)
        self.evaluations = 0

    # -------------------------------------------------------------- one support
    def qp(self, hold: frozenset[int], frozen: frozenset[int] = frozenset()) -> _State:
        """The best weights holding only ``hold`` (current names outside it closed out),
        the names ``frozen`` kept at their current weights."""
        self.evaluations += 1
        n, w0 = self.n, self.w0
        mrows = self.M.shape[0]
        nolam = np.zeros(3 + mrows)
        base = np.zeros(n)
        fz = np.array(sorted(frozen & hold & self.C), dtype=int)
        base[fz] = w0[fz]
        closed = sum(abs(float(w0[i])) for i in self.C if i not in hold)
        free = np.array(sorted(hold - frozen), dtype=int)
        k = free.size
        T_left = self.T - closed
        if T_left < -self.tol:
            return _State(hold, base, math.inf, nolam)
        if k == 0 or T_left <= self.zero:  # nothing may trade: the held current weights
            w = base.copy()
            kept = np.array(sorted(hold & self.C), dtype=int)
            w[kept] = w0[kept]
            ok = self.feasible(w)
            return _State(hold, w, self.objective(w) if ok else math.inf, nolam)
        Q = self.S[np.ix_(free, free)]
        Q[np.diag_indices(k)] += self.ridge
        Q *= 2.0
        H = np.zeros((4 * k, 4 * k))
        H[:k, :k] = H[k : 2 * k, k : 2 * k] = Q
        H[:k, k : 2 * k] = H[k : 2 * k, :k] = -Q
        H[np.diag_indices(4 * k)] += self.tiny
        g = 2.0 * (self.S[free] @ base - self.c[free])
        f = np.concatenate([g, -g, np.zeros(2 * k)])
        eye, one, nil = np.eye(k), np.ones(k), np.zeros(k)
        Mk = self.M[:, free]
        A = np.vstack(
            [
                np.hstack([eye, -eye, -eye, eye]),
                np.concatenate([one, -one, nil, nil]),
                np.concatenate([one, one, nil, nil]),
                np.concatenate([nil, nil, one, one]),
                np.hstack([Mk, -Mk, np.zeros((mrows, 2 * k))]),
            ]
        )
        net0, mb = float(base.sum()), self.M @ base
        ubf = self.ub[free]
        inf = np.full(k, np.inf)
        bu = np.concatenate(
            [ubf, ubf, inf, inf, w0[free], [self.net_hi - net0, self.G - float(np.abs(base).sum())],
             [T_left if math.isfinite(T_left) else 1e30], self.hi - mb]
        )  # fmt: skip
        bl = np.concatenate(
            [np.zeros(4 * k), w0[free], [self.net_lo - net0, -np.inf, -np.inf], self.lo - mb]
        )
        sense = np.zeros(4 * k + A.shape[0], dtype=np.int32)
        sense[4 * k : 5 * k] = 5
        if self.net_lo == self.net_hi:
            sense[5 * k] = 5
        x, _, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, **self.options)
        if flag < 1 and flag != -1:  # not infeasible: again at daqp's default dual tolerance
            x, _, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, primal_tol=1e-11)
        if flag < 1:
            return _State(hold, base, math.inf, nolam)
        w = base.copy()
        w[free] = np.clip(x[:k] - x[k : 2 * k], -ubf, ubf)
        same = np.abs(w - w0) <= self.zero
        w[same] = w0[same]  # no trade below the solver's tolerance
        w[np.abs(w) <= self.zero] = 0.0
        if not self.feasible(w):
            return _State(hold, w, math.inf, nolam)
        lam = np.asarray(info["lam"][5 * k :], dtype="float64").copy()
        return _State(hold, w, self.objective(w), lam)

    def feasible(self, w: np.ndarray) -> bool:
        net, tol = float(w.sum()), self.tol
        if net < self.net_lo - tol or net > self.net_hi + tol:
            return False
        if float(np.abs(w).sum()) > self.G + tol or self.turnover(w) > self.T + tol:
            return False
        if self.M.shape[0]:
            a = self.M @ w
            if (a > self.hi + tol).any() or (a < self.lo - tol).any():
                return False
        return True

    def objective(self, w: np.ndarray) -> float:
        idx = np.flatnonzero(w)
        x = w[idx]
        return float(
            x @ self.S[np.ix_(idx, idx)] @ x - 2.0 * self.c[idx] @ x + self.ridge * (x @ x)
        )

    def turnover(self, w: np.ndarray) -> float:
        return float(np.abs(w - self.w0).sum())

    def trades(self, w: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.abs(w - self.w0) > self.zero)

    def fit(self, hold: frozenset[int]) -> _State:
        """The support ``hold`` within the trade limit: while more names trade than
        ``max_trades``, the smallest trade is undone (a current name kept at its weight,
        a new one left out)."""
        frozen: frozenset[int] = frozenset()
        st = self.qp(hold)
        for _ in range(2 * len(hold) + 2):
            if not st.feasible:
                return st
            traded = self.trades(st.w)
            if traded.size <= self.m:
                return _State(frozenset(np.flatnonzero(st.w).tolist()), st.w, st.obj, st.lam)
            movable = [int(i) for i in traded if i in hold and i not in frozen]
            if not movable:
                break
            i = min(movable, key=lambda j: abs(st.w[j] - self.w0[j]))
            if i in self.C:
                frozen = frozen | {i}
            else:
                hold = hold - {i}
            st = self.qp(hold, frozen)
        return _State(hold, st.w, math.inf, st.lam)

    # -------------------------------------------------------------- net
    def reachable(self) -> tuple[float, float]:
        """The least and the largest net that weights within the turnover limit, the
        caps, the gross and the rows can have (two linear programs)."""
        from scipy import sparse
        from scipy.optimize import linprog

        n = self.n
        eye = sparse.identity(n, format="csr")
        A_eq = sparse.hstack([eye, -eye, -eye, eye], format="csr")
        one, nil = np.ones(n), np.zeros(n)
        rows = [np.concatenate([one, one, nil, nil])]
        b = [self.G]
        if math.isfinite(self.T):
            rows.append(np.concatenate([nil, nil, one, one]))
            b.append(self.T)
        for r in range(self.M.shape[0]):
            row = np.concatenate([self.M[r], -self.M[r], nil, nil])
            if math.isfinite(self.hi[r]):
                rows.append(row)
                b.append(self.hi[r])
            if math.isfinite(self.lo[r]):
                rows.append(-row)
                b.append(-self.lo[r])
        bounds = [(0.0, u) for u in self.ub] * 2 + [(0.0, None)] * (2 * n)
        out = []
        for sign in (1.0, -1.0):
            cost = sign * np.concatenate([one, -one, nil, nil])
            res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(b), A_eq=A_eq,
                          b_eq=self.w0, bounds=bounds, method="highs")  # fmt: skip
            r0 = float(self.w0.sum())
            out.append(r0 if res.status != 0 else sign * float(res.fun))
        return out[0], out[1]

    # -------------------------------------------------------------- search
    def prices(self, st: _State) -> np.ndarray:
        """The cost of opening each name on its better side at the state's duals
        (negative: opening it helps)."""
        w = st.w
        d = 2.0 * (self.S @ w - self.c + self.ridge * w) + st.lam[0]
        if self.M.shape[0]:
            d = d + st.lam[3:] @ self.M
        extra = st.lam[1] + st.lam[2]
        return np.minimum(d, -d) + extra

    def relax(self) -> _State:
        """The continuous relaxation (no name or trade limit) by column generation, from
        the current names and the best-correlated ones."""
        order = np.argsort(-np.abs(self.c))
        work = set(self.C) | set(order[: min(self.n, max(2 * self.K, 30))].tolist())
        st = self.qp(frozenset(work))
        for _ in range(100):
            if not st.feasible:
                break
            e = self.prices(st)
            e[list(work)] = np.inf
            new = np.flatnonzero(e < -self.grad_tol)
            if new.size == 0:
                break
            work |= set(new[np.argsort(e[new])[: max(10, self.K)]].tolist())
            st = self.qp(frozenset(work))
        return st

    def better(self, a: _State, b: _State) -> bool:
        if a.feasible != b.feasible:
            return a.feasible
        return a.feasible and a.obj < b.obj - 1e-12 * self.obj_scale

    def local_search(self, st: _State, deadline: float) -> _State:
        """Add a name while there is room, else swap one for one or close one, while that
        helps."""
        for _ in range(60):
            if time.perf_counter() > deadline or not st.feasible:
                return st
            hold = st.hold | (self.C & frozenset(np.flatnonzero(st.w).tolist()))
            e = self.prices(st)
            e[list(hold)] = np.inf
            out = np.flatnonzero(np.isfinite(e))
            if out.size == 0:
                return st
            if len(hold) < self.K:
                new = next(
                    (
                        s
                        for j in out[np.argsort(e[out])][:3]
                        if self.better(s := self.fit(hold | {int(j)}), st)
                    ),
                    None,
                )
                if new is not None:
                    st = new
                    continue
            inside = np.array(sorted(hold), dtype=int)
            if inside.size == 0:
                return st
            w = st.w[inside]
            E = (w**2)[:, None] * (
                self.diag[inside][:, None]
                + self.diag[None, out]
                - 2.0 * self.S[np.ix_(inside, out)]
            ) + np.abs(w)[:, None] * (e[None, out])
            order = np.argsort(E.ravel(), kind="stable")[: 2 * self.K + 10]
            best = st
            for pos in order:
                i, j = divmod(int(pos), out.size)
                new = self.fit((hold - {int(inside[i])}) | {int(out[j])})
                if self.better(new, best):
                    best = new
            if best is st:
                for i in inside:
                    new = self.fit(hold - {int(i)})
                    if self.better(new, best):
                        best = new
            if best is st:
                return st
            st = best
        return st


def _search(eng: _LSRebalancer, relax: _State, deadline: float, fresh: np.ndarray | None) -> _State:
    """Local search from the current names, the relaxation's largest, a mix and the
    support of the fresh long/short hedge (``fresh``)."""
    held = np.flatnonzero(relax.w)
    top = held[np.argsort(-np.abs(relax.w[held]), kind="stable")][: eng.K]
    keep = [i for i in sorted(eng.C, key=lambda i: -abs(relax.w[i])) if relax.w[i] != 0]
    starts = [frozenset(eng.C), frozenset(top.tolist())]
    starts.append(frozenset(list(dict.fromkeys([*keep, *top.tolist()]))[: eng.K]))
    if fresh is not None and fresh.size <= eng.K:
        starts.append(frozenset(fresh.tolist()))
    best: _State | None = None
    for hold in dict.fromkeys(starts):
        st = eng.local_search(eng.fit(hold), deadline)
        if best is None or eng.better(st, best):
            best = st
    assert best is not None
    return best


def _fresh_support(problem: TrackingProblem, deadline: float) -> np.ndarray | None:
    """The support of the fresh long/short hedge (no current weights), a start of the
    search: with a turnover limit that reaches it, the rebalance is never worse."""
    import dataclasses

    from hedgekit.optimize._long_short import solve_long_short

    left = deadline - time.perf_counter()
    if left < 1.0:
        return None
    fresh = dataclasses.replace(problem, current=None, max_turnover=None, max_trades=None)
    try:
        return solve_long_short(fresh, time_limit=left / 2).support
    except InfeasibleError:
        return None


def solve_long_short_rebalance(
    problem: TrackingProblem, *, time_limit: float | None = None
) -> TrackingSolution:
    """Solve a long/short tracking problem with signed ``current`` weights under its
    turnover and trade limits; called by :func:`~hedgekit.optimize.solve_tracking`, which
    validates the problem first.

    Returns
    -------
    TrackingSolution
        Signed weights; ``status`` ``'optimal'`` when the relaxation already meets the
        name and trade limits, else ``'local_optimum'`` (``'time_limit'`` when cut short).

    Raises
    ------
    InfeasibleError
        No support within the name and trade limits meets the constraints (zero
        turnover always admits the current weights).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(scale=0.01, size=(252, 20))
    >>> y = X[:, :4].mean(axis=1)
    >>> w0 = np.zeros(20); w0[[0, 1, 5]] = 0.4; w0[6] = -0.2
    >>> p = TrackingProblem.from_returns(X, y, current=w0, max_turnover=0.5, long_short=True)
    >>> sol = solve_long_short_rebalance(p)
    >>> bool(np.abs(sol.weights - w0).sum() <= 0.5 + 1e-7)
    True
    """
    t0 = time.perf_counter()
    eng = _LSRebalancer(problem)
    seconds = _DEFAULT_SECONDS if time_limit is None else time_limit
    deadline = t0 + seconds
    r0 = float(eng.w0.sum())
    lo, hi = eng.target
    rlo, rhi = eng.reachable() if (math.isfinite(eng.T) and eng.T > 0) else (-eng.G, eng.G)
    if eng.T == 0 or eng.m == 0:
        rlo = rhi = r0
    a, b = max(lo, rlo), min(hi, rhi)
    if a > b:  # the net bounds are out of reach: the nearest reachable net
        a = b = rlo if rlo > hi else rhi
    x = min(max(r0, a), b)
    best, status = None, "local_optimum"
    for step in (1.0, 0.75, 0.5, 0.25, 0.0):
        if step == 1.0:
            eng.net_lo, eng.net_hi = a, b
        else:
            eng.net_lo = eng.net_hi = r0 + step * (x - r0)
        relax = eng.relax()
        if not relax.feasible:
            continue
        if np.count_nonzero(relax.w) <= eng.K and eng.trades(relax.w).size <= eng.m:
            best, status = relax, "optimal"
            break
        best = _search(eng, relax, deadline, _fresh_support(problem, deadline))
        if best.feasible:
            break
    if best is None or not best.feasible:
        raise InfeasibleError(
            f"no long/short hedge of at most {eng.K} names and {eng.m} trades within the "
            "turnover limit meets the net, gross and other constraints; raise max_trades, "
            "max_turnover or max_names, or relax the constraints"
        )
    if status != "optimal" and time.perf_counter() > deadline:
        status = "time_limit"
    w = best.w.copy()
    support = np.flatnonzero(w)
    ws = w[support]
    te_var = float(
        ws @ eng.S[np.ix_(support, support)] @ ws
        - 2.0 * eng.c[support] @ ws
        + problem.target_variance
    )
    return TrackingSolution(
        weights=w,
        objective=best.obj,
        tracking_variance=te_var,
        support=support,
        status=status,
        seconds=time.perf_counter() - t0,
        evaluations=eng.evaluations,
        method="rebalance",
    )
