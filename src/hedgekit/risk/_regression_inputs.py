"""Checks of :func:`~hedgekit.risk.huber_irls`'s inputs, and its constraints in per-day form.

Every input of the batched Huber regressions is checked here, once, with a message that
names the offending value and the way out: the parameters (``epsilon``, ``max_iter``,
``tol``, ``scale``), the shapes and values of ``X``, ``y`` and the weights, and the
constraint. A constraint is given as ``(C, d)`` (one matrix for all days or one per day)
or as ``("sum_to_zero", industry_columns, market_cap)``, the Barra industry constraint
whose per-day row is built here from the day's market caps; either way it comes out as
per-day arrays ``C (n_days, m, k)`` and ``d (n_days, m)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError

__all__ = ["Constraint", "FloatArray"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
#: ``(C, d)`` for ``C b = d``, or ``("sum_to_zero", industry_columns, market_cap)``
Constraint: TypeAlias = (
    tuple[npt.ArrayLike, npt.ArrayLike] | tuple[str, Sequence[int], npt.ArrayLike] | None
)


def _as_float(value: npt.ArrayLike, name: str) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name} must be numeric; got {type(value).__name__}") from exc
    if np.isinf(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isinf(arr))[0])
        raise ConfigurationError(
            f"{name} holds an infinite value at index {where}; use NaN to exclude an asset"
        )
    return arr


def _check_params(epsilon: float, max_iter: int, tol: float, scale: str) -> None:
    if not isinstance(epsilon, numbers.Real) or not np.isfinite(epsilon) or epsilon <= 0:
        raise ConfigurationError(
            f"epsilon={epsilon!r} must be a finite number > 0 (1.35 gives 95% efficiency "
            "under normal errors)"
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ConfigurationError(f"max_iter={max_iter!r} must be an integer >= 1, e.g. 50")
    if not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol < 0:
        raise ConfigurationError(f"tol={tol!r} must be a finite number >= 0, e.g. 1e-10")
    if not isinstance(scale, str) or scale.strip().lower() != "mad":
        raise ConfigurationError(
            f"scale={scale!r} is not supported; use scale='mad' (normalised median absolute "
            "deviation, statsmodels RLM's default)"
        )


def _check_data(
    X: npt.ArrayLike, y: npt.ArrayLike, weights: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    Xa = _as_float(X, "X")
    ya = _as_float(y, "y")
    if ya.ndim != 2:
        raise ConfigurationError(
            f"y has shape {ya.shape}; pass an array of shape (n_days, n_assets) "
            "(use y[None, :] for a single day)"
        )
    n_days, n_assets = ya.shape
    if n_days == 0 or n_assets == 0:
        raise ConfigurationError(f"y has shape {ya.shape}; it needs at least one day and asset")
    if Xa.ndim == 2:
        expected: tuple[int, ...] = (n_assets,)
    elif Xa.ndim == 3:
        expected = (n_days, n_assets)
    else:
        raise ConfigurationError(
            f"X has shape {Xa.shape}; pass (n_days, n_assets, n_factors) or a shared "
            "(n_assets, n_factors)"
        )
    if Xa.shape[:-1] != expected or Xa.shape[-1] == 0:
        raise ConfigurationError(
            f"X has shape {Xa.shape} but y has shape {ya.shape}; X must be "
            f"{(*expected, 'n_factors')} with n_factors >= 1"
        )
    if weights is None:
        wa = np.ones_like(ya)
    else:
        wa = _as_float(weights, "weights")
        if wa.shape != ya.shape:
            raise ConfigurationError(
                f"weights has shape {wa.shape} but y has shape {ya.shape}; pass one weight "
                "per day and asset (e.g. sqrt of market cap)"
            )
        if (wa < 0).any():
            where = tuple(int(i) for i in np.argwhere(wa < 0)[0])
            raise ConfigurationError(
                f"weights holds a negative value ({wa[where]:g} at index {where}); weights "
                "must be >= 0 (0 or NaN excludes the asset)"
            )
    return Xa, ya, wa


def _check_constraint(
    constraint: Constraint, X: FloatArray, mask: npt.NDArray[np.bool_], n_days: int
) -> tuple[FloatArray, FloatArray] | None:
    """Per-day constraint rows ``C (n_days, m, k)`` and ``d (n_days, m)``, or None."""
    if constraint is None:
        return None
    k = X.shape[-1]
    if isinstance(constraint, tuple) and len(constraint) == 3 and constraint[0] == "sum_to_zero":
        _, columns, market_cap = constraint
        cols = np.asarray(columns)
        if (
            cols.ndim != 1
            or cols.size == 0
            or not np.issubdtype(cols.dtype, np.integer)
            or cols.min() < 0
            or cols.max() >= k
            or np.unique(cols).size != cols.size
        ):
            raise ConfigurationError(
                f"industry_columns={columns!r} must be distinct column indices in [0, {k}) of X"
            )
        cap = _as_float(market_cap, "market_cap")
        if cap.shape != mask.shape:
            raise ConfigurationError(
                f"market_cap has shape {cap.shape}; pass one cap per day and asset {mask.shape}"
            )
        if (cap < 0).any():
            raise ConfigurationError("market_cap holds negative values; caps must be >= 0")
        cap = np.where(mask & ~np.isnan(cap), cap, 0.0)
        Xi = X[..., cols]
        Xi = np.where(np.isnan(Xi), 0.0, Xi)
        # industry cap totals: sum_i cap_i * x_ij (dummies: the cap of industry j)
        totals = cap @ Xi if Xi.ndim == 2 else np.einsum("tn,tnj->tj", cap, Xi)
        C = np.zeros((n_days, 1, k))
        C[:, 0, cols] = totals
        return C, np.zeros((n_days, 1))
    if (
        isinstance(constraint, tuple)
        and len(constraint) == 2
        and not isinstance(constraint[0], str)
    ):
        C = _as_float(constraint[0], "constraint matrix C")
        d = _as_float(constraint[1], "constraint vector d")
    else:
        raise ConfigurationError(
            "constraint must be None, a pair (C, d) enforcing C @ coef = d, or "
            "('sum_to_zero', industry_columns, market_cap)"
        )
    c_shape, d_shape = C.shape, d.shape
    if C.ndim == 2:
        C = np.broadcast_to(C, (n_days, *C.shape))
    if d.ndim == 1:
        d = np.broadcast_to(d, (n_days, *d.shape))
    if C.ndim != 3 or C.shape[0] != n_days or C.shape[2] != k:
        raise ConfigurationError(
            f"constraint matrix C has shape {c_shape}; pass (n_constraints, {k}) or "
            f"({n_days}, n_constraints, {k})"
        )
    m = C.shape[1]
    if d.shape != (n_days, m):
        raise ConfigurationError(
            f"constraint vector d has shape {d_shape}; pass ({m},) or ({n_days}, {m})"
        )
    if m == 0 or m >= k:
        raise ConfigurationError(
            f"{m} constraints on {k} coefficients; use between 1 and {k - 1} constraints"
        )
    if np.isnan(C).any() or np.isnan(d).any():
        raise ConfigurationError("constraint C or d holds NaN; constraints must be finite")
    return C, d
