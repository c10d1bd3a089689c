"""Optimizers that turn return data into hedge weights."""

from __future__ import annotations

from hedgekit.optimize._simplex_ls import simplex_least_squares
from hedgekit.optimize._tracking import (
    GroupBound,
    TrackingMethod,
    TrackingProblem,
    TrackingSolution,
    solve_tracking,
)

__all__ = [
    "GroupBound",
    "TrackingMethod",
    "TrackingProblem",
    "TrackingSolution",
    "simplex_least_squares",
    "solve_tracking",
]
