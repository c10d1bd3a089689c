"""scikit-learn's parameter protocol without importing scikit-learn.

``sklearn.base.clone``, ``GridSearchCV`` and friends need only ``get_params`` /
``set_params`` and an ``__init__`` that stores its arguments unchanged. The estimators on
every hedge's path (the covariance estimators) follow that protocol through this mixin,
so that a plain hedge does not pay scikit-learn's import (about half a second) while the
estimators still clone and tune with scikit-learn when a user brings it.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

__all__ = ["Params", "clone"]


class Params:
    """``get_params`` / ``set_params`` / ``repr`` from the ``__init__`` signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator (``deep``: with those of nested estimators as
        ``name__param``), as scikit-learn's ``BaseEstimator.get_params``."""
        out: dict[str, Any] = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{name}__{k}": v for k, v in value.get_params().items()})
            out[name] = value
        return out

    def set_params(self, **params: Any) -> Any:
        """Set parameters (``name__param`` for nested estimators); returns ``self``."""
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters: {', '.join(valid)}"
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = []
        for name in self._param_names():
            value = getattr(self, name)
            default = sig.parameters[name].default
            if default is inspect.Parameter.empty or not _same(value, default):
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a is b or a == b)
    except Exception:  # arrays and other values without a plain truth value
        return False


def clone(estimator: Any) -> Any:
    """An unfitted copy with the same parameters, as ``sklearn.base.clone`` (nested
    estimators and lists of them cloned too; other values deep-copied)."""
    if isinstance(estimator, list | tuple):
        return type(estimator)(clone(e) for e in estimator)
    if not hasattr(estimator, "get_params") or isinstance(estimator, type):
        return copy.deepcopy(estimator)
    params = {k: clone(v) for k, v in estimator.get_params(deep=False).items()}
    return type(estimator)(**params)
