"""Covariance estimators of the joint returns of a target and its hedge candidates.

Every estimator follows scikit-learn's covariance contract: parameters are stored
unchanged in ``__init__``, ``fit(X)`` learns ``covariance_`` (and ``location_``) from a
matrix of returns ``X`` of shape (n_observations, n_assets), oldest row first, and returns
``self``; ``sklearn.base.clone`` works on each. scikit-learn's own estimators
(``LedoitWolf``, ``OAS``, ``EmpiricalCovariance``) fit the same slot.

Each estimator also states ``lookback``: the number of most recent rows it wants. The
hedge hands it exactly that many (or the observation window for ``lookback=None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit._params import Params, clone

__all__ = [
    "AveragedCovariance",
    "CovarianceEstimator",
    "EWMACovariance",
    "FactorShrinkage",
    "MultiDayCovariance",
    "SampleCovariance",
    "ShrunkCovariance",
    "TargetShrinkage",
    "Winsorized",
    "lookback_of",
    "target_shrinkage_intensity",
]

_MIN_ROWS = 12


def _matrix(X: npt.ArrayLike) -> np.ndarray:
    A = np.asarray(X, dtype="float64")
    if A.ndim != 2:
        raise ConfigurationError(
            f"returns have shape {A.shape}; pass a 2-D array (n_observations, n_assets)"
        )
    if A.shape[0] < _MIN_ROWS:
        raise InsufficientHistoryError(
            f"{A.shape[0]} observations; a covariance estimate needs at least {_MIN_ROWS}: "
            "start the window earlier"
        )
    if not np.isfinite(A).all():
        raise ConfigurationError(
            "returns hold missing or infinite values; drop the columns without a full window"
        )
    return A


def lookback_of(estimator: Any) -> int | None:
    """Rows of history an estimator wants (``None``: the caller's observation window)."""
    return getattr(estimator, "lookback", None)


class CovarianceEstimator(Params):
    """Base of hedgekit's covariance estimators (scikit-learn's covariance contract)."""

    covariance_: np.ndarray
    location_: np.ndarray

    @property
    def lookback(self) -> int | None:
        """Most recent rows of history the estimator uses (``None``: all it is given)."""
        return None

    def fit(self, X: npt.ArrayLike, y: Any = None) -> CovarianceEstimator:
        """Estimate ``covariance_`` from returns of shape (n_observations, n_assets)."""
        raise NotImplementedError


class SampleCovariance(CovarianceEstimator):
    """The sample covariance of the last ``window`` rows (all rows when ``None``).

    Parameters
    ----------
    window : int, optional
        Observations used, most recent first; ``None``: every row given.

    Notes
    -----
    ``S = X_c^T X_c / (T - 1)`` with ``X_c`` the demeaned rows: the behaviour of
    :meth:`hedgekit.optimize.TrackingProblem.from_returns`.
    """

    def __init__(self, window: int | None = None) -> None:
        self.window = window

    @property
    def lookback(self) -> int | None:
        return self.window

    def fit(self, X: npt.ArrayLike, y: Any = None) -> SampleCovariance:
        A = _matrix(X)
        if self.window is not None:
            A = A[-int(self.window) :]
        self.location_ = A.mean(axis=0)
        C = A - self.location_
        self.covariance_ = C.T @ C / (len(A) - 1)
        return self


def ewma_weights(n: int, halflife: float) -> np.ndarray:
    """Weights of ``n`` rows (oldest first) decaying by half every ``halflife`` rows, sum 1."""
    if not halflife > 0:
        raise ConfigurationError(f"halflife={halflife!r} must be a positive number of days")
    age = np.arange(n - 1, -1, -1, dtype="float64")
    w = 0.5 ** (age / float(halflife))
    return w / w.sum()


class EWMACovariance(CovarianceEstimator):
    """Exponentially weighted covariance: recent days count more.

    Parameters
    ----------
    halflife : float
        Days after which a return's weight halves.
    window : int, optional
        Rows used (most recent); ``None``: every row given.

    Notes
    -----
    With weights ``a_t`` (sum 1) and the weighted mean ``m``,
    ``S = sum_t a_t (x_t - m)(x_t - m)^T / (1 - sum_t a_t^2)``: unbiased for independent
    rows, and equal to the sample covariance when ``halflife`` is infinite.
    """

    def __init__(self, halflife: float = 252.0, window: int | None = 756) -> None:
        self.halflife = halflife
        self.window = window

    @property
    def lookback(self) -> int | None:
        return self.window

    def fit(self, X: npt.ArrayLike, y: Any = None) -> EWMACovariance:
        A = _matrix(X)
        if self.window is not None:
            A = A[-int(self.window) :]
        a = ewma_weights(len(A), self.halflife)
        self.location_ = a @ A
        C = A - self.location_
        self.covariance_ = (C * a[:, None]).T @ C / (1.0 - float(a @ a))
        return self


def _base_fit(estimator: Any, A: np.ndarray) -> Any:
    return clone(estimator).fit(A)


class Winsorized(CovarianceEstimator):
    """Clip each asset's outlying returns (earnings days, jumps) before another estimator.

    Parameters
    ----------
    estimator : covariance estimator, optional
        Fitted on the clipped returns; default :class:`SampleCovariance`.
    threshold : float
        Clip at ``median +/- threshold * 1.4826 * MAD`` per asset (a robust sigma).

    Notes
    -----
    A single-day jump of a candidate that happens to coincide with a move of the target
    adds a spurious covariance of ``jump * move / T``; clipping bounds what one day can
    contribute, so the hedge follows co-movement that recurs.
    """

    def __init__(self, estimator: Any = None, threshold: float = 4.0) -> None:
        self.estimator = estimator
        self.threshold = threshold

    @property
    def lookback(self) -> int | None:
        return lookback_of(self.estimator) if self.estimator is not None else None

    def fit(self, X: npt.ArrayLike, y: Any = None) -> Winsorized:
        if not self.threshold > 0:
            raise ConfigurationError(f"threshold={self.threshold!r} must be positive")
        A = _matrix(X)
        base = self.estimator if self.estimator is not None else SampleCovariance()
        n = lookback_of(base)
        if n is not None:
            A = A[-int(n) :]
        self.clipped_ = winsorize(A, self.threshold)
        fitted = _base_fit(base, self.clipped_)
        self.estimator_ = fitted
        self.covariance_ = fitted.covariance_
        self.location_ = fitted.location_
        return self


def winsorize(A: np.ndarray, threshold: float) -> np.ndarray:
    """Columns of ``A`` clipped at ``median +/- threshold * 1.4826 * MAD``."""
    med = np.median(A, axis=0)
    mad = 1.4826 * np.median(np.abs(A - med), axis=0)
    mad = np.where(mad > 0, mad, A.std(axis=0) + 1e-12)
    return np.clip(A, med - threshold * mad, med + threshold * mad)


class ShrunkCovariance(CovarianceEstimator):
    """Ledoit-Wolf or OAS shrinkage toward a scaled identity, on a window.

    Parameters
    ----------
    method : {'ledoit_wolf', 'oas'}
        scikit-learn's :class:`~sklearn.covariance.LedoitWolf` or
        :class:`~sklearn.covariance.OAS` (intensity chosen analytically).
    window : int, optional
        Rows used (most recent); ``None``: every row given.

    Notes
    -----
    For a budget-constrained hedge, shrinking the joint matrix toward ``mu I`` by ``delta``
    is a ridge penalty ``delta mu / (1 - delta) ||w||^2`` on the plain objective: it spreads
    the weights by an amount the data choose.
    """

    def __init__(self, method: str = "ledoit_wolf", window: int | None = None) -> None:
        self.method = method
        self.window = window

    @property
    def lookback(self) -> int | None:
        return self.window

    def fit(self, X: npt.ArrayLike, y: Any = None) -> ShrunkCovariance:
        from sklearn.covariance import OAS, LedoitWolf

        kinds = {"ledoit_wolf": LedoitWolf, "oas": OAS}
        if self.method not in kinds:
            raise ConfigurationError(
                f"method={self.method!r}; choose one of {', '.join(map(repr, kinds))}"
            )
        A = _matrix(X)
        if self.window is not None:
            A = A[-int(self.window) :]
        est = kinds[self.method]().fit(A)
        self.shrinkage_ = float(est.shrinkage_)
        self.location_ = est.location_
        # sklearn divides by T; rescale to the unbiased T - 1 of the other estimators
        self.covariance_ = est.covariance_ * len(A) / (len(A) - 1)
        return self


def pca_factor_target(S: np.ndarray, n_factors: int) -> np.ndarray:
    """The ``n_factors``-factor structure of ``S``: its leading principal components of the
    correlation matrix plus a diagonal that keeps every variance."""
    sd = np.sqrt(np.clip(np.diag(S), 1e-18, None))
    Rm = S / np.outer(sd, sd)
    k = int(min(max(n_factors, 0), len(S) - 1))
    if k == 0:
        T = np.eye(len(S))
    else:
        vals, vecs = np.linalg.eigh(Rm)
        V, L = vecs[:, -k:], np.clip(vals[-k:], 0.0, None)
        T = (V * L) @ V.T
        np.fill_diagonal(T, 1.0)
    return T * np.outer(sd, sd)


class FactorShrinkage(CovarianceEstimator):
    """Shrink a covariance toward its own few-factor structure.

    Parameters
    ----------
    estimator : covariance estimator, optional
        The matrix to shrink; default :class:`SampleCovariance`.
    n_factors : int
        Principal components of the correlation matrix kept in the target.
    shrinkage : float
        Weight ``delta`` of the target: ``(1 - delta) S + delta T``.

    Notes
    -----
    The target keeps the market, sector and style co-movement that the leading components
    carry and sets the rest of every covariance to zero: the pairwise co-movement beyond it
    (a niche peer) survives only in proportion to ``1 - delta``, the part of it that one
    window estimates reliably.
    """

    def __init__(self, estimator: Any = None, n_factors: int = 10, shrinkage: float = 0.5) -> None:
        self.estimator = estimator
        self.n_factors = n_factors
        self.shrinkage = shrinkage

    @property
    def lookback(self) -> int | None:
        return lookback_of(self.estimator) if self.estimator is not None else None

    def fit(self, X: npt.ArrayLike, y: Any = None) -> FactorShrinkage:
        if not 0.0 <= self.shrinkage <= 1.0:
            raise ConfigurationError(f"shrinkage={self.shrinkage!r} must be in [0, 1]")
        base = self.estimator if self.estimator is not None else SampleCovariance()
        fitted = _base_fit(base, _matrix(X))
        S = fitted.covariance_
        T = pca_factor_target(S, self.n_factors)
        self.estimator_ = fitted
        self.target_ = T
        self.location_ = fitted.location_
        self.covariance_ = (1.0 - self.shrinkage) * S + self.shrinkage * T
        return self


class AveragedCovariance(CovarianceEstimator):
    """The mean of several estimators' matrices (an ensemble of windows or methods).

    Parameters
    ----------
    estimators : sequence of covariance estimators
        Each fitted on the rows it asks for (its ``lookback``).
    weights : sequence of float, optional
        Weights of the matrices; default equal.
    """

    def __init__(self, estimators: Sequence[Any] = (), weights: Sequence[float] | None = None):
        self.estimators = estimators
        self.weights = weights

    @property
    def lookback(self) -> int | None:
        looks = [lookback_of(e) for e in self.estimators]
        if not looks or any(n is None for n in looks):
            return None
        return max(int(n) for n in looks if n is not None)

    def fit(self, X: npt.ArrayLike, y: Any = None) -> AveragedCovariance:
        if not self.estimators:
            raise ConfigurationError("estimators is empty; pass at least one estimator")
        A = _matrix(X)
        w = np.ones(len(self.estimators)) if self.weights is None else np.asarray(self.weights)
        if w.shape != (len(self.estimators),) or (w < 0).any() or w.sum() <= 0:
            raise ConfigurationError(
                f"weights={self.weights!r}: one non-negative weight per estimator, not all 0"
            )
        w = w / w.sum()
        fitted = []
        for est in self.estimators:
            n = lookback_of(est)
            fitted.append(_base_fit(est, A if n is None else A[-int(n) :]))
        self.estimators_ = fitted
        self.covariance_ = sum(float(a) * f.covariance_ for a, f in zip(w, fitted, strict=True))
        self.location_ = sum(float(a) * f.location_ for a, f in zip(w, fitted, strict=True))
        return self


class MultiDayCovariance(CovarianceEstimator):
    """Covariance of overlapping ``horizon``-day returns, per day.

    Parameters
    ----------
    estimator : covariance estimator, optional
        Fitted on the overlapping sums; default :class:`SampleCovariance`.
    horizon : int
        Days summed (5: weekly returns, overlapping so that no observation is lost).

    Notes
    -----
    Co-movement that takes more than a day to show (a stock that reacts to its sector's news
    a day late, prices that close at different times) is invisible to daily covariances and
    visible to multi-day ones; dividing by ``horizon`` keeps the daily scale. The overlapping
    rows are correlated, so the estimate is smoother than its row count suggests.
    """

    def __init__(self, estimator: Any = None, horizon: int = 5) -> None:
        self.estimator = estimator
        self.horizon = horizon

    @property
    def lookback(self) -> int | None:
        n = lookback_of(self.estimator) if self.estimator is not None else None
        return None if n is None else int(n) + int(self.horizon) - 1

    def fit(self, X: npt.ArrayLike, y: Any = None) -> MultiDayCovariance:
        h = int(self.horizon)
        if h < 1:
            raise ConfigurationError(f"horizon={self.horizon!r} must be a whole number >= 1")
        A = _matrix(X)
        c = np.vstack([np.zeros((1, A.shape[1])), np.cumsum(A, axis=0)])
        sums = c[h:] - c[:-h]
        base = self.estimator if self.estimator is not None else SampleCovariance()
        fitted = _base_fit(base, sums)
        self.estimator_ = fitted
        self.covariance_ = fitted.covariance_ / h
        self.location_ = fitted.location_ / h
        return self


def target_shrinkage_intensity(
    A: np.ndarray, S: np.ndarray, T: np.ndarray, mask: np.ndarray | None = None
) -> float:
    """Ledoit and Wolf's (2003) intensity for shrinking ``S`` toward a fixed target ``T``.

    ``delta = pi / (n gamma)`` clipped to [0, 1], with ``pi`` the summed asymptotic
    variance of the entries of ``S`` and ``gamma = ||T - S||_F^2``: the noisier the sample
    entries and the closer the target, the more weight it gets. The target is taken as
    given (estimated from other information), so the covariance term of the general
    formula is zero. ``mask`` (boolean, like ``S``) limits both sums to the entries the
    target knows.
    """
    n = len(A)
    Y = A - A.mean(axis=0)
    Y2 = Y * Y
    S_b = Y.T @ Y / n
    var = Y2.T @ Y2 / n - S_b * S_b
    diff = (T - S) ** 2
    if mask is not None:
        var, diff = var[mask], diff[mask]
    pi = float(var.sum())
    gamma = float(diff.sum())
    if gamma <= 0.0:
        return 1.0
    return float(np.clip(pi / (n * gamma), 0.0, 1.0))


class TargetShrinkage(CovarianceEstimator):
    """Shrink a covariance toward a structured target given at fit time.

    Parameters
    ----------
    estimator : covariance estimator, optional
        The matrix to shrink; default :class:`SampleCovariance`.
    shrinkage : float or 'auto'
        Weight ``delta`` of the target, ``(1 - delta) S + delta T``; ``'auto'`` chooses it
        analytically from the data (:func:`target_shrinkage_intensity`).
    keep_variances : bool
        Use the target's correlations with the sample's own variances (default), so that
        the target moves co-movement only and its volatility forecast does not rescale a
        stock; ``False`` uses the target as given.

    Notes
    -----
    ``fit(X, target=T)`` takes the target (same assets, same units as ``X``'s covariance),
    typically a factor risk model's forecast ``B F B' + D`` on the date: it carries the
    industry and style structure that the model learnt from the whole cross-section and
    many years, where one window of returns sees each pair through noise. Entries of ``T``
    that are NaN (stocks the model does not cover) keep the sample's value.
    """

    def __init__(
        self,
        estimator: Any = None,
        shrinkage: float | str = "auto",
        keep_variances: bool = True,
    ) -> None:
        self.estimator = estimator
        self.shrinkage = shrinkage
        self.keep_variances = keep_variances

    @property
    def lookback(self) -> int | None:
        return lookback_of(self.estimator) if self.estimator is not None else None

    def fit(self, X: npt.ArrayLike, y: Any = None, target: npt.ArrayLike | None = None) -> Any:
        A = _matrix(X)
        if target is None:
            raise ConfigurationError(
                "TargetShrinkage needs target=: the target covariance of the same assets "
                "(e.g. a factor risk model's forecast)"
            )
        T = np.asarray(target, dtype="float64")
        if T.shape != (A.shape[1], A.shape[1]) or np.isinf(T).any():
            raise ConfigurationError(
                f"target has shape {T.shape}; pass a ({A.shape[1]}, {A.shape[1]}) matrix, "
                "one row and column per column of X (NaN where it has no view)"
            )
        base = self.estimator if self.estimator is not None else SampleCovariance()
        n = lookback_of(base)
        rows = A if n is None else A[-int(n) :]
        fitted = _base_fit(base, rows)
        S = fitted.covariance_
        if self.keep_variances:
            t_sd = np.sqrt(np.clip(np.diag(T), 1e-18, None))  # NaN stays NaN
            s_sd = np.sqrt(np.clip(np.diag(S), 0.0, None))
            T = T / np.outer(t_sd, t_sd) * np.outer(s_sd, s_sd)
        known = np.isfinite(T)
        T = np.where(known, T, S)
        if self.shrinkage == "auto":
            used = getattr(fitted, "clipped_", rows)
            delta = target_shrinkage_intensity(used, S, T, None if known.all() else known)
        elif isinstance(self.shrinkage, int | float) and 0.0 <= float(self.shrinkage) <= 1.0:
            delta = float(self.shrinkage)
        else:
            raise ConfigurationError(
                f"shrinkage={self.shrinkage!r}; pass a number in [0, 1] or 'auto'"
            )
        self.estimator_ = fitted
        self.target_ = T
        self.shrinkage_ = delta
        self.location_ = fitted.location_
        self.covariance_ = (1.0 - delta) * S + delta * T
        return self
