"""Bias statistics of risk forecasts: the statistic, its summary and the report holding them.

A realised return divided by the volatility forecast for it is a z-score,
``z_pt = r_pt / sigma_pt``. The bias statistic of a portfolio over a period of ``T`` days is
the standard deviation (``ddof=1``) of its z-scores. For a correct forecast of normal returns
it is 1 with a standard error of about ``sqrt(1 / (2T))``, so 95 % of portfolios should fall
in ``1 +- sqrt(2 / T)``; above 1 the model under-forecasts risk, below 1 it over-forecasts. The
robust variant is the standard deviation of ``z`` clipped to ``[-clip, clip]`` (default 3):
one earnings jump cannot dominate it; it is 0.9975 for correct normal forecasts and somewhat
below the plain statistic for fat-tailed returns even when the variance is right.

Statistics are reported by calendar year of ``t`` and over the whole evaluation (period
``"all"``); a portfolio enters a period with at least ``min_observations`` z-scores.

Which portfolios and days are tested, and with which forecasts, is the job of
:func:`~hedgekit.risk.bias_statistics` (:mod:`hedgekit.risk._validation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hedgekit._errors import ConfigurationError

__all__ = ["ALL", "FAMILIES", "BiasReport", "bias_statistic", "summarise_bias"]

#: portfolio families of a bias report, in report order
FAMILIES = ("stocks", "random", "factors")
#: period label of the whole evaluation
ALL = "all"

_SUMMARY_COLUMNS = [
    "n_portfolios",
    "n_obs_mean",
    "bias_mean",
    "bias_median",
    "share_in_band",
    "robust_mean",
    "robust_median",
]


def bias_statistic(z_scores: npt.ArrayLike, *, clip: float | None = None) -> float:
    """Bias statistic of one series of z-scores: their standard deviation.

    Parameters
    ----------
    z_scores : array-like of shape (n_observations,)
        Realised returns divided by their predicted volatility; NaN entries are ignored.
    clip : float, optional
        Clip the z-scores to ``[-clip, clip]`` first (the robust variant).

    Returns
    -------
    float
        ``sqrt(sum_t (z_t - mean(z))^2 / (T - 1))`` over the ``T`` finite z-scores; NaN when
        ``T < 2``.

    Raises
    ------
    ConfigurationError
        ``clip`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.random.default_rng(0).standard_normal(10_000)
    >>> round(bias_statistic(z), 2), round(bias_statistic(2 * z), 2)
    (1.0, 2.0)
    """
    z = np.asarray(z_scores, dtype="float64").ravel()
    z = z[np.isfinite(z)]
    if clip is not None:
        if not clip > 0:
            raise ConfigurationError(f"clip={clip!r} must be a positive number of sigmas, e.g. 3")
        z = np.clip(z, -clip, clip)
    if len(z) < 2:
        return float("nan")
    return float(np.std(z, ddof=1))


def _period_statistics(
    z: pd.DataFrame, family: str, *, min_observations: int, clip: float
) -> pd.DataFrame:
    """Per-portfolio bias statistics of a days x portfolios z-score panel, by year and overall."""
    years = pd.DatetimeIndex(z.index).year.astype(str)
    clipped = z.clip(-clip, clip)
    parts = {
        "n_obs": z.groupby(years).count(),
        "bias": z.groupby(years).std(ddof=1),
        "robust_bias": clipped.groupby(years).std(ddof=1),
    }
    overall = {
        "n_obs": z.count(),
        "bias": z.std(ddof=1),
        "robust_bias": clipped.std(ddof=1),
    }
    for key, value in overall.items():
        parts[key] = pd.concat([parts[key], value.to_frame(ALL).T])
    long = pd.DataFrame(
        {
            key: value.rename_axis(index="period", columns="portfolio").stack()
            for key, value in parts.items()
        }
    ).reset_index()
    long = long[long["n_obs"] >= max(min_observations, 2)].copy()
    long["n_obs"] = long["n_obs"].astype("int64")
    half = np.sqrt(2.0 / long["n_obs"].to_numpy(dtype="float64"))
    long["band_low"] = 1.0 - half
    long["band_high"] = 1.0 + half
    long["in_band"] = (long["bias"] >= long["band_low"]) & (long["bias"] <= long["band_high"])
    long.insert(0, "family", family)
    return long.reset_index(drop=True)


def summarise_bias(statistics: pd.DataFrame) -> pd.DataFrame:
    """Summary by family and period of per-portfolio bias statistics.

    Parameters
    ----------
    statistics : DataFrame
        One row per (family, period, portfolio) with columns ``n_obs``, ``bias``,
        ``robust_bias`` and ``in_band`` (:attr:`BiasReport.statistics`).

    Returns
    -------
    DataFrame
        Index (family, period), periods the years as strings then ``"all"``; columns
        ``n_portfolios``, ``n_obs_mean`` (mean z-scores per portfolio), ``bias_mean``,
        ``bias_median``, ``share_in_band`` (share of portfolios inside ``1 +- sqrt(2 / T)``),
        ``robust_mean`` and ``robust_median`` (the clipped statistic).
    """
    if statistics.empty:
        index = pd.MultiIndex.from_arrays([[], []], names=["family", "period"])
        return pd.DataFrame(columns=_SUMMARY_COLUMNS, index=index, dtype="float64")
    grouped = statistics.groupby(["family", "period"], sort=False)
    out = pd.DataFrame(
        {
            "n_portfolios": grouped["bias"].size(),
            "n_obs_mean": grouped["n_obs"].mean(),
            "bias_mean": grouped["bias"].mean(),
            "bias_median": grouped["bias"].median(),
            "share_in_band": grouped["in_band"].mean(),
            "robust_mean": grouped["robust_bias"].mean(),
            "robust_median": grouped["robust_bias"].median(),
        }
    )
    families = [f for f in FAMILIES if f in out.index.get_level_values(0)]
    families += [f for f in out.index.get_level_values(0).unique() if f not in families]
    periods = sorted(p for p in out.index.get_level_values(1).unique() if p != ALL)
    order = [(f, p) for f in families for p in [*periods, ALL] if (f, p) in out.index]
    return out.loc[order]


# ---------------------------------------------------------------------- report
@dataclass(frozen=True, eq=False)
class BiasReport:
    """Bias statistics of out-of-sample risk forecasts.

    Made by :func:`~hedgekit.risk.bias_statistics`; the statistic and its band are described
    in the module docstring.

    Attributes
    ----------
    returns : dict of str to DataFrame
        Per family (``stocks``, ``random``, ``factors``): evaluation days x portfolios,
        realised daily returns (NaN where the portfolio is not evaluated that day).
    volatility : dict of str to DataFrame
        Same shape: the predicted daily volatility from the forecast of the previous month end.
    statistics : DataFrame
        One row per family, period and portfolio: ``n_obs``, ``bias``, ``robust_bias``,
        ``band_low``, ``band_high``, ``in_band``.
    summary : DataFrame
        :func:`summarise_bias` of ``statistics``, index (family, period).
    forecast_dates : DatetimeIndex
        The month ends whose forecasts were tested.
    random_members : DataFrame
        The random portfolios: one row per ``date`` (forecast date), ``portfolio`` and
        ``ticker`` (members before any drop for a missing return).
    params : dict
        Settings of the run and the model's covariance method.
    seconds : float
        Wall time of the computation.
    notes : list of str
        Data limits that affect the statistics.
    """

    returns: dict[str, pd.DataFrame]
    volatility: dict[str, pd.DataFrame]
    statistics: pd.DataFrame
    summary: pd.DataFrame
    forecast_dates: pd.DatetimeIndex
    random_members: pd.DataFrame
    params: dict[str, Any]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def z_scores(self) -> dict[str, pd.DataFrame]:
        """Per family, days x portfolios ``returns / volatility``."""
        return {f: self.returns[f] / self.volatility[f] for f in self.returns}

    def to_frame(self) -> pd.DataFrame:
        """The summary table, index (family, period)."""
        return self.summary.copy()

    def table(self, statistic: str = "bias_mean") -> pd.DataFrame:
        """One summary statistic as periods x families.

        Parameters
        ----------
        statistic : str
            A column of :attr:`summary`, e.g. ``'bias_mean'``, ``'bias_median'``,
            ``'share_in_band'``, ``'robust_mean'``.
        """
        if statistic not in self.summary.columns:
            raise ConfigurationError(
                f"statistic={statistic!r} is not a summary column; use one of "
                f"{', '.join(self.summary.columns)}"
            )
        wide = self.summary[statistic].unstack("family")
        families = [f for f in FAMILIES if f in wide.columns]
        periods = sorted(p for p in wide.index if p != ALL)
        return wide.reindex(index=[*periods, ALL], columns=families)

    def to_markdown(self, digits: int = 2) -> str:
        """Markdown table: per period and family the mean and median bias, share in band,
        mean robust bias."""
        rows = []
        families = [f for f in FAMILIES if f in self.returns]
        header = ["period"]
        for f in families:
            header += [f"{f} mean", f"{f} median", f"{f} in band", f"{f} robust"]
        rows.append("| " + " | ".join(header) + " |")
        rows.append("|" + "---|" * len(header))
        periods = self.table().index
        for p in periods:
            cells = [str(p)]
            for f in families:
                if (f, p) in self.summary.index:
                    s = self.summary.loc[(f, p)]
                    cells += [
                        f"{s['bias_mean']:.{digits}f}",
                        f"{s['bias_median']:.{digits}f}",
                        f"{s['share_in_band']:.0%}",
                        f"{s['robust_mean']:.{digits}f}",
                    ]
                else:
                    cells += ["", "", "", ""]
            rows.append("| " + " | ".join(cells) + " |")
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: params, forecast dates and the summary rows."""
        rows = self.summary.reset_index().to_dict(orient="records")
        return {
            "params": dict(self.params),
            "forecast_dates": [f"{d:%Y-%m-%d}" for d in self.forecast_dates],
            "summary": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in rows
            ],
            "seconds": self.seconds,
            "notes": list(self.notes),
        }
