"""Optimizers that turn return data into hedge weights."""

from __future__ import annotations

from hedgekit.optimize._simplex_ls import simplex_least_squares

__all__ = ["simplex_least_squares"]
