"""``HuberRegression``: one cross-section's weighted Huber regression, a scikit-learn regressor.

The estimator wraps :func:`~hedgekit.risk.huber_irls` for a single day, so it fits exactly
what the risk model's batched regressions fit; it follows scikit-learn's contract
(parameters stored unchanged, validated in :meth:`HuberRegression.fit`) and is checked
against statsmodels' ``RLM`` in the tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.risk._regression import huber_irls
from hedgekit.risk._regression_inputs import FloatArray

__all__ = ["HuberRegression"]


class HuberRegression(RegressorMixin, BaseEstimator):
    """Weighted Huber regression of one cross-section, a scikit-learn regressor.

    A thin wrapper over :func:`huber_irls` for a single day; it matches statsmodels'
    ``RLM(y * sqrt(w), X * sqrt(w), M=HuberT(t=epsilon)).fit()``. ``__init__`` stores the
    parameters unchanged and :meth:`fit` validates them, so ``sklearn.base.clone``,
    ``get_params`` and ``set_params`` work; ``score`` is scikit-learn's R^2 of
    :meth:`predict`.

    Parameters
    ----------
    epsilon : float, default 1.35
        Huber threshold on standardised residuals.
    max_iter : int, default 50
        Maximum number of least-squares fits, the initial one included.
    tol : float, default 1e-10
        Convergence tolerance on the change of the deviance.

    Attributes
    ----------
    coef_ : ndarray of shape (n_factors,)
        Fitted coefficients.
    scale_ : float
        Robust scale (normalised MAD) of the weighted residuals.
    n_iter_ : int
        Least-squares fits made.
    weights_ : ndarray of shape (n_assets,)
        Final Huber weights (NaN for excluded assets).
    converged_ : bool
        Whether the convergence test passed.
    n_features_in_ : int
        Number of columns of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from hedgekit.risk import HuberRegression
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(100), rng.normal(size=100)])
    >>> y = 1.0 + 2.0 * X[:, 1] + rng.standard_t(3, size=100)
    >>> HuberRegression().fit(X, y).coef_.round(1)
    array([0.8, 1.9])
    """

    def __init__(self, epsilon: float = 1.35, max_iter: int = 50, tol: float = 1e-10) -> None:
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.tol = tol

    def fit(
        self, X: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
    ) -> HuberRegression:
        """Fit on one cross-section.

        Parameters
        ----------
        X : array-like of shape (n_assets, n_factors)
            Regressors; a NaN row excludes the asset.
        y : array-like of shape (n_assets,)
            Responses; NaN excludes the asset.
        sample_weight : array-like of shape (n_assets,), optional
            Regression weights (e.g. sqrt of market cap); 0 or NaN excludes the asset.

        Returns
        -------
        HuberRegression
            The fitted estimator.

        Raises
        ------
        ConfigurationError
            Bad shapes or parameters.
        DataError
            Fewer usable assets than ``n_factors + 1``.
        """
        Xa = np.asarray(X, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        if Xa.ndim != 2 or ya.ndim != 1:
            raise ConfigurationError(
                f"X has shape {Xa.shape} and y {ya.shape}; pass X of shape "
                "(n_assets, n_factors) and y of shape (n_assets,)"
            )
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if w is not None and w.shape != ya.shape:
            raise ConfigurationError(
                f"sample_weight has shape {w.shape} but y has shape {ya.shape}; pass one "
                "weight per asset"
            )
        fit = huber_irls(
            Xa,
            ya[None, :],
            None if w is None else w[None, :],
            epsilon=self.epsilon,
            max_iter=self.max_iter,
            tol=self.tol,
        )
        if np.isnan(fit.coef[0]).all():
            raise DataError(
                f"{int(fit.n_obs[0])} usable asset(s) for {Xa.shape[1]} factor(s); a fit "
                f"needs at least {Xa.shape[1] + 1} assets with finite y, X and weight > 0"
            )
        self.coef_ = fit.coef[0]
        self.scale_ = float(fit.scale[0])
        self.n_iter_ = int(fit.n_iter[0])
        self.weights_ = fit.weights[0]
        self.converged_ = bool(fit.converged[0])
        self.n_features_in_ = Xa.shape[1]
        return self

    def predict(self, X: npt.ArrayLike) -> FloatArray:
        """Fitted values ``X @ coef_``.

        Parameters
        ----------
        X : array-like of shape (n_assets, n_factors)
            Regressors.

        Returns
        -------
        ndarray of shape (n_assets,)
            Predictions.
        """
        check_is_fitted(self, "coef_")
        coef: FloatArray = self.coef_
        return np.asarray(X, dtype=np.float64) @ coef

    def __repr__(self) -> str:
        params: dict[str, Any] = self.get_params(deep=False)
        args = ", ".join(f"{key}={value!r}" for key, value in params.items())
        return f"HuberRegression({args})"
