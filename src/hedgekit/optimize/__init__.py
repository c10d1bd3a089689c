"""Optimizers that turn return data into hedge weights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hedgekit.optimize._problem import GroupBound, TrackingProblem
from hedgekit.optimize._simplex_ls import simplex_least_squares
from hedgekit.optimize._solution import TrackingMethod, TrackingSolution
from hedgekit.optimize._solve import solve_tracking

if TYPE_CHECKING:
    from hedgekit.optimize._estimator import TrackingRegressor

__all__ = [
    "GroupBound",
    "TrackingMethod",
    "TrackingProblem",
    "TrackingRegressor",
    "TrackingSolution",
    "simplex_least_squares",
    "solve_tracking",
]


def __getattr__(name: str) -> Any:
    # the scikit-learn estimator is loaded on first use: a plain hedge does not import
    # scikit-learn (about half a second)
    if name == "TrackingRegressor":
        from hedgekit.optimize._estimator import TrackingRegressor

        return TrackingRegressor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
