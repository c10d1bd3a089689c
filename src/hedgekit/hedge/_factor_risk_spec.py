"""The request's factor-risk settings: caps on the factor share of the hedged portfolio's
predicted variance, and the factor and specific weights of the factor method's objective.

:class:`FactorRiskSettings` holds the four fields; :class:`~hedgekit.hedge.HedgeSettings`
inherits them, so they are ``parameters.*`` of a request like every other setting. The rules
between them and the rest of a request (the method, a rebalance's limits, a tracking-error
cap) are :func:`check_factor_risk`'s, which :class:`~hedgekit.hedge.HedgeRequest` calls;
:data:`FACTOR_RISK_RULES` lists them for the request schema.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from pydantic import Field, model_validator

from hedgekit.hedge._parameters import PerformanceHedgeParameters
from hedgekit.hedge._specs import Label, _Model

__all__ = ["FACTOR_RISK_DATA_RULES", "FACTOR_RISK_RULES", "FactorRiskSettings", "check_factor_risk"]

_WEIGHT_DEFAULTS: dict[str, Any] = {
    f.name: f.default
    for f in dataclasses.fields(PerformanceHedgeParameters)
    if f.name in ("factor_risk_weight", "specific_risk_weight")
}
_Percent = Annotated[float, Field(gt=0, le=100)]

#: the rules between fields, as the request schema lists them (``x-hedgekit-rules``)
FACTOR_RISK_RULES: dict[str, str] = {
    "factor-share-methods": "parameters.max_factor_share and max_factor_share_by_group need "
    "method 'factor', 'returns' or 'hybrid', and do not come with max_tracking_error, "
    "max_turnover or max_trades",
    "risk-weights-factor-method": "parameters.factor_risk_weight and specific_risk_weight "
    "other than 1 need method 'factor'; they are not both 0",
}
#: what only the data can tell (``x-hedgekit-data``)
FACTOR_RISK_DATA_RULES: dict[str, str] = {
    "factor-groups-known": "parameters.max_factor_share_by_group names factor groups of the "
    "risk model on date (Market, Sector, Style)",
    "factor-share-reachable": "the factor share caps are reachable (the job fails with the "
    "lowest share found otherwise)",
}


class FactorRiskSettings(_Model):
    """The factor-risk settings of a hedge; see ``docs/hedge.md``, "Factor share of risk"."""

    max_factor_share: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="At most this % of the hedged portfolio's predicted variance (risk model "
        "on the date) from factors; null for no cap.",
    )
    max_factor_share_by_group: (
        Annotated[dict[Label, _Percent], Field(min_length=1, max_length=20)] | None
    ) = Field(
        default=None,
        description="The same cap per factor group, % of the predicted variance from the "
        "group's factors alone: {'Style': 10, 'Sector': 5}.",
    )
    factor_risk_weight: float = Field(
        default=_WEIGHT_DEFAULTS["factor_risk_weight"],
        ge=0,
        le=1e6,
        description="Method 'factor': weight of the hedged portfolio's factor variance in the "
        "objective.",
    )
    specific_risk_weight: float = Field(
        default=_WEIGHT_DEFAULTS["specific_risk_weight"],
        ge=0,
        le=1e6,
        description="Method 'factor': weight of the hedged portfolio's specific variance in "
        "the objective.",
    )

    @model_validator(mode="after")
    def _some_risk_weight(self) -> Any:
        if self.factor_risk_weight == 0 and self.specific_risk_weight == 0:
            raise ValueError(
                "factor_risk_weight and specific_risk_weight are both 0, which leaves the "
                "factor method nothing to minimise; make at least one positive (default 1)"
            )
        return self


def check_factor_risk(method: str, settings: Any) -> None:
    """Raise ValueError when the factor-risk settings do not fit the rest of the request
    (``method`` and ``settings``, a :class:`~hedgekit.hedge.HedgeSettings`)."""
    p = settings
    capped = p.max_factor_share is not None or p.max_factor_share_by_group is not None
    if capped and method == "nlp":
        raise ValueError(
            "parameters.max_factor_share needs a method that fits the hedge ('factor', "
            "'returns' or 'hybrid'); the 'nlp' basket is fixed by the descriptions"
        )
    if capped and p.max_tracking_error is not None:
        raise ValueError(
            "parameters.max_factor_share and max_tracking_error do not combine (each "
            "searches its own dial); drop one"
        )
    if capped and (p.max_turnover is not None or p.max_trades is not None):
        raise ValueError(
            "parameters.max_factor_share applies to a fresh hedge and does not combine with "
            "a rebalance's max_turnover or max_trades; drop one"
        )
    weighted = (p.factor_risk_weight, p.specific_risk_weight) != (1.0, 1.0)
    if weighted and method != "factor":
        raise ValueError(
            f"parameters.factor_risk_weight={p.factor_risk_weight:g} and "
            f"specific_risk_weight={p.specific_risk_weight:g} weight the factor model's "
            f"objective; use method 'factor' (not {method!r}) or leave both at 1"
        )
