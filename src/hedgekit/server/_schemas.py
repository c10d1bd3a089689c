"""Request and response bodies of the API (pydantic v2).

The request body is :class:`hedgekit.hedge.HedgeRequest`, the one model of a hedge that
the library and the CLI validate with too: the positions (quantities, or weights plus
``notional``), the hedge date, the universe, exclusions, constraints, the method and every
other parameter under ``parameters``, with the library's defaults and units. The service
narrows one field, ``method``, to the methods it runs (``'returns'`` and ``'factor'``);
everything else is the library's model, so the OpenAPI schema is exactly what the library
accepts and a 422 names the field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hedgekit.hedge import (
    ConstraintSpec,
    ConstraintsSpec,
    ExclusionsSpec,
    HedgeSettings,
    PositionSpec,
)
from hedgekit.hedge import HedgeRequest as LibraryHedgeRequest

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

#: the request's parts, under the names the service has always used
PositionIn = PositionSpec
ConstraintIn = ConstraintSpec
ExclusionsIn = ExclusionsSpec
ConstraintsIn = ConstraintsSpec
HedgeParametersIn = HedgeSettings


class HedgeRequest(LibraryHedgeRequest):
    """A performance hedge to run: ``POST /v1/hedges``.

    :class:`hedgekit.hedge.HedgeRequest` with ``method`` limited to what the service runs.

    Examples
    --------
    >>> HedgeRequest.model_validate({
    ...     "positions": [{"identifier": "KSTD", "quantity": 100000}],
    ...     "date": "2022-12-30", "parameters": {"max_names": 10, "max_weight": 25}})
    ... # doctest: +ELLIPSIS
    HedgeRequest(positions=[PositionSpec(identifier='KSTD', quantity=100000.0, ...
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

    method: Literal["returns", "factor"] = Field(
        default="returns",
        description="'returns': co-movement over the observation window (Performance "
        "Hedger); 'factor': the factor risk model's forecast on the date. The semantic "
        "methods ('nlp', 'hybrid') run in the library and the CLI.",
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


class MonitorOut(BaseModel):
    """A stored hedge monitored on a date (see ``hedgekit.hedge.monitor_hedge``)."""

    hedge_id: str
    inception: str
    as_of: str
    observations: int
    realised_tracking_error: float | None = Field(description="Annualised, since inception.")
    predicted_tracking_error: float | None = Field(description="The fit's in-sample one.")
    variance_reduction: float | None
    correlation: dict[str, float | None]
    hedge_ratio: dict[str, float | None]
    verdict: Literal["rebalance recommended", "rebalance not needed"]
    reasons: list[str]
    names: list[dict[str, Any]]
    trades: list[dict[str, Any]] | None = Field(
        description="Shares to trade to a fresh fit on as_of (SELL_SHORT / BUY_TO_COVER)."
    )
    notes: list[str]
    holding_error: float | None = Field(
        default=None,
        description="Annualised tracking error of the drifted hedge against its weights at "
        "inception, per unit of the position's value on as_of (docs/hedge.md).",
    )


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
