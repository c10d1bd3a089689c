"""Hedge methods of the walk-forward backtest: one function per method, in an open registry.

A method receives a :class:`HedgeContext` (the target, the rebalance date, a point-in-time
view of the market, the settings, the shared risk model) and returns a :class:`Hedge`: the
short basket as weights per unit of the target's notional, in stocks and/or ETFs. It must
read the market only through ``context.view`` (or hedgekit calls that take the date), so
nothing dated after the rebalance date reaches it; the engine's point-in-time test plants
future prices and checks every registered method.

Built-in methods:

================== ==========================================================================
``default``        :class:`~hedgekit.hedge.PerformanceHedge` exactly as the library builds
                   it by default (its default estimator, see :mod:`hedgekit.estimate`),
                   ``max_names`` names, ``max_weight`` % cap
``returns``        the same with ``estimator='sample'``: tracking error over the sample
                   covariance of the last year of daily returns (Marquee's hedger)
``returns_grid``   the same, lasso/ridge chosen by its walk-forward ``grid_search`` on a small
                   grid (``GRID_LASSO`` x ``GRID_RIDGE``, ``GRID_FOLDS`` folds)
``factor``         ``PerformanceHedge(method='factor')``: the risk model's active risk
``factor_study``   the same optimiser on the concentrated-position study's model: seven
                   styles only, equal-weight Huber regressions, a plain two-year covariance
                   window, a constant 15% specific volatility (but point in time, unlike
                   the study)
``nlp``            the study's NLP hedge: equal weights over the ``max_names`` companies whose
                   business descriptions are nearest the target's (descriptions dated after
                   the rebalance date are flagged look-ahead in the data's early years)
``hybrid``         the library's default estimator among the 50 nearest descriptions
``spy``            SPY, 1:1 notional
``spy_beta``       SPY scaled by the target's OLS beta to SPY over the window
``sector_etf``     the SPDR sector fund of the target's sector on the date, 1:1 (SPY when the
                   sector has no fund with a full window of history, e.g. XLRE before 2016)
``peers``          equal weights over the target's GICS sub-industry peers among the index
                   members (falling back to industry, industry group, sector when fewer than
                   two peers)
``top_corr``       equal weights over the ``max_names`` index members most correlated with
                   the target over the window
================== ==========================================================================

Register more with :func:`register_method` (the semantic-peer methods do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.data import MarketData, PointInTimeData
from hedgekit.hedge import (
    SECTOR_ETFS,
    PerformanceHedge,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

__all__ = [
    "METHODS",
    "BacktestSettings",
    "Hedge",
    "HedgeContext",
    "register_method",
]

#: lasso and ridge weights tried by ``returns_grid``
GRID_LASSO = (0.0, 0.1)
GRID_RIDGE = (0.0, 1.0)
#: walk-forward folds of ``returns_grid``
GRID_FOLDS = 2


@dataclass(frozen=True)
class BacktestSettings:
    """Settings shared by every method and by the holding simulation.

    Parameters
    ----------
    max_names : int
        Most names in an optimised or peer basket.
    max_weight : float
        Largest weight of one name, percent of the hedge (optimised methods).
    window_days : int
        Trading days of history a method may learn from (about one year).
    notional : float
        Target position in USD (drives ADV caps and trading costs).
    universe : str
        Index whose members on the date are the hedge candidates.
    half_spread_bps, impact_coefficient, borrow_bps : float
        Cost model: the performance hedge's (``docs/hedge.md``); borrow per year on every
        short name.
    embedder : str
        Text backend of the semantic methods (``'auto'``, ``'minilm'``, ``'tfidf'``...).
    max_return_deviation : float, optional
        The performance hedge's in-sample return band, in percent; None (default) switches
        it off: a walk-forward test measures risk, and the band makes hedges of stocks with
        extreme past returns (TSLA in 2020) infeasible.
    """

    max_names: int = 10
    max_weight: float = 25.0
    window_days: int = 252
    notional: float = 10_000_000.0
    universe: str = "SPX"
    half_spread_bps: float = 5.0
    impact_coefficient: float = 1.0
    borrow_bps: float = 25.0
    embedder: str = "auto"
    max_return_deviation: float | None = None

    def validate(self) -> None:
        """Raise ConfigurationError naming a bad setting and its fix."""
        if not (isinstance(self.max_names, int) and self.max_names >= 1):
            raise ConfigurationError(f"max_names={self.max_names!r} must be an integer >= 1")
        if not 0 < self.max_weight <= 100:
            raise ConfigurationError(f"max_weight={self.max_weight!r} must be in (0, 100]")
        if self.max_weight * self.max_names < 100:
            raise ConfigurationError(
                f"max_weight={self.max_weight}% with max_names={self.max_names} cannot make a "
                "100% hedge; raise one of them"
            )
        if not (isinstance(self.window_days, int) and self.window_days >= 60):
            raise ConfigurationError(f"window_days={self.window_days!r} must be an integer >= 60")
        if not self.notional > 0:
            raise ConfigurationError(f"notional={self.notional!r} must be positive")


@dataclass(frozen=True)
class HedgeContext:
    """What a method may know on a rebalance date."""

    market: MarketData
    view: PointInTimeData
    target: str
    settings: BacktestSettings
    risk_model: Any | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    #: what every target of the date shares (members, their returns), filled on first use;
    #: the engine passes one dict per rebalance date, so nothing crosses dates
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def date(self) -> pd.Timestamp:
        """The rebalance date (the view's date)."""
        return self.view.date

    def window_start(self) -> pd.Timestamp:
        """First day of the learning window (``window_days`` trading days back)."""
        cal = self.market.calendar
        pos = int(cal.searchsorted(self.date, side="right"))
        return pd.Timestamp(cal[max(pos - self.settings.window_days, 0)])

    def _memo(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.shared:
            self.shared[key] = make()
        return self.shared[key]

    def members(self) -> list[str]:
        """Index members trading on the date (computed once per date)."""
        view = self.view
        return list(
            self._memo("members", lambda: view.tradable(view.members(self.settings.universe)))
        )

    def candidates(self) -> list[str]:
        """Index members trading on the date, the target and its share classes excluded."""
        own = set(self.market.share_classes.get(self.target, frozenset({self.target})))
        return [t for t in self.members() if t not in own]

    def window_returns(self, names: Sequence[str]) -> pd.DataFrame:
        """Daily returns over the learning window; the members' read once per date."""
        panel = self._memo("member_returns", lambda: _window_returns(self, self.members()))
        have = [t for t in names if t in panel.columns]
        other = [t for t in names if t not in panel.columns]
        if not other:
            return panel[list(names)]
        extra = _window_returns(self, other)
        return pd.concat([panel[have], extra], axis=1)[list(names)]

    def classification(self, names: Sequence[str]) -> pd.DataFrame:
        """GICS labels on the date (``view.securities``); the members' read once per date."""
        table = self._memo("member_securities", lambda: self.view.securities(self.members()))
        other = [t for t in names if t not in table.index]
        if other:
            table = pd.concat([table, self.view.securities(other)])
        return table.loc[list(names)]


@dataclass(frozen=True)
class Hedge:
    """A short basket per unit of the target's notional (positive weights are shorts)."""

    stocks: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
    etfs: pd.Series = field(default_factory=lambda: pd.Series(dtype="float64"))
    note: str | None = None

    @property
    def names(self) -> int:
        """Instruments held."""
        return int(
            np.count_nonzero(self.stocks.to_numpy()) + np.count_nonzero(self.etfs.to_numpy())
        )


MethodFn = Callable[[HedgeContext], Hedge]

#: method name -> function; extend with :func:`register_method`
METHODS: dict[str, MethodFn] = {}


def register_method(name: str, fn: MethodFn, *, replace: bool = False) -> None:
    """Add a hedge method to the registry (``replace=True`` to overwrite one)."""
    key = str(name).strip().lower()
    if not key or any(c.isspace() for c in key):
        raise ConfigurationError(f"method name {name!r} must be one word, e.g. 'my_hedge'")
    if key in METHODS and not replace:
        raise ConfigurationError(f"method {key!r} is registered already; pass replace=True")
    METHODS[key] = fn


def _params(ctx: HedgeContext, **kw: Any) -> PerformanceHedgeParameters:
    s = ctx.settings
    # read once per (target, date): every optimised method prices the position the same
    price = ctx._memo(
        f"close:{ctx.target}",
        lambda: float(ctx.view.last_prices([ctx.target], field="close").iloc[0]),
    )
    if not np.isfinite(price) or price <= 0:
        raise DataError(f"{ctx.target} has no price on {ctx.date:%Y-%m-%d}")
    ps = PositionSet([Position(ctx.target, quantity=s.notional / price)], ctx.date)
    return PerformanceHedgeParameters(
        ps,
        universe=(s.universe,),
        observation_start_date=ctx.window_start(),
        max_names=s.max_names,
        max_weight=s.max_weight,
        half_spread_bps=s.half_spread_bps,
        impact_coefficient=s.impact_coefficient,
        default_borrow_cost_bps=s.borrow_bps,
        max_return_deviation=(
            s.max_return_deviation if s.max_return_deviation is not None else 1e6
        ),
        out_of_sample_days=0,
        **kw,
    )


def _default(ctx: HedgeContext) -> Hedge:
    return Hedge(stocks=PerformanceHedge(_params(ctx), ctx.market).weights())


def _solved(ctx: HedgeContext) -> dict[PerformanceHedgeParameters, pd.Series]:
    """The target's sample-covariance baskets solved on the date, by parameters: ``returns``
    and ``returns_grid``'s refit when the grid picks (0, 0) are the same problem."""
    return ctx._memo(f"solved:{ctx.target}", dict)


def _returns(ctx: HedgeContext) -> Hedge:
    params = _params(ctx, estimator="sample")
    solved = _solved(ctx)
    if params not in solved:
        solved[params] = PerformanceHedge(params, ctx.market).weights()
    return Hedge(stocks=solved[params].copy())


def _returns_grid(ctx: HedgeContext) -> Hedge:
    solved = _solved(ctx)
    w, best = PerformanceHedge(_params(ctx, estimator="sample"), ctx.market).grid_weights(
        GRID_LASSO, GRID_RIDGE, folds=GRID_FOLDS, solved=solved
    )
    solved.setdefault(best, w.copy())
    return Hedge(stocks=w.copy(), note=f"lasso={best.lasso_weight}, ridge={best.ridge_weight}")


def _factor(ctx: HedgeContext) -> Hedge:
    if ctx.risk_model is None:
        raise ConfigurationError("the factor method needs a risk model; the engine fits one")
    engine = PerformanceHedge(_params(ctx, method="factor"), ctx.market, risk_model=ctx.risk_model)
    return Hedge(stocks=engine.weights())


def _factor_study(ctx: HedgeContext) -> Hedge:
    model = ctx.extras.get("study_model")
    if model is None:
        raise ConfigurationError("the factor_study method needs the study's risk model")
    engine = PerformanceHedge(_params(ctx, method="factor"), ctx.market, risk_model=model)
    return Hedge(stocks=engine.weights())


#: the concentrated-position study's risk model (``factor_study``)
STUDY_MODEL: dict[str, Any] = {
    "structure": "styles",
    "weighting": "equal",
    "constant_specific_risk": 0.15,
    "covariance_method": "window",
    "window": 504,
}


def _nlp(ctx: HedgeContext) -> Hedge:
    params = _params(ctx, method="nlp", embedder=ctx.settings.embedder)
    return Hedge(stocks=PerformanceHedge(params, ctx.market).weights())


def _hybrid(ctx: HedgeContext) -> Hedge:
    params = _params(ctx, method="hybrid", embedder=ctx.settings.embedder)
    return Hedge(stocks=PerformanceHedge(params, ctx.market).weights())


def _window_returns(ctx: HedgeContext, names: list[str]) -> pd.DataFrame:
    return ctx.view.returns(names, start=ctx.window_start())


def _etf_returns(ctx: HedgeContext, etf: str) -> pd.Series:
    return ctx._memo(
        f"etf_returns:{etf}",
        lambda: ctx.view.benchmark_returns(etf, start=ctx.window_start())[etf],
    )


def _beta(y: pd.Series, x: pd.Series) -> float:
    both = pd.concat([y, x], axis=1).dropna()
    if len(both) < 20:
        return 1.0
    a, b = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    var = float(np.var(b, ddof=1))
    return float(np.cov(a, b, ddof=1)[0, 1] / var) if var > 0 else 1.0


def _spy(ctx: HedgeContext) -> Hedge:
    return Hedge(etfs=pd.Series({"SPY": 1.0}))


def _spy_beta(ctx: HedgeContext) -> Hedge:
    y = ctx.window_returns([ctx.target])[ctx.target]
    beta = _beta(y, _etf_returns(ctx, "SPY"))
    return Hedge(etfs=pd.Series({"SPY": beta}), note=f"beta {beta:.2f}")


def _sector_etf(ctx: HedgeContext) -> Hedge:
    sector = ctx.classification([ctx.target])["gics_sector"].iloc[0]
    if pd.isna(sector):
        return Hedge(etfs=pd.Series({"SPY": 1.0}), note="no GICS sector on the date: SPY")
    fund = next((etf for etf, s in SECTOR_ETFS.items() if s == sector), None)
    if fund is not None:
        rets = _etf_returns(ctx, fund)
        if rets.notna().sum() >= 0.9 * ctx.settings.window_days:
            return Hedge(etfs=pd.Series({fund: 1.0}), note=f"{fund} ({sector})")
    return Hedge(etfs=pd.Series({"SPY": 1.0}), note=f"no sector fund for {sector!r}: SPY")


def _peers(ctx: HedgeContext) -> Hedge:
    names = ctx.candidates()
    sec = ctx.classification([ctx.target, *names])
    mine = sec.loc[ctx.target]
    for level in ("gics_sub_industry", "gics_industry", "gics_industry_group", "gics_sector"):
        label = mine[level]
        if pd.isna(label):
            continue
        same = sec.loc[names, level].eq(label).fillna(False).to_numpy(dtype=bool)
        peers = [t for t, hit in zip(names, same, strict=True) if hit]
        rets = ctx.window_returns(peers) if peers else pd.DataFrame()
        peers = [t for t in peers if rets[t].notna().mean() >= 0.9]
        if len(peers) >= 2:
            w = pd.Series(1.0 / len(peers), index=pd.Index(peers, name="ticker"))
            return Hedge(stocks=w, note=f"{len(peers)} peers by {level}")
    raise DataError(f"{ctx.target} has no GICS classification on {ctx.date:%Y-%m-%d}")


def _top_corr(ctx: HedgeContext) -> Hedge:
    names = ctx.candidates()
    rets = ctx.window_returns([ctx.target, *names])
    full = rets.columns[rets.notna().all().to_numpy()]
    if ctx.target not in full:
        raise DataError(f"{ctx.target} has no full window of returns on {ctx.date:%Y-%m-%d}")
    x = rets[full].to_numpy()
    x = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    j = list(full).index(ctx.target)
    corr = pd.Series(x.T @ x[:, j] / (len(x) - 1), index=full).drop(ctx.target)
    top = corr.nlargest(ctx.settings.max_names).index
    return Hedge(stocks=pd.Series(1.0 / len(top), index=pd.Index(top, name="ticker")))


for _name, _fn in (
    ("default", _default),
    ("returns", _returns),
    ("returns_grid", _returns_grid),
    ("factor", _factor),
    ("factor_study", _factor_study),
    ("nlp", _nlp),
    ("hybrid", _hybrid),
    ("spy", _spy),
    ("spy_beta", _spy_beta),
    ("sector_etf", _sector_etf),
    ("peers", _peers),
    ("top_corr", _top_corr),
):
    register_method(_name, _fn)
