"""Hedges: the user-facing hedge calls."""

from __future__ import annotations

from hedgekit.hedge._baseline import BaselineHedge, baseline_hedge, hedge_statistics

__all__ = ["BaselineHedge", "baseline_hedge", "hedge_statistics"]
