"""Risk models kept in the data home, and the store's default model.

A fitted model is kept under ``cache/risk/<name>`` of a data home
(:func:`cached_model_path`), tagged with the data version it was estimated on; one estimated
on an older version is stale and ignored (:func:`load_cached_model`).

The default model is what `hedgekit risk build` makes, for every caller. One rule, used by
the CLI (`risk build`), the factor hedge and the backtest: the default model starts 14 years
before the data's last day (or just after the data's first day) and ends on the last day; it
is kept in the data home (``cache/risk/default``) and extended by the new days after an
import that only appends, refitted when its start or covariance method differ.
"""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path

import pandas as pd

from hedgekit._errors import ConfigurationError
from hedgekit.data import MarketData, Store
from hedgekit.risk._model import FactorRiskModel
from hedgekit.typing import DateLike

__all__ = [
    "DEFAULT_MODEL_YEARS",
    "cached_model_path",
    "default_model",
    "default_model_start",
    "load_cached_model",
]

logger = logging.getLogger(__name__)

#: years of history the default model covers before the data's last day
DEFAULT_MODEL_YEARS = 14
#: days after the data's first day before the first regression (the first month's exposures)
_FIRST_DAYS = 35
#: the market cache region of the kept models read from the data home
_KEPT_REGION = "risk_model"


def cached_model_path(store: Store | MarketData, name: str = "default") -> Path:
    """Directory of the cached risk model ``name`` under a data home."""
    home = store.store.home if isinstance(store, MarketData) else store.home
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise ConfigurationError(f"name={name!r} is not a valid model name; use letters and digits")
    return Path(home) / "cache" / "risk" / name


def load_cached_model(
    market: MarketData, name: str = "default", *, allow_stale: bool = False
) -> FactorRiskModel | None:
    """The cached model ``name`` of ``market``'s data home, or None when there is none.

    The model read is kept in ``market``'s cache until the kept file changes, and is shared
    by the callers: copy it (``copy.deepcopy``) before changing it. A model estimated on
    another data version is stale (the data were re-imported since): it is returned only
    with ``allow_stale=True`` and otherwise ignored with a warning.
    """
    path = cached_model_path(market, name)
    try:
        meta = (path / "model.json").stat()
    except FileNotFoundError:
        return None
    # read once per process and kept file: a save replaces the directory, so a new
    # model.json (inode, time, size) is a new key and the next call reads the new model
    key = (name, str(path), meta.st_ino, meta.st_mtime_ns, meta.st_size)
    model = market.cache.get_or_compute(_KEPT_REGION, key, lambda: FactorRiskModel.load(path))
    version = market.store.version
    if model.data_version_ != version and not allow_stale:
        logger.warning(
            "the cached risk model at %s was built on data version %s, the store is now at %s;"
            " ignoring it (rebuild with `hedgekit risk build`)",
            path,
            model.data_version_,
            version,
        )
        return None
    return model


def default_model_start(market: MarketData, end: DateLike | None = None) -> pd.Timestamp:
    """First regression day of the default model ending on ``end`` (default: the data's
    last day): 14 years before, or just after the data's first month."""
    last = pd.Timestamp(end) if end is not None else market.end
    return max(
        last - pd.DateOffset(years=DEFAULT_MODEL_YEARS),
        market.calendar[0] + pd.Timedelta(days=_FIRST_DAYS),
    )


def default_model(
    market: MarketData,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    covariance_method: str = "ewma",
    name: str = "default",
    rebuild: bool = False,
    n_jobs: int | None = None,
) -> tuple[FactorRiskModel, str]:
    """The store's model ``name``: loaded, extended to ``end`` or fitted, then kept.

    Parameters
    ----------
    market : MarketData
        The data (its home keeps the model).
    start, end : date-like, optional
        First regression day (default :func:`default_model_start`) and last day (default
        the data's last day).
    covariance_method : {'ewma', 'window'}
        Factor covariance of the model.
    name : str
        Name of the kept model.
    rebuild : bool
        Fit from scratch even when a kept model could be extended.
    n_jobs : int, optional
        Worker processes for the month-end exposures (default: the CPUs, at most 4).

    Returns
    -------
    (FactorRiskModel, str)
        The model and what was done: ``'loaded'``, ``'updated'`` or ``'fitted'``.
    """
    last = pd.Timestamp(end) if end is not None else market.end
    first = pd.Timestamp(start) if start is not None else default_model_start(market, last)
    jobs = n_jobs if n_jobs is not None else min(os.cpu_count() or 1, 4)
    path = cached_model_path(market, name)
    model = None if rebuild else load_cached_model(market, name)
    same = (
        model is not None
        and pd.Timestamp(model.get_params()["start"]) == first
        and model.covariance_method == covariance_method
    )
    if (
        model is not None
        and same
        and (
            model.factor_returns_.index[-1] == last
            or pd.Timestamp(model.get_params()["end"]) == last
        )
    ):
        return model, "loaded"
    if model is not None and same and model.factor_returns_.index[-1] < last:
        model = copy.deepcopy(model)  # the read model is shared (the market's cache)
        model.n_jobs = jobs
        logger.info("extending the kept risk model %s to %s", name, f"{last:%Y-%m-%d}")
        model.update(market, last)
        action = "updated"
    else:
        logger.info(
            "fitting the risk model %s, %s..%s (kept in %s)",
            name,
            f"{first:%Y-%m-%d}",
            f"{last:%Y-%m-%d}",
            path,
        )
        model = FactorRiskModel(first, last, covariance_method=covariance_method, n_jobs=jobs).fit(
            market
        )
        action = "fitted"
    try:
        model.save(path)
    except OSError as exc:  # a read-only data home: fitted again next time
        logger.warning("could not keep the risk model at %s: %s", path, exc)
    return model, action
