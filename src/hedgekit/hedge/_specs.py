"""The request's parts: positions, held names, bounds and exclusions, and their field types.

The pydantic models a hedge request (:class:`hedgekit.hedge.HedgeRequest`) is built from:
one position (:class:`PositionSpec`), one name of the hedge held now (:class:`HoldingSpec`),
a composition or score bound (:class:`ConstraintSpec`, :class:`ScoreConstraintSpec`) and
their groups (:class:`ExclusionsSpec`, :class:`ConstraintsSpec`), with the field types they
share (a label, a whole number, a flag, a calendar day) and :func:`error_line`, pydantic's
errors as the one line the library, the CLI and the service print.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

__all__ = [
    "BasketSpec",
    "ConstraintSpec",
    "ConstraintsSpec",
    "Day",
    "ExclusionsSpec",
    "Flag",
    "HoldingSpec",
    "Label",
    "PositionSpec",
    "ScoreConstraintSpec",
    "Whole",
    "error_line",
]

#: a name, ticker or label: 1-64 printable characters, surrounding blanks removed
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


def _whole_number(value: Any) -> Any:
    """A JSON number (not a string, not a boolean) for an integer field, as the schema says."""
    if isinstance(value, str | bool):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _calendar_day(value: Any) -> Any:
    """A date or an ISO ``YYYY-MM-DD`` string (JSON Schema's ``format: date``), nothing else."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: an integer field: a JSON number without fraction (10 or 10.0), never "10" or true
Whole = Annotated[int, BeforeValidator(_whole_number)]
#: a true/false field: JSON true or false only
Flag = Annotated[bool, Strict()]
#: a calendar day: YYYY-MM-DD (or a date object), never a timestamp or a date-time
Day = Annotated[dt.date, BeforeValidator(_calendar_day)]
#: the range of dates accepted at all (the data decides which of them work)
_FIRST_DATE, _LAST_DATE = dt.date(1900, 1, 1), dt.date(2200, 12, 31)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


def _check_date(value: dt.date | None, name: str) -> dt.date | None:
    if value is not None and not _FIRST_DATE <= value <= _LAST_DATE:
        raise ValueError(
            f"{name} {value:%Y-%m-%d} is outside {_FIRST_DATE:%Y}..{_LAST_DATE:%Y}; "
            "give a date inside the data, like 2022-12-30"
        )
    return value


class PositionSpec(_Model):
    """One holding: ``quantity`` shares, or ``weight`` (a fraction) of ``notional``."""

    identifier: Label = Field(
        description="Ticker, Bloomberg ('AAPL UW'), RIC ('AAPL.OQ') or an old ticker.",
        examples=["KSTD"],
    )
    quantity: float | None = Field(
        default=None,
        strict=True,
        ge=-1e12,
        le=1e12,
        description="Number of shares, not zero (negative for a short holding; a net-short "
        "portfolio gets a long hedge).",
        examples=[100000],
        json_schema_extra={"not": {"const": 0}},
    )
    weight: float | None = Field(
        default=None,
        strict=True,
        gt=0,
        le=1,
        description="Fraction of `notional` (0.25 = 25%), in (0, 1]; weights sum to 1. Give "
        "short holdings by quantity.",
    )

    @field_validator("weight", mode="wrap")
    @classmethod
    def _fraction(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if isinstance(value, int | float) and not isinstance(value, bool):
                if math.isfinite(value) and value > 1:
                    raise ValueError(
                        f"weight {value:g} is above 1: weights are fractions of notional and "
                        f"must sum to 1 (0.6 for 60%, not 60); a position cannot be more "
                        "than 100% of the portfolio"
                    ) from None
                if math.isfinite(value) and value < 0:
                    raise ValueError(
                        f"weight {value:g} is negative; give short holdings by quantity"
                    ) from None
            raise

    @model_validator(mode="after")
    def _one_of(self) -> PositionSpec:
        if (self.quantity is None) == (self.weight is None):
            which = "both" if self.quantity is not None else "neither"
            raise ValueError(
                f"position {self.identifier!r} has {which} of quantity and weight; give "
                "exactly one, e.g. {'identifier': 'AAPL', 'quantity': 1000}"
            )
        if (self.quantity if self.quantity is not None else self.weight) == 0:
            raise ValueError(f"position {self.identifier!r} is zero; drop it")
        return self


class HoldingSpec(_Model):
    """One name of the hedge held now (a rebalance's ``current_hedge``): shares held
    against the book (sold short for a net-long book, bought for a net-short one)."""

    identifier: Label = Field(description="Ticker of a name in the hedge.", examples=["MU"])
    quantity: float = Field(
        strict=True,
        ge=-1e12,
        le=1e12,
        description=(
            "Shares held against the book, not zero: sold short for a net-long book, bought "
            "for a net-short one; all names one sign (positive or negative read the same)."
        ),
        json_schema_extra={"not": {"const": 0}},
    )

    @model_validator(mode="after")
    def _nonzero(self) -> HoldingSpec:
        if self.quantity == 0:
            raise ValueError(f"current hedge name {self.identifier!r} has 0 shares; drop it")
        return self


class BasketSpec(_Model):
    """A user basket held as one hedge instrument (``basket_instruments``): a name and
    fixed member weights, scaled to sum to one (see ``docs/hedge.md``, "Basket
    instruments")."""

    name: Label = Field(description="The basket's name in the hedge.", examples=["MYSEMIS"])
    weights: Annotated[
        dict[Label, Annotated[float, Field(gt=0, le=1e6)]], Field(min_length=1, max_length=500)
    ] = Field(
        description="Member identifier -> weight (positive; scaled to sum to one).",
        examples=[{"NVDA": 0.5, "AMD": 0.5}],
    )


class ConstraintSpec(_Model):
    """A bound on the hedge's composition, in percent of the hedge notional (0..100)."""

    constraint_name: Label = Field(
        description="The asset, country, region, sector or industry it applies to.",
        examples=["Information Technology"],
    )
    minimum: float = Field(default=0.0, ge=0, le=100, description="Lower bound, percent.")
    maximum: float = Field(default=100.0, ge=0, le=100, description="Upper bound, percent.")

    @model_validator(mode="after")
    def _ordered(self) -> ConstraintSpec:
        if self.minimum > self.maximum:
            raise ValueError(
                f"constraint {self.constraint_name!r}: minimum {self.minimum:g} is above "
                f"maximum {self.maximum:g}; swap them"
            )
        return self


class ScoreConstraintSpec(ConstraintSpec):
    """A bound on the hedge's weighted-average ESG score, in the score's own units."""

    constraint_name: Label = Field(description="The score's name.", examples=["esg_score"])
    minimum: float = Field(default=0.0, ge=-1e9, le=1e9, description="Lower bound.")
    maximum: float = Field(default=100.0, ge=-1e9, le=1e9, description="Upper bound.")


_Labels = Annotated[list[Label], Field(max_length=500)]
_Constraints = Annotated[list[ConstraintSpec], Field(max_length=200)]


class ExclusionsSpec(_Model):
    """What the hedge may not hold (``industries`` matches any GICS level below sector)."""

    assets: _Labels = Field(default_factory=list, examples=[["FRLX"]])
    countries: _Labels = Field(default_factory=list)
    regions: _Labels = Field(default_factory=list)
    sectors: _Labels = Field(default_factory=list, examples=[["Energy"]])
    industries: _Labels = Field(default_factory=list)


class ConstraintsSpec(_Model):
    """Bounds on the hedge's composition, in percent of the hedge notional."""

    assets: _Constraints = Field(default_factory=list)
    countries: _Constraints = Field(default_factory=list)
    regions: _Constraints = Field(default_factory=list)
    sectors: _Constraints = Field(default_factory=list)
    industries: _Constraints = Field(default_factory=list)
    esg: Annotated[list[ScoreConstraintSpec], Field(max_length=200)] = Field(default_factory=list)


def error_line(exc: ValidationError, label: Callable[[str], str] | None = None) -> str:
    """Pydantic's errors as one line: ``field: what is wrong`` for the first three."""
    parts = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
        field = loc.lstrip(".")
        name = label(field) if (label is not None and field) else field
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not str(err["msg"]).startswith("Value error, ") and "input" in err:
            shown = repr(err["input"])
            msg = f"{msg[:1].lower()}{msg[1:]} (got {shown[:60]})"
        parts.append(f"{name}: {msg}" if name else msg)
    line = "; ".join(parts[:3])
    if len(parts) > 3:
        line += f"; and {len(parts) - 3} more"
    return line
