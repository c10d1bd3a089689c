"""ETFs held as themselves: their returns, prices and ADV next to the stocks'.

With ``explode_universe=False`` an ETF of the data's benchmark table (``SPY``, the sector
SPDRs ``XLK``...) in the universe is a hedge instrument, not a list of members. Its data
comes from the benchmark table: adjusted closes on the stock calendar (returns, and the
price its shares are counted at) and, where the table has volume, its average daily dollar
volume. These helpers give the stocks' own numbers unchanged (the point-in-time view's) and
add the ETFs' beside them, so a hedge without ETFs is computed exactly as before.

User baskets (:class:`~hedgekit.hedge._baskets.Basket`, passed as ``baskets``) join them the
same way: their level is their close (:mod:`hedgekit.hedge._baskets`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from hedgekit.data import MarketData, PointInTimeData, Sampling
from hedgekit.hedge._baskets import Basket, basket_adv, basket_levels
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "etf_instruments",
    "instrument_adv",
    "instrument_prices",
    "instrument_returns",
    "resolve_instruments",
]


def etf_instruments(market: MarketData, names: Iterable[str]) -> list[str]:
    """Those of ``names`` that are ETFs of the benchmark table, not stocks (indices such as
    ``^GSPC`` are not instruments)."""
    bench = market.benchmark_panel("adj_close").columns
    stocks = market.priced_tickers
    return [n for n in names if n not in stocks and n in bench and not str(n).startswith("^")]


#: user baskets by name (the ``baskets`` argument of the functions below)
Baskets = Mapping[str, Basket] | None


def resolve_instruments(
    market: MarketData, identifiers: list[str], date: DateLike, baskets: Baskets = None
) -> list[str]:
    """``market.resolve_many`` of ``identifiers``, the names of ``baskets`` kept as they are."""
    plain = [i for i in identifiers if not (baskets and i in baskets)]
    resolved = iter(market.resolve_many(plain, date) if plain else [])
    return [i if baskets and i in baskets else next(resolved) for i in identifiers]


def _held(names: Iterable[str], baskets: Baskets) -> list[str]:
    """Those of ``names`` that are baskets of ``baskets``."""
    return [n for n in names if baskets and n in baskets]


def _etf_closes(
    view: PointInTimeData,
    etfs: list[str],
    baskets: Baskets = None,
    held: Sequence[str] = (),
) -> pd.DataFrame:
    """Adjusted closes of ``etfs`` (and levels of the baskets ``held``) on the stock
    calendar, up to the view's date."""
    market = view.market
    calendar = market.calendar[market.calendar <= view.date]
    out = market.benchmark_panel("adj_close")[etfs].reindex(calendar)
    if held and baskets:
        levels = basket_levels(view, [baskets[n] for n in held])
        out = pd.concat([out, levels.reindex(calendar)], axis=1)
    return out


def instrument_returns(
    view: PointInTimeData,
    names: list[str],
    start: DateLike | None = None,
    *,
    window: int | None = None,
    sampling: Sampling | str = Sampling.DAILY,
    baskets: Baskets = None,
) -> pd.DataFrame:
    """:meth:`PointInTimeData.returns` of stocks, ETFs and ``baskets``, dates x ``names``.

    Without an ETF or a basket among ``names`` this is the view's own call; an ETF's
    returns are those of its adjusted closes on the stock calendar, a basket's those of its
    level, sampled the same way.
    """
    held = _held(names, baskets)
    etfs = etf_instruments(view.market, [n for n in names if n not in set(held)])
    if not etfs and not held:
        return view.returns(names, start=start, window=window, sampling=sampling)
    stocks = [n for n in names if n not in set(etfs) | set(held)]
    sampling = Sampling(sampling)
    rets = sampling.returns(_etf_closes(view, etfs, baskets, held))
    if start is not None:
        rets = rets.loc[rets.index >= to_timestamp(start, "start")]
    if window is not None:
        rets = rets.iloc[-window:]
    if stocks:
        stock_rets = view.returns(stocks, start=start, window=window, sampling=sampling)
        rets = pd.concat([stock_rets, rets.reindex(stock_rets.index)], axis=1)
    return rets[names]


def instrument_prices(
    view: PointInTimeData, names: list[str], baskets: Baskets = None, **kwargs: int
) -> pd.Series:
    """Last close of stocks (the view's ``last_prices``; ``max_age`` passed on), last
    adjusted close of ETFs and last level of baskets (within 5 trading days; missing if
    older)."""
    held = _held(names, baskets)
    etfs = etf_instruments(view.market, [n for n in names if n not in set(held)])
    stocks = [n for n in names if n not in set(etfs) | set(held)]
    out = (
        view.last_prices(stocks, field="close", **kwargs) if stocks else pd.Series(dtype="float64")
    )
    if etfs or held:
        tail = _etf_closes(view, etfs, baskets, held).iloc[-5:]
        last = tail.ffill().iloc[-1] if len(tail) else pd.Series(np.nan, index=[*etfs, *held])
        out = pd.concat([out, last]) if stocks else last
    return out.reindex(names).astype("float64").rename("close")


def instrument_adv(
    view: PointInTimeData, etfs: list[str], window: int, baskets: Baskets = None
) -> pd.Series:
    """Average daily dollar volume of ETFs (adjusted close x volume) over the last ``window``
    stock trading days; missing where the benchmark table has no volume. Stocks among
    ``etfs`` get the view's ``adv`` and baskets theirs (:func:`basket_adv`)."""
    held = _held(etfs, baskets)
    funds = etf_instruments(view.market, [n for n in etfs if n not in set(held)])
    stocks = [n for n in etfs if n not in set(funds) | set(held)]
    if stocks or held:
        parts = [_etf_adv(view, funds, window)]
        if stocks:
            parts.append(view.adv(stocks, window=window))
        if held and baskets:
            parts.append(basket_adv(view, [baskets[n] for n in held], window))
        out = pd.concat([p for p in parts if len(p)]).reindex(etfs).astype("float64")
        out.index.name = "ticker"
        return out
    return _etf_adv(view, funds, window)


def _etf_adv(view: PointInTimeData, etfs: list[str], window: int) -> pd.Series:
    """ADV of benchmark-table ETFs (see :func:`instrument_adv`)."""
    market = view.market
    calendar = market.calendar[market.calendar <= view.date][-window:]
    px = market.benchmark_panel("adj_close")[etfs].reindex(calendar)
    vol = market.benchmark_panel("volume")[etfs].reindex(calendar)
    dollar = (px * vol).to_numpy(dtype="float64")
    count = np.sum(~np.isnan(dollar), axis=0)
    with np.errstate(invalid="ignore"):
        mean = np.nansum(dollar, axis=0) / np.where(count == 0, np.nan, count)
    mean[count < max(1, window // 2)] = np.nan
    return pd.Series(mean, index=pd.Index(etfs, name="ticker"), dtype="float64")
