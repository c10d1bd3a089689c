"""``FactorRiskModel``: a Barra-style equity risk model, point in time.

For each trading day ``t`` in the estimation period the model regresses the day's stock
returns on the exposures known at the previous month end ``d(t)`` (market, GICS sector
dummies and the seven standardised styles of :mod:`hedgekit.risk._exposures`):

    r_ti = b_t,market + sum_j x_ij b_t,sector_j + sum_k z_ik b_t,style_k + e_ti

with weights ``sqrt(market cap)``, a Huber loss (``epsilon = 1.35``, batched IRLS in
:func:`~hedgekit.risk.huber_irls`) and the constraint ``sum_j cap_j b_t,sector_j = 0`` that
makes the market factor identifiable next to a full set of sector dummies. Exposures are
refreshed at each month end (the last trading day of a calendar month) and used from the
next trading day on, so a day's regression never sees an exposure computed with that day's
data. The sectors are every GICS sector the data knows on any date; a sector with no member
on a day (Telecommunication Services after the 2018 GICS change) is left out of that day's
regression and its factor return is 0 (the regressions of
:mod:`hedgekit.risk._factor_returns`).

A forecast at any date ``D`` inside the estimated period (:meth:`FactorRiskModel.forecast`)
uses only the factor returns and residuals dated on or before ``D``:

- factor covariance ``F``: EWMA with Newey-West (:func:`~hedgekit.risk.factor_covariance`),
  or the plain sample covariance of the last ``window`` days (``covariance_method="window"``,
  the study's 2-year estimate);
- specific volatility ``s_i``: EWMA of the last ``specific_window`` residuals shrunk toward
  the stock's size decile (:func:`~hedgekit.risk.specific_risk`);
- exposures ``B``: computed fresh on ``D`` when a market is given, else those of the last
  month end on or before ``D``;

so ``covariance(tickers) = B F B' + diag(s^2)``. Because a day's factor returns depend only
on that day and the month end before it, a model estimated to a later end date gives
exactly the forecast a model estimated to ``D`` would: one long model serves every date
of a walk-forward backtest, and :meth:`FactorRiskModel.update` extends it day by day.

A fitted model is saved to and loaded from a directory of Parquet files
(:meth:`FactorRiskModel.save`, :meth:`FactorRiskModel.load`, written and read by
:mod:`hedgekit.risk._persistence`); :mod:`hedgekit.risk._default` keeps models in the data
home, tagged with the data version they were estimated on.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from hedgekit._cancel import checkpoint
from hedgekit._errors import ConfigurationError, InsufficientHistoryError
from hedgekit._progress import report_progress
from hedgekit.data import Cache, MarketData, Store
from hedgekit.risk._covariance import (
    factor_covariance,
    specific_risk,
    volatility_regime_multiplier,
    window_covariance,
)
from hedgekit.risk._exposures import STYLE_FACTORS, compute_exposures
from hedgekit.risk._factor_returns import _design, _exposure_table, _sector_factor, regress_block
from hedgekit.risk._forecast import RiskForecast
from hedgekit.risk._persistence import load_model, save_model
from hedgekit.typing import DateLike, to_timestamp

__all__ = ["FactorRiskModel"]

logger = logging.getLogger(__name__)

#: fewest days of factor returns a forecast needs
MIN_FORECAST_DAYS = 60
#: most recent days the volatility regime adjustment reads (its weights fade long before)
_VRA_WINDOW = 756
#: forecasts kept per model (a backtest asks for the same date once per target)
_FORECAST_CACHE_SIZE = 16
#: fewest month ends worth starting worker processes for
_PARALLEL_MIN_DATES = 24
#: the stages of a fit's progress reports (``hedgekit._progress``)
_EXPOSURES_STAGE = "risk model: month-end exposures"
_MONTHS_STAGE = "risk model: monthly regressions"


class FactorRiskModel(BaseEstimator):
    """Barra-style factor risk model estimated on ``[start, end]`` (see the module docstring).

    A scikit-learn estimator: ``__init__`` stores the parameters unchanged (they are
    validated by :meth:`fit`), so ``sklearn.base.clone``, ``get_params`` and ``set_params``
    work; ``get_params`` returns the dates as given (a loaded model's as ISO strings).
    Forecasts the model has made are kept in a private cache that is not a parameter and
    is not carried over by ``clone``.

    Parameters
    ----------
    start, end : date-like
        Estimation period (first and last regression day); nothing after ``end`` is used.
    covariance_method : {'ewma', 'window'}
        Factor covariance estimator: EWMA with Newey-West (default) or the sample
        covariance of the last ``window`` days.
    half_life_vol, half_life_corr : float
        EWMA half-lives in days of the factor volatilities and correlations (USE4-like 84
        and 504).
    newey_west_lags : int
        Newey-West lags of the EWMA factor covariance.
    window : int
        Days of the plain window estimator (504, two years).
    specific_half_life : float
        EWMA half-life in days of the specific variance.
    specific_window : int
        Most recent residual days used for specific risk.
    epsilon : float
        Huber threshold.
    structure : {'barra', 'styles'}
        ``'barra'`` (default): market, GICS sectors with the cap-weighted constraint, and the
        seven styles. ``'styles'``: the concentrated-position study's model, the seven
        styles only (each day's regression has an intercept, as scikit-learn's
        ``HuberRegressor`` fits by default, but it is not a risk factor).
    weighting : {'sqrt_cap', 'equal'}
        Regression weights: square root of market cap (default) or equal (the study's).
    constant_specific_risk : float, optional
        Annualised specific volatility given to every stock instead of the EWMA estimate
        (the study used 0.15); None (default) estimates it.
    volatility_regime_half_life : float, optional
        Half-life in days of USE4's volatility regime adjustment
        (:func:`~hedgekit.risk.volatility_regime_multiplier`): factor covariance and specific
        variances are scaled by the recent bias of standardised returns. None (default)
        leaves the forecasts unadjusted; USE4 uses 42.
    n_jobs : int, optional
        Processes that compute the month-end exposures of a long fit in parallel (each
        loads the market once, about 3 s); None or 1 computes them in this process. The
        result does not depend on it.

    Attributes
    ----------
    factors_ : list of str
        ``market``, one ``sector: <name>`` per GICS sector, the seven styles.
    factor_returns_ : DataFrame
        Days x factors, daily factor returns.
    residuals_ : DataFrame
        Days x tickers specific returns (NaN when a stock was not in the regression).
    r_squared_ : Series
        Weighted R^2 per day.
    n_stocks_ : Series
        Stocks in each day's regression.
    exposure_history_ : dict of Timestamp to DataFrame
        Month-end exposures used by the regressions: tickers x (styles, ``gics_sector``,
        ``market_cap``).
    forecast_ : RiskForecast
        The forecast at ``end`` (exposures computed on ``end``).
    data_version_ : str
        Version of the store the model was estimated on.
    seconds_ : float
        Wall time of the last :meth:`fit` or :meth:`update`.

    Examples
    --------
    >>> model = FactorRiskModel("2019-12-31", "2023-12-29").fit(market)   # doctest: +SKIP
    >>> model.forecast("2022-06-30").covariance(["AAPL", "MSFT"])          # doctest: +SKIP
    """

    def __init__(
        self,
        start: DateLike,
        end: DateLike,
        *,
        covariance_method: str = "ewma",
        half_life_vol: float = 84.0,
        half_life_corr: float = 504.0,
        newey_west_lags: int = 2,
        window: int = 504,
        specific_half_life: float = 84.0,
        specific_window: int = 252,
        epsilon: float = 1.35,
        structure: str = "barra",
        weighting: str = "sqrt_cap",
        constant_specific_risk: float | None = None,
        volatility_regime_half_life: float | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.covariance_method = covariance_method
        self.half_life_vol = half_life_vol
        self.half_life_corr = half_life_corr
        self.newey_west_lags = newey_west_lags
        self.window = window
        self.specific_half_life = specific_half_life
        self.specific_window = specific_window
        self.epsilon = epsilon
        self.structure = structure
        self.weighting = weighting
        self.constant_specific_risk = constant_specific_risk
        self.volatility_regime_half_life = volatility_regime_half_life
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ parameters
    def _check_params(self) -> None:
        if self.covariance_method not in ("ewma", "window"):
            raise ConfigurationError(
                f"covariance_method={self.covariance_method!r} is not an estimator; use "
                "'ewma' or 'window'"
            )
        for name in ("half_life_vol", "half_life_corr", "specific_half_life", "epsilon"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0):
                raise ConfigurationError(f"{name}={value!r} must be a positive number")
        for name in ("window", "specific_window"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 2):
                raise ConfigurationError(f"{name}={value!r} must be an integer >= 2")
        if self.structure not in ("barra", "styles"):
            raise ConfigurationError(
                f"structure={self.structure!r} is not a model structure; use 'barra' or 'styles'"
            )
        if self.weighting not in ("sqrt_cap", "equal"):
            raise ConfigurationError(f"weighting={self.weighting!r}; use 'sqrt_cap' or 'equal'")
        csr = self.constant_specific_risk
        if csr is not None and not (isinstance(csr, int | float) and csr > 0):
            raise ConfigurationError(
                f"constant_specific_risk={csr!r} must be None or a positive volatility"
            )
        vra = self.volatility_regime_half_life
        if vra is not None and not (isinstance(vra, int | float) and vra > 0):
            raise ConfigurationError(
                f"volatility_regime_half_life={vra!r} must be None or a positive number"
            )
        if self.n_jobs is not None and not (isinstance(self.n_jobs, int) and self.n_jobs >= 1):
            raise ConfigurationError(f"n_jobs={self.n_jobs!r} must be None or an integer >= 1")
        if not (isinstance(self.newey_west_lags, int) and self.newey_west_lags >= 0):
            raise ConfigurationError(
                f"newey_west_lags={self.newey_west_lags!r} must be an integer >= 0"
            )

    # ------------------------------------------------------------------ estimation
    def fit(self, market: MarketData, y: None = None) -> FactorRiskModel:
        """Estimate factor returns and residuals on ``[start, end]`` and the forecast at ``end``.

        Parameters
        ----------
        market : MarketData
            The market data; the model reads nothing dated after ``end``.
        y : None
            Ignored (scikit-learn's ``fit(X, y=None)``).

        Raises
        ------
        ConfigurationError
            Bad parameters or ``start >= end``.
        InsufficientHistoryError
            Fewer than 60 trading days in the period, or no month end before ``start``.
        """
        began = time.perf_counter()
        self._check_params()
        start, end = to_timestamp(self.start, "start"), to_timestamp(self.end, "end")
        if start >= end:
            raise ConfigurationError(f"start={start:%Y-%m-%d} must be before end={end:%Y-%m-%d}")
        cal = market.calendar
        days = cal[(cal >= start) & (cal <= end)]
        if len(days) < MIN_FORECAST_DAYS:
            raise InsufficientHistoryError(
                f"{len(days)} trading days from {start:%Y-%m-%d} to {end:%Y-%m-%d}; a risk "
                f"model needs at least {MIN_FORECAST_DAYS} (two years or more is usual)"
            )
        # every sector the data knows, dated snapshots included (e.g. Telecommunication
        # Services before the 2018 GICS change): a sector without members on a day is left
        # out of that day's regression
        known = [market.securities["gics_sector"], market.classification_history["gics_sector"]]
        sectors = sorted({str(s) for col in known for s in col.dropna().unique()})
        self.sectors_ = sectors
        self.factors_ = (
            ["market", *[_sector_factor(s) for s in sectors], *STYLE_FACTORS]
            if self.structure == "barra"
            else list(STYLE_FACTORS)
        )
        self.exposure_history_: dict[pd.Timestamp, pd.DataFrame] = {}
        self.exposure_notes_: dict[pd.Timestamp, list[str]] = {}
        self.factor_returns_ = pd.DataFrame(columns=self.factors_, dtype="float64")
        self.residuals_ = pd.DataFrame(dtype="float64")
        self.r_squared_ = pd.Series(dtype="float64", name="r_squared")
        self.n_stocks_ = pd.Series(dtype="int64", name="n_stocks")
        self._extend(market, days)
        self.data_version_ = market.store.version
        self.forecast_ = self.forecast(days[-1], market)
        self.seconds_ = time.perf_counter() - began
        logger.info("risk model %s..%s in %.1f s", start.date(), end.date(), self.seconds_)
        return self

    def update(self, market: MarketData, end: DateLike) -> FactorRiskModel:
        """Extend a fitted model to a later ``end``: regress the new days only, re-forecast.

        The result equals a model fitted from scratch on ``[start, end]``; the ``end``
        parameter becomes the new end date as an ISO string.
        """
        began = time.perf_counter()
        self._check_fitted()
        new_end = to_timestamp(end, "end")
        last = self.factor_returns_.index[-1]
        if new_end < last:
            raise ConfigurationError(
                f"end={new_end:%Y-%m-%d} is before the model's last day {last:%Y-%m-%d}; "
                "fit a new model to move the end date back"
            )
        cal = market.calendar
        days = cal[(cal > last) & (cal <= new_end)]
        if len(days):
            self._extend(market, days)
            self.forecast_ = self.forecast(days[-1], market)
        self.end = f"{new_end:%Y-%m-%d}"
        self.data_version_ = market.store.version
        self.seconds_ = time.perf_counter() - began
        logger.info("risk model updated by %d day(s) in %.2f s", len(days), self.seconds_)
        return self

    def _month_ends(self, cal: pd.DatetimeIndex) -> pd.DatetimeIndex:
        ends = pd.Series(cal, index=cal).groupby(cal.to_period("M")).max()
        return pd.DatetimeIndex(ends.to_numpy())

    def _exposures_at(self, market: MarketData, date: pd.Timestamp) -> pd.DataFrame:
        cached = self.exposure_history_.get(date)
        if cached is not None:
            return cached
        frame = compute_exposures(market, date)
        table = _exposure_table(frame)
        self.exposure_history_[date] = table
        self.exposure_notes_[date] = list(frame.notes)
        return table

    def _exposures_in_parallel(self, market: MarketData, dates: list[pd.Timestamp]) -> None:
        """Compute many month-end exposures in ``n_jobs`` worker processes (spawned, so
        nothing is shared but the store on disk)."""
        jobs = self.n_jobs or 1
        if jobs <= 1 or len(dates) < _PARALLEL_MIN_DATES:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        chunks = [list(c) for c in np.array_split(np.asarray(dates), jobs * 4) if len(c)]
        home = str(market.store.home)
        ctx = multiprocessing.get_context("spawn")
        report_progress(_EXPOSURES_STAGE, 0, len(dates))
        done = 0
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            for part in pool.map(_exposure_worker, [home] * len(chunks), chunks):
                for date, table, notes in part:
                    self.exposure_history_[date] = table
                    self.exposure_notes_[date] = notes
                done += len(part)
                report_progress(_EXPOSURES_STAGE, done, len(dates))
                checkpoint()  # the pool's remaining chunks are cancelled on the way out

    def _extend(self, market: MarketData, days: pd.DatetimeIndex) -> None:
        ends = self._month_ends(market.calendar)
        pos = ends.searchsorted(days, side="left") - 1
        if (pos < 0).any():
            raise InsufficientHistoryError(
                f"{days[0]:%Y-%m-%d} has no month end before it in the data (first trading day "
                f"{market.calendar[0]:%Y-%m-%d}); start the model a month later"
            )
        needed = [ends[p] for p in np.unique(pos) if ends[p] not in self.exposure_history_]
        self._exposures_in_parallel(market, needed)
        coefs, resids, r2s, counts = [], [], [], []
        months = np.unique(pos)
        for i, p in enumerate(months):
            checkpoint()  # a cancelled caller stops between two months
            report_progress(_MONTHS_STAGE, i, len(months))
            block = days[pos == p]
            table = self._exposures_at(market, ends[p])
            coef, resid, r2, n = regress_block(
                market,
                table,
                block,
                sectors=self.sectors_,
                factors=self.factors_,
                structure=self.structure,
                weighting=self.weighting,
                epsilon=self.epsilon,
            )
            coefs.append(coef)
            resids.append(resid)
            r2s.append(r2)
            counts.append(n)
        report_progress(_MONTHS_STAGE, len(months), len(months))
        frames = [self.factor_returns_, *coefs] if len(self.factor_returns_) else coefs
        self.factor_returns_ = pd.concat(frames)
        res = [self.residuals_, *resids] if len(self.residuals_) else resids
        self.residuals_ = pd.concat(res, axis=0, sort=False)
        self.residuals_.columns.name = "ticker"
        r2_parts = [self.r_squared_, *r2s] if len(self.r_squared_) else r2s
        self.r_squared_ = pd.concat(r2_parts).rename("r_squared")
        n_parts = [self.n_stocks_, *counts] if len(self.n_stocks_) else counts
        self.n_stocks_ = pd.concat(n_parts).astype("int64").rename("n_stocks")

    # ------------------------------------------------------------------ forecasts
    def forecast(
        self,
        date: DateLike | None = None,
        market: MarketData | None = None,
        include: Sequence[str] = (),
    ) -> RiskForecast:
        """The risk forecast at ``date``, from data dated on or before it only.

        Parameters
        ----------
        date : date-like, optional
            Forecast date inside the estimated period; default the model's last day.
        market : MarketData, optional
            When given, exposures are computed on ``date`` itself; otherwise those of the
            last month end on or before ``date`` are used (no market needed).
        include : sequence of str
            With ``market``: stocks to cover besides the index members trading on ``date``
            (e.g. a position that is not an index member). They join the cross-section
            whose exposures are standardised; a stock without residuals in the model gets
            the mean specific risk of its size decile.

        Raises
        ------
        InsufficientHistoryError
            Fewer than 60 days of factor returns up to ``date``.
        ConfigurationError
            ``date`` after the model's last day.
        """
        if not hasattr(self, "factor_returns_"):
            raise ConfigurationError("the model is not fitted; call fit(market) first")
        last = self.factor_returns_.index[-1]
        when = last if date is None else to_timestamp(date, "date")
        if when > last:
            raise ConfigurationError(
                f"date={when:%Y-%m-%d} is after the model's last day {last:%Y-%m-%d}; "
                "update the model first (FactorRiskModel.update or `hedgekit risk build`)"
            )
        base: list[str] = []
        extra: list[str] = []
        if market is not None and include:
            # stocks of the default cross-section add nothing: one cache entry serves
            # every position made of index members
            view = market.as_of(when)
            base = view.tradable(view.members())
            in_base = set(base)
            extra = [t for t in view.tradable(list(include)) if t not in in_base]
        key = (
            when,
            None if market is None else id(market),
            tuple(sorted(extra)),
            id(self.factor_returns_),
            id(self.residuals_),
            len(self.factor_returns_),
            repr(sorted(self.get_params().items())),
        )
        hit = self._forecasts.get("forecast", key)
        if hit is not None:
            return hit
        fr = self.factor_returns_.loc[:when]
        if len(fr) < MIN_FORECAST_DAYS:
            raise InsufficientHistoryError(
                f"{len(fr)} days of factor returns up to {when:%Y-%m-%d}; a forecast needs "
                f"{MIN_FORECAST_DAYS}; fit the model from an earlier start"
            )
        notes: list[str] = []
        if market is not None:
            cross = list(dict.fromkeys([*base, *extra])) if extra else None
            # exposures depend on the data and the date only: models share them
            frame = market.cache.get_or_compute(
                "exposures", (when, tuple(extra)), lambda: compute_exposures(market, when, cross)
            )
            table, expo_date = _exposure_table(frame), frame.date
            notes.extend(frame.notes)
        else:
            known = [d for d in self.exposure_history_ if d <= when]
            if not known:
                raise InsufficientHistoryError(
                    f"no month-end exposures on or before {when:%Y-%m-%d}; pass the market"
                )
            expo_date = max(known)
            table = self.exposure_history_[expo_date]
            notes.extend(self.exposure_notes_.get(expo_date, []))
        values = fr.to_numpy(dtype="float64")
        if self.covariance_method == "window":
            F = window_covariance(values, window=self.window)
        else:
            F = factor_covariance(
                values,
                half_life_vol=self.half_life_vol,
                half_life_corr=self.half_life_corr,
                newey_west_lags=self.newey_west_lags,
            )
        names = list(table.index)
        resid = self.residuals_.loc[:when].iloc[-self.specific_window :].reindex(columns=names)
        caps = table["market_cap"].astype("float64")
        if self.constant_specific_risk is not None:
            spec = np.full(len(names), float(self.constant_specific_risk))
        else:
            spec = specific_risk(
                resid.to_numpy(dtype="float64"),
                caps.to_numpy(),
                half_life=self.specific_half_life,
            )
        if self.volatility_regime_half_life is not None:
            hl = float(self.volatility_regime_half_life)
            recent = slice(-_VRA_WINDOW, None)
            lam_f = volatility_regime_multiplier(
                values[recent], half_life=hl, half_life_vol=self.half_life_vol
            )
            lam_s = volatility_regime_multiplier(
                self.residuals_.loc[:when].iloc[recent].reindex(columns=names).to_numpy(),
                half_life=hl,
                half_life_vol=self.specific_half_life,
                weights=caps.to_numpy(),
            )
            F = F * lam_f
            spec = spec * np.sqrt(lam_s)
            notes.append(
                f"volatility regime adjustment: factor variances x {lam_f:.2f}, specific "
                f"variances x {lam_s:.2f}"
            )
        exposures = _design(table, self.sectors_, self.factors_)
        unclassified = int(table["gics_sector"].isna().sum())
        if unclassified:
            notes.append(f"{unclassified} stocks without a GICS sector: no sector exposure")
        forecast = RiskForecast(
            date=when,
            exposures=exposures,
            factor_covariance=pd.DataFrame(F, index=self.factors_, columns=self.factors_),
            specific_risk=pd.Series(spec, index=exposures.index, name="specific_volatility"),
            market_cap=caps.rename("market_cap"),
            exposures_date=pd.Timestamp(expo_date),
            notes=notes,
        )
        self._forecasts.put("forecast", key, forecast)
        return forecast

    @property
    def _forecasts(self) -> Cache:
        """Forecasts already made by this model (a backtest asks once per target)."""
        cache = getattr(self, "_forecast_cache", None)
        if cache is None:
            cache = Cache({"forecast": _FORECAST_CACHE_SIZE})
            self._forecast_cache = cache
        return cache

    # the forecast at the end date, scikit-learn style
    @property
    def exposures_(self) -> pd.DataFrame:
        """Exposures at the end date (tickers x factors)."""
        self._check_fitted()
        return self.forecast_.exposures

    @property
    def factor_covariance_(self) -> pd.DataFrame:
        """Annualised factor covariance at the end date."""
        self._check_fitted()
        return self.forecast_.factor_covariance

    @property
    def specific_risk_(self) -> pd.Series:
        """Annualised specific volatility per ticker at the end date."""
        self._check_fitted()
        return self.forecast_.specific_risk

    def covariance(self, tickers: list[str] | None = None) -> pd.DataFrame:
        """Annualised stock covariance ``B F B' + diag(s^2)`` at the end date."""
        self._check_fitted()
        return self.forecast_.covariance(tickers)

    def risk_decomposition(self, weights: pd.Series | dict[str, float]) -> dict[str, Any]:
        """Risk decomposition at the end date (see :meth:`RiskForecast.risk_decomposition`)."""
        self._check_fitted()
        return self.forecast_.risk_decomposition(weights)

    def _check_fitted(self) -> None:
        if not hasattr(self, "forecast_"):
            raise ConfigurationError("the model is not fitted; call fit(market) first")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to directory ``path`` (replaced atomically); returns the path.

        The layout is that of :func:`~hedgekit.risk._persistence.save_model`.
        """
        self._check_fitted()
        return save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FactorRiskModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        DataError
            The directory is missing, incomplete or from another format version.
        """
        return load_model(cls, path)

    def __repr__(self) -> str:
        span = ""
        if hasattr(self, "factor_returns_") and len(self.factor_returns_):
            idx = self.factor_returns_.index
            span = f", fitted {idx[0]:%Y-%m-%d}..{idx[-1]:%Y-%m-%d} ({len(idx)} days)"
        return (
            f"FactorRiskModel(start={_iso(self.start)}, end={_iso(self.end)}, "
            f"covariance_method={self.covariance_method!r}{span})"
        )


def _iso(value: Any) -> str:
    """A date parameter for display: ISO when it reads as a date, else its repr."""
    try:
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    except (TypeError, ValueError):
        return repr(value)


def _exposure_worker(
    home: str, dates: list[pd.Timestamp]
) -> list[tuple[pd.Timestamp, pd.DataFrame, list[str]]]:
    """Worker of :meth:`FactorRiskModel._exposures_in_parallel`: exposures on ``dates``."""
    market = MarketData(Store(home))
    out = []
    for date in dates:
        frame = compute_exposures(market, pd.Timestamp(date))
        out.append((pd.Timestamp(date), _exposure_table(frame), list(frame.notes)))
    return out
