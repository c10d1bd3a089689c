"""Exception hierarchy of hedgekit.

Every error a user can cause derives from :class:`HedgekitError`; the CLI turns
them into one red line and a non-zero exit code, the server into a 4xx (a 503 for what
the operator must fix: no data imported, an optional package missing).

::

    HedgekitError
    ├── DataError (ValueError)
    │   ├── UnknownIdentifierError (KeyError)
    │   ├── InsufficientHistoryError
    │   ├── PointInTimeError
    │   ├── MalformedDataError
    │   └── StoreNotFoundError
    ├── ConfigurationError (ValueError)
    ├── MissingDependencyError (ImportError)
    └── OptimizationError
        └── InfeasibleError
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
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
]


class HedgekitError(Exception):
    """Base class of every error hedgekit raises on purpose."""


class DataError(HedgekitError, ValueError):
    """The data asked for does not exist, or the data given is unusable."""


class ConfigurationError(HedgekitError, ValueError):
    """A parameter or setting is invalid."""


class MissingDependencyError(HedgekitError, ImportError):
    """An optional dependency of hedgekit is not installed.

    Raised by :func:`hedgekit._optional.import_optional`; the message names the feature,
    the missing package and the ``pip install 'hedgekit[extra]'`` line that adds it.

    Parameters
    ----------
    message : str
        What needs the package and how to install it.
    package : str, optional
        The distribution that is missing, as ``pip`` spells it (e.g. ``'umap-learn'``).
    extra : str, optional
        The hedgekit extra that installs it (e.g. ``'cluster'``); None for a core
        dependency.
    """

    def __init__(
        self, message: str, *, package: str | None = None, extra: str | None = None
    ) -> None:
        super().__init__(message)
        self.package = package
        self.extra = extra


class StoreNotFoundError(DataError):
    """No market data store exists at the data home."""


class PointInTimeError(DataError):
    """A request reaches past the as-of date of a point-in-time view."""


class InsufficientHistoryError(DataError):
    """Too little history to compute what was asked."""


class UnknownIdentifierError(DataError, KeyError):
    """An identifier resolves to no security in the store.

    Parameters
    ----------
    identifier : str
        The identifier as the user gave it.
    suggestions : sequence of str
        The closest known identifiers, best first.
    detail : str, optional
        Extra context (e.g. the ticker was renamed on a date).
    """

    def __init__(self, identifier: str, suggestions: Sequence[str] = (), detail: str = "") -> None:
        self.identifier = identifier
        self.suggestions = list(suggestions)
        msg = f"unknown identifier {identifier!r}"
        if detail:
            msg += f": {detail}"
        if self.suggestions:
            msg += f"; did you mean {', '.join(self.suggestions)}?"
        else:
            msg += "; check the spelling or import data that contains it"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.message


class MalformedDataError(DataError):
    """An input file breaks the expected format.

    Parameters
    ----------
    source : str
        The file (or table) that is malformed.
    problem : str
        What is wrong and how to fix it.
    row : int, optional
        1-based data row of the first offending record.
    column : str, optional
        The offending column.
    """

    def __init__(
        self, source: str, problem: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.source = source
        self.row = row
        self.column = column
        self.problem = problem
        where = source
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")


class OptimizationError(HedgekitError):
    """The optimizer failed."""


class InfeasibleError(OptimizationError, ValueError):
    """The constraints admit no solution."""
