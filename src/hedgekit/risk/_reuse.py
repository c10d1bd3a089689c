"""Which risk model a run over many dates uses: a kept one that covers them, else a new fit.

A walk-forward backtest needs forecasts on every rebalance date, each estimated with a year
of regressions before the first. :func:`covering_model` states that rule once, for the
backtest engine and any other caller: the data home's kept model ``name`` is reused when it
covers the dates (and was estimated with the same parameters); otherwise a model is fitted
from two years before the first date to the last, and a non-default one is kept for the next
run (the default model is `hedgekit risk build`'s to keep).
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.data import MarketData
from hedgekit.risk._default import cached_model_path, load_cached_model
from hedgekit.risk._model import FactorRiskModel

__all__ = ["HISTORY_DAYS", "covering_model", "covers_dates"]

logger = logging.getLogger(__name__)

#: regression days a model must hold before the first date it forecasts on
HISTORY_DAYS = 252
#: how far before the first date a new fit starts
_FIT_YEARS = 2


def covers_dates(
    model: FactorRiskModel, dates: pd.DatetimeIndex, history_days: int = HISTORY_DAYS
) -> bool:
    """Whether ``model`` forecasts on every day of ``dates``: its factor returns reach the
    last one and hold at least ``history_days`` days up to the first."""
    idx = model.factor_returns_.index
    return bool(idx[-1] >= dates[-1] and (idx <= dates[0]).sum() >= history_days)


def covering_model(
    market: MarketData,
    dates: pd.DatetimeIndex,
    *,
    name: str = "default",
    history_days: int = HISTORY_DAYS,
    n_jobs: int = 1,
    **params: Any,
) -> FactorRiskModel:
    """A factor risk model that forecasts on every day of ``dates``.

    Parameters
    ----------
    market : MarketData
        The data; its home keeps the models (``cache/risk/<name>``).
    dates : DatetimeIndex
        The days the model must forecast on (e.g. a backtest's rebalance dates), sorted.
    name : str
        The kept model to reuse: ``'default'`` (what `hedgekit risk build` makes) when no
        ``params`` are given, else the name a model with these parameters is kept under.
    history_days : int
        Regression days the model must hold before ``dates[0]``.
    n_jobs : int
        Worker processes of a new fit.
    **params
        :class:`FactorRiskModel` parameters that differ from its defaults; a kept model is
        reused only when its own parameters equal them.

    Returns
    -------
    FactorRiskModel
        The kept model, or a new fit from two years before ``dates[0]`` to ``dates[-1]``.

    Notes
    -----
    Point in time: every forecast of the model on a date ``t`` uses only returns up to
    ``t`` (see :class:`FactorRiskModel`), so a model whose window ends after some of the
    dates does not leak the later days into the earlier forecasts.
    """
    if len(dates) == 0:
        raise ConfigurationError("covering_model needs at least one date to cover")
    dates = pd.DatetimeIndex(dates).sort_values()
    cached = load_cached_model(market, name)
    if (
        cached is not None
        and covers_dates(cached, dates, history_days)
        and all(cached.get_params().get(k) == v for k, v in params.items())
    ):
        return cached
    start = dates[0] - pd.DateOffset(years=_FIT_YEARS)
    logger.info("fitting risk model %r %s..%s", name, start.date(), dates[-1].date())
    model = FactorRiskModel(start, dates[-1], n_jobs=n_jobs, **params).fit(market)
    if params:
        model.save(cached_model_path(market, name))
    return model
