"""A hedge within caps on the factor share of its predicted variance (``max_factor_share``,
``max_factor_share_by_group``).

"Factor variance <= s x total variance" is not convex in the weights (a ratio of two
quadratics), so the caps are met by a penalty whose weight is searched: with ``x = b - B'w``
the hedged portfolio's factor exposures, each solve minimises

    tracking objective(w) + u * sum_j lambda_j * x' F_j x

where ``F_j`` is ``F`` for the overall cap and, for a group's cap, ``F`` with every entry
outside the group's rows and columns set to 0 (``x' F_j x`` is the group's variance alone),
and ``u`` puts the annualised model variance in the objective's units (1 for the factor
method, ``1 / periods per year`` for the methods fitted to periodic returns). The penalty is a
convex quadratic: the solve is the usual tracking problem with ``S + u B P B'``,
``c + u B P b`` (``P = sum_j lambda_j F_j``), so caps, groups, factor bounds and the name
limits all hold. ``lambda`` is unit-free: at 1 the residual factor variance counts twice.

The search: solve with ``lambda = 0`` (the hedge without caps); while a cap is missed, raise
the weights of the missed caps (``1/64`` the first time, then x4) and solve again; past
``10^6`` the caps are out of reach and :class:`~hedgekit.InfeasibleError` names the lowest
share found. From the first weights that meet every cap, a bisection on their common scale
(between a quarter and all of them, in log steps) looks for smaller weights that still meet
them. Of every solve that meets the caps, the one with the lowest tracking objective (without
the penalty) is the hedge. About 5 to 20 solves.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from hedgekit._cancel import checkpoint
from hedgekit._errors import InfeasibleError
from hedgekit.hedge._factor_share import FactorShareTerms, share_groups
from hedgekit.hedge._parameters import PerformanceHedgeParameters
from hedgekit.hedge._prepare import Prepared
from hedgekit.hedge._problem import _solver_info, in_sample_tracking_error, tracking_problem
from hedgekit.optimize import TrackingProblem, solve_tracking

__all__ = ["FactorPenalty", "solve_within_factor_share", "tracking_objective"]

#: the first penalty weight a missed cap gets, and the factor of each raise
_FIRST_LAMBDA, _GROWTH = 1.0 / 64.0, 4.0
#: a penalty weight above this and the cap is out of reach
_MAX_LAMBDA = 1e6
#: steps of the bisection on the common scale of the weights
_BISECTIONS = 6
#: the weights meet a cap with this relative margin, so that whole-share rounding keeps it
_MARGIN = 1e-3


@dataclasses.dataclass(frozen=True)
class _Attempt:
    lam: np.ndarray
    weights: np.ndarray
    shares: np.ndarray  # one per cap, fractions
    objective: float  # tracking objective without the penalty
    solution: Any


def solve_within_factor_share(
    prep: Prepared, params: PerformanceHedgeParameters
) -> tuple[np.ndarray, dict[str, Any]]:
    """The hedge with the lowest tracking objective among those the penalty search finds
    within the factor-share caps (see the module docstring), and the optimizer's info with
    ``factor_share``: the penalty weights used, the solves, the in-sample tracking error with
    and without the caps.

    Raises
    ------
    InfeasibleError
        A cap no penalty weight up to ``10^6`` meets; the message gives the lowest share
        found for each cap missed.
    """
    terms = FactorShareTerms.from_prepared(prep)
    groups = share_groups(params.max_factor_share_by_group, terms.factors)
    labels: list[str] = []
    members: list[np.ndarray | None] = []
    cap_list: list[float] = []
    if params.max_factor_share is not None:
        labels.append("overall")
        members.append(None)
        cap_list.append(float(params.max_factor_share) / 100.0)
    for g, (m, c) in groups.items():
        labels.append(g)
        members.append(m)
        cap_list.append(c)
    cap = np.asarray(cap_list)
    base = tracking_problem(prep, params)
    unit = 1.0 if prep.forecast is not None else 1.0 / prep.sampling.periods_per_year
    penalty = FactorPenalty.of(terms, members, unit)
    shares_of = {g: m for g, (m, _) in groups.items()}
    tried: list[_Attempt] = []

    def attempt(lam: np.ndarray) -> _Attempt:
        checkpoint()  # a cancelled caller stops between two solves
        sol = solve_tracking(penalty.apply(base, lam), method="fast")
        w = sol.weights
        got = terms.shares(w, shares_of)
        shares = np.array(
            [got["factor_share"] if m is None else got["by_group"][g]
             for g, m in zip(labels, members, strict=True)]
        )  # fmt: skip
        found = _Attempt(lam.copy(), w, shares, tracking_objective(base, w), sol)
        tried.append(found)
        return found

    def meets(a: _Attempt) -> bool:
        return bool(np.all(a.shares <= cap * (1.0 - _MARGIN)))

    lam = np.zeros(len(cap))
    last = attempt(lam)
    while not meets(last):
        missed = last.shares > cap * (1.0 - _MARGIN)
        lam = np.where(missed, np.where(lam > 0, lam * _GROWTH, _FIRST_LAMBDA), lam)
        if lam.max() > _MAX_LAMBDA:
            raise _unreachable(params, labels, cap, tried)
        last = attempt(lam)
    feasible = lam.copy()
    low, high = -1.0, 0.0  # log_GROWTH of the scale; the high end meets the caps
    for _ in range(_BISECTIONS if feasible.any() else 0):
        mid = 0.5 * (low + high)
        if meets(attempt(feasible * _GROWTH**mid)):
            high = mid
        else:
            low = mid
    best = min((a for a in tried if meets(a)), key=lambda a: a.objective)
    info = _solver_info(best.solution)
    lam_by = dict(zip(labels, best.lam.tolist(), strict=True))
    info["factor_share"] = {
        "lambda": lam_by.pop("overall", None),
        "lambda_by_group": lam_by,
        "solves": len(tried),
        "tracking_error_uncapped": 100.0 * in_sample_tracking_error(prep, tried[0].weights),
        "tracking_error": 100.0 * in_sample_tracking_error(prep, best.weights),
    }
    return best.weights, info


@dataclasses.dataclass(frozen=True, eq=False)
class FactorPenalty:
    """The penalties ``u x' F_j x`` of the caps as quadratic terms in the weights.

    With ``x = b - B'w``: ``u x' F_j x = w' Q_j w - 2 l_j' w + k_j`` where ``Q_j = u B F_j B'``,
    ``l_j = u B F_j b`` and ``k_j = u b' F_j b``.
    """

    quad: list[np.ndarray]
    lin: list[np.ndarray]
    const: list[float]

    @classmethod
    def of(
        cls, terms: FactorShareTerms, members: list[np.ndarray | None], unit: float
    ) -> FactorPenalty:
        """The penalties of the caps on the groups ``members`` (None: every factor)."""
        B, b = terms.exposures, terms.target_exposures
        blocks = [unit * terms.block(m) for m in members]
        return cls(
            quad=[B @ P @ B.T for P in blocks],
            lin=[B @ (P @ b) for P in blocks],
            const=[float(b @ P @ b) for P in blocks],
        )

    def apply(self, problem: TrackingProblem, lam: np.ndarray) -> TrackingProblem:
        """``problem`` with ``sum_j lam_j u x' F_j x`` added to its objective (itself when
        every weight is 0)."""
        if not np.any(lam):
            return problem
        extra = sum(float(lj) * q for lj, q in zip(lam, self.quad, strict=True))
        return dataclasses.replace(
            problem,
            covariance=problem.covariance + 0.5 * (extra + np.transpose(extra)),
            cross=problem.cross + sum(float(lj) * v for lj, v in zip(lam, self.lin, strict=True)),
            target_variance=problem.target_variance
            + sum(float(lj) * k for lj, k in zip(lam, self.const, strict=True)),
        )


def tracking_objective(problem: TrackingProblem, w: np.ndarray) -> float:
    """``w' S w - 2 c' w + target variance``: the tracking variance the problem measures."""
    S = np.asarray(problem.covariance)
    return float(w @ S @ w - 2.0 * np.asarray(problem.cross) @ w + problem.target_variance)


def _unreachable(
    params: PerformanceHedgeParameters, labels: list[str], cap: np.ndarray, tried: list[_Attempt]
) -> InfeasibleError:
    """The error of caps no penalty weight meets: the lowest share found for each missed."""
    lowest = np.min(np.vstack([a.shares for a in tried]), axis=0)
    parts = []
    for label, c, low in zip(labels, cap, lowest, strict=True):
        if low <= c * (1.0 - _MARGIN):
            continue
        need = math.ceil(low * 1e4 + 1e-9) / 100.0
        name = (
            f"max_factor_share={100.0 * c:g}%"
            if label == "overall"
            else f"max_factor_share_by_group[{label!r}]={100.0 * c:g}%"
        )
        parts.append(f"{name} (lowest share found {100.0 * low:.2f}%; raise it to >= {need:g}%)")
    if not parts:  # each cap was met by some solve, never all by one
        parts = ["the caps together (each is met alone, never all at once; relax one)"]
    more = " or raise max_names" if params.max_names is not None else ""
    return InfeasibleError(
        f"the factor share cannot be brought within {'; '.join(parts)}: even a penalty weight "
        f"of {_MAX_LAMBDA:g} on the residual factor variance misses it; widen the universe"
        f"{more}, or drop exclusions that remove the names carrying those factors"
    )
