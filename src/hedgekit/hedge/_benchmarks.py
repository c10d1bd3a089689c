"""Benchmark curves beside a hedge: which ones a request asks for, and the NLP basket.

``benchmarks`` (a hedge parameter) names the curves of
:meth:`~hedgekit.hedge.PerformanceHedgeResult.get_backtest_performance`: ``'SPY'``,
``'sector'`` (the SPDR fund of the portfolio's largest sector) and ``'nlp'``, the study's NLP
basket: equal weights on the ``max_names`` (default 10) hedge candidates whose business
descriptions are nearest the portfolio's (the weighted mean of its positions' unit
vectors), what ``method='nlp'`` holds. The NLP basket is point in time: only descriptions
published on or before the hedge date are read (a company without one then is not a
candidate; the ``nlp`` method itself may use a later vintage, flagged), and it is held like
a user basket (:mod:`hedgekit.hedge._baskets`): fixed weights, rebalanced daily, a member
without a return on a day left out that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.data import MarketData
from hedgekit.hedge._baskets import Basket, basket_levels

if TYPE_CHECKING:
    from hedgekit.hedge._parameters import PerformanceHedgeParameters
    from hedgekit.hedge._prepare import Prepared

__all__ = ["BENCHMARKS", "DEFAULT_BENCHMARKS", "NLP_LABEL", "benchmark_names", "nlp_growth"]

#: the benchmark curves a hedge can show
BENCHMARKS = ("SPY", "sector", "nlp")
#: the curves shown when ``benchmarks`` is not given
DEFAULT_BENCHMARKS = ("SPY", "sector")
#: the NLP basket's column in the backtest performance
NLP_LABEL = "NLP basket"


def benchmark_names(benchmarks: Iterable[str] | None) -> tuple[str, ...]:
    """The canonical spelling of ``benchmarks`` (None: the default curves).

    Raises
    ------
    ConfigurationError
        An unknown curve.
    """
    if benchmarks is None:
        return DEFAULT_BENCHMARKS
    known = {b.lower(): b for b in BENCHMARKS}
    out = []
    for b in [benchmarks] if isinstance(benchmarks, str) else benchmarks:
        key = str(b).strip().lower()
        if key not in known:
            raise ConfigurationError(
                f"benchmarks: {b!r} is not a benchmark curve; use {', '.join(BENCHMARKS)}"
            )
        out.append(known[key])
    return tuple(dict.fromkeys(out))


def nlp_growth(
    prep: Prepared,
    params: PerformanceHedgeParameters,
    market: MarketData,
    dates: pd.DatetimeIndex,
) -> tuple[pd.Series | None, dict[str, Any]]:
    """Growth of 1 of the NLP basket over ``dates`` (the first value the growth over the
    first period, as the other benchmarks), and what it holds (``members``, ``embedder``,
    or ``note`` when it cannot be built: no position described on the date)."""
    from hedgekit.text import EmbeddingIndex

    view = prep.view
    k = params.max_names or 10
    key = (params.embedder, view.date, "point_in_time")
    index = market.cache.get_or_compute(
        "text_index",
        key,
        lambda: EmbeddingIndex.from_market(
            market, view.date, embedder=params.embedder, allow_later=False
        ),
    )
    weights = prep.portfolio["weight"]
    outside = [t for t in weights.index if t not in index]
    if outside:
        return None, {
            "note": f"no NLP basket: {', '.join(outside)} has no business description "
            f"published by {view.date:%Y-%m-%d}"
        }
    query = np.sum([float(w) * index.vector(str(t)) for t, w in weights.items()], axis=0)
    pool = [str(t) for t in prep.candidate_returns.columns]
    sims = index.similarities(np.asarray(query)).reindex(pool).dropna()
    members = list(sims.nlargest(k).index)
    if not members:
        return None, {"note": "no NLP basket: no hedge candidate has a description"}
    basket = Basket(NLP_LABEL, {m: 1.0 / len(members) for m in members})
    later = market.as_of(dates[-1])  # out-of-sample dates are evaluation only
    level = basket_levels(later, [basket])[NLP_LABEL]
    level = level[level.index >= dates[0] - pd.Timedelta(days=14)]
    base = level.loc[level.index < dates[0]].ffill()
    if base.dropna().empty:
        return None, {"note": "no NLP basket: its members have no price before the window"}
    growth = level.reindex(level.index.union(dates)).ffill().reindex(dates) / base.iloc[-1]
    info = {
        "members": members,
        "embedder": str(getattr(index, "embedder", params.embedder)),
        "similarity": {m: float(sims[m]) for m in members},
    }
    return growth.rename(NLP_LABEL), info
