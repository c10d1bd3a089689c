"""hedgekit.risk."""

from hedgekit.risk._exposures import (
    STYLE_FACTORS,
    ExposureFrame,
    compute_exposure_history,
    compute_exposures,
    industry_dummies,
)
from hedgekit.risk._regression import HuberFit, HuberRegression, huber_irls

__all__ = [
    "STYLE_FACTORS",
    "ExposureFrame",
    "HuberFit",
    "HuberRegression",
    "compute_exposure_history",
    "compute_exposures",
    "huber_irls",
    "industry_dummies",
]
