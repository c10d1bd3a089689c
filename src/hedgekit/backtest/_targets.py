"""Which stocks a backtest hedges: a list of names, the S&P 500 on a date, or a seeded sample."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.data import MarketData
from hedgekit.typing import DateLike

__all__ = ["STUDY_SEED", "select_targets"]

#: the seed of ``random:N`` when none is given: the study's design draws with this one
STUDY_SEED = 42
_INDEX_WORDS = ("sp500", "spx", "s&p500")


def select_targets(market: MarketData, spec: str, end: DateLike) -> list[str]:
    """The targets a specification names, resolved on ``end``.

    Parameters
    ----------
    market : MarketData
        The data the targets are resolved in.
    spec : str
        ``'T1,T2,...'`` (tickers or other identifiers, resolved on ``end``), ``'sp500'``
        (the S&P 500 members on ``end``) or ``'random:N[:SEED]'`` (N of those members,
        drawn without replacement with ``numpy.random.default_rng(SEED)``; SEED defaults
        to :data:`STUDY_SEED`, the study's design).
    end : date-like
        The date of the membership and of the resolution (usually the last rebalance day,
        so that every target is a member on a date the backtest sees).

    Returns
    -------
    list of str
        Tickers; sorted for ``sp500`` and ``random``, in the given order for a list.

    Raises
    ------
    ConfigurationError
        For a malformed ``random:`` or an N outside 1..members.
    UnknownIdentifierError
        For a name of the list that resolves to no security on ``end``.

    Examples
    --------
    >>> select_targets(market, "random:10:7", market.end)  # doctest: +SKIP
    ['ABCD', ...]
    """
    text = spec.strip()
    key = text.lower()
    if key in _INDEX_WORDS:
        return sorted(market.as_of(end).members("SPX"))
    if key.startswith("random:"):
        parts = key.split(":")
        try:
            n = int(parts[1])
            seed = int(parts[2]) if len(parts) > 2 else STUDY_SEED
        except (IndexError, ValueError):
            raise ConfigurationError(
                f"targets {spec!r}: write random:N or random:N:SEED, e.g. random:50:42"
            ) from None
        pool = sorted(market.as_of(end).members("SPX"))
        if not 0 < n <= len(pool):
            raise ConfigurationError(
                f"targets {spec!r}: N must be in 1..{len(pool)} "
                f"(the S&P 500 members on {pd.Timestamp(end):%Y-%m-%d})"
            )
        rng = np.random.default_rng(seed)
        return sorted(str(t) for t in rng.choice(pool, size=n, replace=False))
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ConfigurationError(
            f"targets {spec!r} names no stock; pass tickers (T1,T2), 'sp500' or 'random:50'"
        )
    return [market.resolve(t, end) for t in names]
