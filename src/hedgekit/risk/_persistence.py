"""A fitted :class:`~hedgekit.risk.FactorRiskModel` saved to a directory and read back.

A model directory holds ``model.json`` (layout version, hedgekit version, parameters with
the dates as ISO strings, factors, sectors, the data version the model was estimated on,
the end-date forecast's factor covariance and notes, the exposure notes) and five Parquet
files: ``factor_returns`` and ``residuals`` (days x factors, days x tickers),
``regression`` (R^2 and stocks per day), ``exposures`` (the month-end exposure history,
one row per date and ticker) and ``forecast`` (the end-date exposures, market caps and
specific volatilities). :func:`save_model` writes a new directory next to the target and
swaps it in, so a reader never sees half a model; :func:`load_model` rebuilds the fitted
model and refuses a directory of another layout version.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit import __version__
from hedgekit._errors import DataError
from hedgekit.risk._forecast import RiskForecast
from hedgekit.typing import to_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from hedgekit.risk._model import FactorRiskModel

__all__ = ["load_model", "save_model"]

#: layout version of a saved model directory
_FORMAT = 1
_FILES = ("factor_returns", "residuals", "regression", "exposures", "forecast")


def _saved_params(model: FactorRiskModel) -> dict[str, Any]:
    """Parameters as written by :func:`save_model`: the dates as ISO strings."""
    params: dict[str, Any] = model.get_params(deep=False)
    for name in ("start", "end"):
        params[name] = f"{to_timestamp(params[name], name):%Y-%m-%d}"
    return params


def save_model(model: FactorRiskModel, path: str | os.PathLike[str]) -> Path:
    """Write a fitted model to directory ``path`` (replaced atomically).

    Parameters
    ----------
    model : FactorRiskModel
        A fitted model.
    path : path-like
        Directory to write; an existing one is replaced.

    Returns
    -------
    Path
        ``path``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    fr = model.factor_returns_.rename_axis("date")
    fr.to_parquet(tmp / "factor_returns.parquet")
    model.residuals_.rename_axis("date").to_parquet(tmp / "residuals.parquet")
    pd.DataFrame({"r_squared": model.r_squared_, "n_stocks": model.n_stocks_}).rename_axis(
        "date"
    ).to_parquet(tmp / "regression.parquet")
    history = pd.concat(model.exposure_history_, names=["date", "ticker"]).reset_index()
    history.to_parquet(tmp / "exposures.parquet", index=False)
    fc = model.forecast_
    end_table = fc.exposures.copy()
    end_table["market_cap"] = fc.market_cap
    end_table["specific_volatility"] = fc.specific_risk
    end_table.to_parquet(tmp / "forecast.parquet")
    meta = {
        "format": _FORMAT,
        "hedgekit_version": __version__,
        "params": _saved_params(model),
        "factors": model.factors_,
        "sectors": model.sectors_,
        "data_version": model.data_version_,
        "forecast_date": f"{fc.date:%Y-%m-%d}",
        "exposures_date": f"{fc.exposures_date:%Y-%m-%d}",
        "forecast_notes": fc.notes,
        "exposure_notes": {f"{d:%Y-%m-%d}": n for d, n in model.exposure_notes_.items()},
        "factor_covariance": fc.factor_covariance.to_numpy().tolist(),
        "seconds": model.seconds_,
        "saved": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    (tmp / "model.json").write_text(json.dumps(meta, indent=1))
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def load_model(cls: type[FactorRiskModel], path: str | os.PathLike[str]) -> FactorRiskModel:
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    cls : type of FactorRiskModel
        The class to build (``FactorRiskModel`` or a subclass).
    path : path-like
        The model directory.

    Returns
    -------
    FactorRiskModel
        The fitted model, its date parameters as ISO strings.

    Raises
    ------
    DataError
        The directory is missing, incomplete or from another format version.
    """
    source = Path(path)
    meta_path = source / "model.json"
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise DataError(
            f"no risk model at {source}; build one with `hedgekit risk build`"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{meta_path} is not a readable model file ({exc}); rebuild it with "
            "`hedgekit risk build`"
        ) from None
    if meta.get("format") != _FORMAT:
        raise DataError(
            f"{source} holds a risk model of format {meta.get('format')!r}, this hedgekit "
            f"reads format {_FORMAT}; rebuild it with `hedgekit risk build`"
        )
    try:
        frames = {name: pd.read_parquet(source / f"{name}.parquet") for name in _FILES}
    except (OSError, ValueError) as exc:
        raise DataError(
            f"the risk model at {source} is incomplete or damaged ({exc}); rebuild it "
            "with `hedgekit risk build`"
        ) from None
    params = dict(meta["params"])
    model = cls(params.pop("start"), params.pop("end"), **params)
    model.factors_ = list(meta["factors"])
    model.sectors_ = list(meta["sectors"])
    model.data_version_ = str(meta["data_version"])
    model.seconds_ = float(meta.get("seconds", 0.0))
    model.factor_returns_ = frames["factor_returns"].rename_axis("date")
    residuals = frames["residuals"].rename_axis("date")
    residuals.columns.name = "ticker"
    model.residuals_ = residuals
    reg = frames["regression"].rename_axis("date")
    model.r_squared_ = reg["r_squared"].rename("r_squared")
    model.n_stocks_ = reg["n_stocks"].astype("int64").rename("n_stocks")
    history = frames["exposures"]
    model.exposure_history_ = {
        pd.Timestamp(str(d)): g.drop(columns="date").set_index("ticker")
        for d, g in history.groupby("date", sort=True)
    }
    model.exposure_notes_ = {
        pd.Timestamp(d): list(n) for d, n in meta.get("exposure_notes", {}).items()
    }
    end_table = frames["forecast"]
    factors = model.factors_
    model.forecast_ = RiskForecast(
        date=pd.Timestamp(meta["forecast_date"]),
        exposures=end_table[factors].astype("float64"),
        factor_covariance=pd.DataFrame(
            np.asarray(meta["factor_covariance"], dtype="float64"),
            index=factors,
            columns=factors,
        ),
        specific_risk=end_table["specific_volatility"].astype("float64"),
        market_cap=end_table["market_cap"].astype("float64"),
        exposures_date=pd.Timestamp(meta["exposures_date"]),
        notes=list(meta.get("forecast_notes", [])),
    )
    return model
