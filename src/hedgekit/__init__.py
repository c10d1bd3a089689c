"""hedgekit: open-source hedges for concentrated equity positions."""

from __future__ import annotations

from hedgekit._cancel import Cancelled, CancelToken, cancellable, checkpoint
from hedgekit._errors import (
    ConfigurationError,
    DataError,
    HedgekitError,
    InfeasibleError,
    InsufficientHistoryError,
    MalformedDataError,
    MissingDependencyError,
    OptimizationError,
    PointInTimeError,
    StoreNotFoundError,
    UnknownIdentifierError,
)

__version__ = "0.1.0"

__all__ = [
    "CancelToken",
    "Cancelled",
    "ConfigurationError",
    "DataError",
    "HedgekitError",
    "InfeasibleError",
    "InsufficientHistoryError",
    "MalformedDataError",
    "MissingDependencyError",
    "OptimizationError",
    "PointInTimeError",
    "StoreNotFoundError",
    "UnknownIdentifierError",
    "__version__",
    "cancellable",
    "checkpoint",
]
