"""Monitor a hedge after day one: how it tracked, how it drifted, whether to rebalance.

A hedge built on its inception date is held with fixed shares. On a later date the monitor
measures, from the data up to that date only:

- the **realised tracking error** of the hedged position since inception against the
  **predicted** one (the in-sample tracking error of the fit), and the cumulative hedged
  return against the predicted band ``+/- k sigma sqrt(t)``;
- the **correlation** of the hedge with the position since inception and over the last
  quarter, against the correlation it was fitted with;
- the **drift** of each name's weight in the hedge and of the hedge ratio, from price moves,
  and the **holding error** of the drifted basket against its weights at inception (the
  tracking error between the two, see :mod:`hedgekit.hedge._holding`);
- names that **left** the data or the index, names with **corporate actions** announced
  since inception, and the change of each name's **liquidity** (average daily volume);

and gives a verdict, "rebalance recommended" with the reasons or "not needed", with the
trades that would bring the hedge to a fresh fit on the date (same parameters; with a
``max_turnover`` or ``max_trades``, the best rebalance within them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit._optional import import_optional
from hedgekit.data import MarketData, shared_market
from hedgekit.hedge._basket_files import basket_shares, load_basket, signed_rows
from hedgekit.hedge._baskets import Basket, baskets_of
from hedgekit.hedge._holding import holding_error
from hedgekit.hedge._instruments import (
    instrument_adv,
    instrument_prices,
    instrument_returns,
    resolve_instruments,
)
from hedgekit.hedge._long_short import name_sides, trade_sides
from hedgekit.measures import trading_costs
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "HedgeMonitor",
    "basket_shares",  # re-exported from _basket_files
    "monitor_basket",
    "monitor_hedge",
    "parameters_from_result",
]

#: realised tracking error above this multiple of the predicted one calls for a rebalance
TE_RATIO_LIMIT = 1.5
#: fewest daily observations since inception before the tracking error is judged
MIN_OBSERVATIONS = 21
#: hedge ratio drift (hedge value / position value, in points) that calls for a rebalance
HEDGE_RATIO_DRIFT = 0.10
#: largest drift of one name's share of the hedge (points) before a rebalance is advised
WEIGHT_DRIFT = 0.05
#: drop of the last quarter's correlation below the fitted one that calls for a rebalance
CORRELATION_DROP = 0.15
#: days of the recent correlation
RECENT_DAYS = 63


@dataclass(frozen=True)
class HedgeMonitor:
    """The state of a hedge on a date after its inception (see :func:`monitor_hedge`).

    Attributes
    ----------
    inception, as_of : Timestamp
        The hedge date and the monitoring date.
    observations : int
        Daily returns since inception.
    realised_tracking_error, predicted_tracking_error : float
        Annualised, per unit of the position's value.
    variance_reduction : float
        ``1 - var(hedged) / var(position)`` since inception.
    correlation : dict
        ``fitted`` (in sample, at inception), ``since_inception`` and ``recent`` (last 63
        days) correlation of the hedge's returns with the position's.
    hedge_ratio : dict
        ``inception`` and ``now``: hedge value over position value.
    names : DataFrame
        Per hedge name: shares, weight at inception and now, drift, ADV (USD) at inception
        and now, days to trade now, ``status`` (``ok``, ``no price``, ``left index``) and
        ``events`` (corporate actions announced since inception).
    series : DataFrame
        Daily ``position``, ``hedge`` (per unit of hedge value) and ``hedged`` returns, the
        cumulative hedged return and the predicted band (``band_1``, ``band_2``: 1 and 2
        sigma).
    rebalance : bool
        True when a rebalance is recommended.
    reasons : list of str
        Why (empty when not recommended).
    trades : DataFrame or None
        With a fresh fit: per name, current and target shares short, the trade (positive:
        sell short more, negative: buy to cover), its notional and estimated cost.
    notes : list of str
        What the figures do not cover.
    holding_error : float
        Annualised tracking error of the drifted hedge today against the hedge at its
        inception weights, both per unit of the position's value today, on the daily
        returns of the year up to ``as_of`` (see ``docs/hedge.md``, "Holding error").
    """

    inception: pd.Timestamp
    as_of: pd.Timestamp
    observations: int
    realised_tracking_error: float
    predicted_tracking_error: float
    variance_reduction: float
    correlation: dict[str, float]
    hedge_ratio: dict[str, float]
    names: pd.DataFrame
    series: pd.DataFrame
    rebalance: bool
    reasons: list[str]
    trades: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    holding_error: float = float("nan")

    @property
    def verdict(self) -> str:
        """``'rebalance recommended'`` or ``'rebalance not needed'``."""
        return "rebalance recommended" if self.rebalance else "rebalance not needed"

    def to_dict(self) -> dict[str, Any]:
        """Plain types for JSON."""
        from hedgekit.hedge._result import _clean

        return _clean(
            {
                "inception": self.inception,
                "as_of": self.as_of,
                "observations": self.observations,
                "realised_tracking_error": self.realised_tracking_error,
                "predicted_tracking_error": self.predicted_tracking_error,
                "variance_reduction": self.variance_reduction,
                "correlation": dict(self.correlation),
                "hedge_ratio": dict(self.hedge_ratio),
                "verdict": self.verdict,
                "reasons": list(self.reasons),
                "names": self.names.reset_index().to_dict("records"),
                "trades": None
                if self.trades is None
                else self.trades.reset_index().to_dict("records"),
                "notes": list(self.notes),
                "holding_error": self.holding_error,
            }
        )

    def plot(self, path: str | Path) -> Path:
        """PNG (or PDF/SVG by extension) of the cumulative hedged return since inception
        against the predicted 1- and 2-sigma band."""
        plt = import_optional("matplotlib.pyplot", extra="plot", purpose="plotting")
        s = self.series
        fig, ax = plt.subplots(figsize=(9, 4.5))
        ax.fill_between(s.index, -s["band_2"], s["band_2"], color="tab:blue", alpha=0.12,
                        label="predicted, 2 sigma")  # fmt: skip
        ax.fill_between(s.index, -s["band_1"], s["band_1"], color="tab:blue", alpha=0.25,
                        label="predicted, 1 sigma")  # fmt: skip
        ax.plot(s.index, s["cumulative_hedged"], color="black", label="realised hedged return")
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_title(
            f"Hedge since {self.inception:%Y-%m-%d}: realised TE "
            f"{self.realised_tracking_error:.1%} vs predicted "
            f"{self.predicted_tracking_error:.1%}; {self.verdict}"
        )
        ax.set_ylabel("cumulative hedged return")
        ax.legend(loc="upper left")
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, dpi=110)
        plt.close(fig)
        return out


def _quantities(positions: Any, what: str) -> dict[str, float]:
    if hasattr(positions, "positions"):  # a PositionSet
        out: dict[str, float] = {}
        for p in positions.positions:
            if p.quantity is None:
                raise ConfigurationError(
                    f"{what}: position {p.identifier!r} is given by weight; the monitor needs "
                    "quantities (shares held)"
                )
            out[p.identifier] = out.get(p.identifier, 0.0) + float(p.quantity)
        return out
    if isinstance(positions, Mapping):
        return {str(k): float(v) for k, v in positions.items()}
    raise ConfigurationError(f"{what}: pass a PositionSet or a mapping of ticker to shares")


def _against_book(q: dict[str, float], side: int, signed: bool) -> dict[str, float]:
    """Hedge shares held against the book (``side`` 1 net long, -1 net short): positive
    for a name on the hedging side, negative for one on the book's own side."""
    signs = {np.sign(v) for v in q.values()}
    if not signed and len(signs) == 1:  # one side: the side that hedges the book
        return {t: abs(v) for t, v in q.items()}
    return {t: -side * v for t, v in q.items()}


def _held_values(r: np.ndarray, v0: np.ndarray) -> np.ndarray:
    """Daily value paths of fixed holdings worth ``v0`` at inception (total return)."""
    return v0 * np.cumprod(1.0 + np.nan_to_num(r), axis=0)


def monitor_hedge(
    portfolio: Any,
    hedge: Any,
    inception: DateLike,
    as_of: DateLike | None = None,
    market: MarketData | None = None,
    *,
    predicted_tracking_error: float | None = None,
    fitted_correlation: float | None = None,
    parameters: Any = None,
    index: str | None = "SPX",
    baskets: Any = None,
    signed: bool = False,
) -> HedgeMonitor:
    """Monitor a hedge held with fixed shares since ``inception``.

    Parameters
    ----------
    portfolio : PositionSet or mapping
        The position hedged: shares held (``{'WDC': 1_000_000}``; negative: sold short). A
        net-short book (negative value at inception) is hedged by names bought.
    hedge : PositionSet or mapping
        The hedge's shares. Quantities all of one sign are the side that hedges the book
        (sold short for a net-long book, bought for a net-short one), so the basket's
        positive ``shares`` and ``PerformanceHedgeResult.to_position_set()`` read the
        same; quantities of both signs (a long/short hedge) are a position: negative sold
        short, positive bought.
    inception : date-like
        The date the hedge was put on (prices of its close).
    as_of : date-like, optional
        The monitoring date; default the data's last date. Nothing after it is read.
    market : MarketData, optional
        Default: the process's market of the default store.
    predicted_tracking_error : float, optional
        Annualised tracking error expected at inception (per unit of position value);
        default the in-sample tracking error of these holdings over the year before
        inception.
    fitted_correlation : float, optional
        The hedge's correlation with the position at inception; default measured over the
        same year.
    parameters : PerformanceHedgeParameters, optional
        With them, a fresh hedge is fitted on ``as_of`` and ``trades`` lists what moves the
        current hedge to it.
    index : str, optional
        Index whose membership the names are checked against (``None``: no check).
    baskets : sequence of Basket, optional
        User baskets among the hedge names (default: those of ``parameters.universe``).
        ETFs of the benchmark table may be positions or hedge names as they are.
    signed : bool
        Read ``hedge`` as a position whatever its signs (negative sold short, positive
        bought), as ``to_position_set()`` writes it.

    Returns
    -------
    HedgeMonitor

    Raises
    ------
    ConfigurationError
        ``as_of`` not after ``inception``, an empty hedge, weights instead of shares.
    DataError
        No price for a position or hedge name at inception.
    """
    market = market if market is not None else shared_market()
    t0 = to_timestamp(inception, "inception")
    t1 = to_timestamp(as_of, "as_of") if as_of is not None else market.end
    if t1 <= t0:
        raise ConfigurationError(
            f"as_of={t1:%Y-%m-%d} must be after inception={t0:%Y-%m-%d}: there is nothing to "
            "monitor yet"
        )
    pos_q = _quantities(portfolio, "portfolio")
    hed_q = {t: q for t, q in _quantities(hedge, "hedge").items() if q != 0}
    if not pos_q or not hed_q:
        raise ConfigurationError("the portfolio and the hedge each need at least one position")
    start_view = market.as_of(t0)
    if baskets is None and parameters is not None:
        baskets = parameters.universe
    entries = (Basket.from_dict(b) if isinstance(b, Mapping) else b for b in baskets or ())
    bsk: dict[str, Basket] | None = baskets_of(entries) or None
    pos = market.resolve_many(list(pos_q), t0)
    hed = resolve_instruments(market, list(hed_q), t0, bsk)
    pos_q = dict(zip(pos, pos_q.values(), strict=True))
    hed_q = dict(zip(hed, hed_q.values(), strict=True))
    names = list(dict.fromkeys([*pos, *hed]))
    p0 = instrument_prices(start_view, names, bsk)
    missing = [t for t in names if not np.isfinite(p0[t])]
    if missing:
        raise DataError(
            f"no price for {', '.join(missing)} on or shortly before the inception date "
            f"{t0:%Y-%m-%d}; check the date and the tickers"
        )
    view = market.as_of(t1)  # nothing after as_of is read from here on
    rets = instrument_returns(view, names, start=t0 + pd.Timedelta(days=1), baskets=bsk)
    rets = rets[rets.index > t0]
    if rets.empty:
        raise ConfigurationError(f"no trading day between {t0:%Y-%m-%d} and {t1:%Y-%m-%d}")
    book = float(sum(pos_q[t] * p0[t] for t in pos))
    if book == 0:
        raise ConfigurationError(
            "the portfolio's value at inception is zero: a net-flat book has no side to "
            "hedge; monitor its legs separately"
        )
    # the flipped book's orientation (the optimiser's): a net-short book is its mirror,
    # its hedge the names held against it (sold for a net-long book, bought for a short one)
    side = 1 if book > 0 else -1
    hed_q = _against_book(hed_q, side, signed)
    pv0 = side * np.array([pos_q[t] * p0[t] for t in pos])
    hv0 = np.array([hed_q[t] * p0[t] for t in hed])
    P0, H0 = float(pv0.sum()), float(hv0.sum())
    one_sided = bool((hv0 > 0).all())
    Pv = _held_values(rets[pos].to_numpy(), pv0)
    Hv = _held_values(rets[hed].to_numpy(), hv0)
    P, H = Pv.sum(axis=1), Hv.sum(axis=1)
    G0, G = float(np.abs(hv0).sum()), np.abs(Hv).sum(axis=1)  # gross: H for one side
    P_prev = np.concatenate([[P0], P[:-1]])
    H_prev = np.concatenate([[H0], H[:-1]])
    r_pos = P / P_prev - 1.0
    # the hedge's return as held against the book, per unit of its gross value
    r_hed = H / H_prev - 1.0 if one_sided else (H - H_prev) / np.concatenate([[G0], G[:-1]])
    hedged = r_pos - (H - H_prev) / P_prev
    if side < 0:  # the book's own P&L (and the hedged one's), per unit of its |value|
        r_pos, hedged = -r_pos, -hedged
    n = len(hedged)
    realised = float(np.std(hedged, ddof=1) * np.sqrt(252)) if n > 1 else float("nan")
    var_p = float(np.var(r_pos, ddof=1)) if n > 1 else float("nan")
    vr = 1.0 - float(np.var(hedged, ddof=1)) / var_p if n > 1 and var_p > 0 else float("nan")

    # what the fit promised: the same holdings over the year before inception
    notes: list[str] = []
    if predicted_tracking_error is None or fitted_correlation is None:
        past = instrument_returns(start_view, names, window=252, baskets=bsk)
        full = past.dropna()
        if len(full) > 20:
            wp = pv0 / P0
            wh = hv0 / P0
            rp = full[pos].to_numpy() @ wp
            rh = full[hed].to_numpy() @ wh
            if predicted_tracking_error is None:
                predicted_tracking_error = float(np.std(rp - rh, ddof=1) * np.sqrt(252))
                notes.append(
                    "predicted tracking error: these holdings over the year before inception "
                    "(in sample)"
                )
            if fitted_correlation is None:  # the book's own returns: negative when short
                fitted_correlation = side * float(np.corrcoef(rp, rh)[0, 1])
        else:
            notes.append("fewer than 20 days before inception: no predicted tracking error")
    pred = float(predicted_tracking_error) if predicted_tracking_error is not None else np.nan
    fitted = float(fitted_correlation) if fitted_correlation is not None else np.nan
    corr_all = float(np.corrcoef(r_pos, r_hed)[0, 1]) if n > 2 else float("nan")
    tail = slice(-min(RECENT_DAYS, n), None)
    corr_recent = float(np.corrcoef(r_pos[tail], r_hed[tail])[0, 1]) if n > 2 else float("nan")
    cum = np.cumprod(1.0 + hedged) - 1.0
    days = np.arange(1, n + 1)
    sigma = pred * np.sqrt(days / 252.0)
    series = pd.DataFrame(
        {
            "position": r_pos,
            "hedge": r_hed,
            "hedged": hedged,
            "cumulative_hedged": cum,
            "band_1": sigma,
            "band_2": 2 * sigma,
        },
        index=rets.index,
    )

    # the names: drift, liquidity, status, events
    w0 = hv0 / G0  # share of the hedge's gross value, negative on the book's own side
    w1 = Hv[-1] / G[-1]
    adv0 = instrument_adv(start_view, hed, 20, bsk)
    adv1 = instrument_adv(view, hed, 20, bsk)
    px1 = instrument_prices(view, hed, bsk)
    recent_px = instrument_prices(view, hed, bsk, max_age=5)
    members = set(view.members(index)) if index else set()
    was_member = set(start_view.members(index)) if index else set()
    status = []
    for t in hed:
        if not np.isfinite(recent_px[t]):
            status.append("no price")
        elif index and t in was_member and t not in members:
            status.append("left index")
        else:
            status.append("ok")
    actions = view.corporate_actions()
    since = actions[
        actions["ticker"].isin(hed)
        & (actions["announce_date"].fillna(actions["effective_date"]) > t0)
    ]
    events = {
        t: ", ".join(
            f"{kind} {pd.Timestamp(str(when)):%Y-%m-%d}"
            for kind, when in zip(
                since.loc[since["ticker"] == t, "action_type"],
                since.loc[since["ticker"] == t, "effective_date"],
                strict=True,
            )
        )
        for t in hed
    }
    shares = np.abs([hed_q[t] for t in hed])
    with np.errstate(divide="ignore", invalid="ignore"):
        dtt = shares / (adv1.to_numpy() / px1.to_numpy()) / 0.10
    table = pd.DataFrame(
        {
            "shares": shares,
            "side": name_sides(hv0, side),
            "weight_inception": w0,
            "weight_now": w1,
            "drift": w1 - w0,
            "adv_usd_inception": adv0.to_numpy(),
            "adv_usd_now": adv1.to_numpy(),
            "days_to_trade_now": dtt,
            "status": status,
            "events": [events[t] for t in hed],
        },
        index=pd.Index(hed, name="ticker"),
    )
    ratio0, ratio1 = H0 / P0, float(H[-1] / P[-1])
    # the drifted hedge against its inception weights, per unit of the position today
    recent = instrument_returns(view, hed, window=252, baskets=bsk).to_numpy()
    held_error = holding_error(recent, hv0 / P0, Hv[-1] / P[-1], 252)

    # the verdict
    reasons: list[str] = []
    if n >= MIN_OBSERVATIONS and np.isfinite(pred) and realised > TE_RATIO_LIMIT * pred:
        reasons.append(
            f"realised tracking error {realised:.1%} is {realised / pred:.1f}x the predicted "
            f"{pred:.1%} (limit {TE_RATIO_LIMIT}x)"
        )
    elif n < MIN_OBSERVATIONS:
        notes.append(f"{n} days since inception: too early to judge the tracking error")
    if abs(ratio1 - ratio0) > HEDGE_RATIO_DRIFT:
        reasons.append(
            f"hedge ratio drifted from {ratio0:.0%} to {ratio1:.0%} of the position "
            f"(limit +/-{HEDGE_RATIO_DRIFT:.0%})"
        )
    big = table[table["drift"].abs() > WEIGHT_DRIFT]
    if len(big):
        worst = str(big["drift"].abs().idxmax())
        before, after = table["weight_inception"][worst], table["weight_now"][worst]
        reasons.append(
            f"{len(big)} name(s) drifted more than {WEIGHT_DRIFT:.0%} of the hedge "
            f"(largest {worst}: {before:.1%} -> {after:.1%})"
        )
    if (
        n >= MIN_OBSERVATIONS
        and np.isfinite(fitted)
        and np.isfinite(corr_recent)
        and side * corr_recent < side * fitted - CORRELATION_DROP
    ):
        reasons.append(
            f"correlation over the last {min(RECENT_DAYS, n)} days {corr_recent:.2f}, "
            f"fitted {fitted:.2f} (allowed drop {CORRELATION_DROP})"
        )
    gone = table.index[table["status"] != "ok"]
    if len(gone):
        reasons.append(
            "names no longer tradable or in the index: "
            + ", ".join(f"{t} ({table.loc[t, 'status']})" for t in gone)
        )
    evented = table.index[table["events"] != ""]
    if len(evented):
        reasons.append(
            "corporate actions since inception: "
            + "; ".join(f"{t}: {table.loc[t, 'events']}" for t in evented)
        )

    trades = None
    if parameters is not None:
        trades = _trades(market, view, parameters, pos_q, hed_q, bsk, side)
    notes.append(
        "returns are total returns (dividends reinvested in the same name); borrow costs and "
        "dividends owed on the short are not deducted"
    )
    if side < 0:
        notes.append(
            "net-short book: position and hedged returns are the book's own P&L per unit of "
            "its absolute value; the hedge's are those of the names bought"
        )
    return HedgeMonitor(
        inception=t0,
        as_of=pd.Timestamp(view.date),
        observations=n,
        realised_tracking_error=realised,
        predicted_tracking_error=pred,
        variance_reduction=vr,
        correlation={"fitted": fitted, "since_inception": corr_all, "recent": corr_recent},
        hedge_ratio={"inception": ratio0, "now": ratio1},
        names=table,
        series=series,
        rebalance=bool(reasons),
        reasons=reasons,
        trades=trades,
        notes=notes,
        holding_error=held_error,
    )


def _trades(
    market: MarketData,
    view: Any,
    parameters: Any,
    pos_q: dict[str, float],
    hed_q: dict[str, float],
    baskets: dict[str, Basket] | None = None,
    side: int = 1,
) -> pd.DataFrame:
    """Shares to trade to move the current hedge to a fresh fit on the view's date; with
    ``max_turnover`` or ``max_trades`` in the parameters, to the best rebalance of the
    current hedge within them (see ``docs/hedge.md``, "Rebalance"). ``hed_q`` and the
    share columns are held against the book (``side`` 1 net long, -1 net short):
    positive on the hedging side; ``side`` names the trade."""
    from hedgekit.hedge._parameters import Position, PositionSet
    from hedgekit.hedge._performance import PerformanceHedge

    ps = PositionSet([Position(t, quantity=q) for t, q in pos_q.items()], view.date)
    params = parameters.replace(initial_portfolio=ps)
    if params.max_turnover is not None or params.max_trades is not None:
        held = PositionSet([Position(t, quantity=q) for t, q in hed_q.items()], view.date)
        params = params.replace(current_hedge=held)
    fresh = PerformanceHedge(params, market).calculate()
    target = fresh.constituents["shares"].astype("float64")
    if "side" in fresh.constituents.columns:  # names on the book's own side: negative
        hedging = "short" if side > 0 else "long"
        target = target.where(fresh.constituents["side"] == hedging, -target)
    names = list(dict.fromkeys([*hed_q, *target.index]))
    current = pd.Series(hed_q, dtype="float64").reindex(names).fillna(0.0)
    target = target.reindex(names).fillna(0.0)
    trade = target - current
    px = instrument_prices(view, names, baskets)
    adv_shares = instrument_adv(view, names, 20, baskets) / px
    vol = instrument_returns(view, names, window=60, baskets=baskets).std()
    p = parameters
    costs = trading_costs(
        trade.abs().to_numpy(),
        px.to_numpy(),
        adv_shares.to_numpy(),
        vol.reindex(names).fillna(vol.median()).to_numpy(),
        half_spread_bps=p.half_spread_bps,
        impact_coefficient=p.impact_coefficient,
        participation_rate=p.market_participation_rate / 100.0,
    )
    out = pd.DataFrame(
        {
            "current_shares": current,
            "target_shares": target,
            "trade_shares": trade,
            "side": trade_sides(-side * current.to_numpy(), -side * target.to_numpy()),
            "trade_notional": (trade.abs() * px).to_numpy(),
            "cost_usd": np.where(trade.to_numpy() != 0, costs["cost_usd"], 0.0),
        },
        index=pd.Index(names, name="ticker"),
    )
    return out[out["trade_shares"] != 0]


def parameters_from_result(result: Any) -> Any:
    """The :class:`PerformanceHedgeParameters` a result was built with (its positions at
    the hedge date), rebuilt from ``result.parameters``."""
    quantities = {str(t): float(q) for t, q in result.portfolio["quantity"].items()}
    return _parameters(dict(result.parameters), quantities, result.date)


def _parameters(d: dict[str, Any], quantities: Mapping[str, float], date: Any) -> Any:
    """Parameters from their plain-dict form (``result.parameters``, a basket file)."""
    from hedgekit.hedge._parameters import (
        Constraint,
        HedgeConstraints,
        HedgeExclusions,
        PerformanceHedgeParameters,
        Position,
        PositionSet,
    )

    d = dict(d)
    d.pop("date", None)
    if isinstance(d.get("exclusions"), Mapping):
        d["exclusions"] = HedgeExclusions(**d["exclusions"])
    if isinstance(d.get("constraints"), Mapping):
        d["constraints"] = HedgeConstraints(
            **{
                k: tuple(Constraint(**c) if isinstance(c, Mapping) else c for c in v)
                for k, v in d["constraints"].items()
            }
        )
    ps = PositionSet([Position(t, quantity=q) for t, q in quantities.items()], date)
    return PerformanceHedgeParameters(initial_portfolio=ps, **d)


def monitor_basket(
    basket: str | Path | Mapping[str, Any],
    as_of: DateLike | None = None,
    market: MarketData | None = None,
    *,
    rebalance_trades: bool = True,
) -> HedgeMonitor:
    """Monitor a hedge saved with ``PerformanceHedgeResult.to_basket_json`` (or the CLI's
    ``--basket-json``): the file's path or its parsed content.

    Raises
    ------
    ConfigurationError
        The file is missing, not JSON, or not a hedgekit basket with its portfolio.
    """
    payload, where = load_basket(basket)
    need = ("date", "positions", "portfolio")
    if not isinstance(payload, Mapping) or any(k not in payload for k in need):
        raise ConfigurationError(
            f"{where} is not a hedgekit basket with its portfolio (needs {', '.join(need)}); "
            "write one with `hedgekit hedge ... --basket-json FILE` or to_basket_json()"
        )
    try:
        portfolio = {str(p["identifier"]): float(p["quantity"]) for p in payload["portfolio"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"{where}: a position lacks {exc}; rewrite the file") from None
    shares = signed_rows(payload["positions"], where)  # BUY positive, SELL_SHORT negative
    fit = payload.get("fit") or {}
    params = None
    if rebalance_trades and isinstance(payload.get("parameters"), Mapping):
        try:
            params = _parameters(payload["parameters"], portfolio, payload["date"])
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"{where}: its parameters do not rebuild a hedge ({exc}); pass "
                "rebalance_trades=False (CLI: --no-trades) to monitor without trades"
            ) from None
    saved = payload.get("parameters")
    universe = saved.get("universe") if isinstance(saved, Mapping) else None
    return monitor_hedge(
        portfolio,
        shares,
        payload["date"],
        as_of,
        market,
        predicted_tracking_error=fit.get("tracking_error"),
        fitted_correlation=fit.get("correlation"),
        parameters=params,
        baskets=[u for u in universe or () if isinstance(u, Mapping)],
        signed=True,
    )
