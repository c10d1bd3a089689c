"""hedgekit.backtest: walk-forward evaluation of hedges, its metrics and its report."""

from __future__ import annotations

from hedgekit.backtest._engine import (
    BacktestConfig,
    BacktestRun,
    load_results,
    rebalance_dates,
    run_backtest,
)
from hedgekit.backtest._methods import (
    METHODS,
    BacktestSettings,
    Hedge,
    HedgeContext,
    register_method,
)
from hedgekit.backtest._metrics import (
    DAILY_COLUMNS,
    PERIOD_COLUMNS,
    SUMMARY_COLUMNS,
    PairedComparison,
    by_group,
    by_method,
    compare,
    compare_all,
    summarise,
    winners,
)
from hedgekit.backtest._report import REPORT_FILES, write_report

__all__ = [
    "DAILY_COLUMNS",
    "METHODS",
    "PERIOD_COLUMNS",
    "REPORT_FILES",
    "SUMMARY_COLUMNS",
    "BacktestConfig",
    "BacktestRun",
    "BacktestSettings",
    "Hedge",
    "HedgeContext",
    "PairedComparison",
    "by_group",
    "by_method",
    "compare",
    "compare_all",
    "load_results",
    "rebalance_dates",
    "register_method",
    "run_backtest",
    "summarise",
    "winners",
    "write_report",
]
