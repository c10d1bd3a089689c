"""TrackingRegressor: solve_tracking as a scikit-learn regressor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from hedgekit import ConfigurationError, InfeasibleError
from hedgekit.measures import variance_reduction
from hedgekit.optimize import TrackingProblem, TrackingRegressor, solve_tracking


def _returns(seed: int = 0, n: int = 25, T: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Candidates sharing 3 factors with the target, plus noise."""
    rng = np.random.default_rng(seed)
    f = rng.normal(scale=0.01, size=(T, 3))
    B = rng.normal(size=(n, 3))
    X = f @ B.T + rng.normal(scale=0.008, size=(T, n))
    y = X[:, :5] @ np.full(5, 0.2) + rng.normal(scale=0.004, size=T)
    return X, y


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"max_names": 4, "max_weight": 0.4, "budget": 0.8},
        {"max_names": 6, "max_weight": 0.5, "min_weight": 0.05, "ridge": 1e-5},
        {"max_names": None, "max_weight": None, "method": "relaxation"},
    ],
)
def test_equals_a_direct_solve_tracking(params):
    X, y = _returns()
    est = TrackingRegressor(**params).fit(X, y)
    p = TrackingRegressor().set_params(**params).get_params()
    direct = solve_tracking(
        TrackingProblem.from_returns(
            X,
            y,
            budget=p["budget"],
            upper=p["max_weight"],
            min_weight=p["min_weight"],
            max_names=p["max_names"],
            ridge=p["ridge"],
            lasso=p["lasso"],
        ),
        method=p["method"],
    )
    np.testing.assert_array_equal(est.coef_, direct.weights)
    np.testing.assert_array_equal(est.support_, direct.support)
    assert est.tracking_error_ == direct.tracking_error
    # invariants: the budget, the caps, the cardinality
    assert est.coef_.sum() == pytest.approx(p["budget"], abs=1e-9)
    assert (est.coef_ >= 0).all()
    if p["max_weight"] is not None:
        assert (est.coef_ <= p["max_weight"] + 1e-9).all()
    if p["max_names"] is not None:
        assert np.count_nonzero(est.coef_) <= p["max_names"]
    np.testing.assert_allclose(est.predict(X), X @ direct.weights)


def test_score_is_the_variance_reduction():
    X, y = _returns()
    est = TrackingRegressor(max_names=5, max_weight=0.4).fit(X[:200], y[:200])
    hedged = y[200:] - X[200:] @ est.coef_
    expected = 1.0 - np.var(hedged, ddof=1) / np.var(y[200:], ddof=1)
    assert est.score(X[200:], y[200:]) == pytest.approx(expected, rel=1e-12)
    assert est.score(X[200:], y[200:]) == variance_reduction(y[200:], hedged)
    # insensitive to a constant gap between target and basket (no intercept to fit)
    assert est.score(X[200:], y[200:] + 0.01) == pytest.approx(expected, rel=1e-9)
    # in sample it equals 1 - tracking variance / target variance
    assert est.score(X[:200], y[:200]) == pytest.approx(
        1.0 - est.tracking_error_**2 / np.var(y[:200], ddof=1), rel=1e-9
    )
    with pytest.raises(TypeError, match="sample_weight"):
        est.score(X, y, sample_weight=np.ones(len(y)))


def test_cross_val_score_with_time_series_split():
    X, y = _returns(seed=1)
    cv = TimeSeriesSplit(n_splits=4)
    est = TrackingRegressor(max_names=5, max_weight=0.4)
    scores = cross_val_score(est, X, y, cv=cv)
    # the same by hand: fit on the past block, score on the next one
    manual = [clone(est).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in cv.split(X)]
    np.testing.assert_allclose(scores, manual, rtol=1e-12)
    assert (scores > 0.5).all()
    assert not hasattr(est, "coef_")  # cross_val_score fits clones


def test_grid_search_cv_picks_max_names():
    X, y = _returns(seed=2)
    search = GridSearchCV(
        TrackingRegressor(max_weight=None),
        {"max_names": [1, 5, 10]},
        cv=TimeSeriesSplit(n_splits=3),
    ).fit(X, y)
    assert search.best_params_["max_names"] in (5, 10)  # one name cannot track five
    assert search.best_estimator_.coef_.sum() == pytest.approx(1.0)


def test_clone_get_set_params():
    est = TrackingRegressor(max_names=3, max_weight=0.5, method="exhaustive", starts=2)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert copy.set_params(max_names=7).max_names == 7
    assert est.max_names == 3
    X, y = _returns()
    fitted = clone(est).fit(X, y)
    np.testing.assert_array_equal(clone(fitted).fit(X, y).coef_, fitted.coef_)
    assert not hasattr(clone(fitted), "coef_")


def test_parameters_are_validated_in_fit():
    X, y = _returns()
    est = TrackingRegressor(max_names=0, method="greedy")  # stored unchanged
    assert (est.max_names, est.method) == (0, "greedy")
    with pytest.raises(ConfigurationError, match="max_names=0 must be an integer >= 1"):
        TrackingRegressor(max_names=0).fit(X, y)
    with pytest.raises(ConfigurationError, match="method='greedy' is not one of"):
        est.fit(X, y)
    with pytest.raises(InfeasibleError):
        TrackingRegressor(max_names=2, max_weight=0.25).fit(X, y)


def test_dataframe_names_and_missing_values():
    X, y = _returns(n=8)
    frame = pd.DataFrame(X, columns=[f"S{i}" for i in range(8)])
    est = TrackingRegressor(max_names=4, max_weight=0.5).fit(frame, pd.Series(y))
    assert list(est.feature_names_in_) == list(frame.columns)
    np.testing.assert_allclose(est.coef_, TrackingRegressor(4, 0.5).fit(X, y).coef_, atol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(np.where(np.arange(8) == 3, np.nan, X), y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :5])


@parametrize_with_checks(
    # scikit-learn's checks fit on one to a few columns: without caps and a name limit
    # every such problem is feasible
    [TrackingRegressor(max_names=None, max_weight=None)]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
