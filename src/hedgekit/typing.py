"""Shared type aliases and small typed building blocks."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError

__all__ = ["CaseInsensitiveEnum", "DateLike", "to_timestamp"]

#: anything hedgekit accepts as a date: ISO string, date, datetime, Timestamp, datetime64
DateLike = str | dt.date | pd.Timestamp | np.datetime64


class CaseInsensitiveEnum(StrEnum):
    """A string enum that also accepts its values in any case and with stray whitespace."""

    @classmethod
    def _missing_(cls, value: object) -> CaseInsensitiveEnum | None:
        text = str(value).strip().lower()
        for member in cls:
            if member.value == text:
                return member
        return None


def to_timestamp(value: DateLike, name: str = "date") -> pd.Timestamp:
    """``value`` as a tz-naive midnight Timestamp.

    A zone-aware value keeps its local calendar date (``2021-01-04 21:00-05:00`` is
    2021-01-04, not the UTC date).

    Raises
    ------
    ConfigurationError
        ``value`` is not a date; the message names ``name`` and shows the format.
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"{name}={value!r} is not a date; use ISO format like 2023-12-29"
        ) from exc
    if pd.isna(ts):
        raise ConfigurationError(f"{name}={value!r} is not a date; use ISO format like 2023-12-29")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()
