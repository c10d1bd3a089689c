"""hedgekit.risk."""

from hedgekit.risk._bias import BiasReport, bias_statistic, summarise_bias
from hedgekit.risk._covariance import (
    ewma_weights,
    factor_covariance,
    specific_risk,
    volatility_regime_multiplier,
    window_covariance,
)
from hedgekit.risk._default import (
    DEFAULT_MODEL_YEARS,
    cached_model_path,
    default_model,
    default_model_start,
    load_cached_model,
)
from hedgekit.risk._exposures import (
    STYLE_FACTORS,
    ExposureFrame,
    compute_exposure_history,
    compute_exposures,
    industry_dummies,
)
from hedgekit.risk._forecast import RiskForecast
from hedgekit.risk._groups import FACTOR_GROUPS, factor_group, factor_groups
from hedgekit.risk._huber_regression import HuberRegression
from hedgekit.risk._model import FactorRiskModel
from hedgekit.risk._regression import HuberFit, huber_irls
from hedgekit.risk._reuse import HISTORY_DAYS, covering_model, covers_dates
from hedgekit.risk._validation import bias_statistics, forecast_variant, r_squared_by_year

__all__ = [
    "DEFAULT_MODEL_YEARS",
    "FACTOR_GROUPS",
    "HISTORY_DAYS",
    "STYLE_FACTORS",
    "BiasReport",
    "ExposureFrame",
    "FactorRiskModel",
    "HuberFit",
    "HuberRegression",
    "RiskForecast",
    "bias_statistic",
    "bias_statistics",
    "cached_model_path",
    "compute_exposure_history",
    "compute_exposures",
    "covering_model",
    "covers_dates",
    "default_model",
    "default_model_start",
    "ewma_weights",
    "factor_covariance",
    "factor_group",
    "factor_groups",
    "forecast_variant",
    "huber_irls",
    "industry_dummies",
    "load_cached_model",
    "r_squared_by_year",
    "specific_risk",
    "summarise_bias",
    "volatility_regime_multiplier",
    "window_covariance",
]
