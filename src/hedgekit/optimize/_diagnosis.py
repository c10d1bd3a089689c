"""Feasibility diagnosis: constraint sets no weights can meet, caught before the search
(:func:`_check_feasible`) or from its best attempt (:func:`_raise_rows`), each raised
as an :class:`~hedgekit.InfeasibleError` that names the constraints and the way out.
"""

from __future__ import annotations

import math

import numpy as np

from hedgekit._errors import InfeasibleError
from hedgekit.optimize._search import _Engine, _Fit


def _pct(x: float) -> str:
    return f"{100.0 * x:.4g}%"


def _check_feasible(eng: _Engine) -> None:
    """Raise InfeasibleError for constraint sets that no weights can meet (before solving)."""
    p, n, B = eng.p, eng.n, eng.budget
    ub, mw = eng.ub, eng.mw
    if n == 0:
        raise InfeasibleError("no hedge candidates; widen the universe or relax the exclusions")
    bad = np.flatnonzero(mw > ub + 1e-12 * B)
    if bad.size:
        i = int(bad[0])
        more = f" (and {bad.size - 1} other candidates)" if bad.size > 1 else ""
        raise InfeasibleError(
            f"min_weight={_pct(mw[i])} exceeds the weight cap {_pct(ub[i])} of {p._name(i)}{more}; "
            "lower min_weight, raise max_weight or the ADV cap, or exclude these candidates"
        )
    total = float(ub.sum())
    if total < B * (1 - 1e-12):
        raise InfeasibleError(
            f"the ADV/weight caps of the {n} candidates add to only {_pct(total)} of the "
            f"{_pct(B)} hedge; raise max_adv_percentage or max_weight, or widen the universe"
        )
    K = eng.K
    caps_sorted = np.sort(ub)[::-1]
    reach = float(caps_sorted[:K].sum())
    if reach < B * (1 - 1e-12):
        need_k = int(np.searchsorted(np.cumsum(caps_sorted), B * (1 - 1e-12))) + 1
        if np.ptp(ub) <= 1e-12 * B:
            raise InfeasibleError(
                f"max_weight={_pct(ub[0])} with max_names={K} cannot reach a {_pct(B)} hedge "
                f"ratio; raise max_weight to >= {_pct(B / K)} or max_names to >= {need_k}"
            )
        raise InfeasibleError(
            f"the {K} largest weight caps add to only {_pct(reach)}, below the {_pct(B)} hedge "
            f"ratio with max_names={K}; raise max_weight or max_adv_percentage, or "
            f"max_names to >= {need_k}"
        )
    # groups, one at a time
    needs: list[tuple[int, int, np.ndarray]] = []  # (group index, names needed, members)
    for gi, g in enumerate(p.groups):
        mem = np.unique(np.asarray(g.members, dtype=int))
        if g.lower > 0 and mem.size == 0:
            raise InfeasibleError(
                f"group {g.name!r} needs at least {_pct(g.lower)} but has no candidates; "
                "set its lower bound to 0 or add candidates from it"
            )
        if g.lower > 0:
            caps = np.sort(ub[mem])[::-1]
            if float(caps.sum()) < g.lower * (1 - 1e-12):
                raise InfeasibleError(
                    f"the weight caps of the {mem.size} candidates in group {g.name!r} add to "
                    f"only {_pct(float(caps.sum()))}, below its lower bound {_pct(g.lower)}; "
                    "lower the bound, raise max_weight or the ADV caps, or add candidates"
                )
            k_g = int(np.searchsorted(np.cumsum(caps), g.lower * (1 - 1e-12))) + 1
            if k_g > K:
                raise InfeasibleError(
                    f"group {g.name!r} needs at least {k_g} names to reach its lower bound "
                    f"{_pct(g.lower)}, more than max_names={K}; raise max_names to >= {k_g}, "
                    "max_weight, or lower the bound"
                )
            needs.append((gi, k_g, mem))
    # groups with positive lower bounds that do not overlap: their needs add up
    disjoint: list[tuple[int, int, np.ndarray]] = []
    seen = np.zeros(n, dtype=bool)
    for item in sorted(needs, key=lambda t: -p.groups[t[0]].lower):
        if not seen[item[2]].any():
            disjoint.append(item)
            seen[item[2]] = True
    if len(disjoint) > 1:
        low = sum(p.groups[gi].lower for gi, _, _ in disjoint)
        parts = ", ".join(
            f"{p.groups[gi].name} {_pct(p.groups[gi].lower)}" for gi, _, _ in disjoint
        )
        if low > B * (1 + 1e-12):
            raise InfeasibleError(
                f"group lower bounds add to {_pct(low)} ({parts}), above the {_pct(B)} hedge "
                "ratio; lower them"
            )
        names = sum(k for _, k, _ in disjoint)
        if names > K:
            parts = ", ".join(f"{p.groups[gi].name} {k}" for gi, k, _ in disjoint)
            raise InfeasibleError(
                f"group lower bounds need at least {names} names ({parts}), more than "
                f"max_names={K}; raise max_names to >= {names} or lower the group bounds"
            )
    # upper bounds of non-overlapping groups cap the total that can be placed
    caps_left = ub.copy()
    limited: list[str] = []
    room = 0.0
    taken = np.zeros(n, dtype=bool)
    for g in sorted(p.groups, key=lambda g: g.upper):
        mem = np.unique(np.asarray(g.members, dtype=int))
        if not math.isfinite(g.upper) or mem.size == 0 or taken[mem].any():
            continue
        if g.upper < float(caps_left[mem].sum()):
            room += g.upper
            taken[mem] = True
            limited.append(f"{g.name} {_pct(g.upper)}")
    room += float(caps_left[~taken].sum())
    if limited and room < B * (1 - 1e-12):
        raise InfeasibleError(
            f"group upper bounds ({', '.join(limited)}) and the weight caps allow at most "
            f"{_pct(room)} in total, below the {_pct(B)} hedge ratio; raise those group bounds"
        )


def _raise_rows(eng: _Engine, fit: _Fit, context: str, hint: str) -> None:
    """InfeasibleError naming the rows the best attempt violates."""
    idx, w = fit.idx, fit.w
    a = eng.M[:, idx] @ w if eng.m else np.zeros(0)
    parts: list[str] = []
    for r in range(eng.m):
        over = max(eng.lo[r] - a[r], a[r] - eng.hi[r])
        if over > eng.feas_tol:
            parts.append(f"{eng.row_names[r]} (violated by {over:.3g})")
    gap = abs(float(w.sum()) - eng.budget)
    if gap > eng.feas_tol:
        parts.append(f"the {_pct(eng.budget)} hedge ratio (missed by {_pct(gap)})")
    what = "; ".join(parts) if parts else "the constraints"
    raise InfeasibleError(
        f"no hedge meets every constraint {context}; the best attempt breaks {what}; {hint}"
    )
