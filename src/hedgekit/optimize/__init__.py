"""Optimizers that turn return data into hedge weights."""

from __future__ import annotations

from hedgekit.optimize._estimator import TrackingRegressor
from hedgekit.optimize._problem import GroupBound, TrackingProblem
from hedgekit.optimize._simplex_ls import simplex_least_squares
from hedgekit.optimize._solution import TrackingMethod, TrackingSolution
from hedgekit.optimize._solve import solve_tracking

__all__ = [
    "GroupBound",
    "TrackingMethod",
    "TrackingProblem",
    "TrackingRegressor",
    "TrackingSolution",
    "simplex_least_squares",
    "solve_tracking",
]
