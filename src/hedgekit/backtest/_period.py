"""One holding period of the walk-forward backtest: its prices, read once, and the hold.

A :class:`Period` belongs to one rebalance date ``d`` and the hold's last day ``d'``. It
reads the returns over ``(d, d']`` (evaluation only: after the rebalance date) and the cost
inputs on ``d`` of every index member and target in one call each, for every target and
method of the date; a name outside them (a method's own pick) is read when asked for. Each
column is computed on its own, so the values equal per-hedge reads.

:meth:`Period.holding` simulates a basket held with fixed shares over the period (the
arithmetic is in :mod:`hedgekit.backtest._engine`'s docstring) on NumPy arrays of the
period's returns, kept beside the frames: the same numbers, in the same order, as the
frame-by-frame simulation it replaced, without a pandas selection per record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit.backtest._bound import perfect_foresight_hedge
from hedgekit.backtest._methods import Hedge, HedgeContext
from hedgekit.backtest._summary import record_moments
from hedgekit.data import MarketData

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["Period"]

#: days of the average daily dollar volume in the cost inputs
ADV_DAYS = 20


class _Panel:
    """Daily returns of some names over the period: a frame, and its values as an array
    (rebuilt when names are added) with each name's column."""

    def __init__(self, days: pd.DatetimeIndex, read: Callable[..., pd.DataFrame]) -> None:
        self.days = days
        self.read = read
        self.frame = pd.DataFrame(index=days)
        self._values: npt.NDArray[np.float64] | None = None
        self._column: dict[str, int] = {}

    def extend(self, names: Sequence[str]) -> None:
        """Read the names not read yet (one call for all of them)."""
        missing = [t for t in dict.fromkeys(names) if t not in self.frame.columns]
        if not missing:
            return
        new = self.read(missing, start=self.days[0]).reindex(self.days)
        self.frame = pd.concat([self.frame, new], axis=1)
        self._values = None

    def block(self, names: Sequence[str]) -> npt.NDArray[np.float64]:
        """The returns of ``names`` (read first if needed), days x names, NaN where missing."""
        self.extend(names)
        if self._values is None:
            self._values = self.frame.to_numpy(dtype="float64")
            self._column = {str(t): i for i, t in enumerate(self.frame.columns)}
        return self._values[:, [self._column[t] for t in names]]


def _filled(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``block`` with missing returns counted as 0 (as ``DataFrame.fillna(0.0)``)."""
    return np.where(np.isnan(block), 0.0, block)


class Period:
    """One holding period's prices, read once for every target and method of the date.

    Parameters
    ----------
    market : MarketData
        The data.
    date, nxt : Timestamp
        The rebalance date and the hold's last day.
    names : sequence of str
        The names read up front (the index members and the targets trading on ``date``).
    """

    def __init__(
        self, market: MarketData, date: pd.Timestamp, nxt: pd.Timestamp, names: Sequence[str]
    ) -> None:
        cal = market.calendar
        self.market = market
        self.days = cal[(cal > date) & (cal <= nxt)]
        self.view = market.as_of(date)
        self._later = market.as_of(nxt)  # deliberately after the rebalance date
        self._stocks = _Panel(self.days, self._later.returns)
        self._etfs = _Panel(self.days, self._later.benchmark_returns)
        self._labels = [f"{d:%Y-%m-%d}" for d in self.days]
        self._costs: dict[str, list[float]] = {}
        self._stocks.extend(names)
        self._stock_costs(names)

    def stock_returns(self, names: Sequence[str]) -> pd.DataFrame:
        """Daily returns of ``names`` over the period (NaN where a name has no price)."""
        self._stocks.extend(names)
        return self._stocks.frame[list(names)]

    def etf_returns(self, names: Sequence[str]) -> pd.DataFrame:
        """Daily returns of benchmark funds over the period."""
        self._etfs.extend(names)
        return self._etfs.frame[list(names)]

    def _stock_costs(self, names: Sequence[str]) -> None:
        names = [t for t in dict.fromkeys(names) if t not in self._costs]
        if not names:
            return
        vol = self.view.returns(names, window=63).std(ddof=1)
        adv = self.view.adv(names, window=ADV_DAYS)
        for t in names:
            self._costs[t] = [float(vol.get(t, np.nan)), float(adv.get(t, np.nan))]

    def _etf_costs(self, names: list[str]) -> None:
        names = [t for t in names if f"etf:{t}" not in self._costs]
        if not names:
            return
        date = self.view.date
        px = self.view.benchmark_prices(names, start=date - pd.Timedelta(days=120), end=date)
        volume = self.market.benchmark_panel("volume").reindex(index=px.index, columns=names)
        vol = px.pct_change(fill_method=None).iloc[-63:].std(ddof=1)
        adv = (px * volume).iloc[-ADV_DAYS:].mean()
        for t in names:
            self._costs[f"etf:{t}"] = [float(vol.get(t, np.nan)), float(adv.get(t, np.nan))]

    def cost_inputs(self, hedge: Hedge) -> dict[str, list[float]]:
        """Daily volatility (63 days) and 20-day dollar ADV of each instrument on the date."""
        stocks, etfs = list(hedge.stocks.index), list(hedge.etfs.index)
        self._stock_costs(stocks)
        self._etf_costs(etfs)
        out = {t: self._costs[t] for t in stocks}
        out.update({t: self._costs[f"etf:{t}"] for t in etfs})
        return out

    def holding(self, target: str, hedge: Hedge) -> dict[str, Any]:
        """Simulate a basket held with fixed shares over the period.

        Returns
        -------
        dict
            ``end_date``, ``days``, the daily ``unhedged`` and ``hedge`` returns, the
            drifted ``weights_end``, ``missing_returns`` (returns counted as 0) and the
            record's moments (:func:`~hedgekit.backtest.record_moments`).
        """
        days = self.days
        stocks = [str(t) for t in hedge.stocks.index if t != target]
        rets = self._stocks.block([target, *stocks])
        missing = int(np.isnan(rets).sum())
        r_t = _filled(rets[:, 0])
        legs = [_filled(rets[:, 1:])] if stocks else []
        weights = [hedge.stocks.reindex(stocks).to_numpy(dtype="float64")] if stocks else []
        etfs = [str(t) for t in hedge.etfs.index]
        if etfs:
            er = self._etfs.block(etfs)
            missing += int(np.isnan(er).sum())
            legs.append(_filled(er))
            weights.append(hedge.etfs.to_numpy(dtype="float64"))
        V = np.cumprod(1.0 + r_t)
        V_prev = np.concatenate([[1.0], V[:-1]])
        if legs:
            R = np.column_stack(legs)
            w0 = np.concatenate(weights)
            H = w0 * np.cumprod(1.0 + R, axis=0)
            H_prev = np.vstack([w0, H[:-1]])
            hedge_pnl = (H - H_prev).sum(axis=1) / V_prev
            w_end = H[-1] / V[-1]
            names = [*stocks, *etfs]
        else:
            hedge_pnl = np.zeros(len(days))
            w_end, names = np.zeros(0), []
        return {
            "end_date": self._labels[-1],
            "days": list(self._labels),
            "unhedged": r_t.tolist(),
            "hedge": hedge_pnl.tolist(),
            "weights_end": dict(zip(names, map(float, w_end), strict=True)),
            "missing_returns": missing,
            **record_moments(r_t, r_t - hedge_pnl),
        }

    def bound(self, ctx: HedgeContext) -> Hedge:
        """The perfect-foresight basket of ``ctx.target`` over this hold, among the index
        members tradable on the date but the target's share classes (``ctx.candidates()``).

        It reads the hold's returns, after the rebalance date: evaluation only.
        """
        candidates = ctx.candidates()
        rets = self.stock_returns([ctx.target, *candidates])
        return perfect_foresight_hedge(rets[candidates], rets[ctx.target], ctx.settings)
