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

Each portfolio's z-scores give its bias statistic, by calendar year of ``t`` and over the
whole evaluation (:mod:`hedgekit.risk._bias`, which also holds the :class:`BiasReport`).
:func:`forecast_variant` gives a fitted model with other forecast settings to compare, and
:func:`r_squared_by_year` the fit of the daily regressions; the figures are drawn by
:mod:`hedgekit.risk._plot`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit.data import MarketData
from hedgekit.risk._bias import ALL, FAMILIES, BiasReport, _period_statistics, summarise_bias
from hedgekit.risk._model import FactorRiskModel
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["bias_statistics", "forecast_variant", "r_squared_by_year"]

logger = logging.getLogger(__name__)

#: trading days per year (the model's annualisation)
PERIODS_PER_YEAR = 252
#: a daily factor return at or below this in absolute value is "no return" (degenerate factor)
ZERO_RETURN = 1e-12
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
