"""Named estimators and the tracking problem's moments ``(S, c, target variance)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hedgekit._errors import ConfigurationError
from hedgekit._params import clone
from hedgekit.estimate._covariance import (
    AveragedCovariance,
    EWMACovariance,
    FactorShrinkage,
    SampleCovariance,
    ShrunkCovariance,
    TargetShrinkage,
    Winsorized,
    lookback_of,
)

__all__ = [
    "DEFAULT_ESTIMATOR",
    "ESTIMATORS",
    "TrackingMoments",
    "get_estimator",
    "tracking_moments",
]

#: name of the estimator the hedge uses unless told otherwise (chosen on 2006-2021, see
#: docs/evaluation.md "Choosing the default estimator")
DEFAULT_ESTIMATOR = "default"

#: name -> factory of a fresh estimator
ESTIMATORS: dict[str, Callable[[], Any]] = {
    # the observation window's sample covariance: Marquee's Performance Hedger
    "sample": lambda: SampleCovariance(),
    "ewma": lambda: EWMACovariance(halflife=252, window=756),
    "ledoit_wolf": lambda: ShrunkCovariance("ledoit_wolf"),
    "oas": lambda: ShrunkCovariance("oas"),
    "winsorized": lambda: Winsorized(SampleCovariance(), threshold=4.0),
    "factor_shrinkage": lambda: FactorShrinkage(SampleCovariance(), n_factors=10, shrinkage=0.5),
    "ensemble": lambda: AveragedCovariance(
        [SampleCovariance(252), SampleCovariance(504), SampleCovariance(756)]
    ),
    # the default's three clipped years shrunk 30% toward the factor risk model's forecast
    # on the hedge date (a built model: `hedgekit risk build`); 30% chosen on 2007-2020
    # (docs/evaluation.md, round 3), where the analytical intensity did worse
    "factor_target": lambda: TargetShrinkage(
        Winsorized(SampleCovariance(756), threshold=4.0), shrinkage=0.3
    ),
    # three years of daily returns, each stock's outliers clipped at 4 robust sigmas, the
    # matrix shrunk half way toward its own 10-factor structure (docs/evaluation.md)
    "default": lambda: FactorShrinkage(
        Winsorized(SampleCovariance(756), threshold=4.0), n_factors=10, shrinkage=0.5
    ),
}


def get_estimator(spec: Any = None) -> Any:
    """A fresh covariance estimator from a name, or a clone of an estimator object.

    Parameters
    ----------
    spec : str or estimator, optional
        A name in :data:`ESTIMATORS` (case-insensitive), or any object with scikit-learn's
        covariance interface (``fit(X)`` then ``covariance_``), e.g.
        ``sklearn.covariance.LedoitWolf()``; ``None`` is the default.

    Raises
    ------
    ConfigurationError
        An unknown name, or an object without ``fit``.
    """
    if spec is None:
        spec = DEFAULT_ESTIMATOR
    if isinstance(spec, str):
        key = spec.strip().lower().replace("-", "_")
        if key not in ESTIMATORS:
            raise ConfigurationError(
                f"estimator={spec!r} is not known; choose one of {', '.join(ESTIMATORS)} "
                "or pass an estimator object with fit(X) and covariance_"
            )
        return ESTIMATORS[key]()
    if not callable(getattr(spec, "fit", None)):
        raise ConfigurationError(
            f"estimator={spec!r} has no fit method; pass a name ({', '.join(ESTIMATORS)}) or "
            "a scikit-learn covariance estimator"
        )
    try:
        return clone(spec)
    except TypeError:
        return spec


@dataclass(frozen=True)
class TrackingMoments:
    """What a tracking hedge is fitted on.

    Attributes
    ----------
    covariance : ndarray of shape (n_assets, n_assets)
        ``S``, the candidates' covariance.
    cross : ndarray of shape (n_assets,)
        ``c``, each candidate's covariance with the target.
    target_variance : float
        The target's variance.
    observations : int
        Rows the estimator was fitted on.
    """

    covariance: np.ndarray
    cross: np.ndarray
    target_variance: float
    observations: int


def tracking_moments(
    estimator: Any, target: npt.ArrayLike, candidates: npt.ArrayLike
) -> TrackingMoments:
    """Fit ``estimator`` on the joint returns ``[target, candidates]``.

    Parameters
    ----------
    estimator : covariance estimator
        Fitted on its ``lookback`` most recent rows (every row when it has none).
    target : array-like of shape (n_observations,)
        The target's returns, oldest first.
    candidates : array-like of shape (n_observations, n_assets)
        The candidates' returns on the same rows, no missing values.

    Returns
    -------
    TrackingMoments

    Notes
    -----
    With ``Sigma`` the estimate of the joint covariance of ``(r, R)``: ``S = Sigma[1:, 1:]``,
    ``c = Sigma[1:, 0]``, ``target variance = Sigma[0, 0]``. The hedge's objective
    ``w^T S w - 2 c^T w + Sigma[0, 0]`` is then the estimated tracking variance.
    """
    y = np.asarray(target, dtype="float64")
    X = np.asarray(candidates, dtype="float64")
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ConfigurationError(
            f"target has shape {y.shape} and candidates {X.shape}; pass (T,) and (T, n_assets)"
        )
    joint = np.column_stack([y, X])
    n = lookback_of(estimator)
    if n is not None:
        joint = joint[-int(n) :]
    Sig = np.asarray(estimator.fit(joint).covariance_, dtype="float64")
    Sig = 0.5 * (Sig + Sig.T)
    return TrackingMoments(
        covariance=np.ascontiguousarray(Sig[1:, 1:]),
        cross=np.ascontiguousarray(Sig[1:, 0]),
        target_variance=float(Sig[0, 0]),
        observations=len(joint),
    )
