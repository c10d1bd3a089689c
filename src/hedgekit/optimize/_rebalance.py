"""The rebalance of an existing hedge: the tracking problem with a turnover limit and a
limit on the number of trades (:func:`solve_rebalance`).

A :class:`~hedgekit.optimize.TrackingProblem` with ``current`` weights ``w0`` and a
``max_turnover`` ``T`` or ``max_trades`` ``m`` asks for the best hedge reachable from
``w0``::

    minimise  w'Sw - 2c'w + ridge ||w||^2
    subject to  sum(w) = budget, caps, groups, linear rows, at most max_names names,
                sum_i |w_i - w0_i| <= T,   #{i : w_i != w0_i} <= m.

The turnover limit is convex. On a set of names allowed to trade it is written with split
variables ``w = w0 + u - v``, ``u, v >= 0`` (bought and sold), ``sum(u + v) <= T``: the
QP on ``(u, v)`` is exact (``daqp``), with bounds ``0 <= u <= cap - w0`` and
``0 <= v <= w0`` so that ``0 <= w <= cap``. The number of names and of trades are
combinatorial: a local search over the set ``Z`` of names the hedge may hold (current names
outside ``Z`` are sold out), started from the current names and from the continuous
relaxation, swapping one name at a time; a support that trades more names than ``m``
freezes (or leaves out) the names with the smallest trades until it does not.

The budget is a target: when the turnover limit and the constraints cannot reach it, the
hedge is resized as far toward it as they allow (a linear program finds that size), and
stepped back toward its current size if the name and trade limits need it.

Limits the current hedge already breaks (a name above its cap after a rally, a group
above its bound, more names than ``max_names``) are relaxed to the current level: a
rebalance may not make them worse, but is not forced to trade to cure them. So zero
turnover always admits the current hedge.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from hedgekit._errors import InfeasibleError
from hedgekit.optimize._problem import TrackingProblem
from hedgekit.optimize._solution import TrackingSolution

__all__ = ["solve_rebalance"]

#: tiny ridge on the split variables (relative to the mean variance): the QP is definite
_TINY_RIDGE = 1e-6


@dataclass(slots=True)
class _State:
    """A fitted support: the weights and what the search ranks them by."""

    hold: frozenset[int]  # names the hedge may hold (current names outside are sold out)
    w: np.ndarray  # full weights (n,)
    obj: float  # w'Sw - 2c'w + ridge w'w (inf when infeasible)
    lam: np.ndarray  # duals of (budget, turnover, rows...)

    @property
    def feasible(self) -> bool:
        return math.isfinite(self.obj)


class _Rebalancer:
    """Prepared arrays, the split-variable QP and the local search of a rebalance."""

    def __init__(self, p: TrackingProblem) -> None:
        self.S = np.ascontiguousarray(p.covariance, dtype="float64")
        self.c = np.asarray(p.cross, dtype="float64")
        n = self.n = self.c.shape[0]
        self.B = float(p.budget)
        self.w0 = np.asarray(p.current, dtype="float64").copy()
        self.zero = 1e-9 * self.B
        self.w0[self.w0 <= self.zero] = 0.0
        self.C = frozenset(np.flatnonzero(self.w0).tolist())
        upper = self.B if p.upper is None else p.upper
        ub = np.minimum(np.broadcast_to(np.asarray(upper, dtype="float64"), (n,)), self.B)
        self.ub = np.maximum(ub, self.w0)  # a current name above its cap may stay there
        mw = np.broadcast_to(np.asarray(p.min_weight, dtype="float64"), (n,)).copy()
        held = self.w0 > 0
        mw[held] = np.minimum(mw[held], self.w0[held])
        self.mw = mw
        K = n if p.max_names is None else min(int(p.max_names), n)
        self.K = max(K, len(self.C))
        self.T = math.inf if p.max_turnover is None else float(p.max_turnover)
        self.m = n if p.max_trades is None else int(p.max_trades)
        self.ridge = float(p.ridge)
        diag = np.diag(self.S)
        mean_var = float(diag.mean()) if n else 1.0
        self.tiny = _TINY_RIDGE * max(mean_var, 1e-300)
        self.obj_scale = float(p.target_variance) + mean_var * self.B**2 + 1e-300
        self.grad_tol = 1e-10 * (2 * float(diag.max(initial=0.0)) * self.B + 1e-300)
        self.M, lo, hi, _ = p.linear_rows()
        now = self.M @ self.w0
        # a row the current hedge breaks is relaxed to its current level
        self.lo = np.minimum(lo, now)
        self.hi = np.maximum(hi, now)
        self.evaluations = 0
        import daqp  # a core dependency (pyproject), loaded with the first solve

        self._daqp = daqp

    # -------------------------------------------------------------- one support
    def qp(self, hold: frozenset[int], frozen: frozenset[int] = frozenset()) -> _State:
        """The best weights that hold only ``hold`` (current names outside it sold out),
        with the names ``frozen`` kept at their current weight."""
        self.evaluations += 1
        n = self.n
        base = np.zeros(n)
        kept = [i for i in hold if i in self.C]
        base[kept] = self.w0[kept]
        sold = sum(float(self.w0[i]) for i in self.C if i not in hold)
        free = np.array(sorted(hold - frozen), dtype=int)
        k = free.size
        T_left = self.T - sold
        need = self.B - float(base.sum())
        lam = np.zeros(2 + self.M.shape[0])
        if T_left < -self.zero:
            return _State(hold, base, math.inf, lam)
        if abs(need) <= self.zero:
            need = 0.0
        if k == 0 or T_left <= self.zero:  # nothing may trade: the base weights or nothing
            ok = abs(need) <= 1e-7 * self.B and self._rows_ok(base)
            return _State(hold, base, self._objective(base) if ok else math.inf, lam)
        Q = self.S[np.ix_(free, free)]
        Q[np.diag_indices(k)] += self.ridge
        g = 2.0 * (self.S[free] @ base - self.c[free] + self.ridge * base[free])
        H = np.empty((2 * k, 2 * k))
        H[:k, :k] = H[k:, k:] = 2.0 * Q
        H[:k, k:] = H[k:, :k] = -2.0 * Q
        H[np.diag_indices(2 * k)] += self.tiny
        f = np.concatenate([g, -g])
        Mk = self.M[:, free]
        A = np.vstack(
            [
                np.concatenate([np.ones(k), -np.ones(k)]),
                np.concatenate([np.ones(k), np.ones(k)]),
                np.hstack([Mk, -Mk]),
            ]
        )
        mb = self.M @ base
        w0f = self.w0[free]
        lb_w = np.zeros(k)
        bu = np.concatenate(
            [
                np.maximum(self.ub[free] - w0f, 0.0),
                np.maximum(w0f - lb_w, 0.0),
                [need, max(T_left, 0.0)],
                self.hi - mb,
            ]
        )
        bl = np.concatenate([np.zeros(2 * k), [need, -math.inf], self.lo - mb])
        sense = np.zeros(2 * k + A.shape[0], dtype=np.int32)
        sense[2 * k] = 5
        x, _, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, primal_tol=1e-11)
        if flag < 1:
            return _State(hold, base, math.inf, lam)
        x = np.clip(x, 0.0, None)
        delta = x[:k] - x[k:]
        delta[np.abs(delta) <= self.zero] = 0.0  # no trade below the solver's tolerance
        w = base.copy()
        w[free] = np.clip(w0f + delta, 0.0, self.ub[free])
        w[w <= self.zero] = 0.0
        if not self._rows_ok(w) or abs(float(w.sum()) - self.B) > 1e-7 * self.B:
            return _State(hold, base, math.inf, lam)
        lam = np.asarray(info["lam"][2 * k :], dtype="float64").copy()
        return _State(hold, w, self._objective(w), lam)

    def _rows_ok(self, w: np.ndarray) -> bool:
        if self.M.shape[0]:
            a = self.M @ w
            tol = 1e-7 * self.B
            if (a > self.hi + tol).any() or (a < self.lo - tol).any():
                return False
        return bool(self.turnover(w) <= self.T + 1e-7 * self.B)

    def _objective(self, w: np.ndarray) -> float:
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
        """The support ``hold`` within every limit: names below their minimum weight are
        left out, and while more names trade than ``max_trades`` allows, the smallest trade
        is undone (a current name frozen, a new one left out)."""
        frozen: frozenset[int] = frozenset()
        for _ in range(2 * len(hold) + 2):
            st = self.qp(hold, frozen)
            if not st.feasible:
                return st
            low = [i for i in hold if self.zero < st.w[i] < self.mw[i] - 1e-9 * self.B]
            if low:
                hold = hold - set(low)
                continue
            traded = self.trades(st.w)
            if traded.size <= self.m:
                return st
            movable = [int(i) for i in traded if i in hold and i not in frozen]
            if not movable:
                return _State(hold, st.w, math.inf, st.lam)
            i = min(movable, key=lambda j: abs(st.w[j] - self.w0[j]))
            if i in self.C:
                frozen = frozen | {i}
            else:
                hold = hold - {i}
        return _State(hold, st.w, math.inf, st.lam)

    def reachable(self, target: float) -> tuple[float, np.ndarray]:
        """The size closest to ``target`` that weights within the turnover limit, the caps
        and the rows can have (two linear programs at most: the feasible sizes form an
        interval), and weights of that size."""
        from scipy.optimize import linprog

        n, w0 = self.n, self.w0
        r0 = float(w0.sum())
        direction = 1.0 if target >= r0 else -1.0
        a_ub, b_ub = [], []
        if math.isfinite(self.T):
            a_ub.append(np.ones(2 * n))
            b_ub.append(self.T)
        mb = self.M @ w0
        for r in range(self.M.shape[0]):
            row = np.concatenate([self.M[r], -self.M[r]])
            if math.isfinite(self.hi[r]):
                a_ub.append(row)
                b_ub.append(self.hi[r] - mb[r])
            if math.isfinite(self.lo[r]):
                a_ub.append(-row)
                b_ub.append(mb[r] - self.lo[r])
        cost = -direction * np.concatenate([np.ones(n), -np.ones(n)])
        bounds = [(0.0, max(u, 0.0)) for u in self.ub - w0] + [(0.0, x) for x in w0]
        res = linprog(
            cost,
            A_ub=np.array(a_ub).reshape(len(a_ub), 2 * n) if a_ub else None,
            b_ub=np.array(b_ub) if b_ub else None,
            A_eq=np.concatenate([np.ones(n), -np.ones(n)])[None, :],
            b_eq=[target - r0],
            bounds=bounds,
            method="highs",
        )
        if res.status != 0:  # the target is out of reach: the furthest size toward it
            res = linprog(cost, A_ub=np.array(a_ub).reshape(len(a_ub), 2 * n) if a_ub else None,
                          b_ub=np.array(b_ub) if b_ub else None, bounds=bounds,
                          method="highs")  # fmt: skip
            if res.status != 0:
                return r0, w0.copy()
        x = np.asarray(res.x)
        w = w0 + x[:n] - x[n:]
        return r0 + float(x[:n].sum() - x[n:].sum()), w

    # -------------------------------------------------------------- search
    def reduced_costs(self, st: _State) -> np.ndarray:
        """Price of buying each name at the state's duals (adding it helps if < 0)."""
        w = st.w
        d = 2.0 * (self.S @ w - self.c + self.ridge * w) + st.lam[0] + st.lam[1]
        if self.M.shape[0]:
            d += st.lam[2:] @ self.M
        return d

    def relax(self, seed: np.ndarray | None = None) -> _State:
        """The continuous relaxation (no name or trade limit) by column generation, from
        the current names, the best-correlated ones and those of ``seed`` (weights)."""
        order = np.argsort(-self.c)
        work = set(self.C) | set(order[: min(self.n, max(2 * self.K, 30))].tolist())
        if seed is not None:
            work |= set(np.flatnonzero(seed > self.zero).tolist())
        st = self.qp(frozenset(work))
        if not st.feasible:
            work = set(range(self.n))
            st = self.qp(frozenset(work))
        for _ in range(200):
            if not st.feasible:
                break
            d = self.reduced_costs(st)
            d[list(work)] = np.inf
            new = np.flatnonzero(d < -self.grad_tol)
            if new.size == 0:
                break
            work |= set(new[np.argsort(d[new])[: max(10, self.K)]].tolist())
            st = self.qp(frozenset(work))
        return st

    def better(self, a: _State, b: _State) -> bool:
        return a.obj < b.obj - 1e-12 * self.obj_scale

    def local_search(self, st: _State, deadline: float) -> _State:
        """Add a name while there is room, else swap one for one, while that helps."""
        width = 2 * self.K + 10
        for _ in range(100):
            if time.perf_counter() > deadline or not st.feasible:
                return st
            hold = st.hold
            d = self.reduced_costs(st)
            out = np.array([j for j in range(self.n) if j not in hold], dtype=int)
            if out.size == 0:
                return st
            improved = False
            if len(hold) < self.K:
                for j in out[np.argsort(d[out])][:5]:
                    new = self.fit(hold | {int(j)})
                    if self.better(new, st):
                        st, improved = new, True
                        break
            if improved:
                continue
            inside = np.array(sorted(hold), dtype=int)
            if inside.size == 0:
                return st
            w = st.w[inside]
            size = np.maximum(w, self.w0[inside])
            diag = np.diag(self.S)
            E = size[:, None] * (d[None, out] - d[inside][:, None]) + (size**2)[:, None] * (
                diag[inside][:, None] + diag[None, out] - 2.0 * self.S[np.ix_(inside, out)]
            )
            flat = E.ravel()
            order = np.argsort(flat, kind="stable")[:width]
            best = st
            for pos in order:
                i, j = divmod(int(pos), out.size)
                new = self.fit((hold - {int(inside[i])}) | {int(out[j])})
                if self.better(new, best):
                    best = new
            if best is st:
                # also try leaving a name out (selling it, or not buying it)
                for i in inside:
                    new = self.fit(hold - {int(i)})
                    if self.better(new, best):
                        best = new
            if best is st:
                return st
            st = best
        return st


def _search(eng: _Rebalancer, relax: _State, deadline: float) -> _State:
    """Local search from the current names, the relaxation's largest and a mix."""
    held = np.flatnonzero(relax.w)
    starts = [frozenset(eng.C)] if len(eng.C) <= eng.K else []
    top = held[np.argsort(-relax.w[held], kind="stable")][: eng.K]
    starts.append(frozenset(top.tolist()))
    keep = [i for i in sorted(eng.C, key=lambda i: -relax.w[i]) if relax.w[i] > 0]
    starts.append(frozenset(list(dict.fromkeys([*keep, *top.tolist()]))[: eng.K]))
    best: _State | None = None
    for hold in dict.fromkeys(starts):
        st = eng.local_search(eng.fit(hold), deadline)
        if best is None or (st.feasible and (not best.feasible or eng.better(st, best))):
            best = st
    assert best is not None
    return best


def solve_rebalance(
    problem: TrackingProblem, *, time_limit: float | None = None, relaxation: bool = False
) -> TrackingSolution:
    """Solve a tracking problem with ``current`` weights under its turnover and trade limits.

    Parameters
    ----------
    problem : TrackingProblem
        With ``current`` set (and usually ``max_turnover`` and/or ``max_trades``);
        validated first. ``lasso`` is not applied to a rebalance.
    time_limit : float, optional
        Seconds for the local search (the best support so far is returned).
    relaxation : bool
        Return the continuous relaxation (the turnover limit, no name or trade limit).

    Returns
    -------
    TrackingSolution
        ``status`` is ``'optimal'`` when the relaxation already meets the name and trade
        limits (the global optimum), else ``'local_optimum'``.

    Raises
    ------
    InfeasibleError
        No support within the name and trade limits meets the constraints (the current
        weights always do when nothing has to be sold: zero turnover keeps them).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(scale=0.01, size=(252, 20))
    >>> y = X[:, :4].mean(axis=1)
    >>> w0 = np.zeros(20); w0[[0, 1, 5, 6]] = 0.25
    >>> p = TrackingProblem.from_returns(X, y, current=w0, max_turnover=0.5, max_trades=4)
    >>> sol = solve_rebalance(p)
    >>> bool(np.abs(sol.weights - w0).sum() <= 0.5 + 1e-9)
    True
    """
    t0 = time.perf_counter()
    problem.validate()
    if problem.current is None:
        raise InfeasibleError("solve_rebalance needs the current weights (problem.current)")
    eng = _Rebalancer(problem)
    deadline = math.inf if time_limit is None else t0 + time_limit
    r0 = float(eng.w0.sum())
    size, seed = eng.reachable(eng.B)
    best, status = None, "local_optimum"
    for step in (1.0, 0.75, 0.5, 0.25, 0.0):
        eng.B = r0 + step * (size - r0)
        relax = eng.relax(seed if step == 1.0 else None)
        if not relax.feasible:
            continue
        held = np.flatnonzero(relax.w)
        if relaxation or (held.size <= eng.K and eng.trades(relax.w).size <= eng.m):
            best, status = relax, "optimal"
            break
        best = _search(eng, relax, deadline)
        if best.feasible:
            break
    if best is None or not best.feasible:
        raise InfeasibleError(
            f"no hedge of at most {eng.K} names and {eng.m} trades within the turnover "
            "limit meets the constraints; raise max_trades, max_turnover or max_names, or "
            "relax the constraints"
        )
    w = best.w.copy()
    support = np.flatnonzero(w)
    ws = w[support]
    Q = eng.S[np.ix_(support, support)]
    te_var = float(ws @ Q @ ws - 2.0 * eng.c[support] @ ws + problem.target_variance)
    return TrackingSolution(
        weights=w,
        objective=best.obj,
        tracking_variance=te_var,
        support=support,
        status=status,
        seconds=time.perf_counter() - t0,
        evaluations=eng.evaluations,
        method="relaxation" if relaxation else "rebalance",
    )
