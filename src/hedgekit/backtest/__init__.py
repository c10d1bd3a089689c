"""hedgekit.backtest: walk-forward evaluation of hedges, its metrics and its report."""

from __future__ import annotations

from hedgekit.backtest._bound import perfect_foresight_hedge, perfect_foresight_solution
from hedgekit.backtest._config import (
    BOUND,
    BacktestConfig,
    hold_schedule,
    parse_hold,
    rebalance_dates,
)
from hedgekit.backtest._engine import run_backtest
from hedgekit.backtest._methods import (
    METHODS,
    BacktestSettings,
    Hedge,
    HedgeContext,
    register_method,
)
from hedgekit.backtest._metrics import (
    PairedComparison,
    by_group,
    by_method,
    compare,
    compare_all,
    winners,
)
from hedgekit.backtest._report import REPORT_FILES, write_report
from hedgekit.backtest._results import BacktestRun, load_results
from hedgekit.backtest._summary import (
    DAILY_COLUMNS,
    MOMENT_COLUMNS,
    PERIOD_COLUMNS,
    SUMMARY_COLUMNS,
    record_moments,
    select_dates,
    summarise,
)
from hedgekit.backtest._targets import STUDY_SEED, select_targets

__all__ = [
    "BOUND",
    "DAILY_COLUMNS",
    "METHODS",
    "MOMENT_COLUMNS",
    "PERIOD_COLUMNS",
    "REPORT_FILES",
    "STUDY_SEED",
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
    "hold_schedule",
    "load_results",
    "parse_hold",
    "perfect_foresight_hedge",
    "perfect_foresight_solution",
    "rebalance_dates",
    "record_moments",
    "register_method",
    "run_backtest",
    "select_dates",
    "select_targets",
    "summarise",
    "winners",
    "write_report",
]
