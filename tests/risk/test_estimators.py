"""FactorRiskModel and HuberRegression keep scikit-learn's estimator contract: clone,
get_params / set_params, parameters stored unchanged and validated in fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score

from hedgekit import ConfigurationError
from hedgekit.risk import FactorRiskModel, HuberRegression

START, END = "2022-06-30", "2022-10-31"


def _data(seed: int = 0, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = X @ np.array([0.5, 1.0, -2.0]) + 0.3 * rng.standard_t(3, size=n)
    return X, y


# ------------------------------------------------------------------- FactorRiskModel
def test_risk_model_params_are_stored_unchanged():
    start = pd.Timestamp(START)
    model = FactorRiskModel(start, END, covariance_method="garch", window=1)
    params = model.get_params()
    assert params["start"] is start  # not converted in __init__
    assert params["end"] == END
    assert params["covariance_method"] == "garch"  # not validated in __init__ ...
    with pytest.raises(ConfigurationError, match="covariance_method='garch'"):
        model._check_params()  # ... but before fitting
    assert "_forecast_cache" not in params
    assert set(params) == {
        "start",
        "end",
        "covariance_method",
        "half_life_vol",
        "half_life_corr",
        "newey_west_lags",
        "window",
        "specific_half_life",
        "specific_window",
        "epsilon",
        "structure",
        "weighting",
        "constant_specific_risk",
        "volatility_regime_half_life",
        "n_jobs",
    }


def test_risk_model_clone_round_trip_and_set_params():
    model = FactorRiskModel(START, END, epsilon=1.5, volatility_regime_half_life=42.0)
    copy = clone(model)
    assert copy is not model
    assert copy.get_params() == model.get_params()
    assert copy.set_params(window=252, end="2022-12-30") is copy
    assert (copy.window, copy.end) == (252, "2022-12-30")
    assert (model.window, model.end) == (504, END)
    with pytest.raises(ValueError, match="Invalid parameter"):
        copy.set_params(half_life=10)


def test_cloned_risk_model_fits_to_the_same_result(demo_market):
    """A clone of a fitted model is unfitted, has no forecast cache, and fits to the same
    numbers as the original."""
    fitted = FactorRiskModel(START, END).fit(demo_market)
    fitted.forecast("2022-09-30")  # fills the private forecast cache
    assert fitted._forecast_cache is not None
    fresh = clone(fitted)
    assert not hasattr(fresh, "factor_returns_")
    assert getattr(fresh, "_forecast_cache", None) is None
    with pytest.raises(ConfigurationError, match="not fitted"):
        fresh.covariance()
    fresh.fit(demo_market)
    pd.testing.assert_frame_equal(fitted.factor_returns_, fresh.factor_returns_)
    pd.testing.assert_frame_equal(fitted.residuals_, fresh.residuals_)
    pd.testing.assert_frame_equal(fitted.factor_covariance_, fresh.factor_covariance_)
    pd.testing.assert_series_equal(fitted.specific_risk_, fresh.specific_risk_)
    # a changed parameter is a different model, and its forecasts are not the cached ones
    window = clone(fitted).set_params(covariance_method="window", window=60).fit(demo_market)
    pd.testing.assert_frame_equal(fitted.factor_returns_, window.factor_returns_)
    assert not np.allclose(fitted.factor_covariance_, window.factor_covariance_)


def test_saved_params_are_iso_dates(demo_market, tmp_path):
    model = FactorRiskModel(pd.Timestamp(START), pd.Timestamp(END)).fit(demo_market)
    loaded = FactorRiskModel.load(model.save(tmp_path / "model"))
    assert loaded.get_params() == {**model.get_params(), "start": START, "end": END}
    assert clone(loaded).get_params() == loaded.get_params()


# ------------------------------------------------------------------- HuberRegression
def test_huber_params_are_stored_unchanged_and_validated_in_fit():
    X, y = _data()
    est = HuberRegression(epsilon=-1.0)
    assert est.get_params() == {"epsilon": -1.0, "max_iter": 50, "tol": 1e-10}
    with pytest.raises(ConfigurationError, match=r"epsilon=-1\.0 must be"):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        HuberRegression().predict(X)


def test_huber_clone_and_set_params_refit_the_same():
    X, y = _data()
    est = HuberRegression(epsilon=1.5, max_iter=30).fit(X, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "coef_")
    np.testing.assert_array_equal(copy.fit(X, y).coef_, est.coef_)
    copy.set_params(epsilon=100.0)  # so large that every residual is inside: least squares
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(copy.fit(X, y).coef_, ols, atol=1e-10)
    assert repr(copy) == "HuberRegression(epsilon=100.0, max_iter=30, tol=1e-10)"


def test_huber_in_sklearn_model_selection():
    X, y = _data(seed=1, n=200)
    scores = cross_val_score(HuberRegression(), X, y, cv=4)
    assert scores.shape == (4,)
    assert (scores > 0.8).all()  # R^2 of a well-specified model
    assert HuberRegression().fit(X, y).score(X, y) == pytest.approx(scores.mean(), abs=0.1)
