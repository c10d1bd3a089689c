"""The service's view of the market data, and the checks a request gets before it is queued."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from hedgekit._errors import (
    ConfigurationError,
    DataError,
    HedgekitError,
    MissingDependencyError,
    OptimizationError,
    StoreNotFoundError,
    UnknownIdentifierError,
)
from hedgekit.data import MarketData, Store
from hedgekit.hedge import (
    Basket,
    PerformanceHedgeParameters,
    explode_universe,
    price_portfolio,
)

__all__ = ["MarketProvider", "error_status", "preflight"]

logger = logging.getLogger(__name__)


class MarketProvider:
    """One shared :class:`MarketData`, replaced when the store gets a new snapshot.

    ``MarketData`` caches its panels; reusing it across requests keeps a hedge on warm data
    (about 0.1 s on the demo market). ``hedgekit data import`` while the service runs
    publishes a new snapshot; the next request notices it and loads the new data.

    Parameters
    ----------
    data_home : path-like, optional
        The data home (default ``HEDGEKIT_DATA`` or the user data directory).
    """

    def __init__(self, data_home: str | os.PathLike[str] | None = None) -> None:
        self.store = Store(data_home)
        self._market: MarketData | None = None
        self._version: str | None = None
        self._lock = threading.Lock()

    @property
    def home(self) -> Path:
        """The data home."""
        return self.store.home

    def get(self) -> MarketData:
        """The market data of the live snapshot.

        Raises
        ------
        StoreNotFoundError
            The data home holds no import.
        """
        version = self.store.version
        market = self._market
        if market is not None and version == self._version:
            return market
        with self._lock:
            if self._market is None or version != self._version:
                logger.info("loading market data %s from %s", version, self.store.home)
                self._market = MarketData(self.store)
                self._version = version
            return self._market


def error_status(exc: HedgekitError) -> int:
    """The HTTP status of a library error: the caller's inputs (422) or the server's setup (503).

    The one mapping of the service, used for direct answers and failed jobs alike.
    ``StoreNotFoundError`` (no data imported) and :class:`MissingDependencyError` (an
    optional package such as the ``nlp`` or ``plot`` extra is not installed; the message
    gives the ``pip install 'hedgekit[...]'`` line) are the operator's problem, so 503; every
    other :class:`DataError`, :class:`ConfigurationError` and :class:`OptimizationError`
    (infeasible constraints included) comes from the request's values, so 422; anything
    else the library raises on purpose is a 400.
    """
    if isinstance(exc, StoreNotFoundError | MissingDependencyError):  # the operator must act
        return 503
    if isinstance(exc, DataError | ConfigurationError | OptimizationError):
        return 422
    return 400


def preflight(params: PerformanceHedgeParameters, market: MarketData) -> None:
    """The checks that are cheap enough to run before a job is accepted.

    Validates the parameters, that the date lies inside the data, that every position,
    universe entry, excluded asset and asset constraint resolves on the date and that the
    positions have a price then. What needs the whole problem (enough history in the
    window, feasibility of the constraints) is found by the job, which fails with the
    same message and status the library gives.

    Raises
    ------
    HedgekitError
        The first problem found, naming the value and the fix.
    """
    params.validate()
    view = market.as_of(params.initial_portfolio.timestamp)
    price_portfolio(market, view, params.initial_portfolio)  # the hedge's own pricing rules
    explode_universe(market, view, params.universe, params.explode_universe)
    if params.exclusions is not None and params.exclusions.assets:
        market.resolve_many(params.exclusions.assets, view.date)
    if params.constraints is not None:
        for c in params.constraints.assets:
            market.resolve(c.constraint_name, view.date)
    if params.current_hedge is not None:  # a rebalance: the hedge held now
        held = [p.identifier for p in params.current_hedge.positions]
        baskets = {u.name for u in params.universe if isinstance(u, Basket)}
        held = [t for t in held if t not in baskets]  # held under their own names
        try:
            market.resolve_many(held, view.date)
        except UnknownIdentifierError as exc:
            raise UnknownIdentifierError(
                exc.identifier, exc.suggestions, f"a current_hedge name on {view.date:%Y-%m-%d}"
            ) from None
