"""How :func:`~hedgekit.optimize.solve_tracking` searches (:class:`TrackingMethod`) and
what it returns (:class:`TrackingSolution`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hedgekit.typing import CaseInsensitiveEnum

__all__ = ["TrackingMethod", "TrackingSolution"]


class TrackingMethod(CaseInsensitiveEnum):
    """How :func:`solve_tracking` searches; accepts ``'fast'``, ``'FAST'`` and so on."""

    FAST = "fast"
    EXHAUSTIVE = "exhaustive"
    RELAXATION = "relaxation"


@dataclass(frozen=True, eq=False)
class TrackingSolution:
    """Result of :func:`solve_tracking`.

    Attributes
    ----------
    weights : ndarray of shape (n_assets,)
        Hedge weights (zero outside the support), summing to the budget.
    objective : float
        ``w'Sw - 2c'w + ridge * ||w||^2 + lasso * P(w)`` at the weights.
    tracking_variance : float
        ``w'Sw - 2c'w + target_variance``: variance of target minus hedge.
    support : ndarray of int
        Indices of the non-zero weights, ascending.
    status : str
        ``'optimal'``: the relaxation was solved to optimality (``method='relaxation'``,
        or its solution already met ``max_names`` and the minimum weights: then it is
        the global optimum). ``'local_optimum'``: no swap improves (or, with
        ``lasso > 0``, the reweighting reached a stationary point). ``'time_limit'``: the
        search stopped early.
    seconds : float
        Wall time of the solve.
    evaluations : int
        Number of QPs solved.
    method : str
        The method used.
    lower_bound : float
        A proven lower bound on ``objective`` over every hedge that meets the
        constraints (any support of at most ``max_names`` names): the optimum of the
        continuous relaxation (no cardinality, minimum weights relaxed to 0), certified by
        weak duality (see Notes). ``-inf`` when none was computed.
    gap : float
        ``(objective - lower_bound) / (objective + target_variance)``: the share of the
        tracking variance (plus penalties) that a better hedge could at most remove; 0
        proves the solution optimal. When ``objective + target_variance`` is not positive
        (a problem built without its target variance) it is the absolute gap
        ``objective - lower_bound``.

    Notes
    -----
    The bound is ``q(w0) + min_v g'(v - w0)`` over the weights in the caps that sum to the
    budget, with ``g`` the gradient at the relaxation's weights ``w0`` and the rows priced
    at their duals (a fractional knapsack; valid whatever the QP's accuracy), plus, with
    ``lasso > 0``, the smallest value of the log penalty. It is exact for the relaxation, so
    the gap measures the cost of the cardinality and minimum-weight limits together with
    the search's own shortfall: with many names left out of the relaxation's support it is
    loose, and a positive gap does not mean a better hedge exists.
    """

    weights: np.ndarray
    objective: float
    tracking_variance: float
    support: np.ndarray
    status: str
    seconds: float
    evaluations: int
    method: str
    lower_bound: float = -math.inf
    gap: float = math.inf

    @property
    def tracking_error(self) -> float:
        """Square root of the tracking variance (per period, not annualised)."""
        return math.sqrt(max(self.tracking_variance, 0.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "weights": [float(x) for x in self.weights],
            "objective": self.objective,
            "tracking_variance": self.tracking_variance,
            "tracking_error": self.tracking_error,
            "support": [int(i) for i in self.support],
            "status": self.status,
            "seconds": self.seconds,
            "evaluations": self.evaluations,
            "method": self.method,
            "lower_bound": self.lower_bound if math.isfinite(self.lower_bound) else None,
            "gap": self.gap if math.isfinite(self.gap) else None,
        }
