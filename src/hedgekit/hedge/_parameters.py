"""Inputs of a performance hedge, in the style of Marquee's Performance Hedger.

Positions (quantities, or weights plus a reference notional), the universe the hedge is
drawn from, exclusions, constraints in percent of the hedge, and every parameter of the
hedger with the same defaults. All are frozen dataclasses: changing the problem means a
new object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from hedgekit._errors import ConfigurationError, HedgekitError
from hedgekit.data import Sampling
from hedgekit.estimate import get_estimator
from hedgekit.typing import CaseInsensitiveEnum, DateLike, to_timestamp

if TYPE_CHECKING:
    from hedgekit.hedge._baskets import Basket

__all__ = [
    "Constraint",
    "HedgeConstraints",
    "HedgeExclusions",
    "HedgeMethod",
    "HedgeMetric",
    "PerformanceHedgeParameters",
    "Position",
    "PositionSet",
]


class HedgeMethod(CaseInsensitiveEnum):
    """How the hedge learns which stocks move with the portfolio."""

    RETURNS = "returns"  # tracking error over the observation window (Performance Hedger)
    FACTOR = "factor"  # active risk (factor plus specific) under the factor risk model
    NLP = "nlp"  # the study's hedge: equal weights on the nearest semantic neighbours
    HYBRID = "hybrid"  # tracking error over the window, among the nearest semantic neighbours


class HedgeMetric(CaseInsensitiveEnum):
    """Model-selection metric of the (lasso, ridge) grid search, on out-of-fold returns."""

    TRACKING_ERROR = "tracking_error"  # lower is better
    CORRELATION = "correlation"  # higher is better
    R_SQUARED = "r_squared"  # higher is better
    COST = "cost"  # tracking error plus annualised trading and borrow cost, lower is better


def _number(value: Any) -> float | None:
    """A quantity or weight cell: None for a missing one (None, NaN, empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{value!r} is not a number of shares or a weight") from None
    return None if np.isnan(number) else number


@dataclass(frozen=True)
class Position:
    """One holding: a quantity of shares, or a weight of a reference notional.

    Parameters
    ----------
    identifier : str
        Ticker, Bloomberg (``'AAPL UW'``), RIC (``'AAPL.OQ'``) or an old ticker.
    quantity : float, optional
        Number of shares (negative for a short holding).
    weight : float, optional
        Fraction of the position set's ``reference_notional`` (0.25 = 25%).
    """

    identifier: str
    quantity: float | None = None
    weight: float | None = None

    def validate(self) -> None:
        """Raise ConfigurationError unless this is a valid position (the rules of
        :class:`~hedgekit.hedge.PositionSpec`)."""
        from hedgekit.hedge._specs import PositionSpec, error_line

        try:
            PositionSpec.model_validate(
                {"identifier": self.identifier, "quantity": self.quantity, "weight": self.weight}
            )
        except ValidationError as exc:
            raise ConfigurationError(error_line(exc)) from None


@dataclass(frozen=True)
class PositionSet:
    """The portfolio to hedge, priced at ``date``.

    Parameters
    ----------
    positions : sequence of Position
        All by quantity, or all by weight (then ``reference_notional`` is required).
    date : date-like
        The hedge date: positions are priced at its close, and nothing after it is used.
    reference_notional : float, optional
        Portfolio notional in USD when positions are given by weight.
    """

    positions: tuple[Position, ...]
    date: DateLike
    reference_notional: float | None = None

    def __init__(
        self,
        positions: Sequence[Position],
        date: DateLike,
        reference_notional: float | None = None,
    ) -> None:
        object.__setattr__(self, "positions", tuple(positions))
        object.__setattr__(self, "date", date)
        object.__setattr__(self, "reference_notional", reference_notional)

    @property
    def timestamp(self) -> pd.Timestamp:
        """The hedge date as a Timestamp."""
        return to_timestamp(self.date, "date")

    def validate(self) -> None:
        """Check the positions (the rules of :class:`~hedgekit.hedge.HedgeRequest`); raise
        ConfigurationError naming the problem."""
        from hedgekit.hedge._request import HedgeRequest, _library_label

        if not self.positions:
            raise ConfigurationError("the position set is empty; add at least one Position")
        for p in self.positions:
            if not isinstance(p, Position):
                raise ConfigurationError(f"{p!r} is not a Position")
        HedgeRequest.from_input(
            {
                "positions": [
                    {"identifier": p.identifier, "quantity": p.quantity, "weight": p.weight}
                    for p in self.positions
                ],
                "notional": self.reference_notional,
                "date": self.timestamp.date(),
            },
            label=_library_label,
        )

    @classmethod
    def from_dict(cls, mapping: dict[str, float], date: DateLike, **kwargs: Any) -> PositionSet:
        """``{'AAPL': 1000, 'MSFT': 500}`` (quantities) as a PositionSet."""
        return cls([Position(k, quantity=v) for k, v in mapping.items()], date, **kwargs)

    @classmethod
    def from_dicts(
        cls, rows: Sequence[Mapping[str, Any]], date: DateLike, **kwargs: Any
    ) -> PositionSet:
        """``[{'identifier': 'AAPL', 'quantity': 1000}, ...]`` (or ``weight``) as a
        PositionSet; other keys are ignored."""
        out = []
        for i, row in enumerate(rows):
            if "identifier" not in row:
                raise ConfigurationError(
                    f"position {i + 1} has no 'identifier'; give each row an identifier and "
                    "a quantity or a weight"
                )
            out.append(
                Position(
                    str(row["identifier"]),
                    quantity=_number(row.get("quantity")),
                    weight=_number(row.get("weight")),
                )
            )
        return cls(out, date, **kwargs)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, date: DateLike, **kwargs: Any) -> PositionSet:
        """A frame with an ``identifier`` column (or index) and ``quantity`` or ``weight``."""
        data = frame if "identifier" in frame.columns else frame.rename_axis("identifier")
        if "identifier" not in data.columns:
            data = data.reset_index()
        if not {"quantity", "weight"} & set(data.columns):
            raise ConfigurationError(
                f"the frame has columns {list(frame.columns)}; it needs 'quantity' or 'weight'"
            )
        rows = [{str(k): v for k, v in r.items()} for r in data.to_dict("records")]
        return cls.from_dicts(rows, date, **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """One row per position: identifier (index), quantity, weight."""
        return pd.DataFrame(
            {
                "quantity": [p.quantity for p in self.positions],
                "weight": [p.weight for p in self.positions],
            },
            index=pd.Index([p.identifier for p in self.positions], name="identifier"),
            dtype="float64",
        )

    def equalise(self) -> PositionSet:
        """The same names with equal weights (of ``reference_notional``, which weights need)."""
        if not self.positions:
            raise ConfigurationError("the position set is empty; add at least one Position")
        w = 1.0 / len(self.positions)
        return PositionSet(
            [Position(p.identifier, weight=w) for p in self.positions],
            self.date,
            self.reference_notional,
        )

    def redistribute(self, drop: str | Sequence[str]) -> PositionSet:
        """Without the positions ``drop``, their weight spread over the others in
        proportion (weights sum as before); quantities are simply dropped."""
        gone = {drop} if isinstance(drop, str) else set(drop)
        unknown = gone - {p.identifier for p in self.positions}
        if unknown:
            raise ConfigurationError(f"{', '.join(sorted(unknown))} not in the position set")
        keep = [p for p in self.positions if p.identifier not in gone]
        if not keep:
            raise ConfigurationError("dropping every position leaves nothing to hedge")
        if any(p.weight is None for p in keep):
            return PositionSet(keep, self.date, self.reference_notional)
        total = sum(float(p.weight or 0.0) for p in self.positions)
        left = sum(float(p.weight or 0.0) for p in keep)
        scale = total / left if left else 0.0
        return PositionSet(
            [Position(p.identifier, weight=float(p.weight or 0.0) * scale) for p in keep],
            self.date,
            self.reference_notional,
        )

    def price(self, market: Any) -> tuple[pd.DataFrame, dict[str, list[str]]]:
        """The positions resolved and priced at the close of ``date`` (data up to it).

        Returns
        -------
        (DataFrame, dict)
            Per priced position: ticker, quantity, price, notional, weight; and a report
            with the identifiers that did not resolve (``unresolved``) or have no price
            near the date (``unpriced``). Nothing raises for those two: they are listed.
        """
        from hedgekit.hedge._instruments import instrument_prices

        view = market.as_of(self.timestamp)
        rows, unresolved, unpriced = [], [], []
        for p in self.positions:
            try:
                ticker = market.resolve(p.identifier, view.date)
            except HedgekitError:
                unresolved.append(p.identifier)
                continue
            px = float(instrument_prices(view, [ticker])[ticker])
            if not np.isfinite(px):
                unpriced.append(p.identifier)
                continue
            rows.append({"identifier": p.identifier, "ticker": ticker, "price": px,
                         "quantity": p.quantity, "weight": p.weight})  # fmt: skip
        frame = pd.DataFrame(
            rows, columns=["identifier", "ticker", "price", "quantity", "weight"]
        ).set_index("identifier")
        if len(frame) and frame["quantity"].notna().all():
            frame["notional"] = frame["quantity"] * frame["price"]
        elif len(frame) and self.reference_notional is not None:
            frame["notional"] = frame["weight"] * float(self.reference_notional)
            frame["quantity"] = frame["notional"] / frame["price"]
        else:
            frame["notional"] = np.nan
        total = float(frame["notional"].sum()) if len(frame) else 0.0
        frame["weight"] = frame["notional"] / total if total else np.nan
        return frame, {"unresolved": unresolved, "unpriced": unpriced}


@dataclass(frozen=True)
class Constraint:
    """A bound in percent of the hedge notional (or a score bound for ``esg``).

    Parameters
    ----------
    constraint_name : str
        The asset, country, region, sector or industry it applies to (or the score name
        for ESG constraints).
    minimum, maximum : float
        Bounds in percent of the hedge notional, 0..100 (ESG: bounds on the hedge's
        weighted-average score, in the score's own units).
    """

    constraint_name: str
    minimum: float = 0.0
    maximum: float = 100.0

    def validate(self, kind: str) -> None:
        """Raise ConfigurationError for empty names and bad bounds (the rules of
        :class:`~hedgekit.hedge.ConstraintSpec`; ``kind='esg'``: of ``ScoreConstraintSpec``)."""
        from hedgekit.hedge._specs import ConstraintSpec, ScoreConstraintSpec, error_line

        spec = ScoreConstraintSpec if kind == "esg" else ConstraintSpec
        try:
            spec.model_validate(
                {
                    "constraint_name": self.constraint_name,
                    "minimum": self.minimum,
                    "maximum": self.maximum,
                }
            )
        except ValidationError as exc:
            raise ConfigurationError(f"{kind} constraint: {error_line(exc)}") from None


@dataclass(frozen=True)
class HedgeExclusions:
    """What the hedge may not hold: assets, countries, regions, sectors, industries.

    ``industries`` matches any GICS level below the sector (industry group, industry,
    sub-industry).
    """

    assets: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, f.name, tuple(value or ()))


@dataclass(frozen=True)
class HedgeConstraints:
    """Bounds on the hedge's composition, each a list of :class:`Constraint`."""

    assets: tuple[Constraint, ...] = ()
    countries: tuple[Constraint, ...] = ()
    regions: tuple[Constraint, ...] = ()
    sectors: tuple[Constraint, ...] = ()
    industries: tuple[Constraint, ...] = ()
    esg: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, tuple(getattr(self, f.name) or ()))

    def validate(self) -> None:
        """Validate every constraint."""
        for f in fields(self):
            for c in getattr(self, f.name):
                if not isinstance(c, Constraint):
                    raise ConfigurationError(f"{f.name} constraints must be Constraint objects")
                c.validate(f.name.rstrip("s") if f.name != "esg" else "esg")


def _universe_entries(universe: Any) -> tuple[Any, ...]:
    """The universe as a tuple: a basket given as a mapping (``{'name': ..., 'weights':
    ...}``, a saved result's form) becomes a :class:`~hedgekit.hedge.Basket`; two baskets
    may not share a name."""
    from hedgekit.hedge._baskets import Basket

    out = tuple(Basket.from_dict(u) if isinstance(u, Mapping) else u for u in universe)
    names = [u.name for u in out if isinstance(u, Basket)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigurationError(
            f"two baskets of the universe are named {', '.join(map(repr, twice))}; give each "
            "basket its own name"
        )
    return out


class _FrozenBounds(dict[str, tuple[float, float]]):
    """Factor bounds that hash (the parameters are frozen and hashable)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


class _FrozenMinimums(dict[str, float]):
    """Score minimums that hash (the parameters are frozen and hashable)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


@dataclass(frozen=True)
class PerformanceHedgeParameters:
    """Every input of a performance hedge; defaults follow Marquee's Performance Hedger,
    except the basket's size: at most 10 names, none above 25% (Marquee: no limit).

    The rules are :class:`~hedgekit.hedge.HedgeRequest`'s: :meth:`validate` builds the
    request from these parameters, so the library, the CLI and the service accept the same
    inputs.

    Parameters
    ----------
    initial_portfolio : PositionSet
        The positions to hedge and the hedge date.
    universe : sequence of str or Basket
        Where hedge names come from: indices or ETFs (``'SPX'``, ``'SPY'``, sector SPDRs such
        as ``'XLK'``) exploded into their members on the hedge date, and/or single tickers,
        and/or user baskets (:class:`~hedgekit.hedge.Basket`, or a mapping ``{'name': ...,
        'weights': {...}}``) each held as one instrument: a fixed-weight basket of its
        members (see ``docs/hedge.md``, "Basket instruments").
    exclusions, constraints : optional
        See :class:`HedgeExclusions` and :class:`HedgeConstraints`.
    observation_start_date : date-like, optional
        Start of the fitting window; default the hedge date minus one year.
    sampling_period : {'Daily', 'Weekly', 'Monthly'}
        Return sampling of the fit.
    max_leverage : float
        Hedge notional in percent of the portfolio notional (the hedge ratio; default 100).
        The hedge is sized at exactly this ratio.
    percentage_in_cash : float, optional
        Percent of the hedge notional held as cash (zero return); the rest is in stocks.
    explode_universe : bool
        Replace indices/ETFs in the universe by their members. When False, an ETF of the
        data's benchmark table (``'SPY'``, ``'XLK'``...) is held as itself: its returns and
        price are its adjusted closes, its ADV cap uses the table's volume (none where the
        table has no volume), and it has no market cap (the bounds skip it).
    exclude_target_assets : bool
        Never hedge a name with itself or its other share classes.
    exclude_corporate_actions_types : sequence of str, optional
        Skip names with a pending event of these types (announced by the hedge date,
        effective after it), e.g. ``['merger', 'spin_off']``.
    exclude_hard_to_borrow_assets, exclude_restricted_assets : bool
        Skip names on the hard-to-borrow / restricted lists on the hedge date.
    max_adv_percentage : float
        A name's hedge notional may not exceed this percent of its 20-day average daily
        dollar volume.
    max_return_deviation : float
        ``|annualised return of hedge - portfolio| <= this`` (percent) over the window.
    max_weight : float
        Max weight of one name, percent of the hedge notional (default 25).
    min_weight : float
        Min weight of a name that is held, percent of the hedge notional (0 = none).
    max_names : int, optional
        At most this many names (cardinality; default 10); None = no limit. The defaults
        (10 names, 25% each) are the CLI's and the service's too: a basket to trade, not
        a dust of hundreds of names, and no single name carrying the hedge (see
        ``docs/hedge.md``, "Defaults").
    min_market_cap, max_market_cap : float, optional
        Market-cap bounds in USD for hedge names (point in time).
    market_participation_rate : float
        Percent of daily volume traded: drives days-to-trade (not the fit).
    lasso_weight : float
        Concentration: strength of a log penalty that favours fewer names (see the docs).
    ridge_weight : float
        Diversity: strength of an L2 penalty that spreads the weights.
    method : HedgeMethod
        Source of co-movement: ``'returns'`` (the Performance Hedger: sample covariance
        of the observation window) or ``'factor'`` (the factor risk model's forecast on the
        hedge date: ``B F B' + diag(s^2)``), ``'nlp'`` (equal weights over the
        ``max_names`` candidates whose business descriptions are closest to the
        portfolio's) or ``'hybrid'`` (the returns objective among the
        ``semantic_candidates`` closest); see ``docs/hedge.md``.
    estimator : str or covariance estimator
        How the ``'returns'`` and ``'hybrid'`` methods estimate co-movement: a name of
        :data:`hedgekit.estimate.ESTIMATORS` (``'default'``, ``'sample'``, ``'ewma'``,
        ``'ledoit_wolf'``, ...) or any scikit-learn covariance estimator. ``'sample'`` is
        Marquee's behaviour: the sample covariance of the observation window. Other
        estimators fit the history they ask for (their ``lookback``, which may be longer than
        the observation window; the window still sets the in-sample statistics and the
        return-deviation band). See ``docs/hedge.md``.
    semantic_candidates : int
        Candidates the hybrid method keeps (nearest business descriptions first).
    embedder : str
        Text backend of the semantic methods: ``'auto'`` (MiniLM when the ``nlp`` extra is
        installed, else TF-IDF), ``'minilm'``, ``'tfidf'`` or a sentence-transformers name.
    half_spread_bps, impact_coefficient, default_borrow_cost_bps : float
        Cost model: cost of trading a name = half spread + ``impact_coefficient * sigma_daily
        * sqrt(shares / ADV shares)``; borrow cost for names not on the hard-to-borrow list.
    out_of_sample_days : int
        Trading days after the hedge date used for out-of-sample statistics, where the
        data has them.
    current_hedge : PositionSet, optional
        The hedge held now, to rebalance: the shares held against the book (sold short
        for a net-long book, bought for a net-short one), all of one sign (positive or
        negative read the same: ``to_position_set()`` of the hedge, or the basket's
        ``shares``). With ``allow_long_short`` the positions are signed (negative sold
        short, positive bought, as ``to_position_set()`` writes a long/short hedge). The
        result lists
        the trades from it
        (:meth:`PerformanceHedgeResult.get_trades`). Without ``max_turnover`` and
        ``max_trades`` the new hedge is the fresh one. See ``docs/hedge.md``, "Rebalance".
    max_turnover : float, optional
        Rebalance only: at most this much traded, ``sum |new - current shares| * price``,
        in percent of the hedge notional (names no longer eligible are sold and count).
        0 keeps the current hedge.
    max_trades : int, optional
        Rebalance only: at most this many names whose share count changes.
    min_names : int, optional
        At least this many names (default None: no floor); at most ``max_names`` and the
        number of candidates. A held name weighs at least ``min_weight`` or, when that is
        0, 0.1% of the stock budget. Not with ``max_turnover`` or ``max_trades``.
    factor_constraints : mapping of str to (float, float), optional
        Bounds on the hedged portfolio's net exposure to named factors of the risk model
        on the hedge date, ``{'Momentum': (-0.1, 0.1)}``: portfolio exposure minus hedge
        exposure, per unit of portfolio notional. Any method; the store's risk model is
        built when needed. The result's ``diagnostics['factor_exposures']`` reports them.
    max_tracking_error : float, optional
        Tracking error as a constraint, annualised percent of the portfolio: the hedge with
        the fewest names (between ``min_names`` or 1 and ``max_names`` or every candidate)
        whose in-sample tracking error is at most this; the result's
        ``diagnostics['tracking_error_cap']`` reports the names and the tracking error.
        Not with a rebalance's limits or the ``'nlp'`` method.
    min_esg_score : mapping of str to float, optional
        A screen on scores, ``{'esg': 5.0}``: candidates whose latest score known on the
        hedge date (point in time) is below the minimum, or who have no score then, are
        removed before the fit, in the score's own units and named as in
        ``constraints.esg``. The result's ``diagnostics['universe_filters']`` counts them
        (``'esg score below 5'``, ``'no esg score'``). The ``esg`` constraints bound the
        hedge's weighted average instead.
    benchmarks : sequence of str, optional
        The curves beside the hedge in :meth:`PerformanceHedgeResult.get_backtest_performance`
        and its plot: ``'SPY'``, ``'sector'`` (the SPDR fund of the portfolio's largest
        sector) and ``'nlp'`` (the study's NLP basket: equal weights on the ``max_names``
        candidates with the nearest business descriptions published by the hedge date;
        embeds the descriptions, so opt-in). Default None: ``('SPY', 'sector')``.
    allow_long_short : bool
        Let the hedge hold names on both sides: besides the names it sells against a net-long
        book it may buy some (a net-short book: the reverse). ``max_weight`` and the ADV cap
        bound each name's absolute notional, ``max_names`` counts both sides, and the
        hedge's net (hedging side minus other side) and gross (both sides) are bounded by
        ``min_net`` / ``max_net`` and ``max_gross``. Not with ``min_weight``,
        ``lasso_weight``, ``min_names``, a rebalance (``current_hedge``) or the ``'nlp'``
        method. See ``docs/hedge.md``, "Long/short hedges".
    max_gross : float, optional
        Long/short only: most gross notional of the hedge (both sides added up), percent of
        the portfolio notional; default 1.5 times ``max_leverage`` (150 for a 100% hedge).
    min_net, max_net : float, optional
        Long/short only: bounds on the hedge's net notional (the hedging side minus the
        other), percent of the portfolio notional; default both the stock budget
        (``max_leverage`` less ``percentage_in_cash``), as a long-only hedge.
    max_factor_share : float, optional
        At most this percent of the hedged portfolio's predicted variance (under the risk
        model on the hedge date) comes from its factors. Methods ``'factor'``, ``'returns'``
        and ``'hybrid'``; the store's risk model is built when needed. Met by penalising the
        residual factor variance with the smallest weight found that meets the cap (see
        ``docs/hedge.md``); ``diagnostics['factor_share']`` reports the weight and the shares.
    max_factor_share_by_group : mapping of str to float, optional
        The same cap per factor group, ``{'Style': 10, 'Sector': 5}``: percent of the
        hedged portfolio's predicted variance from the group's factors alone (names of
        :data:`hedgekit.risk.FACTOR_GROUPS`, any case).
    factor_risk_weight, specific_risk_weight : float
        ``method='factor'`` only: the objective is ``factor_risk_weight * factor variance +
        specific_risk_weight * specific variance`` of the hedged portfolio (default 1 and 1,
        the predicted active variance).
    """

    initial_portfolio: PositionSet
    universe: tuple[str | Basket, ...] = ("SPX",)
    exclusions: HedgeExclusions | None = None
    constraints: HedgeConstraints | None = None
    observation_start_date: DateLike | None = None
    sampling_period: Sampling | str = Sampling.DAILY
    max_leverage: float = 100.0
    percentage_in_cash: float | None = None
    explode_universe: bool = True
    exclude_target_assets: bool = True
    exclude_corporate_actions_types: tuple[str, ...] | None = None
    exclude_hard_to_borrow_assets: bool = False
    exclude_restricted_assets: bool = False
    max_adv_percentage: float = 15.0
    max_return_deviation: float = 5.0
    max_weight: float = 25.0
    min_weight: float = 0.0
    max_names: int | None = 10
    min_market_cap: float | None = None
    max_market_cap: float | None = None
    market_participation_rate: float = 10.0
    lasso_weight: float = 0.0
    ridge_weight: float = 0.0
    method: HedgeMethod | str = HedgeMethod.RETURNS
    estimator: Any = "default"
    half_spread_bps: float = 5.0
    impact_coefficient: float = 1.0
    default_borrow_cost_bps: float = 25.0
    out_of_sample_days: int = 252
    semantic_candidates: int = 50
    embedder: str = "auto"
    current_hedge: PositionSet | None = None
    max_turnover: float | None = None
    max_trades: int | None = None
    min_names: int | None = None
    factor_constraints: Mapping[str, tuple[float, float]] | None = None
    max_tracking_error: float | None = None
    min_esg_score: Mapping[str, float] | None = None
    benchmarks: tuple[str, ...] | None = None
    allow_long_short: bool = False
    max_gross: float | None = None
    min_net: float | None = None
    max_net: float | None = None
    max_factor_share: float | None = None
    max_factor_share_by_group: Mapping[str, float] | None = None
    factor_risk_weight: float = 1.0
    specific_risk_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.benchmarks is not None:
            from hedgekit.hedge._benchmarks import benchmark_names

            object.__setattr__(self, "benchmarks", benchmark_names(self.benchmarks))
        if self.max_factor_share_by_group is not None:
            if not isinstance(self.max_factor_share_by_group, Mapping):
                raise ConfigurationError(
                    "max_factor_share_by_group must map factor groups to percent caps, e.g. "
                    "{'Style': 10}"
                )
            caps = _FrozenMinimums(self.max_factor_share_by_group)  # hashable, as the scores
            object.__setattr__(self, "max_factor_share_by_group", caps)
        if self.min_esg_score is not None:
            if not isinstance(self.min_esg_score, Mapping):
                raise ConfigurationError(
                    "min_esg_score must map score names to minimums, e.g. {'esg': 5.0}"
                )
            object.__setattr__(self, "min_esg_score", _FrozenMinimums(self.min_esg_score))
        if self.factor_constraints is not None:
            if not isinstance(self.factor_constraints, Mapping):
                raise ConfigurationError(
                    "factor_constraints must map factor names to (minimum, maximum), e.g. "
                    "{'Momentum': (-0.1, 0.1)}"
                )
            bounds = {}
            for name, pair in self.factor_constraints.items():
                try:
                    lo, hi = pair
                except (TypeError, ValueError):
                    raise ConfigurationError(
                        f"factor_constraints[{name!r}] = {pair!r}; give (minimum, maximum)"
                    ) from None
                bounds[name] = (lo, hi)
            object.__setattr__(self, "factor_constraints", _FrozenBounds(bounds))
        if isinstance(self.universe, str):
            object.__setattr__(self, "universe", (self.universe,))
        else:
            object.__setattr__(self, "universe", _universe_entries(self.universe))
        if self.exclude_corporate_actions_types is not None:
            types = self.exclude_corporate_actions_types
            types = (types,) if isinstance(types, str) else tuple(types)
            object.__setattr__(self, "exclude_corporate_actions_types", types)

    @property
    def sampling(self) -> Sampling:
        """The sampling period as an enum."""
        try:
            return Sampling(self.sampling_period)
        except ValueError:
            raise ConfigurationError(
                f"sampling_period={self.sampling_period!r}; use 'Daily', 'Weekly' or 'Monthly'"
            ) from None

    @property
    def hedge_method(self) -> HedgeMethod:
        """The method as an enum."""
        try:
            return HedgeMethod(self.method)
        except ValueError:
            known = ", ".join(m.value for m in HedgeMethod)
            raise ConfigurationError(f"method={self.method!r}; known methods: {known}") from None

    @property
    def hedge_ratio(self) -> float:
        """Hedge notional / portfolio notional."""
        return self.max_leverage / 100.0

    @property
    def stock_budget(self) -> float:
        """Sum of the stock weights, in units of portfolio notional (hedge ratio less cash)."""
        return self.hedge_ratio * (1.0 - (self.percentage_in_cash or 0.0) / 100.0)

    def validate(self) -> None:
        """Check every parameter; raise ConfigurationError naming the value and the fix.

        The rules are :class:`~hedgekit.hedge.HedgeRequest`'s (the CLI's and the service's
        too): this builds the request from the parameters.
        """
        from hedgekit.hedge._request import HedgeRequest

        if not isinstance(self.initial_portfolio, PositionSet):
            raise ConfigurationError("initial_portfolio must be a PositionSet")
        if not self.initial_portfolio.positions:
            raise ConfigurationError("the position set is empty; add at least one Position")
        for p in self.initial_portfolio.positions:
            if not isinstance(p, Position):
                raise ConfigurationError(f"{p!r} is not a Position")
        if self.current_hedge is not None:
            if not isinstance(self.current_hedge, PositionSet):
                raise ConfigurationError("current_hedge must be a PositionSet (shares held)")
            for p in self.current_hedge.positions:
                if not isinstance(p, Position) or p.quantity is None:
                    raise ConfigurationError(
                        f"current_hedge: {p!r} is not a Position with a quantity; give the "
                        "hedge's shares, e.g. Position('MU', quantity=200000)"
                    )
        if self.exclusions is not None and not isinstance(self.exclusions, HedgeExclusions):
            raise ConfigurationError("exclusions must be a HedgeExclusions")
        if self.constraints is not None:
            if not isinstance(self.constraints, HedgeConstraints):
                raise ConfigurationError("constraints must be a HedgeConstraints")
            for f in fields(self.constraints):
                if not all(isinstance(c, Constraint) for c in getattr(self.constraints, f.name)):
                    raise ConfigurationError(f"{f.name} constraints must be Constraint objects")
        self.sampling  # noqa: B018
        self.hedge_method  # noqa: B018
        get_estimator(self.estimator)
        HedgeRequest.from_parameters(self)

    @property
    def estimator_name(self) -> str:
        """The estimator as text: its name, or the object's repr."""
        if isinstance(self.estimator, str):
            return self.estimator.strip().lower().replace("-", "_")
        return repr(self.estimator)

    def replace(self, **changes: Any) -> PerformanceHedgeParameters:
        """A copy with some parameters changed (the original is never mutated)."""
        import dataclasses

        return dataclasses.replace(self, **changes)
