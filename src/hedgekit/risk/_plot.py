"""Figures of a risk model and its validation: factor returns, regression fit and bias.

Each function draws on a matplotlib ``Figure`` with an Agg canvas (no pyplot, no change of
the global backend) and writes a PNG; matplotlib is an optional dependency (the ``plot``
extra).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hedgekit._errors import ConfigurationError
from hedgekit._optional import import_optional
from hedgekit.risk._bias import ALL, FAMILIES, BiasReport
from hedgekit.risk._exposures import STYLE_FACTORS
from hedgekit.risk._model import FactorRiskModel
from hedgekit.risk._validation import _check_int, _first_cap_date

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_bias", "plot_factor_returns", "plot_r_squared"]


def _figure(width: float, height: float, rows: int = 1) -> tuple[Figure, list[Any]]:
    """A matplotlib Figure on an Agg canvas (no pyplot, no global backend change)."""
    figure = import_optional("matplotlib.figure", extra="plot", purpose="plotting")
    agg = import_optional("matplotlib.backends.backend_agg", extra="plot", purpose="plotting")
    fig = figure.Figure(figsize=(width, height), layout="constrained")
    agg.FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, 1, i + 1) for i in range(rows)]
    return fig, axes


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return out


def plot_factor_returns(model: FactorRiskModel, path: str | os.PathLike[str]) -> Path:
    """Save a PNG of the cumulative factor returns: styles in one panel, market and sectors
    in the other.

    Parameters
    ----------
    model : FactorRiskModel
        A fitted model.
    path : path-like
        Where to write the PNG.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigurationError
        The model is not fitted.
    MissingDependencyError
        matplotlib is not installed.

    Notes
    -----
    Cumulative return ``prod_t (1 + f_t) - 1``: the growth of a unit position in the
    factor-mimicking portfolio (a style factor is a long-short portfolio with unit exposure).
    """
    if not hasattr(model, "factor_returns_"):
        raise ConfigurationError("the model is not fitted; call fit(market) first")
    fr = model.factor_returns_
    cum = (1.0 + fr).cumprod() - 1.0
    fig, (top, bottom) = _figure(11, 9, rows=2)
    styles = [c for c in STYLE_FACTORS if c in cum.columns]
    for c in styles:
        top.plot(cum.index, 100 * cum[c], label=c, lw=1.2)
    top.set_title("Cumulative style factor returns (unit exposure, long-short)")
    others = [c for c in cum.columns if c not in styles]
    colors = _colors(len(others))
    for c, color in zip(others, colors, strict=True):
        bottom.plot(
            cum.index,
            100 * cum[c],
            label=c.replace("sector: ", ""),
            lw=2.0 if c == "market" else 1.0,
            color="black" if c == "market" else color,
        )
    bottom.set_title("Cumulative market and sector factor returns (sectors net of the market)")
    for ax in (top, bottom):
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_ylabel("cumulative return, %")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8, ncol=2 if ax is bottom else 1)
        _mark_caps(ax, model)
    return _save(fig, path)


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]


def _mark_caps(ax: Any, model: FactorRiskModel) -> None:
    """Dashed line at the first month end with market caps (size/value/activity start)."""
    d = _first_cap_date(model)
    if d is not None and d > model.factor_returns_.index[0]:
        ax.axvline(d, color="0.4", ls="--", lw=0.8)
        ax.annotate(
            "market caps from here",
            (d, 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 4),
            textcoords="offset points",
            fontsize=7,
            color="0.3",
        )


def plot_r_squared(
    model: FactorRiskModel, path: str | os.PathLike[str], *, window: int = 63
) -> Path:
    """Save a PNG of the daily regression R^2 and its rolling mean, and the stocks per day.

    Parameters
    ----------
    model : FactorRiskModel
        A fitted model.
    path : path-like
        Where to write the PNG.
    window : int
        Days of the rolling mean.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigurationError
        The model is not fitted, or ``window`` is not a positive integer.
    MissingDependencyError
        matplotlib is not installed.
    """
    if not hasattr(model, "r_squared_"):
        raise ConfigurationError("the model is not fitted; call fit(market) first")
    _check_int("window", window, 1)
    r2 = model.r_squared_
    fig, (top, bottom) = _figure(11, 6, rows=2)
    top.plot(r2.index, r2, lw=0.4, color="0.75", label="daily")
    top.plot(
        r2.index,
        r2.rolling(window, min_periods=max(1, window // 2)).mean(),
        lw=1.5,
        color="tab:blue",
        label=f"{window}-day mean",
    )
    top.set_ylabel("weighted R^2")
    top.set_ylim(0, 1)
    top.set_title("Cross-sectional regression R^2")
    top.legend(loc="upper left", fontsize=8)
    bottom.plot(model.n_stocks_.index, model.n_stocks_, lw=1.0, color="tab:green")
    bottom.set_ylabel("stocks per regression")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        _mark_caps(ax, model)
    return _save(fig, path)


def plot_bias(
    reports: BiasReport | Mapping[str, BiasReport],
    path: str | os.PathLike[str],
    *,
    statistic: str = "bias_mean",
) -> Path:
    """Save a PNG of a bias statistic by year, one panel per family, with the 95 % band.

    Parameters
    ----------
    reports : BiasReport or mapping of str to BiasReport
        One report, or several labelled ones (e.g. ``{'ewma': ..., 'window': ...}``) drawn as
        separate lines.
    path : path-like
        Where to write the PNG.
    statistic : str
        Summary column to draw (``'bias_mean'``, ``'bias_median'``, ``'robust_mean'``, ...).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ConfigurationError
        No report, or an unknown ``statistic``.
    MissingDependencyError
        matplotlib is not installed.

    Notes
    -----
    The shaded band is ``1 +- sqrt(2 / T)`` with ``T`` the mean number of z-scores per
    portfolio in the year (of the first report): a single portfolio with a correct forecast
    falls inside it with probability 95 %. A mean across many portfolios is far more precise
    than that, so a mean outside the band is a clear bias, inside it not yet evidence of none.
    """
    labelled = {"": reports} if isinstance(reports, BiasReport) else dict(reports)
    if not labelled:
        raise ConfigurationError("reports is empty; pass a BiasReport or a mapping of them")
    first = next(iter(labelled.values()))
    families = [f for f in FAMILIES if f in first.returns]
    fig, axes = _figure(10, 3.0 * len(families), rows=len(families))
    titles = {
        "stocks": "single stocks",
        "random": f"random portfolios ({first.params['n_random']} x "
        f"{first.params['random_size']} stocks, equal weights)",
        "factors": "factor-mimicking portfolios",
    }
    for ax, family in zip(axes, families, strict=True):
        band = first.table("n_obs_mean")[family].drop(ALL, errors="ignore").astype("float64")
        years = [int(y) for y in band.index]
        half = np.sqrt(2.0 / band.to_numpy())
        ax.fill_between(years, 1 - half, 1 + half, color="0.88", label="95 % band, one portfolio")
        ax.axhline(1.0, color="0.4", lw=0.8)
        for label, report in labelled.items():
            values = report.table(statistic)[family].drop(ALL, errors="ignore")
            ax.plot(
                [int(y) for y in values.index],
                values.to_numpy(dtype="float64"),
                marker="o",
                lw=1.4,
                label=label or statistic,
            )
        ax.set_title(titles.get(family, family), fontsize=10)
        ax.set_ylabel(statistic.replace("_", " "))
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        ax.set_xticks(years)
    return _save(fig, path)
