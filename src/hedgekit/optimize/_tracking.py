"""Sparse tracking-error hedges: a cardinality-constrained quadratic program.

A short hedge basket ``w`` (non-negative weights in units of portfolio notional) should
replicate a target's returns: minimise the variance of ``target - hedge`` with at most
``max_names`` names, weight caps, minimum holdings, group bounds and general linear rows.
The problem is an NP-hard mixed-integer QP; :func:`solve_tracking` answers it with a
continuous relaxation, candidate supports and a swap local search whose every step solves
a small dense QP exactly (``daqp``, a dual active-set solver).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError, InfeasibleError, OptimizationError
from hedgekit.typing import CaseInsensitiveEnum

__all__ = ["GroupBound", "TrackingMethod", "TrackingProblem", "TrackingSolution", "solve_tracking"]

logger = logging.getLogger(__name__)

#: fraction of the budget that sets the scale of the log penalty: ``eps = 0.01 * budget``
_EPS_FRACTION = 0.01
#: tiny ridge added to every QP Hessian, relative to the mean variance, so it is definite
_TINY_RIDGE = 1e-10
#: weights at or below this fraction of the budget count as zero
_ZERO = 1e-12


class TrackingMethod(CaseInsensitiveEnum):
    """How :func:`solve_tracking` searches; accepts ``'fast'``, ``'FAST'`` and so on."""

    FAST = "fast"
    EXHAUSTIVE = "exhaustive"
    RELAXATION = "relaxation"


@dataclass(frozen=True, eq=False)
class GroupBound:
    """Bounds on the total weight of a group of candidates (a sector, a country, one asset).

    Parameters
    ----------
    name : str
        Label used in error messages (``'sector Energy'``).
    members : ndarray of int
        Column indices of the candidates in the group.
    lower, upper : float
        Bounds on the sum of the members' weights, in the unit of the budget.
    """

    name: str
    members: np.ndarray
    lower: float = 0.0
    upper: float = math.inf


@dataclass(frozen=True, eq=False)
class TrackingProblem:
    """A tracking-error hedge problem over ``n_assets`` candidates.

    Build it from returns with :meth:`from_returns` or from a factor model with
    :meth:`from_factor_model`; solve it with :func:`solve_tracking`.

    Parameters
    ----------
    covariance : ndarray of shape (n_assets, n_assets)
        Covariance ``S`` of the candidates' returns (symmetric positive semi-definite,
        possibly singular).
    cross : ndarray of shape (n_assets,)
        Covariance ``c`` of each candidate with the target.
    target_variance : float
        Variance of the target; only shifts the reported tracking variance.
    budget : float
        Sum of the weights (the hedge ratio, e.g. 1.0 for a 100% hedge).
    upper : float or ndarray of shape (n_assets,), optional
        Weight caps (``max_weight``, ADV caps); default: the budget.
    min_weight : float or ndarray of shape (n_assets,)
        Smallest non-zero weight of each candidate (semi-continuous); 0 means none.
    max_names : int, optional
        Most names with a non-zero weight; default: no limit.
    groups : tuple of GroupBound
        Bounds on group sums.
    A_ub : ndarray of shape (n_rows, n_assets), optional
        General linear rows ``A_ub @ w <= b_ub``.
    b_ub : ndarray of shape (n_rows,), optional
        Their right-hand sides.
    ub_names : sequence of str, optional
        One label per row of ``A_ub`` (``'max_return_deviation'``) for error messages.
    ridge : float
        Weight of ``||w||^2`` (diversity: spreads the weights).
    lasso : float
        Weight of the concentration penalty ``P(w)`` (see Notes).
    asset_names : sequence of str, optional
        Candidate labels for error messages.

    Notes
    -----
    The objective is

    .. math::

        f(w) = w^T S w - 2 c^T w + \\rho \\lVert w \\rVert_2^2 + \\lambda P(w),
        \\qquad P(w) = \\sum_i \\log(1 + w_i / \\varepsilon), \\quad
        \\varepsilon = 0.01 \\cdot \\text{budget},

    so that ``f(w) + target_variance`` is the tracking variance plus the penalties. An
    L1 penalty would be the constant ``budget`` on non-negative weights with a fixed sum;
    the concave log penalty instead rewards fewer names. It is handled by iterative
    reweighting (a majorise-minimise scheme): step ``t`` replaces ``P`` by its
    linearisation at the previous weights,

    .. math::

        P(w) \\le P(w^{(t-1)}) + \\sum_i \\frac{w_i - w_i^{(t-1)}}{\\varepsilon + w_i^{(t-1)}},

    a linear term whose coefficients differ across names, so each step is a convex QP and
    the true objective never increases. The first step linearises at ``w = 0``, where all
    coefficients are equal and the term is constant: the lasso-free solution.
    """

    covariance: np.ndarray
    cross: np.ndarray
    target_variance: float = 0.0
    budget: float = 1.0
    upper: npt.ArrayLike | float | None = None
    min_weight: npt.ArrayLike | float = 0.0
    max_names: int | None = None
    groups: tuple[GroupBound, ...] = ()
    A_ub: np.ndarray | None = None
    b_ub: np.ndarray | None = None
    ub_names: Sequence[str] | None = None
    ridge: float = 0.0
    lasso: float = 0.0
    asset_names: Sequence[str] | None = None

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_returns(
        cls, candidates: npt.ArrayLike, target: npt.ArrayLike, **constraints: Any
    ) -> TrackingProblem:
        """Problem whose covariances are the sample covariances of returns.

        Parameters
        ----------
        candidates : array-like of shape (n_observations, n_assets)
            Candidate returns, no missing values. A DataFrame's columns become the
            ``asset_names`` unless given.
        target : array-like of shape (n_observations,)
            Target (portfolio) returns.
        **constraints
            Any other field of :class:`TrackingProblem` (``budget``, ``upper``, ...).

        Returns
        -------
        TrackingProblem

        Raises
        ------
        ConfigurationError
            Shapes disagree, fewer than two observations, or missing values.

        Notes
        -----
        With centred returns ``X`` (n_observations ``T``) and ``y``:
        ``S = X^T X / (T - 1)``, ``c = X^T y / (T - 1)``,
        ``target_variance = y^T y / (T - 1)``.
        """
        if "asset_names" not in constraints and hasattr(candidates, "columns"):
            constraints["asset_names"] = [str(x) for x in candidates.columns]
        X = np.asarray(candidates, dtype="float64")
        y = np.asarray(target, dtype="float64")
        if X.ndim != 2:
            raise ConfigurationError(
                f"candidates has shape {X.shape}; pass a 2-D array (n_observations, n_assets)"
            )
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ConfigurationError(
                f"target has shape {y.shape} but candidates has {X.shape[0]} observations; "
                "pass a 1-D target of the same length"
            )
        T = X.shape[0]
        if T < 2:
            raise ConfigurationError(f"{T} observation(s); at least 2 are needed")
        bad = ~np.isfinite(X).all(axis=0)
        if bad.any():
            names = constraints.get("asset_names")
            cols = [str(names[i]) if names is not None else str(i) for i in np.flatnonzero(bad)]
            raise ConfigurationError(
                f"candidate column(s) {', '.join(cols[:5])} hold missing or infinite returns; "
                "drop or fill them first"
            )
        if not np.isfinite(y).all():
            raise ConfigurationError("target holds missing or infinite returns; drop those dates")
        Xc = X - X.mean(axis=0)
        yc = y - y.mean()
        S = Xc.T @ Xc
        S /= T - 1
        c = (yc @ Xc) / (T - 1)
        return cls(S, c, float(yc @ yc) / (T - 1), **constraints)

    @classmethod
    def from_factor_model(
        cls,
        exposures: npt.ArrayLike,
        factor_covariance: npt.ArrayLike,
        specific_variance: npt.ArrayLike,
        target_exposures: npt.ArrayLike,
        target_specific_variance: float,
        specific_cross: npt.ArrayLike | None = None,
        **constraints: Any,
    ) -> TrackingProblem:
        """Problem whose covariances come from a factor risk model.

        Parameters
        ----------
        exposures : array-like of shape (n_assets, n_factors)
            Factor loadings ``B`` of the candidates.
        factor_covariance : array-like of shape (n_factors, n_factors)
            Factor covariance ``F``.
        specific_variance : array-like of shape (n_assets,)
            Specific (idiosyncratic) variances ``D``.
        target_exposures : array-like of shape (n_factors,)
            Factor loadings ``b`` of the target.
        target_specific_variance : float
            Specific variance of the target.
        specific_cross : array-like of shape (n_assets,), optional
            Specific covariance ``s`` of each candidate with the target (non-zero when the
            target holds candidates); default 0.
        **constraints
            Any other field of :class:`TrackingProblem`.

        Returns
        -------
        TrackingProblem

        Notes
        -----
        ``S = B F B^T + diag(D)``, ``c = B F b + s``,
        ``target_variance = b^T F b + target_specific_variance``.
        """
        B = np.asarray(exposures, dtype="float64")
        F = np.asarray(factor_covariance, dtype="float64")
        D = np.asarray(specific_variance, dtype="float64")
        b = np.asarray(target_exposures, dtype="float64")
        if B.ndim != 2:
            raise ConfigurationError(
                f"exposures has shape {B.shape}; pass a 2-D array (n_assets, n_factors)"
            )
        n, k = B.shape
        if F.shape != (k, k):
            raise ConfigurationError(
                f"factor_covariance has shape {F.shape}; expected ({k}, {k}) for {k} factors"
            )
        if D.shape != (n,):
            raise ConfigurationError(
                f"specific_variance has shape {D.shape}; expected ({n},) for {n} candidates"
            )
        if b.shape != (k,):
            raise ConfigurationError(
                f"target_exposures has shape {b.shape}; expected ({k},) for {k} factors"
            )
        if (D < 0).any():
            raise ConfigurationError(
                f"specific_variance has a negative entry {float(D.min()):.3g}; variances are >= 0"
            )
        if not target_specific_variance >= 0:
            raise ConfigurationError(
                f"target_specific_variance={target_specific_variance} must be >= 0"
            )
        s = np.zeros(n) if specific_cross is None else np.asarray(specific_cross, dtype="float64")
        if s.shape != (n,):
            raise ConfigurationError(
                f"specific_cross has shape {s.shape}; expected ({n},) for {n} candidates"
            )
        BF = B @ F
        S = BF @ B.T
        S = 0.5 * (S + S.T)
        S[np.diag_indices(n)] += D
        c = BF @ b + s
        tv = float(b @ F @ b) + float(target_specific_variance)
        return cls(S, c, tv, **constraints)

    # ------------------------------------------------------------------ validation
    @property
    def n_assets(self) -> int:
        """Number of candidates."""
        return int(np.shape(self.cross)[0]) if np.ndim(self.cross) == 1 else 0

    def validate(self) -> None:
        """Check shapes and values; :func:`solve_tracking` calls it first.

        Raises
        ------
        ConfigurationError
            The message names the offending field and value.
        """
        S = np.asarray(self.covariance, dtype="float64")
        c = np.asarray(self.cross, dtype="float64")
        if c.ndim != 1:
            raise ConfigurationError(f"cross has shape {c.shape}; pass a 1-D array (n_assets,)")
        n = c.shape[0]
        if S.shape != (n, n):
            raise ConfigurationError(
                f"covariance has shape {S.shape} but cross has {n} entries; "
                f"pass a ({n}, {n}) matrix"
            )
        if not (np.isfinite(S).all() and np.isfinite(c).all()):
            raise ConfigurationError("covariance or cross holds NaN or inf; clean the inputs")
        if n and (np.diag(S) < 0).any():
            i = int(np.argmin(np.diag(S)))
            raise ConfigurationError(
                f"covariance has a negative variance {S[i, i]:.3g} for {self._name(i)}; "
                "it must be positive semi-definite"
            )
        if n and not np.array_equal(S, S.T):
            asym = float(np.max(np.abs(S - np.ascontiguousarray(S.T))))
            if asym > 1e-8 * max(float(np.max(np.abs(S))), 1e-300):
                raise ConfigurationError(
                    f"covariance is not symmetric (max |S - S'| = {asym:.3g}); pass (S + S.T) / 2"
                )
        if not math.isfinite(self.target_variance) or self.target_variance < 0:
            raise ConfigurationError(f"target_variance={self.target_variance} must be >= 0")
        if not (math.isfinite(self.budget) and self.budget > 0):
            raise ConfigurationError(f"budget={self.budget} must be a positive number")
        for field_name, value in (("upper", self.upper), ("min_weight", self.min_weight)):
            if value is None:
                continue
            arr = np.asarray(value, dtype="float64")
            if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape != (n,)):
                raise ConfigurationError(
                    f"{field_name} has shape {arr.shape}; pass a scalar or an array of shape ({n},)"
                )
            if np.isnan(arr).any() or (arr < 0).any():
                raise ConfigurationError(f"{field_name} must be >= 0 (got {np.min(arr):g} or NaN)")
        if np.isinf(np.asarray(self.min_weight, dtype="float64")).any():
            raise ConfigurationError("min_weight must be finite")
        if self.max_names is not None and (
            isinstance(self.max_names, bool)
            or not isinstance(self.max_names, int | np.integer)
            or self.max_names < 1
        ):
            raise ConfigurationError(f"max_names={self.max_names!r} must be an integer >= 1")
        for label, value in (("ridge", self.ridge), ("lasso", self.lasso)):
            if not (math.isfinite(value) and value >= 0):
                raise ConfigurationError(f"{label}={value} must be a finite number >= 0")
        for g in self.groups:
            if not isinstance(g, GroupBound):
                raise ConfigurationError(f"groups holds {g!r}; pass GroupBound objects")
            m = np.asarray(g.members)
            if m.size and (
                not np.issubdtype(m.dtype, np.integer) or m.min() < 0 or m.max() >= n or m.ndim != 1
            ):
                raise ConfigurationError(
                    f"group {g.name!r} has member indices outside 0..{n - 1}; "
                    "pass column indices of the candidates"
                )
            if math.isnan(g.lower) or math.isnan(g.upper) or g.lower > g.upper:
                raise ConfigurationError(
                    f"group {g.name!r} has lower={g.lower:g} > upper={g.upper:g}; swap or fix them"
                )
        if (self.A_ub is None) != (self.b_ub is None):
            raise ConfigurationError("pass both A_ub and b_ub, or neither")
        if self.A_ub is not None:
            A = np.asarray(self.A_ub, dtype="float64")
            b = np.asarray(self.b_ub, dtype="float64")
            if A.ndim != 2 or A.shape[1] != n or b.shape != (A.shape[0],):
                raise ConfigurationError(
                    f"A_ub has shape {A.shape} and b_ub {b.shape}; expected (n_rows, {n}) "
                    "and (n_rows,)"
                )
            if not np.isfinite(A).all() or np.isnan(b).any():
                raise ConfigurationError("A_ub or b_ub holds NaN (or A_ub inf); clean the rows")
            if self.ub_names is not None and len(self.ub_names) != A.shape[0]:
                raise ConfigurationError(
                    f"ub_names has {len(self.ub_names)} labels for {A.shape[0]} rows of A_ub; "
                    "pass one per row"
                )
        if self.asset_names is not None and len(self.asset_names) != n:
            raise ConfigurationError(
                f"asset_names has {len(self.asset_names)} labels for {n} candidates; "
                "pass one per column"
            )

    def _name(self, i: int) -> str:
        return str(self.asset_names[i]) if self.asset_names is not None else f"candidate {i}"


@dataclass(frozen=True, eq=False)
class TrackingSolution:
    """Result of :func:`solve_tracking`.

    Attributes
    ----------
    weights : ndarray of shape (n_assets,)
        Hedge weights (zero outside the support), summing to the budget.
    objective : float
        ``w'Sw - 2c'w + ridge * ||w||^2 + lasso * P(w)`` at the weights.
    tracking_variance : float
        ``w'Sw - 2c'w + target_variance``: variance of target minus hedge.
    support : ndarray of int
        Indices of the non-zero weights, ascending.
    status : str
        ``'optimal'``: the relaxation was solved to optimality (``method='relaxation'``,
        or its solution already met ``max_names`` and the minimum weights: then it is
        the global optimum). ``'local_optimum'``: no swap improves (or, with
        ``lasso > 0``, the reweighting reached a stationary point). ``'time_limit'``: the
        search stopped early.
    seconds : float
        Wall time of the solve.
    evaluations : int
        Number of QPs solved.
    method : str
        The method used.
    """

    weights: np.ndarray
    objective: float
    tracking_variance: float
    support: np.ndarray
    status: str
    seconds: float
    evaluations: int
    method: str

    @property
    def tracking_error(self) -> float:
        """Square root of the tracking variance (per period, not annualised)."""
        return math.sqrt(max(self.tracking_variance, 0.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "weights": [float(x) for x in self.weights],
            "objective": self.objective,
            "tracking_variance": self.tracking_variance,
            "tracking_error": self.tracking_error,
            "support": [int(i) for i in self.support],
            "status": self.status,
            "seconds": self.seconds,
            "evaluations": self.evaluations,
            "method": self.method,
        }


# ====================================================================== internals
def _pct(x: float) -> str:
    return f"{100.0 * x:.4g}%"


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
        rows, lo, hi, names = [], [], [], []
        for g in p.groups:
            r = np.zeros(n)
            r[np.asarray(g.members, dtype=int)] = 1.0
            rows.append(r)
            lo.append(float(g.lower))
            hi.append(float(g.upper))
            names.append(f"group {g.name!r}")
        if p.A_ub is not None and p.b_ub is not None:
            A = np.asarray(p.A_ub, dtype="float64")
            b = np.asarray(p.b_ub, dtype="float64")
            for i in range(A.shape[0]):
                rows.append(A[i])
                lo.append(-math.inf)
                hi.append(float(b[i]))
                names.append(str(p.ub_names[i]) if p.ub_names is not None else f"A_ub row {i}")
        M = np.array(rows).reshape(len(rows), n)
        # presolve: a row that no weights in [0, caps] summing to the budget can violate
        # (a disabled return band, a group bound wider than the budget) is dropped
        top = np.max(M, axis=1, initial=-math.inf) * self.budget
        bottom = np.min(M, axis=1, initial=math.inf) * self.budget
        margin = 1e-9 * self.budget * (1.0 + np.max(np.abs(M), axis=1, initial=0.0))
        live = (top > np.array(hi, dtype="float64") + margin) | (
            bottom < np.array(lo, dtype="float64") - margin
        )
        self.M = M[live]
        self.lo = np.array(lo, dtype="float64")[live]
        self.hi = np.array(hi, dtype="float64")[live]
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
        try:
            import daqp
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise OptimizationError(
                "the tracking optimizer needs the 'daqp' package; install it with "
                "'pip install daqp'"
            ) from exc
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
            x, fval, flag, info = self._daqp.solve(H, f, A, bu, bl, sense, primal_tol=1e-10)
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
        x, _, flag, info = self._daqp.solve(Hel, fel, Ael, bu, bl, sense, primal_tol=1e-10)
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
        fa, fb = a.viol <= self.feas_tol, b.viol <= self.feas_tol
        if fa != fb:
            return fa
        if not fa:
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

    def relax(self) -> _Fit:
        """Continuous relaxation (no cardinality, no minimum weights) by column generation.

        Solve the QP on a working set, price every other candidate with its reduced cost,
        add the most negative ones, repeat until none is negative (the KKT conditions of
        the full problem hold).
        """
        n, K = self.n, self.K
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
        tol = 1e-10 * self.grad_scale
        # linearised log penalty; at w = 0 it is a constant under the budget: drop it
        lin_full: np.ndarray | None = np.zeros(n) if self.lasso else None
        fit: _Fit | None = None
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
                work |= set(take.tolist())
            assert fit is not None
            if not self.lasso:
                break
            wf = np.zeros(n)
            wf[fit.idx] = fit.w
            new_lin = self.lasso / (self.eps + wf)
            assert lin_full is not None
            if step and float(np.max(np.abs(new_lin - lin_full))) <= 1e-9 * self.lasso / self.eps:
                break
            lin_full = new_lin
        assert fit is not None
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
            if not np.isfinite(d[j]) or (fit.viol <= self.feas_tol and d[j] >= -tol):
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
            bounds = self.swap_bounds(fit)
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

    def swap_bounds(self, fit: _Fit) -> np.ndarray | None:
        """Lower bounds on the objective after each swap, shape ``(k, n)`` (or None).

        Entry ``(i, j)`` bounds the refit objective of the support with its ``i``-th name
        replaced by candidate ``j`` from below: the quadratic part minimised under the
        budget alone (no bounds, rows or minimum weights: a relaxation, so never above the
        refit), in closed form, plus the smallest value the log penalty takes on weights
        that sum to the budget under the caps. A swap whose bound is not below the best
        objective so far cannot improve, so the search skips its QP and finds the same
        answer. None when the fit is infeasible (ranked by violation, not objective).

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
        # a newcomer (nearly) collinear with the kept names: no useful bound
        degenerate = s_j <= 1e-9 * np.maximum(self.diag[None, :], 1e-300)
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
        k = min(self.K, self.n)
        return np.sort(rng.choice(self.n, size=k, replace=False))


# ====================================================================== feasibility
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


# ====================================================================== entry point
def solve_tracking(
    problem: TrackingProblem,
    *,
    method: TrackingMethod | str = TrackingMethod.FAST,
    seed: int = 0,
    starts: int | None = None,
    time_limit: float | None = None,
) -> TrackingSolution:
    """Solve a tracking-error hedge problem.

    Parameters
    ----------
    problem : TrackingProblem
        The problem; validated first.
    method : {'fast', 'exhaustive', 'relaxation'}
        ``'fast'``: the production heuristic (see Notes). ``'exhaustive'``: the reference,
        many starts each followed by a swap search over every (inside, outside) pair;
        seconds rather than milliseconds. ``'relaxation'``: the continuous relaxation only
        (every linear constraint, but no cardinality and no minimum weights).
    seed : int
        Seed of the random starts.
    starts : int, optional
        Number of random starting supports; default 0 for ``'fast'``, 16 for
        ``'exhaustive'``.
    time_limit : float, optional
        Seconds; the search returns the best solution so far (status ``'time_limit'``)
        when it runs out.

    Returns
    -------
    TrackingSolution

    Raises
    ------
    ConfigurationError
        The problem is malformed (see :meth:`TrackingProblem.validate`).
    InfeasibleError
        The constraints admit no hedge; the message names them and the way out.

    Notes
    -----
    ``'fast'``:

    1. *Relaxation* by column generation: solve the QP (every linear constraint, no
       cardinality) on a working set of candidates, price the others with the reduced
       cost ``d_j = 2(Sw - c)_j + 2 ridge w_j + lasso / (eps + w_j) + lambda_budget +
       sum_r lambda_r A_rj``, add those with ``d_j < 0``, repeat. If the relaxation meets
       ``max_names`` and the minimum weights it is the answer (status ``'optimal'``).
    2. *Starting supports*: the ``max_names`` largest relaxation weights, and a greedy
       forward selection by reduced cost (the elastic QP prices unmet budget and group
       rows, so members of groups with a positive lower bound are picked first).
    3. *Refit* of a support: the exact QP on its columns with bounds, budget, group rows
       and ``A_ub`` rows (``daqp``, Hessian ``2(S + (ridge + 1e-10 * mean variance) I)``
       so that it is definite), reweighted for the log penalty; names below their minimum
       weight are either dropped or lifted to it (both tried, the better kept). An
       infeasible support is solved as an elastic QP (exact penalty on row violations)
       and ranks after every feasible one.
    4. *Swap search*: for support name ``i`` and outsider ``j``, moving all of ``w_i`` to
       ``j`` with the other weights fixed changes the Lagrangian by
       ``w_i (d_j - d_i) + w_i^2 (S_ii + S_jj - 2 S_ij + 2 ridge)`` (exact for the
       quadratic part; the log penalty is unchanged by such a move). The ``2 K + 10``
       best-ranked swaps are refitted and the best improvement kept, until none
       improves; then every swap with the relaxation's names is refitted (first
       improvement), and the search goes on while that helps. A swap is skipped without
       its QP when a closed-form lower bound on its refit (the quadratic part under the
       budget alone, plus the smallest log penalty the caps allow) is not below the best
       objective so far: it could not be taken, so the answer is the one the search finds
       without the bounds, with a fraction of the QPs. With ``lasso > 0`` a refit's
       reweighting starts from the current weights (the newcomer taking the leaver's
       weight), and a name is added only when its reduced cost is negative.

    The best of the starts is returned. ``'exhaustive'`` runs the same from the same
    starts plus ``starts`` random supports, and continues each from its fast local
    optimum with a first-improvement search over every (inside, outside) pair, stopping
    only when a full pass finds no improving swap.

    The best of the starts is returned.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(scale=0.01, size=(252, 50))
    >>> y = X[:, :5].mean(axis=1) + rng.normal(scale=0.002, size=252)
    >>> sol = solve_tracking(TrackingProblem.from_returns(X, y, max_names=5, upper=0.4))
    >>> sol.support
    array([0, 1, 2, 3, 4])
    >>> round(float(sol.weights.sum()), 9)
    1.0
    """
    t0 = time.perf_counter()
    try:
        method = TrackingMethod(method)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in TrackingMethod)
        raise ConfigurationError(f"method={method!r} is not one of {choices}") from None
    problem.validate()
    if starts is not None and starts < 0:
        raise ConfigurationError(f"starts={starts} must be >= 0")
    if time_limit is not None and not time_limit > 0:
        raise ConfigurationError(f"time_limit={time_limit} must be a positive number of seconds")
    deadline = math.inf if time_limit is None else t0 + time_limit
    eng = _Engine(problem, deadline)
    _check_feasible(eng)

    relax = eng.relax()
    # with the (non-convex) log penalty the relaxation is only a stationary point
    status = "local_optimum" if eng.lasso else "optimal"
    if relax.viol > eng.feas_tol:
        _raise_rows(
            eng,
            relax,
            "even without the max_names and min_weight limits",
            "relax these constraints",
        )
    if method is TrackingMethod.RELAXATION:
        best = relax
    else:
        mins_ok = not eng.has_min or bool((relax.w >= eng.mw[relax.idx] - eng.feas_tol).all())
        if relax.idx.size <= eng.K and mins_ok and not eng.lasso:
            best = relax
        else:
            best, status = _search(eng, relax, method, seed, starts)
            if eng.lasso:  # polish the reweighting of the answer
                eng.mm_tol = 1e-10 * eng.budget
                polished = eng.fit_support(best.idx)
                if not eng.better(best, polished):
                    best = polished
            if best.viol > eng.feas_tol:
                _raise_rows(
                    eng,
                    best,
                    f"with max_names={eng.K} and the minimum weights",
                    "relax these constraints, raise max_names or lower min_weight",
                )
    logger.debug(
        "solve_tracking(%s): %d candidates, %d names, %d QPs, %.1f ms",
        method.value,
        eng.n,
        best.idx.size,
        eng.evaluations,
        1e3 * (time.perf_counter() - t0),
    )
    w = np.zeros(eng.n)
    w[best.idx] = best.w
    w[w <= eng.zero] = 0.0
    support = np.flatnonzero(w)
    Q = eng.S.take(support, 0).take(support, 1)
    ws = w[support]
    te_var = float(ws @ Q @ ws - 2.0 * eng.c[support] @ ws + problem.target_variance)
    return TrackingSolution(
        weights=w,
        objective=eng.objective(support, ws, Q),
        tracking_variance=te_var,
        support=support,
        status=status,
        seconds=time.perf_counter() - t0,
        evaluations=eng.evaluations,
        method=method.value,
    )


def _search(
    eng: _Engine, relax: _Fit, method: TrackingMethod, seed: int, starts: int | None
) -> tuple[_Fit, str]:
    """Cardinality search: starts, swaps, best of all."""
    full = method is TrackingMethod.EXHAUSTIVE
    n_random = (16 if full else 0) if starts is None else starts
    width = 2 * eng.K + 10
    top = relax.idx[np.argsort(-relax.w, kind="stable")[: eng.K]]
    seeds: list[_Fit] = [eng.fit_support(top), eng.greedy()]
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
