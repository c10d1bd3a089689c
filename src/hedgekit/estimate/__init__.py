"""Co-movement estimation: the covariances a tracking hedge is fitted on."""

from __future__ import annotations

from hedgekit.estimate._covariance import (
    AveragedCovariance,
    CovarianceEstimator,
    EWMACovariance,
    FactorShrinkage,
    MultiDayCovariance,
    SampleCovariance,
    ShrunkCovariance,
    TargetShrinkage,
    Winsorized,
    lookback_of,
    target_shrinkage_intensity,
)
from hedgekit.estimate._moments import (
    DEFAULT_ESTIMATOR,
    ESTIMATORS,
    TrackingMoments,
    get_estimator,
    tracking_moments,
)

__all__ = [
    "DEFAULT_ESTIMATOR",
    "ESTIMATORS",
    "AveragedCovariance",
    "CovarianceEstimator",
    "EWMACovariance",
    "FactorShrinkage",
    "MultiDayCovariance",
    "SampleCovariance",
    "ShrunkCovariance",
    "TargetShrinkage",
    "TrackingMoments",
    "Winsorized",
    "get_estimator",
    "lookback_of",
    "target_shrinkage_intensity",
    "tracking_moments",
]
