"""ETFs held as themselves: their returns, prices and ADV next to the stocks'.

With ``explode_universe=False`` an ETF of the data's benchmark table (``SPY``, the sector
SPDRs ``XLK``...) in the universe is a hedge instrument, not a list of members. Its data
comes from the benchmark table: adjusted closes on the stock calendar (returns, and the
price its shares are counted at) and, where the table has volume, its average daily dollar
volume. These helpers give the stocks' own numbers unchanged (the point-in-time view's) and
add the ETFs' beside them, so a hedge without ETFs is computed exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from hedgekit.data import MarketData, PointInTimeData, Sampling
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["etf_instruments", "instrument_adv", "instrument_prices", "instrument_returns"]


def etf_instruments(market: MarketData, names: Iterable[str]) -> list[str]:
    """Those of ``names`` that are ETFs of the benchmark table, not stocks (indices such as
    ``^GSPC`` are not instruments)."""
    bench = market.benchmark_panel("adj_close").columns
    stocks = market.priced_tickers
    return [n for n in names if n not in stocks and n in bench and not str(n).startswith("^")]


def _etf_closes(view: PointInTimeData, etfs: list[str]) -> pd.DataFrame:
    """Adjusted closes of ``etfs`` on the stock calendar, up to the view's date."""
    market = view.market
    calendar = market.calendar[market.calendar <= view.date]
    return market.benchmark_panel("adj_close")[etfs].reindex(calendar)


def instrument_returns(
    view: PointInTimeData,
    names: list[str],
    start: DateLike | None = None,
    *,
    window: int | None = None,
    sampling: Sampling | str = Sampling.DAILY,
) -> pd.DataFrame:
    """:meth:`PointInTimeData.returns` of stocks and ETFs, dates x ``names``.

    Without an ETF among ``names`` this is the view's own call; an ETF's returns are those
    of its adjusted closes on the stock calendar, sampled the same way.
    """
    etfs = etf_instruments(view.market, names)
    if not etfs:
        return view.returns(names, start=start, window=window, sampling=sampling)
    stocks = [n for n in names if n not in set(etfs)]
    sampling = Sampling(sampling)
    rets = sampling.returns(_etf_closes(view, etfs))
    if start is not None:
        rets = rets.loc[rets.index >= to_timestamp(start, "start")]
    if window is not None:
        rets = rets.iloc[-window:]
    if stocks:
        stock_rets = view.returns(stocks, start=start, window=window, sampling=sampling)
        rets = pd.concat([stock_rets, rets.reindex(stock_rets.index)], axis=1)
    return rets[names]


def instrument_prices(view: PointInTimeData, names: list[str]) -> pd.Series:
    """Last close of stocks (the view's ``last_prices``) and last adjusted close of ETFs
    (within 5 trading days; missing if older)."""
    etfs = etf_instruments(view.market, names)
    stocks = [n for n in names if n not in set(etfs)]
    out = view.last_prices(stocks, field="close") if stocks else pd.Series(dtype="float64")
    if etfs:
        tail = _etf_closes(view, etfs).iloc[-5:]
        last = tail.ffill().iloc[-1] if len(tail) else pd.Series(np.nan, index=etfs)
        out = pd.concat([out, last])
    return out.reindex(names).rename("close")


def instrument_adv(view: PointInTimeData, etfs: list[str], window: int) -> pd.Series:
    """Average daily dollar volume of ETFs (adjusted close x volume) over the last ``window``
    stock trading days; missing where the benchmark table has no volume."""
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
