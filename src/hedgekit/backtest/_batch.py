"""What the targets and methods of one rebalance date share, built once per date.

The engine hedges every target of a date in one task. A :class:`DateBatch` holds what
does not depend on the target, so that each (target, method) only adds its own part:

- the point-in-time view, the tradable index members (the candidates before the target's
  share classes are dropped), their window returns and GICS labels (the contexts' shared
  memo, :attr:`HedgeContext.shared <hedgekit.backtest.HedgeContext>`), and each target's
  price on the date;
- each risk model's forecast on the date (:class:`DateForecasts`): fetched once, not once
  per (target, factor method);
- the hold's prices and cost inputs (:class:`~hedgekit.backtest._period.Period`),
  evaluation only.

The universe, the estimator's covariance of the candidates and the text index are shared
one level down: :mod:`hedgekit.hedge` caches them on the market per date (what does not
depend on the positions), so every target and method of the date reads the same fit.

Everything shared is computed from the date's view exactly as each (target, method)
computed it on its own, so the batched records equal per-target ones
(``tests/backtest/test_batch.py``); a batch is one date's, so nothing crosses dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from hedgekit.backtest._methods import BacktestSettings, HedgeContext
from hedgekit.backtest._period import Period
from hedgekit.data import MarketData

__all__ = ["DateBatch", "DateForecasts"]


class DateForecasts:
    """A fitted risk model whose forecast on one date is fetched once for the date's targets.

    A hedge on the date asks the model for ``forecast(date, market, include=positions)``.
    For positions among the index members trading that day the model returns one and the
    same forecast, its cross-section (cached in the model): only the cache lookup, which
    lists the members again, is per call. This wrapper keeps that forecast and returns it
    for any such call; any other call (another date or market, a position outside the
    index) goes to the model. Every other attribute is the model's.

    Parameters
    ----------
    model : FactorRiskModel
        The fitted model.
    market : MarketData
        The backtest's market.
    date : Timestamp
        The rebalance date.
    """

    def __init__(self, model: Any, market: MarketData, date: pd.Timestamp) -> None:
        self.model = model
        self._market = market
        self._date = pd.Timestamp(date)
        self._members: frozenset[str] | None = None
        self._forecast: Any | None = None

    def forecast(
        self, date: Any = None, market: MarketData | None = None, include: Sequence[str] = ()
    ) -> Any:
        """The model's ``forecast(date, market, include)``, fetched once per date when
        ``include`` holds index members trading on the date only."""
        if (
            include
            and market is self._market
            and date is not None
            and pd.Timestamp(date) == self._date
        ):
            if self._members is None:
                # the default cross-section of FactorRiskModel.forecast on the date
                view = market.as_of(self._date)
                self._members = frozenset(view.tradable(view.members()))
            if all(t in self._members for t in include):
                if self._forecast is None:
                    self._forecast = self.model.forecast(date, market, include=include)
                return self._forecast
        return self.model.forecast(date, market, include=include)

    def __getattr__(self, name: str) -> Any:
        if name == "model":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.model, name)


class DateBatch:
    """One rebalance date's shared inputs; :meth:`context` makes each target's context.

    Parameters
    ----------
    market : MarketData
        The data.
    date, nxt : Timestamp
        The rebalance date and the hold's last day.
    targets : sequence of str
        The date's targets.
    settings : BacktestSettings
        The run's settings.
    risk_model : FactorRiskModel, optional
        The ``factor`` method's model.
    extras : dict, optional
        Method inputs (``study_model``: the ``factor_study`` method's model).
    """

    def __init__(
        self,
        market: MarketData,
        date: pd.Timestamp,
        nxt: pd.Timestamp,
        targets: Sequence[str],
        settings: BacktestSettings,
        risk_model: Any | None = None,
        extras: dict[str, Any] | None = None,
    ) -> None:
        self.market = market
        self.settings = settings
        self.view = view = market.as_of(date)
        self.tradable = set(view.tradable(list(targets)))
        members = view.tradable(view.members(settings.universe))
        self.period = Period(market, date, nxt, [*members, *sorted(self.tradable)])
        # what the date's targets share (HedgeContext.shared), seeded with the members
        # read above; one dict per date, so nothing crosses dates
        self.shared: dict[str, Any] = {"members": members}
        self.risk_model = None if risk_model is None else DateForecasts(risk_model, market, date)
        self.extras = {
            k: DateForecasts(v, market, date) if k == "study_model" and v is not None else v
            for k, v in (extras or {}).items()
        }

    def context(self, target: str) -> HedgeContext:
        """What a method may know about ``target`` on the date, sharing the date's inputs."""
        return HedgeContext(
            self.market,
            self.view,
            target,
            self.settings,
            self.risk_model,
            dict(self.extras),
            self.shared,
        )
