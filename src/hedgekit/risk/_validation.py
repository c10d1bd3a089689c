"""Out-of-sample validation of a :class:`~hedgekit.risk._model.FactorRiskModel`: bias statistics.

At each month end ``d`` of the model's exposure history the model's forecast
``model.forecast(d)`` (exposures of ``d``, factor returns and residuals dated on or before
``d``, nothing later) predicts the daily volatility of a set of portfolios for every trading
day ``t`` of the following calendar month, ``d < t <= next month end``. Each realised return
is standardised by its prediction,

    z_pt = r_pt / sigma_pt,   sigma_pt = sqrt(w_pt' (B F B' + diag(s^2)) w_pt / 252),

with ``B``, ``F`` (annualised) and ``s`` (annualised specific volatility) of the forecast at
``d``. Three families of portfolios are tested (USE4 methodology, Menchero, Orr and Wang 2011):

- ``stocks``: every stock of the forecast's cross-section (the index members trading at
  ``d``), ``w`` a unit vector; a day without a return for the stock is skipped.
- ``random``: ``n_random`` portfolios of ``random_size`` stocks drawn without replacement from
  the cross-section, equal weights, redrawn at every month end from one seeded generator
  (portfolio ``random_007`` is the 8th draw of every month). On a day a member has no return
  it is dropped and the others are re-weighted equally (the prediction uses the same
  re-weighted ``w_pt``); a day with no member return is skipped.
- ``factors``: the factor-mimicking portfolios, i.e. the factor returns themselves,
  ``z_kt = f_kt / sqrt(F_kk / 252)``. A factor is tested at ``d`` only if its return was
  non-zero (``|f| > 1e-12``) on each of the last ``min_history`` days up to ``d``: factors the
  data cannot estimate (the styles that need market caps or statements before 2013; a sector
  without members) have zero returns, and a factor that has just come to life has an EWMA
  variance still dominated by those zeros.

The bias statistic of a portfolio over a period of ``T`` days is the standard deviation
(``ddof=1``) of its z-scores. For a correct forecast of normal returns it is 1 with a standard
error of about ``sqrt(1 / (2T))``, so 95 % of portfolios should fall in
``1 +- sqrt(2 / T)``; above 1 the model under-forecasts risk, below 1 it over-forecasts. The
robust variant is the standard deviation of ``z`` clipped to ``[-clip, clip]`` (default 3):
one earnings jump cannot dominate it; it is 0.9975 for correct normal forecasts and somewhat
below the plain statistic for fat-tailed returns even when the variance is right.

Statistics are reported by calendar year of ``t`` and over the whole evaluation (period
``"all"``); a portfolio enters a period with at least ``min_observations`` z-scores.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit._optional import import_optional
from hedgekit.data import MarketData
from hedgekit.risk._exposures import STYLE_FACTORS
from hedgekit.risk._model import FactorRiskModel
from hedgekit.typing import DateLike, to_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "FAMILIES",
    "BiasReport",
    "bias_statistic",
    "bias_statistics",
    "forecast_variant",
    "plot_bias",
    "plot_factor_returns",
    "plot_r_squared",
    "r_squared_by_year",
    "summarise_bias",
]

logger = logging.getLogger(__name__)

#: portfolio families of a bias report, in report order
FAMILIES = ("stocks", "random", "factors")
#: trading days per year (the model's annualisation)
PERIODS_PER_YEAR = 252
#: a daily factor return at or below this in absolute value is "no return" (degenerate factor)
ZERO_RETURN = 1e-12
#: period label of the whole evaluation
ALL = "all"
#: FactorRiskModel parameters read only by ``forecast`` (not by ``fit``)
FORECAST_PARAMS = (
    "covariance_method",
    "half_life_vol",
    "half_life_corr",
    "newey_west_lags",
    "window",
    "specific_half_life",
    "specific_window",
    "volatility_regime_half_life",
)

_SUMMARY_COLUMNS = [
    "n_portfolios",
    "n_obs_mean",
    "bias_mean",
    "bias_median",
    "share_in_band",
    "robust_mean",
    "robust_median",
]


# ---------------------------------------------------------------------- statistics
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


# ---------------------------------------------------------------------- model variants
def forecast_variant(
    model: FactorRiskModel, market: MarketData | None = None, **params: Any
) -> FactorRiskModel:
    """A fitted model with other forecast settings, sharing ``model``'s regressions.

    Factor returns, residuals, R^2 and the exposure history depend only on the estimation
    settings (``start``, ``end``, ``epsilon``); the covariance estimator, half-lives, windows
    and the volatility regime adjustment are read by :meth:`FactorRiskModel.forecast` only.
    A variant is therefore a new instance (no forecast cache shared with ``model``) holding
    the same fitted frames, not a refit.

    Parameters
    ----------
    model : FactorRiskModel
        A fitted model.
    market : MarketData, optional
        When given, the variant's end-date forecast ``forecast_`` is recomputed with it;
        otherwise the variant has no ``forecast_`` (its ``forecast(date)`` works, its
        ``covariance()`` and other end-date attributes do not).
    **params
        New values of forecast parameters: ``covariance_method``, ``half_life_vol``,
        ``half_life_corr``, ``newey_west_lags``, ``window``, ``specific_half_life``,
        ``specific_window``, ``volatility_regime_half_life``.

    Returns
    -------
    FactorRiskModel
        The variant.

    Raises
    ------
    ConfigurationError
        ``model`` is not fitted, a parameter changes the estimation itself or is invalid.

    Examples
    --------
    >>> window = forecast_variant(model, covariance_method="window")  # doctest: +SKIP
    """
    if not hasattr(model, "factor_returns_"):
        raise ConfigurationError("the model is not fitted; call fit(market) first")
    settings = model.get_params()
    for name in params:
        if name in FORECAST_PARAMS:
            continue
        if name in settings:
            raise ConfigurationError(
                f"{name}={params[name]!r} changes the estimation, not only the forecast; fit a "
                f"new FactorRiskModel, or change one of {', '.join(FORECAST_PARAMS)}"
            )
        raise ConfigurationError(
            f"{name!r} is not a FactorRiskModel parameter; the forecast parameters are "
            f"{', '.join(FORECAST_PARAMS)}"
        )
    variant = type(model)(**{**settings, **params})
    variant._check_params()
    for name, value in vars(model).items():
        if name.endswith("_") and not name.startswith("_") and name != "forecast_":
            setattr(variant, name, value)
    if market is not None:
        variant.forecast_ = variant.forecast(model.factor_returns_.index[-1], market)
    return variant


# ---------------------------------------------------------------------- report
@dataclass(frozen=True, eq=False)
class BiasReport:
    """Bias statistics of out-of-sample risk forecasts (see the module docstring).

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


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ConfigurationError(f"{name}={value!r} must be an integer >= {low}")


def _forecast_dates(
    model: FactorRiskModel,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    min_history: int,
) -> list[pd.Timestamp]:
    """Month ends of the exposure history with enough factor history and a following month."""
    days = pd.DatetimeIndex(model.factor_returns_.index)
    months = days.to_period("M")
    dates = []
    for d in sorted(model.exposure_history_):
        if (start is not None and d < start) or (end is not None and d > end):
            continue
        if int(days.searchsorted(d, side="right")) < min_history:
            continue
        if not ((days > d) & (months == d.to_period("M") + 1)).any():
            continue
        dates.append(pd.Timestamp(d))
    return dates


def bias_statistics(
    model: FactorRiskModel,
    market: MarketData,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    n_random: int = 100,
    random_size: int = 50,
    seed: int = 0,
    min_history: int = 252,
    min_observations: int = 21,
    clip: float = 3.0,
) -> BiasReport:
    """Bias statistics of the model's month-end forecasts over the following month.

    Parameters
    ----------
    model : FactorRiskModel
        A fitted model (factor returns, residuals and month-end exposure history).
    market : MarketData
        Source of the realised stock returns (the data the model was fitted on).
    start, end : date-like, optional
        Test only forecasts of month ends in ``[start, end]``; default all that qualify.
    n_random : int
        Random portfolios per month (0 skips the family).
    random_size : int
        Stocks per random portfolio.
    seed : int
        Seed of the random draws (``numpy.random.default_rng``).
    min_history : int
        Fewest days of factor returns up to a month end for its forecast to be tested; also
        the days a factor must have had non-zero returns to be tested as a factor portfolio.
    min_observations : int
        Fewest z-scores a portfolio needs to enter a period's statistics.
    clip : float
        Clip level, in predicted sigmas, of the robust bias statistic.

    Returns
    -------
    BiasReport
        z-score inputs, per-portfolio statistics and the summary by family and year.

    Raises
    ------
    ConfigurationError
        The model is not fitted or a setting is invalid.
    InsufficientHistoryError
        No month end qualifies (too short a model, or ``start``/``end`` too narrow).

    Notes
    -----
    Each month end ``d`` uses ``model.forecast(d)`` without a market, i.e. the exposures
    stored for ``d`` and covariances from data dated on or before ``d``; the realised returns
    are those dated in ``(d, next month end]``. The statistics are out of sample for the
    covariance forecasts; the factor returns of the following month come from the same model
    (they are regressions on the exposures of ``d``, so they are realised, not fitted, values
    for the forecast).

    Examples
    --------
    >>> model = FactorRiskModel("2009-12-31", "2023-12-29").fit(market)  # doctest: +SKIP
    >>> report = bias_statistics(model, market)                           # doctest: +SKIP
    >>> report.table("bias_mean")                                          # doctest: +SKIP
    """
    began = time.perf_counter()
    if not hasattr(model, "factor_returns_") or not hasattr(model, "exposure_history_"):
        raise ConfigurationError("the model is not fitted; call fit(market) first")
    _check_int("n_random", n_random, 0)
    _check_int("random_size", random_size, 1)
    _check_int("seed", seed, 0)
    _check_int("min_history", min_history, 1)
    _check_int("min_observations", min_observations, 2)
    if not (isinstance(clip, int | float) and clip > 0):
        raise ConfigurationError(f"clip={clip!r} must be a positive number of sigmas, e.g. 3")
    lo = None if start is None else to_timestamp(start, "start")
    hi = None if end is None else to_timestamp(end, "end")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigurationError(f"start={lo:%Y-%m-%d} must not be after end={hi:%Y-%m-%d}")
    dates = _forecast_dates(model, lo, hi, min_history)
    fr = model.factor_returns_
    if not dates:
        raise InsufficientHistoryError(
            f"no month end of the model ({fr.index[0]:%Y-%m-%d}..{fr.index[-1]:%Y-%m-%d}) has "
            f"{min_history} days of factor returns and a following month"
            + (f" inside start={start!s}, end={end!s}" if lo is not None or hi is not None else "")
            + "; fit the model over a longer period or lower min_history"
        )
    rng = np.random.default_rng(seed)
    days_all = pd.DatetimeIndex(fr.index)
    months = days_all.to_period("M")
    active = (fr.abs() > ZERO_RETURN).to_numpy()
    # run[t, k]: consecutive days up to t with a non-zero return of factor k
    run = np.zeros(active.shape, dtype="int64")
    for i in range(len(active)):
        run[i] = np.where(active[i], (run[i - 1] if i else 0) + 1, 0)
    labels = [f"random_{j:03d}" for j in range(n_random)]
    members: list[pd.DataFrame] = []
    out: dict[str, dict[str, list[pd.DataFrame]]] = {
        f: {"returns": [], "volatility": []} for f in FAMILIES
    }
    for d in dates:
        fc = model.forecast(d)
        days = days_all[(days_all > d) & (months == d.to_period("M") + 1)]
        names = [str(t) for t in fc.exposures.index]
        B = fc.exposures.to_numpy(dtype="float64")
        F = fc.factor_covariance.to_numpy(dtype="float64")
        s = fc.specific_risk.to_numpy(dtype="float64")
        var = np.einsum("ik,kl,il->i", B, F, B) + s**2
        ok = np.isfinite(var) & (var > 0)
        if not ok.all():
            logger.info("%s: %d stocks without a finite forecast left out", d.date(), (~ok).sum())
            names = [n for n, keep in zip(names, ok, strict=True) if keep]
            B, s, var = B[ok], s[ok], var[ok]
        rets = market.as_of(days[-1]).returns(names, start=days[0]).reindex(days)
        R = rets.to_numpy(dtype="float64")
        sigma = np.sqrt(var / PERIODS_PER_YEAR)
        out["stocks"]["returns"].append(rets)
        out["stocks"]["volatility"].append(
            pd.DataFrame(np.where(np.isfinite(R), sigma, np.nan), index=days, columns=names)
        )
        if n_random:
            if random_size > len(names):
                raise ConfigurationError(
                    f"random_size={random_size} exceeds the {len(names)} stocks of the "
                    f"cross-section on {d:%Y-%m-%d}; lower random_size"
                )
            idx = np.stack(
                [rng.choice(len(names), size=random_size, replace=False) for _ in labels]
            )  # (P, m)
            members.append(
                pd.DataFrame(
                    {
                        "date": d,
                        "portfolio": np.repeat(labels, random_size),
                        "ticker": np.asarray(names, dtype=object)[idx.ravel()],
                    }
                )
            )
            Rp = R[:, idx]  # (T, P, m)
            have = np.isfinite(Rp)
            count = have.sum(axis=2)
            with np.errstate(invalid="ignore", divide="ignore"):
                W = have / count[:, :, None]  # equal weights over the members with a return
            W = np.where(np.isfinite(W), W, 0.0)
            port = np.where(count > 0, np.einsum("tpm,tpm->tp", W, np.nan_to_num(Rp)), np.nan)
            Bw = np.einsum("tpm,pmk->tpk", W, B[idx])
            pvar = np.einsum("tpk,kl,tpl->tp", Bw, F, Bw) + np.einsum(
                "tpm,pm->tp", W**2, s[idx] ** 2
            )
            psig = np.where(count > 0, np.sqrt(pvar / PERIODS_PER_YEAR), np.nan)
            out["random"]["returns"].append(pd.DataFrame(port, index=days, columns=labels))
            out["random"]["volatility"].append(pd.DataFrame(psig, index=days, columns=labels))
        pos = int(days_all.searchsorted(d, side="right")) - 1
        fvar = np.diag(F)
        keep = (run[pos] >= min_history) & (fvar > 0)
        factors = [str(c) for c, k in zip(fc.factor_covariance.index, keep, strict=True) if k]
        fsig = np.sqrt(fvar[keep] / PERIODS_PER_YEAR)
        out["factors"]["returns"].append(fr.loc[days, factors])
        out["factors"]["volatility"].append(
            pd.DataFrame(
                np.broadcast_to(fsig, (len(days), len(factors))), index=days, columns=factors
            )
        )
    returns: dict[str, pd.DataFrame] = {}
    volatility: dict[str, pd.DataFrame] = {}
    statistics = []
    for family in FAMILIES:
        if not out[family]["returns"]:
            continue
        r = pd.concat(out[family]["returns"], axis=0, sort=False).rename_axis("date")
        v = pd.concat(out[family]["volatility"], axis=0, sort=False).rename_axis("date")
        v = v.reindex(columns=r.columns)
        if family == "factors":
            r = r.reindex(columns=[c for c in model.factors_ if c in r.columns])
            v = v.reindex(columns=r.columns)
        r = r.where(v.notna())
        r.columns.name = v.columns.name = "portfolio"
        returns[family], volatility[family] = r, v
        statistics.append(
            _period_statistics(r / v, family, min_observations=min_observations, clip=clip)
        )
    stats = pd.concat(statistics, ignore_index=True)
    notes = _notes(model, dates, market)
    seconds = time.perf_counter() - began
    logger.info("bias statistics of %d month ends in %.1f s", len(dates), seconds)
    return BiasReport(
        returns=returns,
        volatility=volatility,
        statistics=stats,
        summary=summarise_bias(stats),
        forecast_dates=pd.DatetimeIndex(dates, name="date"),
        random_members=(
            pd.concat(members, ignore_index=True)
            if members
            else pd.DataFrame({"date": [], "portfolio": [], "ticker": []})
        ),
        params={
            "covariance_method": model.covariance_method,
            "volatility_regime_half_life": getattr(model, "volatility_regime_half_life", None),
            "model_start": f"{fr.index[0]:%Y-%m-%d}",
            "model_end": f"{fr.index[-1]:%Y-%m-%d}",
            "n_random": n_random,
            "random_size": random_size,
            "seed": seed,
            "min_history": min_history,
            "min_observations": min_observations,
            "clip": float(clip),
        },
        seconds=seconds,
        notes=notes,
    )


def _first_cap_date(model: FactorRiskModel) -> pd.Timestamp | None:
    """First month end of the exposure history where most stocks have a market cap."""
    for d in sorted(model.exposure_history_):
        caps = model.exposure_history_[d]["market_cap"]
        if caps.notna().mean() > 0.5:
            return pd.Timestamp(d)
    return None


def _notes(model: FactorRiskModel, dates: list[pd.Timestamp], market: MarketData) -> list[str]:
    notes = []
    first_cap = _first_cap_date(model)
    if first_cap is None or first_cap > dates[0]:
        notes.append(
            "forecasts before "
            + (f"{first_cap:%Y-%m-%d}" if first_cap is not None else "the last tested month")
            + " have market caps for few or no stocks: size, value and trading activity "
            "exposures are 0 and the regressions equal-weighted"
        )
    # the data's own limits that bear on a cross-section (derived from the store)
    notes.extend(line for line in market.limits if line.lower().startswith("survivorship"))
    return notes


# ---------------------------------------------------------------------- regression fit
def r_squared_by_year(model: FactorRiskModel) -> pd.DataFrame:
    """Regression fit of the model by calendar year.

    Parameters
    ----------
    model : FactorRiskModel
        A fitted model.

    Returns
    -------
    DataFrame
        Index ``period`` (years as strings, then ``"all"``); columns ``n_days``,
        ``r_squared_mean``, ``r_squared_median`` (of the daily weighted R^2) and
        ``n_stocks_mean`` (stocks per daily regression).
    """
    if not hasattr(model, "r_squared_"):
        raise ConfigurationError("the model is not fitted; call fit(market) first")
    r2 = model.r_squared_.astype("float64")
    n = model.n_stocks_.reindex(r2.index).astype("float64")
    years = pd.DatetimeIndex(r2.index).year.astype(str)
    table = pd.DataFrame(
        {
            "n_days": r2.groupby(years).count(),
            "r_squared_mean": r2.groupby(years).mean(),
            "r_squared_median": r2.groupby(years).median(),
            "n_stocks_mean": n.groupby(years).mean(),
        }
    )
    table.loc[ALL] = [r2.count(), r2.mean(), r2.median(), n.mean()]
    table["n_days"] = table["n_days"].astype("int64")
    table.index.name = "period"
    return table


# ---------------------------------------------------------------------- plots
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
