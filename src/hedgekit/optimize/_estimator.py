"""``TrackingRegressor``: :func:`~hedgekit.optimize.solve_tracking` as a scikit-learn
regressor, so that its settings can be chosen by scikit-learn's model selection
(``cross_val_score`` with ``TimeSeriesSplit``, ``GridSearchCV``).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from hedgekit.measures import variance_reduction
from hedgekit.optimize._problem import TrackingProblem
from hedgekit.optimize._solution import TrackingMethod, TrackingSolution
from hedgekit.optimize._solve import solve_tracking

__all__ = ["TrackingRegressor"]

logger = logging.getLogger(__name__)


class TrackingRegressor(RegressorMixin, BaseEstimator):
    r"""A sparse long-only tracking basket, fitted like a scikit-learn regressor.

    ``fit(X, y)`` builds :meth:`TrackingProblem.from_returns` from candidate returns ``X``
    and target returns ``y`` and solves it with :func:`solve_tracking`; ``coef_`` holds the
    basket weights and ``predict(X) = X @ coef_`` the basket's returns. Parameters are
    stored unchanged and validated by :meth:`fit` (scikit-learn's contract), so
    ``sklearn.base.clone``, ``GridSearchCV`` and ``cross_val_score`` work.

    Parameters
    ----------
    max_names : int or None, default 10
        Most names with a non-zero weight; None: no limit.
    max_weight : float or None, default 0.25
        Cap on each weight, in the unit of ``budget``; None: the budget.
    budget : float, default 1.0
        Sum of the weights (the hedge ratio; 1.0 for a 100% hedge).
    min_weight : float, default 0.0
        Smallest non-zero weight; 0 means none.
    ridge : float, default 0.0
        Weight of ``||w||^2`` in the objective, in the units of the returns' covariance
        (as :class:`TrackingProblem`; the hedge facade rescales its own ``ridge_weight``).
    lasso : float, default 0.0
        Weight of the concentration penalty of :class:`TrackingProblem`, in the same units.
    method : {'fast', 'exhaustive', 'relaxation'}, default 'fast'
        Search of :func:`solve_tracking`.
    seed : int, default 0
        Seed of the random starts.
    starts : int or None, default None
        Random starting supports (see :func:`solve_tracking`).
    time_limit : float or None, default None
        Seconds per fit.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Basket weights, zero outside the support; they sum to ``budget``.
    support_ : ndarray of int
        Indices of the non-zero weights, ascending.
    solution_ : TrackingSolution
        The full answer of :func:`solve_tracking` (objective, status, timing).
    tracking_error_ : float
        In-sample tracking error per period, ``sqrt(var(y - X @ coef_))``.
    n_features_in_ : int
        Number of candidates seen by :meth:`fit`.
    feature_names_in_ : ndarray of str
        Candidate names, when ``X`` is a DataFrame with string columns.

    Raises
    ------
    ConfigurationError
        From :meth:`fit`: a parameter out of range (the message names it).
    InfeasibleError
        From :meth:`fit`: the constraints admit no basket, e.g. ``max_names * max_weight``
        below ``budget``.

    See Also
    --------
    solve_tracking : the solver behind :meth:`fit`.

    Notes
    -----
    :meth:`fit` minimises the sample tracking variance (returns centred, ``ddof = 1``)

    .. math:: \min_w \; \mathrm{var}(y - X w) + \rho \lVert w \rVert^2 + \lambda P(w)
       \quad \text{s.t.} \; \textstyle\sum_i w_i = b,\; 0 \le w_i \le u,\;
       \lVert w \rVert_0 \le K.

    :meth:`score` is the matching out-of-sample criterion, the **variance reduction**
    :math:`1 - \mathrm{var}(y - X w) / \mathrm{var}(y)` (the share of the target's variance
    the basket removes; 1 is a perfect hedge, 0 no better than none, negative worse), not
    scikit-learn's :math:`R^2`: there is no intercept, and a constant gap between the
    target and its basket is no tracking error. Larger is better, as scikit-learn's
    model selection expects.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import TimeSeriesSplit, cross_val_score
    >>> from hedgekit.optimize import TrackingRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(scale=0.01, size=(252, 30))
    >>> y = X[:, :4].mean(axis=1) + rng.normal(scale=0.002, size=252)
    >>> est = TrackingRegressor(max_names=4, max_weight=0.4).fit(X, y)
    >>> est.support_
    array([0, 1, 2, 3])
    >>> scores = cross_val_score(est, X, y, cv=TimeSeriesSplit(n_splits=3))
    >>> bool((scores > 0.6).all())
    True
    """

    def __init__(
        self,
        max_names: int | None = 10,
        max_weight: float | None = 0.25,
        budget: float = 1.0,
        min_weight: float = 0.0,
        ridge: float = 0.0,
        lasso: float = 0.0,
        method: TrackingMethod | str = "fast",
        seed: int = 0,
        starts: int | None = None,
        time_limit: float | None = None,
    ) -> None:
        self.max_names = max_names
        self.max_weight = max_weight
        self.budget = budget
        self.min_weight = min_weight
        self.ridge = ridge
        self.lasso = lasso
        self.method = method
        self.seed = seed
        self.starts = starts
        self.time_limit = time_limit

    def fit(self, X: npt.ArrayLike, y: npt.ArrayLike) -> TrackingRegressor:
        """Solve the tracking problem on candidate returns ``X`` and target returns ``y``.

        Parameters
        ----------
        X : array-like of shape (n_observations, n_features)
            Candidate returns, oldest row first, no missing values.
        y : array-like of shape (n_observations,)
            Target returns.

        Returns
        -------
        TrackingRegressor
            The fitted estimator.
        """
        columns = getattr(X, "columns", None)
        Xa, ya = validate_data(self, X, y, dtype=np.float64, y_numeric=True, ensure_min_samples=2)
        problem = TrackingProblem.from_returns(
            Xa,
            ya,
            budget=self.budget,
            upper=self.max_weight,
            min_weight=self.min_weight,
            max_names=self.max_names,
            ridge=self.ridge,
            lasso=self.lasso,
            asset_names=None if columns is None else [str(c) for c in columns],
        )
        solution = solve_tracking(
            problem,
            method=self.method,
            seed=self.seed,
            starts=self.starts,
            time_limit=self.time_limit,
        )
        self.solution_: TrackingSolution = solution
        self.coef_ = solution.weights
        self.support_ = solution.support
        self.tracking_error_ = solution.tracking_error
        logger.debug(
            "TrackingRegressor: %d of %d names, tracking error %.3g (%s)",
            solution.support.size,
            Xa.shape[1],
            solution.tracking_error,
            solution.status,
        )
        return self

    def predict(self, X: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Returns of the basket, ``X @ coef_``.

        Parameters
        ----------
        X : array-like of shape (n_observations, n_features)
            Candidate returns, the columns of :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_observations,)
        """
        check_is_fitted(self, "coef_")
        Xa = validate_data(self, X, dtype=np.float64, reset=False)
        return np.asarray(Xa @ self.coef_, dtype=np.float64)

    def score(self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: Any = None) -> float:
        """Variance reduction ``1 - var(y - predict(X)) / var(y)`` (see Notes); larger is
        better.

        Parameters
        ----------
        X : array-like of shape (n_observations, n_features)
            Candidate returns.
        y : array-like of shape (n_observations,)
            Target returns.
        sample_weight : None
            Not supported; must be None.

        Returns
        -------
        float
            NaN when ``y`` has no variance.
        """
        if sample_weight is not None:
            raise TypeError("TrackingRegressor.score does not take sample_weight; pass None")
        target = np.asarray(y, dtype=np.float64)
        return variance_reduction(target, target - self.predict(X))
