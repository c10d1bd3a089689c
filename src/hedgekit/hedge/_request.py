"""One validated hedge request: the rules of the library, the CLI and the service.

:class:`HedgeRequest` holds everything a performance hedge needs, as data: the positions
(quantities, or weights plus ``notional``), the hedge date, the universe, exclusions,
constraints, the method, the estimator and every other setting under ``parameters``, each
with its default, unit and bounds. It is the only place those rules are written:

- the library's :meth:`PerformanceHedgeParameters.validate` checks a parameters object by
  building this model from it (:meth:`HedgeRequest.from_parameters`);
- ``hedgekit hedge`` builds its request through :meth:`HedgeRequest.from_input`, then
  :meth:`HedgeRequest.to_parameters`;
- the service's ``POST /v1/hedges`` body *is* this model (its OpenAPI schema is the
  model's JSON schema), so what the schema allows is what the library accepts.

The defaults are the library's (:class:`PerformanceHedgeParameters`' field defaults), read
from the dataclass rather than written again. What needs the data (identifiers that resolve,
prices on the date, enough history, feasible constraints) is checked by the library when
it runs; the service runs the cheap part of it before queuing a job.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from hedgekit._errors import ConfigurationError
from hedgekit.data import Sampling
from hedgekit.hedge._baskets import Basket
from hedgekit.hedge._factor_risk_spec import (
    FACTOR_RISK_DATA_RULES,
    FACTOR_RISK_RULES,
    FactorRiskSettings,
    check_factor_risk,
)
from hedgekit.hedge._parameters import (
    Constraint,
    HedgeConstraints,
    HedgeExclusions,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)
from hedgekit.hedge._specs import (
    BasketSpec,
    ConstraintsSpec,
    Day,
    ExclusionsSpec,
    Flag,
    HoldingSpec,
    Label,
    PositionSpec,
    Whole,
    _check_date,
    _Model,
    error_line,
)
from hedgekit.typing import to_timestamp

__all__ = ["HedgeRequest", "HedgeSettings"]

#: tolerance on the sum of weights (0.1 percentage point)
WEIGHT_TOLERANCE = 1e-3
#: the largest name limit (``parameters.max_names``)
_MAX_NAMES = 10_000
#: the library's defaults, the one default set of the library, the CLI and the service
_DEFAULTS: dict[str, Any] = {
    f.name: f.default
    for f in dataclasses.fields(PerformanceHedgeParameters)
    if f.default is not dataclasses.MISSING
}


def _default(name: str) -> Any:
    return _DEFAULTS[name]


class HedgeSettings(FactorRiskSettings):  # the factor-risk fields: _factor_risk_spec
    """The hedger's settings; units and defaults as in ``docs/hedge.md``.

    Every default is :class:`PerformanceHedgeParameters`' own: a hedge of at most 10
    names, none above 25% of the hedge (``max_names=None`` lifts the name limit).
    """

    observation_start_date: Day | None = Field(
        default=None, description="Start of the fitting window (default: date - 1 year)."
    )
    sampling_period: Literal["Daily", "Weekly", "Monthly"] = "Daily"
    max_leverage: float = Field(
        default=_default("max_leverage"),
        strict=True,
        gt=0,
        le=1000,
        description="Hedge ratio, % of the portfolio notional.",
    )
    percentage_in_cash: float | None = Field(
        default=_default("percentage_in_cash"),
        strict=True,
        ge=0,
        lt=100,
        description="% of the hedge notional held as cash.",
    )
    explode_universe: Flag = _default("explode_universe")
    exclude_target_assets: Flag = _default("exclude_target_assets")
    exclude_corporate_actions_types: Annotated[list[Label], Field(max_length=20)] | None = None
    exclude_hard_to_borrow_assets: Flag = _default("exclude_hard_to_borrow_assets")
    exclude_restricted_assets: Flag = _default("exclude_restricted_assets")
    max_adv_percentage: float = Field(
        default=_default("max_adv_percentage"),
        strict=True,
        gt=0,
        le=1e6,
        description="Max % of a name's 20-day ADV.",
    )
    max_return_deviation: float = Field(
        default=_default("max_return_deviation"),
        strict=True,
        ge=0,
        le=1e6,
        description="Max |annual return gap|, %.",
    )
    max_weight: float = Field(
        default=_default("max_weight"),
        strict=True,
        gt=0,
        le=100,
        description="Max % of the hedge notional in one name.",
    )
    min_weight: float = Field(
        default=_default("min_weight"),
        strict=True,
        ge=0,
        le=100,
        description="Min % of a held name.",
    )
    max_names: Whole | None = Field(
        default=_default("max_names"),
        ge=1,
        le=_MAX_NAMES,
        description="At most this many names; null for no limit.",
    )
    min_names: Whole | None = Field(
        default=None,
        ge=1,
        le=_MAX_NAMES,
        description="At least this many names (<= max_names and the candidates); null for "
        "no floor. Not with max_turnover or max_trades.",
    )
    factor_constraints: (
        Annotated[
            dict[
                Label,
                tuple[
                    Annotated[float, Field(ge=-1e3, le=1e3)],
                    Annotated[float, Field(ge=-1e3, le=1e3)],
                ],
            ],
            Field(max_length=200),
        ]
        | None
    ) = Field(
        default=None,
        description="Bounds on the hedged portfolio's net exposure (portfolio minus hedge, "
        "per unit of portfolio notional) to named factors of the risk model on the date: "
        "{'Momentum': [-0.1, 0.1]}.",
    )
    max_tracking_error: float | None = Field(
        default=None,
        strict=False,
        gt=0,
        le=1000,
        description="Tracking error as a constraint, annualised % of the portfolio: the hedge "
        "with the fewest names whose in-sample tracking error is at most this; null for none. "
        "Not with max_turnover, max_trades or method 'nlp'.",
    )
    min_esg_score: (
        Annotated[dict[Label, Annotated[float, Field(ge=-1e9, le=1e9)]], Field(max_length=200)]
        | None
    ) = Field(
        default=None,
        description="Score screen, in each score's own units: candidates whose latest score "
        "known on the date is below the minimum, or who have none, are removed: {'esg': 5}.",
    )
    benchmarks: Annotated[list[Label], Field(max_length=3)] | None = Field(
        default=None,
        description="Curves beside the hedge's backtest: 'SPY', 'sector' (the SPDR fund of "
        "the portfolio's largest sector), 'nlp' (the study's NLP basket, point in time); "
        "null for SPY and sector.",
    )
    min_market_cap: float | None = Field(
        default=_default("min_market_cap"), strict=True, ge=0, le=1e16, description="USD."
    )
    max_market_cap: float | None = Field(
        default=_default("max_market_cap"), strict=True, ge=0, le=1e16, description="USD."
    )
    market_participation_rate: float = Field(
        default=_default("market_participation_rate"),
        strict=True,
        gt=0,
        le=100,
        description="% of daily volume traded (days to trade).",
    )
    lasso_weight: float = Field(
        default=_default("lasso_weight"), strict=True, ge=0, le=1e6, description="Concentration."
    )
    ridge_weight: float = Field(
        default=_default("ridge_weight"), strict=True, ge=0, le=1e6, description="Diversity."
    )
    half_spread_bps: float = Field(default=_default("half_spread_bps"), strict=True, ge=0, le=1e4)
    impact_coefficient: float = Field(
        default=_default("impact_coefficient"), strict=True, ge=0, le=1e3
    )
    default_borrow_cost_bps: float = Field(
        default=_default("default_borrow_cost_bps"), strict=True, ge=0, le=1e5
    )
    out_of_sample_days: Whole = Field(default=_default("out_of_sample_days"), ge=0, le=5000)
    semantic_candidates: Whole = Field(
        default=_default("semantic_candidates"),
        ge=2,
        le=10_000,
        description="Candidates the hybrid method keeps (nearest descriptions first).",
    )
    embedder: Label = Field(
        default=_default("embedder"),
        description="Text backend of the semantic methods: 'auto', 'minilm', 'tfidf' or a "
        "sentence-transformers model name.",
    )
    max_turnover: float | None = Field(
        default=None, strict=True, ge=0, le=1e4, description="Rebalance: max % of the hedge "
        "notional traded (sum |new - current shares| x price); needs current_hedge.",
    )  # fmt: skip
    max_trades: Whole | None = Field(
        default=None, ge=0, le=_MAX_NAMES, description="Rebalance: max names whose shares "
        "change; needs current_hedge.",
    )  # fmt: skip
    allow_long_short: Flag = Field(
        default=_default("allow_long_short"),
        description="Long/short hedge: names on both sides, within max_gross and the net "
        "bounds. Not with min_weight, lasso_weight, min_names, a rebalance or method 'nlp'.",
    )
    max_gross: float | None = Field(
        default=None, strict=True, gt=0, le=1e4, description="Long/short: max gross notional "
        "of the hedge (both sides), % of the portfolio notional; null: 1.5 x max_leverage.",
    )  # fmt: skip
    min_net: float | None = Field(
        default=None, strict=True, ge=-1e4, le=1e4, description="Long/short: min net notional "
        "of the hedge (hedging side minus the other), % of the portfolio notional; null: the "
        "stock budget, max_leverage less cash.",
    )  # fmt: skip
    max_net: float | None = Field(
        default=None, strict=True, ge=-1e4, le=1e4, description="Long/short: max net notional "
        "of the hedge, % of the portfolio notional; null: the stock budget.",
    )  # fmt: skip

    @field_validator("sampling_period", mode="before")
    @classmethod
    def _sampling_case(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:  # 'daily', 'D', 'W', Sampling.DAILY ... as the Literal's spelling
                return Sampling(value.strip()).value.capitalize()
            except ValueError:
                return value.strip().capitalize()
        return value

    @field_validator("benchmarks")
    @classmethod
    def _benchmark_curves(cls, value: list[str] | None) -> list[str] | None:
        from hedgekit.hedge._benchmarks import BENCHMARKS, benchmark_names

        try:
            return None if value is None else list(benchmark_names(value))
        except ConfigurationError:
            raise ValueError(
                f"{', '.join(map(repr, value or []))}: use {', '.join(BENCHMARKS)}"
            ) from None

    @field_validator("observation_start_date")
    @classmethod
    def _start_range(cls, value: dt.date | None) -> dt.date | None:
        return _check_date(value, "observation_start_date")

    @model_validator(mode="after")
    def _consistent(self) -> HedgeSettings:
        if self.min_weight > self.max_weight:
            raise ValueError(
                f"min_weight={self.min_weight:g}% is above max_weight={self.max_weight:g}%; "
                "lower min_weight or raise max_weight"
            )
        stocks = 100.0 - (self.percentage_in_cash or 0.0)
        from hedgekit.hedge._long_short import check_long_short

        stocks = check_long_short(self, stocks)  # long/short: the smallest net allowed
        if self.max_names is not None and self.max_names * self.max_weight < stocks - 1e-9:
            needed = stocks / self.max_weight - 1e-9
            names = (
                f"max_names to >= {math.ceil(needed)}"
                if needed <= _MAX_NAMES
                else "max_names to null (no limit)"
            )
            raise ValueError(
                f"max_weight={self.max_weight:g}% with max_names={self.max_names} cannot "
                f"reach the {stocks:g}% of the hedge held in stocks; raise max_weight to >= "
                f"{stocks / self.max_names:.4g}% or {names}"
            )
        k = self.min_names
        if k is not None and self.max_names is not None and k > self.max_names:
            raise ValueError(
                f"min_names={k} is above max_names={self.max_names}; lower min_names or "
                "raise max_names"
            )
        if k is not None and k * self.min_weight > stocks + 1e-9:
            raise ValueError(
                f"min_names={k} names of min_weight={self.min_weight:g}% need "
                f"{k * self.min_weight:g}% of the hedge, above the {stocks:g}% held in "
                f"stocks; lower min_weight to <= {stocks / k:.4g}% or min_names"
            )
        for name, (lo, hi) in (self.factor_constraints or {}).items():
            if lo > hi:
                raise ValueError(
                    f"factor_constraints[{name!r}]: minimum {lo:g} is above maximum {hi:g}; "
                    "swap them"
                )
        if (
            self.min_market_cap is not None
            and self.max_market_cap is not None
            and self.min_market_cap > self.max_market_cap
        ):
            raise ValueError(
                f"min_market_cap={self.min_market_cap:g} is above max_market_cap="
                f"{self.max_market_cap:g}; swap them"
            )
        return self


#: the rules between fields that JSON Schema cannot state, as the request schema lists them
#: (``x-hedgekit-rules``); each is enforced by a validator above or in :class:`HedgeRequest`
RULES: dict[str, str] = {
    "weights-sum-to-one": "positions given by weight: the weights sum to 1 (within 0.001)",
    "start-before-date": "parameters.observation_start_date, when given, is before date",
    "min-weight-at-most-max-weight": "parameters.min_weight <= parameters.max_weight",
    "names-and-cap-reach-the-hedge": "parameters.max_names * parameters.max_weight >= "
    "100 - parameters.percentage_in_cash, unless max_names is null",
    "min-names-at-most-max-names": "parameters.min_names <= parameters.max_names when both "
    "are given",
    "min-names-times-min-weight": "parameters.min_names * parameters.min_weight <= 100 - "
    "parameters.percentage_in_cash",
    "min-names-not-with-limits": "parameters.min_names does not come with max_turnover or "
    "max_trades",
    "te-cap-not-with-limits-or-nlp": "parameters.max_tracking_error does not come with "
    "max_turnover, max_trades or method 'nlp'",
    "factor-minimum-at-most-maximum": "in parameters.factor_constraints, every minimum <= "
    "its maximum",
    "min-cap-at-most-max-cap": "parameters.min_market_cap <= parameters.max_market_cap when "
    "both are given",
    "constraint-minimum-at-most-maximum": "in every constraints entry, minimum <= maximum",
    "limits-need-current-hedge": "parameters.max_turnover and parameters.max_trades, when "
    "given, come with current_hedge",
    "long-short-bounds": "parameters.max_gross, min_net and max_net come with "
    "allow_long_short; min_net <= max_net; max_gross >= the smallest |net| allowed",
    "long-short-not-with": "parameters.allow_long_short does not come with min_weight > 0, "
    "lasso_weight > 0, min_names, current_hedge or method 'nlp'",
    **FACTOR_RISK_RULES,
}
#: what only the data can tell, as the request schema lists it (``x-hedgekit-data``)
DATA_RULES: dict[str, str] = {
    "date-in-data": "date lies inside the market data (GET /v1/market: start..end)",
    "identifiers-resolve": "positions, universe, exclusions.assets and constraints.assets "
    "name securities, indices or ETFs known to the data on date",
    "priced-and-net-long": "every position has a price on date; positions by quantity are "
    "not net flat at those prices (a net-short portfolio gets a long hedge)",
    "min-names-within-candidates": "parameters.min_names is at most the number of candidates "
    "left after the universe, exclusions and filters",
    "te-cap-reachable": "parameters.max_tracking_error is reachable with max_names names "
    "(the job fails with the best tracking error otherwise)",
    "factors-known": "parameters.factor_constraints names factors of the risk model on date",
    "scores-known": "parameters.min_esg_score and constraints.esg name scores in the data",
    "current-hedge-resolves": "current_hedge names securities known to the data on date, "
    "each with a price then",
    **FACTOR_RISK_DATA_RULES,
}
#: the two forms of a request: every position by quantity, or every position by weight
_FORMS: list[dict[str, Any]] = [
    {
        "title": "Positions by quantity",
        "properties": {
            "positions": {
                "items": {
                    "properties": {"quantity": {"type": "number"}, "weight": {"type": "null"}},
                    "required": ["quantity"],
                },
            },
            "notional": {"type": "null"},
        },
    },
    {
        "title": "Positions by weight",
        "properties": {
            "positions": {
                "items": {
                    "properties": {"weight": {"type": "number"}, "quantity": {"type": "null"}},
                    "required": ["weight"],
                }
            },
            "notional": {"type": "number"},
        },
        "required": ["notional"],
    },
]

Method = Literal["returns", "factor", "nlp", "hybrid"]
Estimator = Literal[
    "default",
    "sample",
    "ewma",
    "ledoit_wolf",
    "oas",
    "winsorized",
    "factor_shrinkage",
    "factor_target",
    "ensemble",
]


class HedgeRequest(_Model):
    """A performance hedge to run: positions, date and every parameter, validated.

    Parameters
    ----------
    positions : list of PositionSpec
        All by quantity, or all by weight (fractions in (0, 1] summing to 1, then
        ``notional`` is required). A security named twice is one position: the library
        adds the lots up and says so in the result's warnings.
    notional : float, optional
        Portfolio value in USD when positions are given by weight.
    date : date
        The hedge date: positions are priced at its close; nothing after it is used.
    universe, method, estimator, exclusions, constraints, parameters
        As :class:`PerformanceHedgeParameters`, with the same defaults.
    current_hedge : list of HoldingSpec, optional
        The hedge held now, to rebalance (shares held against the book, one sign: sold
        short for a net-long book, bought for a net-short one); ``parameters.max_turnover`` and
        ``parameters.max_trades`` limit the trades from it.
    basket_instruments : list of BasketSpec, optional
        User baskets added to the universe, each held as one instrument (the library's
        :class:`~hedgekit.hedge.Basket` entries of ``universe``).

    Examples
    --------
    >>> req = HedgeRequest.model_validate({
    ...     "positions": [{"identifier": "KSTD", "quantity": 100000}], "date": "2022-12-30"})
    >>> req.parameters.max_names, req.parameters.max_weight
    (10, 25.0)
    >>> req.to_parameters().max_names
    10
    """

    positions: Annotated[list[PositionSpec], Field(min_length=1, max_length=5000)] = Field(
        description="All by quantity, or all by weight (then `notional` is required)."
    )
    notional: float | None = Field(
        default=None,
        strict=True,
        gt=0,
        le=1e13,
        description="Portfolio value in USD when positions are given by weight.",
    )
    date: Day = Field(
        description="Hedge date: positions priced at its close; nothing after it is used.",
        examples=["2022-12-30"],
    )
    universe: Annotated[list[Label], Field(min_length=1, max_length=5000)] = Field(
        default_factory=lambda: list(_default("universe")),
        description="Indices/ETFs (exploded into members on the date) and/or tickers.",
    )
    method: Method = Field(
        default="returns",
        description="'returns': co-movement over the observation window (Performance "
        "Hedger); 'factor': the factor risk model's forecast on the date; 'nlp': equal "
        "weights on the nearest business descriptions; 'hybrid': 'returns' among them.",
    )
    estimator: Estimator = Field(
        default="default",
        description="Co-movement estimator of the 'returns' method: 'default' (chosen out of "
        "sample, see docs/evaluation.md), 'sample' (the observation window's sample "
        "covariance, Marquee's behaviour), 'factor_target' (shrunk toward the factor risk "
        "model's forecast; uses the store's built model) or a named alternative.",
    )
    exclusions: ExclusionsSpec = Field(default_factory=ExclusionsSpec)
    constraints: ConstraintsSpec = Field(default_factory=ConstraintsSpec)
    parameters: HedgeSettings = Field(default_factory=HedgeSettings)
    current_hedge: Annotated[list[HoldingSpec], Field(min_length=1, max_length=5000)] | None = (
        Field(
            default=None,
            description="Rebalance: the hedge held now (shares held against the book).",
        )
    )
    basket_instruments: Annotated[list[BasketSpec], Field(max_length=100)] | None = Field(
        default=None,
        description="User baskets added to the universe, each held as one instrument: its "
        "daily return is the fixed-weight mean of its members' (docs/hedge.md).",
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's schema with the rules JSON Schema states poorly as ``x-`` lists.

        ``x-hedgekit-forms`` gives the two forms of a request (all positions by quantity,
        no notional; or all by weight with a notional), as JSON Schema
        fragments; ``x-hedgekit-rules`` lists the rules JSON Schema cannot state
        (:data:`RULES`) and ``x-hedgekit-data`` what the data decides (:data:`DATA_RULES`).
        The forms are not a ``oneOf`` of the schema itself: test generators (schemathesis'
        hypothesis-jsonschema) stall on it, and the validators check the forms anyway.
        """
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        target["x-hedgekit-forms"] = [dict(form) for form in _FORMS]
        target["x-hedgekit-rules"] = [{"id": k, "rule": v} for k, v in RULES.items()]
        target["x-hedgekit-data"] = [{"id": k, "rule": v} for k, v in DATA_RULES.items()]
        return schema

    @field_validator("method", "estimator", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower().replace("-", "_")
        return value

    @field_validator("date")
    @classmethod
    def _date_range(cls, value: dt.date) -> dt.date:
        _check_date(value, "date")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HedgeRequest:
        by_weight = [p.weight is not None for p in self.positions]
        if any(by_weight) and not all(by_weight):
            raise ValueError(
                "positions mix quantities and weights; give every position the same way"
            )
        if all(by_weight):
            if self.notional is None:
                raise ValueError(
                    "positions are given by weight: set notional, the portfolio value in USD "
                    "(reference_notional in the library, --notional in the CLI), e.g. 50000000"
                )
            total = math.fsum(p.weight or 0.0 for p in self.positions)
            if abs(total - 1.0) > WEIGHT_TOLERANCE:
                raise ValueError(
                    f"position weights sum to {total:.6g} ({total:.4%}); they are fractions "
                    "of notional and must sum to 1, i.e. 100% (0.6 and 0.4, not 60 and 40): "
                    "rescale them"
                )
        else:
            if self.notional is not None:
                raise ValueError(
                    "notional is only used with weights; these positions have quantities: "
                    "drop notional"
                )
        p = self.parameters
        if p.allow_long_short:
            from hedgekit.hedge._long_short import check_long_short_request

            check_long_short_request(self)
        if self.current_hedge is None:
            for name in ("max_turnover", "max_trades"):
                if getattr(p, name) is not None:
                    raise ValueError(
                        f"parameters.{name} limits a rebalance: give current_hedge, the hedge "
                        "held now (--current-hedge in the CLI)"
                    )
        if p.max_tracking_error is not None and (
            p.max_turnover is not None or p.max_trades is not None
        ):
            raise ValueError(
                "parameters.max_tracking_error chooses the number of names of a fresh hedge and "
                "does not combine with a rebalance's max_turnover or max_trades; drop one"
            )
        if p.max_tracking_error is not None and self.method == "nlp":
            raise ValueError(
                "parameters.max_tracking_error needs a method fitted to returns ('returns', "
                "'factor' or 'hybrid'); the 'nlp' basket is fixed by the descriptions"
            )
        check_factor_risk(self.method, p)
        if p.min_names is not None and (p.max_turnover is not None or p.max_trades is not None):
            raise ValueError(
                "parameters.min_names does not combine with a rebalance's max_turnover or "
                "max_trades; drop one of them"
            )
        start = self.parameters.observation_start_date
        if start is not None and start >= self.date:
            raise ValueError(
                f"parameters.observation_start_date {start:%Y-%m-%d} is not before the hedge "
                f"date {self.date:%Y-%m-%d}; move it earlier"
            )
        return self

    # ------------------------------------------------------------------ conversions
    @classmethod
    def from_input(
        cls, data: Mapping[str, Any], *, label: Callable[[str], str] | None = None
    ) -> HedgeRequest:
        """Validate ``data``; raise :class:`ConfigurationError` in one line otherwise.

        Parameters
        ----------
        data : mapping
            The request as Python objects (``model_validate``'s input).
        label : callable, optional
            Turns a dotted field (``'parameters.max_weight'``) into the name the caller
            knows (``'--max-weight'`` for the CLI); default: the dotted field.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigurationError(error_line(exc, label)) from None

    @classmethod
    def from_parameters(cls, params: PerformanceHedgeParameters) -> HedgeRequest:
        """The request of a library parameters object; ConfigurationError when invalid.

        An estimator object (rather than a name) is not part of the request: it becomes
        ``'default'`` here and :func:`hedgekit.estimate.get_estimator` checks it.
        """
        ps = params.initial_portfolio
        ex = params.exclusions or HedgeExclusions()
        cons = params.constraints or HedgeConstraints()

        def bounds(items: tuple[Constraint, ...]) -> list[dict[str, Any]]:
            return [
                {"constraint_name": c.constraint_name, "minimum": c.minimum, "maximum": c.maximum}
                for c in items
            ]

        start = params.observation_start_date
        settings = {
            name: _plain(getattr(params, name))
            for name in HedgeSettings.model_fields
            if name not in ("observation_start_date", "exclude_corporate_actions_types")
        }
        bounds_f = params.factor_constraints
        settings["factor_constraints"] = (
            None if bounds_f is None else {k: list(v) for k, v in bounds_f.items()}
        )
        minimums = params.min_esg_score
        settings["min_esg_score"] = None if minimums is None else dict(minimums)
        curves = params.benchmarks
        settings["benchmarks"] = None if curves is None else list(curves)
        caps = params.max_factor_share_by_group
        settings["max_factor_share_by_group"] = None if caps is None else dict(caps)
        types = params.exclude_corporate_actions_types
        settings["exclude_corporate_actions_types"] = None if types is None else list(types)
        settings["observation_start_date"] = (
            None if start is None else to_timestamp(start, "observation_start_date").date()
        )
        data = {
            "positions": [
                {"identifier": p.identifier, "quantity": p.quantity, "weight": p.weight}
                for p in ps.positions
            ],
            "notional": ps.reference_notional,
            "date": ps.timestamp.date(),
            "universe": [u for u in params.universe if not isinstance(u, Basket)],
            "method": _plain(params.method),
            "estimator": params.estimator if isinstance(params.estimator, str) else "default",
            "exclusions": {f.name: list(getattr(ex, f.name)) for f in dataclasses.fields(ex)},
            "constraints": {
                f.name: bounds(getattr(cons, f.name)) for f in dataclasses.fields(cons)
            },
            "parameters": settings,
        }
        baskets = [u.to_dict() for u in params.universe if isinstance(u, Basket)]
        if baskets:
            data["basket_instruments"] = baskets
            if not data["universe"]:  # baskets alone: the request's universe lists them
                data["universe"] = [b["name"] for b in baskets]
        if params.current_hedge is not None:
            data["current_hedge"] = [
                {"identifier": p.identifier, "quantity": p.quantity}
                for p in params.current_hedge.positions
            ]
        return cls.from_input(data, label=_library_label)

    @property
    def baskets(self) -> list[Basket]:
        """The ``basket_instruments`` as library :class:`~hedgekit.hedge.Basket` objects."""
        try:
            return [Basket(b.name, b.weights) for b in self.basket_instruments or ()]
        except ConfigurationError as exc:
            raise ConfigurationError(f"basket_instruments: {exc}") from None

    def to_parameters(self) -> PerformanceHedgeParameters:
        """The library's parameters object (checked against the data when it runs)."""
        p = self.parameters
        ex, cons = self.exclusions, self.constraints

        def bounds(items: list[Any]) -> tuple[Constraint, ...]:
            return tuple(Constraint(c.constraint_name, c.minimum, c.maximum) for c in items)

        return PerformanceHedgeParameters(
            initial_portfolio=PositionSet(
                [
                    Position(x.identifier, quantity=x.quantity, weight=x.weight)
                    for x in self.positions
                ],
                self.date.isoformat(),
                reference_notional=self.notional,
            ),
            universe=(
                *(u for u in self.universe if u not in {b.name for b in self.baskets}),
                *self.baskets,
            ),
            exclusions=HedgeExclusions(
                **{name: tuple(getattr(ex, name)) for name in ExclusionsSpec.model_fields}
            ),
            constraints=HedgeConstraints(
                **{name: bounds(getattr(cons, name)) for name in ConstraintsSpec.model_fields}
            ),
            observation_start_date=(
                None if p.observation_start_date is None else p.observation_start_date.isoformat()
            ),
            exclude_corporate_actions_types=(
                None
                if p.exclude_corporate_actions_types is None
                else tuple(p.exclude_corporate_actions_types)
            ),
            method=self.method,
            estimator=self.estimator,
            current_hedge=(
                None
                if self.current_hedge is None
                else PositionSet(
                    [Position(x.identifier, quantity=x.quantity) for x in self.current_hedge],
                    self.date.isoformat(),
                )
            ),
            **{
                name: getattr(p, name)
                for name in HedgeSettings.model_fields
                if name not in ("observation_start_date", "exclude_corporate_actions_types")
            },
        )


def _plain(value: Any) -> Any:
    """An enum's value, anything else unchanged."""
    return getattr(value, "value", value)


def _library_label(field: str) -> str:
    """A request field as :class:`PerformanceHedgeParameters` names it."""
    if field == "notional":
        return "reference_notional"
    for prefix in ("parameters.", "positions", "exclusions.", "constraints."):
        if field.startswith(prefix):
            rest = field.removeprefix(prefix)
            if prefix == "positions":
                return "position" + rest
            if prefix == "parameters.":
                return rest
            return f"{prefix}{rest}"
    return field
