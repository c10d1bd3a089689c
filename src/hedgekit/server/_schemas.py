"""Request and response bodies of the API (pydantic v2).

:class:`HedgeRequest` mirrors :class:`~hedgekit.hedge.PerformanceHedgeParameters`: the
positions (quantities, or weights plus ``notional``), the hedge date, the universe,
exclusions, constraints, the method and every other parameter under ``parameters``, with
the library's defaults and units. Shape, type and range checks live here, so the 422 a
client gets names the field; :meth:`HedgeRequest.to_parameters` builds the library object,
whose own ``validate()`` then checks what needs the whole problem.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from hedgekit.hedge import (
    Constraint,
    HedgeConstraints,
    HedgeExclusions,
    PerformanceHedgeParameters,
    Position,
    PositionSet,
)

__all__ = [
    "ConstraintIn",
    "ConstraintsIn",
    "ErrorBody",
    "ErrorItem",
    "ExclusionsIn",
    "HealthOut",
    "HedgeJob",
    "HedgeList",
    "HedgeParametersIn",
    "HedgeRequest",
    "HedgeSummary",
    "JobError",
    "JobLinks",
    "MarketOut",
    "Peer",
    "PeersOut",
    "PositionIn",
]

#: a name, ticker or label: 1-64 printable characters, surrounding blanks removed
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
#: the range of dates the API accepts at all (the data decides which of them work)
_FIRST_DATE, _LAST_DATE = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
#: tolerance on the sum of weights (0.1 percentage point)
_WEIGHT_TOLERANCE = 1e-3


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


def _check_date(value: dt.date | None, name: str) -> dt.date | None:
    if value is not None and not _FIRST_DATE <= value <= _LAST_DATE:
        raise ValueError(
            f"{name} {value:%Y-%m-%d} is outside {_FIRST_DATE:%Y}..{_LAST_DATE:%Y}; "
            "give a date inside the data, like 2022-12-30"
        )
    return value


class PositionIn(_Model):
    """One holding: ``quantity`` shares, or ``weight`` (a fraction) of ``notional``."""

    identifier: Label = Field(
        description="Ticker, Bloomberg ('AAPL UW'), RIC ('AAPL.OQ') or an old ticker.",
        examples=["KSTD"],
    )
    quantity: float | None = Field(
        default=None,
        ge=-1e12,
        le=1e12,
        description="Number of shares (negative for a short holding).",
        examples=[100000],
    )
    weight: float | None = Field(
        default=None,
        ge=-100,
        le=100,
        description="Fraction of `notional` (0.25 = 25%); weights must sum to 1.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> PositionIn:
        if (self.quantity is None) == (self.weight is None):
            which = "both" if self.quantity is not None else "neither"
            raise ValueError(
                f"position {self.identifier!r} has {which} of quantity and weight; give "
                "exactly one, e.g. {'identifier': 'AAPL', 'quantity': 1000}"
            )
        if (self.quantity if self.quantity is not None else self.weight) == 0:
            raise ValueError(f"position {self.identifier!r} is zero; drop it")
        return self


class ConstraintIn(_Model):
    """A bound in percent of the hedge notional (ESG: in the score's units)."""

    constraint_name: Label = Field(
        description="The asset, country, region, sector or industry (or ESG score name).",
        examples=["Information Technology"],
    )
    minimum: float = Field(default=0.0, ge=-1e9, le=1e9, description="Lower bound, percent.")
    maximum: float = Field(default=100.0, ge=-1e9, le=1e9, description="Upper bound, percent.")

    @model_validator(mode="after")
    def _ordered(self) -> ConstraintIn:
        if self.minimum > self.maximum:
            raise ValueError(
                f"constraint {self.constraint_name!r}: minimum {self.minimum:g} is above "
                f"maximum {self.maximum:g}; swap them"
            )
        return self


_Labels = Annotated[list[Label], Field(max_length=500)]
_Constraints = Annotated[list[ConstraintIn], Field(max_length=200)]


class ExclusionsIn(_Model):
    """What the hedge may not hold (``industries`` matches any GICS level below sector)."""

    assets: _Labels = Field(default_factory=list, examples=[["FRLX"]])
    countries: _Labels = Field(default_factory=list)
    regions: _Labels = Field(default_factory=list)
    sectors: _Labels = Field(default_factory=list, examples=[["Energy"]])
    industries: _Labels = Field(default_factory=list)


class ConstraintsIn(_Model):
    """Bounds on the hedge's composition, in percent of the hedge notional."""

    assets: _Constraints = Field(default_factory=list)
    countries: _Constraints = Field(default_factory=list)
    regions: _Constraints = Field(default_factory=list)
    sectors: _Constraints = Field(default_factory=list)
    industries: _Constraints = Field(default_factory=list)
    esg: _Constraints = Field(default_factory=list)


class HedgeParametersIn(_Model):
    """The hedger's settings; units and defaults as in ``docs/hedge.md``."""

    observation_start_date: dt.date | None = Field(
        default=None, description="Start of the fitting window (default: date - 1 year)."
    )
    sampling_period: Literal["Daily", "Weekly", "Monthly"] = "Daily"
    max_leverage: float = Field(
        default=100.0, gt=0, le=1000, description="Hedge ratio, % of the portfolio notional."
    )
    percentage_in_cash: float | None = Field(
        default=None, ge=0, lt=100, description="% of the hedge notional held as cash."
    )
    explode_universe: bool = True
    exclude_target_assets: bool = True
    exclude_corporate_actions_types: Annotated[list[Label], Field(max_length=20)] | None = None
    exclude_hard_to_borrow_assets: bool = False
    exclude_restricted_assets: bool = False
    max_adv_percentage: float = Field(
        default=15.0, gt=0, le=1e6, description="Max % of a name's 20-day ADV."
    )
    max_return_deviation: float = Field(
        default=5.0, ge=0, le=1e6, description="Max |annual return gap|, %."
    )
    max_weight: float = Field(default=100.0, gt=0, le=100, description="Max % of hedge per name.")
    min_weight: float = Field(default=0.0, ge=0, le=100, description="Min % of a held name.")
    max_names: int | None = Field(default=None, ge=1, le=10_000, description="At most K names.")
    min_market_cap: float | None = Field(default=None, ge=0, le=1e16, description="USD.")
    max_market_cap: float | None = Field(default=None, ge=0, le=1e16, description="USD.")
    market_participation_rate: float = Field(default=10.0, gt=0, le=100)
    lasso_weight: float = Field(default=0.0, ge=0, le=1e6, description="Concentration.")
    ridge_weight: float = Field(default=0.0, ge=0, le=1e6, description="Diversity.")
    half_spread_bps: float = Field(default=5.0, ge=0, le=1e4)
    impact_coefficient: float = Field(default=1.0, ge=0, le=1e3)
    default_borrow_cost_bps: float = Field(default=25.0, ge=0, le=1e5)
    out_of_sample_days: int = Field(default=252, ge=0, le=5000)

    @field_validator("sampling_period", mode="before")
    @classmethod
    def _sampling_case(cls, value: Any) -> Any:
        return value.strip().capitalize() if isinstance(value, str) else value

    @field_validator("observation_start_date")
    @classmethod
    def _start_range(cls, value: dt.date | None) -> dt.date | None:
        return _check_date(value, "observation_start_date")

    @model_validator(mode="after")
    def _consistent(self) -> HedgeParametersIn:
        if self.min_weight > self.max_weight:
            raise ValueError(
                f"min_weight={self.min_weight:g}% is above max_weight={self.max_weight:g}%; "
                "lower min_weight or raise max_weight"
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


class HedgeRequest(_Model):
    """A performance hedge to run: ``POST /v1/hedges``.

    Examples
    --------
    >>> HedgeRequest.model_validate({
    ...     "positions": [{"identifier": "KSTD", "quantity": 100000}],
    ...     "date": "2022-12-30", "parameters": {"max_names": 10, "max_weight": 25}})
    ... # doctest: +ELLIPSIS
    HedgeRequest(positions=[PositionIn(identifier='KSTD', quantity=100000.0, ...
    """

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [
                {
                    "positions": [{"identifier": "KSTD", "quantity": 100000}],
                    "date": "2022-12-30",
                    "universe": ["SPX"],
                    "method": "returns",
                    "parameters": {"max_names": 10, "max_weight": 25},
                }
            ]
        },
    )

    positions: Annotated[list[PositionIn], Field(min_length=1, max_length=1000)] = Field(
        description="All by quantity, or all by weight (then `notional` is required)."
    )
    notional: float | None = Field(
        default=None,
        gt=0,
        le=1e13,
        description="Portfolio value in USD when positions are given by weight.",
    )
    date: dt.date = Field(
        description="Hedge date: positions priced at its close; nothing after it is used.",
        examples=["2022-12-30"],
    )
    universe: Annotated[list[Label], Field(min_length=1, max_length=100)] = Field(
        default_factory=lambda: ["SPX"],
        description="Indices/ETFs (exploded into members on the date) and/or tickers.",
    )
    method: Literal["returns", "factor"] = Field(
        default="returns",
        description="'returns': sample covariance of the window (Performance Hedger); "
        "'factor': the factor risk model's forecast on the date.",
    )
    estimator: Literal[
        "default",
        "sample",
        "ewma",
        "ledoit_wolf",
        "oas",
        "winsorized",
        "factor_shrinkage",
        "factor_target",
        "ensemble",
    ] = Field(
        default="default",
        description="Co-movement estimator of the 'returns' method: 'default' (chosen out of "
        "sample, see docs/evaluation.md), 'sample' (the observation window's sample "
        "covariance, Marquee's behaviour), 'factor_target' (shrunk toward the factor risk "
        "model's forecast; uses the store's built model) or a named alternative.",
    )
    exclusions: ExclusionsIn = Field(default_factory=ExclusionsIn)
    constraints: ConstraintsIn = Field(default_factory=ConstraintsIn)
    parameters: HedgeParametersIn = Field(default_factory=HedgeParametersIn)

    @field_validator("method", "estimator", mode="before")
    @classmethod
    def _method_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

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
                    "positions are given by weight: set notional (the portfolio value in "
                    "USD), e.g. 50000000"
                )
            total = math.fsum(p.weight or 0.0 for p in self.positions)
            if abs(total - 1.0) > _WEIGHT_TOLERANCE:
                raise ValueError(
                    f"position weights sum to {total:.6g}; they are fractions of notional "
                    "and must sum to 1 (0.6 and 0.4, not 60 and 40): rescale them"
                )
        elif self.notional is not None:
            raise ValueError(
                "notional is only used with weights; these positions have quantities: drop notional"
            )
        start = self.parameters.observation_start_date
        if start is not None and start >= self.date:
            raise ValueError(
                f"parameters.observation_start_date {start:%Y-%m-%d} is not before the hedge "
                f"date {self.date:%Y-%m-%d}; move it earlier"
            )
        return self

    def to_parameters(self) -> PerformanceHedgeParameters:
        """The library's parameters object (not yet validated against the data)."""
        p = self.parameters
        ex, cons = self.exclusions, self.constraints

        def bounds(items: list[ConstraintIn]) -> tuple[Constraint, ...]:
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
            universe=tuple(self.universe),
            exclusions=HedgeExclusions(
                assets=tuple(ex.assets),
                countries=tuple(ex.countries),
                regions=tuple(ex.regions),
                sectors=tuple(ex.sectors),
                industries=tuple(ex.industries),
            ),
            constraints=HedgeConstraints(
                assets=bounds(cons.assets),
                countries=bounds(cons.countries),
                regions=bounds(cons.regions),
                sectors=bounds(cons.sectors),
                industries=bounds(cons.industries),
                esg=bounds(cons.esg),
            ),
            observation_start_date=(
                None if p.observation_start_date is None else p.observation_start_date.isoformat()
            ),
            sampling_period=p.sampling_period,
            max_leverage=p.max_leverage,
            percentage_in_cash=p.percentage_in_cash,
            explode_universe=p.explode_universe,
            exclude_target_assets=p.exclude_target_assets,
            exclude_corporate_actions_types=(
                None
                if p.exclude_corporate_actions_types is None
                else tuple(p.exclude_corporate_actions_types)
            ),
            exclude_hard_to_borrow_assets=p.exclude_hard_to_borrow_assets,
            exclude_restricted_assets=p.exclude_restricted_assets,
            max_adv_percentage=p.max_adv_percentage,
            max_return_deviation=p.max_return_deviation,
            max_weight=p.max_weight,
            min_weight=p.min_weight,
            max_names=p.max_names,
            min_market_cap=p.min_market_cap,
            max_market_cap=p.max_market_cap,
            market_participation_rate=p.market_participation_rate,
            lasso_weight=p.lasso_weight,
            ridge_weight=p.ridge_weight,
            method=self.method,
            estimator=self.estimator,
            half_spread_bps=p.half_spread_bps,
            impact_coefficient=p.impact_coefficient,
            default_borrow_cost_bps=p.default_borrow_cost_bps,
            out_of_sample_days=p.out_of_sample_days,
        )


# ---------------------------------------------------------------------------- responses
class ErrorItem(BaseModel):
    """One problem with the request."""

    field: str | None = Field(description="Dotted path of the field, e.g. parameters.max_weight.")
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx body: one line to show, the error type, and per-field details."""

    detail: str = Field(description="What is wrong and how to fix it, in one line.")
    type: str = Field(description="Error class, e.g. validation_error or InfeasibleError.")
    errors: list[ErrorItem] = Field(default_factory=list)


class JobError(BaseModel):
    """Why a job failed: the status code the same error gets at submission, and the text."""

    status_code: int
    type: str
    message: str


class JobLinks(BaseModel):
    """Where to find the job and its basket."""

    status: str
    basket: str


JobStatus = Literal["queued", "running", "done", "failed"]


class HedgeSummary(BaseModel):
    """A job in a listing (no result)."""

    id: str
    status: JobStatus
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int
    date: str
    method: str
    identifiers: list[str]
    error: JobError | None = None
    links: JobLinks


class HedgeJob(HedgeSummary):
    """A job with its request and, when done, the result.

    ``result`` is :meth:`PerformanceHedgeResult.to_dict`: ``constituents`` (one record per
    hedge name), ``statistics`` (``'<sample>.<leg>'`` -> measure -> value), ``backtest``
    (``dates``, ``sample``, cumulative ``portfolio`` / ``hedge`` / ``hedged`` and the
    44-period rolling correlation ``correlation_44``), ``portfolio``, ``diagnostics``,
    ``parameters`` and, for factor hedges, ``risk_report``.
    """

    request: dict[str, Any]
    result: dict[str, Any] | None = None


class HedgeList(BaseModel):
    """A page of jobs, newest first."""

    items: list[HedgeSummary]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last."
    )


class Peer(BaseModel):
    """A company whose business description is close to the target's."""

    ticker: str
    rank: int
    similarity: float | None
    name: str | None = None
    gics_sector: str | None = None
    gics_sub_industry: str | None = None
    description_as_of: str | None = None
    source: str | None = None
    look_ahead: bool = False


class PeersOut(BaseModel):
    """Semantic peers of one company on a date."""

    ticker: str
    as_of: str
    embedder: str
    look_ahead: bool = Field(description="The target's own description is later than as_of.")
    universe_size: int
    peers: list[Peer]


class MarketOut(BaseModel):
    """What the service's market data holds."""

    synthetic: bool
    start: str
    end: str
    tickers: int
    indices: list[str]
    sectors: list[str]
    version: str


class HealthOut(BaseModel):
    """Liveness and load."""

    status: Literal["ok", "degraded"]
    version: str
    workers_alive: int
    queued: int
    running: int
    queue_capacity: int
    data: str = Field(description="'ok', or why hedges cannot run.")
