"""Hedges: the Performance Hedger API and the baseline hedge."""

from __future__ import annotations

from hedgekit.hedge._baseline import BaselineHedge, baseline_hedge, hedge_statistics
from hedgekit.hedge._basket_files import basket_positions, basket_shares
from hedgekit.hedge._baskets import Basket
from hedgekit.hedge._grid import GridSearchResult
from hedgekit.hedge._monitor import HedgeMonitor, monitor_basket, monitor_hedge
from hedgekit.hedge._parameters import (
    Constraint,
    HedgeConstraints,
    HedgeExclusions,
    HedgeMethod,
    HedgeMetric,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.hedge._performance import PerformanceHedge
from hedgekit.hedge._request import HedgeRequest, HedgeSettings
from hedgekit.hedge._result import PerformanceHedgeResult
from hedgekit.hedge._specs import (
    BasketSpec,
    ConstraintSpec,
    ConstraintsSpec,
    ExclusionsSpec,
    HoldingSpec,
    PositionSpec,
    ScoreConstraintSpec,
)
from hedgekit.hedge._universe import SECTOR_ETFS, explode_universe, price_portfolio

__all__ = [
    "SECTOR_ETFS",
    "BaselineHedge",
    "Basket",
    "BasketSpec",
    "Constraint",
    "ConstraintSpec",
    "ConstraintsSpec",
    "ExclusionsSpec",
    "GridSearchResult",
    "HedgeConstraints",
    "HedgeExclusions",
    "HedgeMethod",
    "HedgeMetric",
    "HedgeMonitor",
    "HedgeRequest",
    "HedgeSettings",
    "HoldingSpec",
    "PerformanceHedge",
    "PerformanceHedgeParameters",
    "PerformanceHedgeResult",
    "Position",
    "PositionSet",
    "PositionSpec",
    "ScoreConstraintSpec",
    "baseline_hedge",
    "basket_positions",
    "basket_shares",
    "explode_universe",
    "hedge_statistics",
    "monitor_basket",
    "monitor_hedge",
    "price_portfolio",
]
