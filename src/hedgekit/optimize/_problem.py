"""The tracking-error hedge problem: covariances, budget, caps, cardinality, groups,
linear rows and, for a rebalance, the current weights with turnover and trade limits
(:class:`TrackingProblem`, :class:`GroupBound`), its builders from returns or a factor
model, and its validation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError

__all__ = ["GroupBound", "TrackingProblem"]


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
    current : ndarray of shape (n_assets,), optional
        Weights of the hedge held now (a rebalance); with ``max_turnover`` or
        ``max_trades`` the solver looks for the best hedge reachable from them (see
        :func:`~hedgekit.optimize._rebalance.solve_rebalance`); without either limit they
        do not change the answer.
    max_turnover : float, optional
        ``sum_i |w_i - current_i| <= max_turnover``, in the unit of the budget.
    max_trades : int, optional
        At most this many names whose weight changes (``0``: the current weights).
    min_names : int, optional
        At least this many names with a positive weight (at most ``max_names`` and the
        number of candidates). Each held name then weighs at least its ``min_weight`` or,
        where that is 0, a floor of 0.1% of the budget (less when ``min_names`` is above
        500), so that the names count; the search keeps every support between
        ``min_names`` and ``max_names`` names (see :func:`solve_tracking`). Not with a
        rebalance's limits.
    long_short : bool
        Weights of either sign (a negative weight: the hedge holds the name on the other
        side); ``upper`` then caps ``|w_i|`` and the budget row becomes the net bounds
        ``net_lower <= sum(w) <= net_upper`` with the gross bound
        ``sum(|w_i|) <= max_gross``; solved by
        :func:`~hedgekit.optimize._long_short.solve_long_short`. Not with ``min_weight``,
        ``lasso`` or ``min_names``; with ``current`` (signed) and a rebalance's limits it
        is solved by :func:`~hedgekit.optimize._long_short_rebalance.solve_long_short_rebalance`.
    max_gross : float, optional
        Long/short only: ``sum(|w_i|) <= max_gross`` (default ``1.5 * budget``), in the unit
        of the budget.
    net_lower, net_upper : float, optional
        Long/short only: bounds on ``sum(w)`` (default: both the budget).

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
    current: npt.ArrayLike | None = None
    max_turnover: float | None = None
    max_trades: int | None = None
    min_names: int | None = None
    long_short: bool = False
    max_gross: float | None = None
    net_lower: float | None = None
    net_upper: float | None = None

    @property
    def is_rebalance(self) -> bool:
        """True when current weights come with a turnover or trade limit."""
        return self.current is not None and (
            self.max_turnover is not None or self.max_trades is not None
        )

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

    def linear_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """The general rows ``lo <= M w <= hi``: the groups (their members' total weight),
        then the rows of ``A_ub`` (no lower bound); with a label each.

        Returns
        -------
        (M, lo, hi, names)
            ``M`` of shape (n_rows, n_assets), ``lo`` and ``hi`` of shape (n_rows,).
        """
        n = self.n_assets
        rows, lo, hi, names = [], [], [], []
        for g in self.groups:
            r = np.zeros(n)
            r[np.asarray(g.members, dtype=int)] = 1.0
            rows.append(r)
            lo.append(float(g.lower))
            hi.append(float(g.upper))
            names.append(f"group {g.name!r}")
        if self.A_ub is not None and self.b_ub is not None:
            A = np.asarray(self.A_ub, dtype="float64")
            b = np.asarray(self.b_ub, dtype="float64")
            for i in range(A.shape[0]):
                rows.append(A[i])
                lo.append(-math.inf)
                hi.append(float(b[i]))
                names.append(
                    str(self.ub_names[i]) if self.ub_names is not None else f"A_ub row {i}"
                )
        M = np.array(rows, dtype="float64").reshape(len(rows), n)
        return M, np.array(lo, dtype="float64"), np.array(hi, dtype="float64"), names

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
        self._validate_rebalance(n)
        self._validate_min_names(n)
        self._validate_long_short()
        if self.asset_names is not None and len(self.asset_names) != n:
            raise ConfigurationError(
                f"asset_names has {len(self.asset_names)} labels for {n} candidates; "
                "pass one per column"
            )

    def _name(self, i: int) -> str:
        return str(self.asset_names[i]) if self.asset_names is not None else f"candidate {i}"

    def _validate_rebalance(self, n: int) -> None:
        """Check ``current``, ``max_turnover`` and ``max_trades``."""
        if self.current is None:
            if self.max_turnover is not None or self.max_trades is not None:
                raise ConfigurationError(
                    "max_turnover and max_trades limit a rebalance: pass the current weights "
                    "(current=) too"
                )
            return
        w0 = np.asarray(self.current, dtype="float64")
        if w0.shape != (n,):
            raise ConfigurationError(
                f"current has shape {w0.shape}; pass one weight per candidate, shape ({n},)"
            )
        if not np.isfinite(w0).all() or (not self.long_short and (w0 < 0).any()):
            raise ConfigurationError(
                "current weights must be finite and >= 0 (signed weights need long_short=True)"
            )
        if self.max_turnover is not None and not (
            math.isfinite(self.max_turnover) and self.max_turnover >= 0
        ):
            raise ConfigurationError(f"max_turnover={self.max_turnover} must be a number >= 0")
        if self.max_trades is not None and (
            isinstance(self.max_trades, bool)
            or not isinstance(self.max_trades, int | np.integer)
            or self.max_trades < 0
        ):
            raise ConfigurationError(f"max_trades={self.max_trades!r} must be an integer >= 0")

    def _validate_min_names(self, n: int) -> None:
        """Check ``min_names`` against ``max_names``, the candidates and the budget."""
        k = self.min_names
        if k is None:
            return
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ConfigurationError(f"min_names={k!r} must be an integer >= 1")
        if self.max_names is not None and k > self.max_names:
            raise ConfigurationError(
                f"min_names={k} is above max_names={self.max_names}; lower min_names or "
                "raise max_names"
            )
        if k > n:
            raise ConfigurationError(
                f"min_names={k} is above the {n} candidates; lower min_names to <= {n} or "
                "widen the universe (fewer exclusions)"
            )
        upper = self.budget if self.upper is None else self.upper
        caps = np.broadcast_to(np.asarray(upper, dtype="float64"), (n,))
        if int(np.count_nonzero(caps > 0)) < k:
            raise ConfigurationError(
                f"min_names={k} but only {int(np.count_nonzero(caps > 0))} candidates may be "
                "held (the others are capped at 0); lower min_names or relax the caps"
            )
        mw = np.sort(np.broadcast_to(np.asarray(self.min_weight, dtype="float64"), (n,)))
        least = float(mw[:k].sum())
        if least > self.budget * (1 + 1e-9):
            raise ConfigurationError(
                f"min_names={k} names of at least min_weight need {least:.6g}, above the "
                f"budget {self.budget:.6g}; lower min_names or min_weight"
            )
        if self.is_rebalance:
            raise ConfigurationError(
                "min_names does not combine with a rebalance's max_turnover or max_trades; "
                "drop one of them"
            )

    def net_bounds(self) -> tuple[float, float, float]:
        """Long/short: ``(net_lower, net_upper, max_gross)`` with their defaults (the
        budget, the budget, 1.5 times the budget)."""
        b = float(self.budget)
        lo = b if self.net_lower is None else float(self.net_lower)
        hi = b if self.net_upper is None else float(self.net_upper)
        gross = 1.5 * b if self.max_gross is None else float(self.max_gross)
        return lo, hi, gross

    def _validate_long_short(self) -> None:
        """Check ``max_gross`` and the net bounds, and what long/short does not combine with."""
        if not self.long_short:
            given = [
                k for k in ("max_gross", "net_lower", "net_upper") if getattr(self, k) is not None
            ]
            if given:
                raise ConfigurationError(
                    f"{', '.join(given)} bound a long/short hedge: pass long_short=True too"
                )
            return
        lo, hi, gross = self.net_bounds()
        for label, value in (("max_gross", gross), ("net_lower", lo), ("net_upper", hi)):
            if not math.isfinite(value):
                raise ConfigurationError(f"{label}={value} must be a finite number")
        if gross <= 0:
            raise ConfigurationError(f"max_gross={gross:g} must be positive")
        if lo > hi:
            raise ConfigurationError(
                f"net_lower={lo:g} is above net_upper={hi:g}; swap or fix them"
            )
        least = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
        if gross < least * (1 - 1e-12):
            raise ConfigurationError(
                f"max_gross={gross:g} is below the smallest net exposure allowed ({least:g}): "
                f"the gross is at least the net; raise max_gross to >= {least:g} or lower the "
                "net bounds"
            )
        clashes = [
            label
            for label, bad in (
                ("min_weight", bool(np.any(np.asarray(self.min_weight, dtype="float64") > 0))),
                ("lasso", self.lasso > 0),
                ("min_names", self.min_names is not None),
            )
            if bad
        ]
        if clashes:
            raise ConfigurationError(
                f"long_short does not combine with {', '.join(clashes)}; drop them or solve "
                "long only"
            )
