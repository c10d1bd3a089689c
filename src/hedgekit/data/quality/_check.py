"""The entry point :func:`check_data`: validate the thresholds, run every check in
report order and assemble the :class:`~hedgekit.data.quality.QualityReport`.
"""

from __future__ import annotations

import logging

from hedgekit._errors import ConfigurationError
from hedgekit.data._market import MarketData
from hedgekit.data.quality._coverage import _coverage
from hedgekit.data.quality._descriptions import _descriptions
from hedgekit.data.quality._fundamentals import _fundamentals
from hedgekit.data.quality._identity import _identity
from hedgekit.data.quality._limits import _limits, _manifest_warnings
from hedgekit.data.quality._market_cap import _market_cap
from hedgekit.data.quality._prices import _prices
from hedgekit.data.quality._report import QualityReport

__all__ = ["check_data"]

logger = logging.getLogger(__name__)


def check_data(
    market: MarketData, *, spike: float = 0.5, stale_days: int = 5, gap_days: int = 5
) -> QualityReport:
    """Check the quality of the data in a store.

    Parameters
    ----------
    market : MarketData
        The market data to check (the whole store, not a point-in-time view).
    spike : float
        Report daily adjusted-close moves with ``|return| > spike`` (0.5 is 50%).
    stale_days : int
        Report runs of at least this many identical consecutive closes.
    gap_days : int
        Report runs of at least this many missing closes (trading days of the store's
        calendar) inside a ticker's life, its first to its last price.

    Returns
    -------
    QualityReport
        Sections ``coverage, prices, identity, descriptions, fundamentals, market_cap,
        limits``, each with a status, a one-line reason, metrics and detail tables.

    Raises
    ------
    ConfigurationError
        A threshold is out of range.

    Notes
    -----
    A daily return is measured against the previous available close of the same
    ticker, so a move across a gap still counts. A spike's ``hint`` says
    ``'reverts next day'`` when the next return undoes more than half of it (a bad
    tick), ``'split-like ratio'`` when ``1 + r`` is within 0.5% of 2, 3, 4, 5, 10, 20
    or 1.5 (or their inverses) and ``'distribution ...'`` when the raw close moved
    differently from the adjusted close.

    Examples
    --------
    >>> report = check_data(MarketData("/tmp/hk"))            # doctest: +SKIP
    >>> report.summary                                         # doctest: +SKIP
    >>> report.prices.frames["spikes"].head()                 # doctest: +SKIP
    """
    if not (isinstance(spike, (int, float)) and spike > 0):
        raise ConfigurationError(f"spike={spike!r} must be a positive return, e.g. 0.5 for 50%")
    if int(stale_days) != stale_days or stale_days < 2:
        raise ConfigurationError(
            f"stale_days={stale_days!r} must be an integer >= 2 (identical closes in a row)"
        )
    if int(gap_days) != gap_days or gap_days < 1:
        raise ConfigurationError(f"gap_days={gap_days!r} must be an integer >= 1")
    coverage = _coverage(market)
    prices, valid, returns = _prices(market, float(spike), int(stale_days), int(gap_days))
    identity, daily = _identity(market, valid, returns)
    current = market.as_of(market.end).members(with_prices=False) if market.indices else []
    descriptions = _descriptions(market, current)
    fundamentals = _fundamentals(market, current)
    market_cap = _market_cap(market)
    warnings = _manifest_warnings(market.manifest)
    limits = _limits(market, coverage, identity, descriptions, fundamentals, market_cap, warnings)
    return QualityReport(
        home=str(market.store.home),
        version=market.store.version,
        synthetic=market.is_synthetic,
        start=market.start,
        end=market.end,
        parameters={
            "spike": float(spike),
            "stale_days": int(stale_days),
            "gap_days": int(gap_days),
        },
        coverage=coverage,
        prices=prices,
        identity=identity,
        descriptions=descriptions,
        fundamentals=fundamentals,
        market_cap=market_cap,
        limits=limits,
        daily=daily,
        warnings=warnings,
    )
