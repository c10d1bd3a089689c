"""Point-in-time style and industry exposures of a Barra-style equity risk model.

Seven style factors, each built from one or more raw *descriptors* that are known at
the close of the date ``D`` (everything is read through ``market.as_of(D)``):

============== ======================= ==================================================
factor         descriptor(s)           definition
============== ======================= ==================================================
size           ``log_market_cap``      ``log(market_cap)`` from ``PointInTimeData.market_cap``
value          ``book_to_price``       ``total_equity / market_cap`` (latest statement
                                       published on or before ``D``)
momentum       ``momentum_12_1``       ``prod(1 + r) - 1`` over the daily returns dated
                                       ``t-251 .. t-21`` (price ``t-252`` to price ``t-21``,
                                       ``t`` = last trading day <= ``D``); at least 80 % of
                                       the 231 returns present, missing days count as 0
volatility     ``beta``,               1/3 each (standardised) of: OLS beta of the daily
               ``residual_volatility``, return on the cap-weighted market over the last
               ``daily_volatility``     252 days, the annualised residual volatility of that
                                       regression, and the annualised EWMA volatility of the
                                       last 63 daily returns (half-life 42 days); beta and
                                       residual volatility need 126 returns, the EWMA
                                       volatility 42
profitability  ``return_on_equity``,    1/2 each (standardised, averaged where available) of
               ``gross_profitability``  ``net_income / total_equity`` (missing when equity
                                       <= 0) and ``gross_profit / total_assets``
leverage       ``leverage``            ``(short_term_debt + long_term_debt) / total_assets``
                                       (a missing debt line counts as 0 when the other is
                                       known); ``total_liabilities / total_assets`` when
                                       both debt lines are missing
trading        ``log_turnover``        ``log(mean(volume / shares))`` over the last 63
activity                               trading days (at least 32 with a volume), ``shares =
                                       market_cap / close`` at ``D`` (the vendor's units)
============== ======================= ==================================================

The cap-weighted market of the beta regression is the buy-and-hold portfolio of the
cross-section with weights equal to the market caps at ``D`` rolled back along each
stock's returns (equal weights when no cap is known on ``D``).

Processing on each date, in this order:

1. **winsorise** each descriptor cross-sectionally at ``median +- 5 * 1.4826 * MAD``
   (a robust 5-sigma clip; :func:`winsorise`);
2. **standardise** each descriptor to cap-weighted mean 0 and equal-weighted standard
   deviation 1 (Barra convention; :func:`standardise`);
3. **combine**: a factor's raw exposure is the mean of its available standardised
   descriptors (a stock with at least one descriptor is not "missing");
4. **fill** a stock still missing the factor with the median of the factor over the stocks
   of its GICS sector that have it on ``D``; 0 (the cap-weighted average) when the sector
   has none or the stock has no sector. Fills are flagged and counted per factor;
5. **re-standardise** the filled factor (cap-weighted mean 0, equal-weighted std 1). The
   map is affine and increasing, so a filled value still equals its sector median.

A factor with no data at all on ``D`` (e.g. fundamentals before their first publish date,
market caps before the first valuation snapshot) is 0 for every stock and reported in
``notes``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError
from hedgekit.data import MarketData, PointInTimeData
from hedgekit.typing import DateLike, to_timestamp

__all__ = [
    "DESCRIPTORS",
    "STYLE_FACTORS",
    "ExposureFrame",
    "compute_exposure_history",
    "compute_exposures",
    "industry_dummies",
    "standardise",
    "winsorise",
]

logger = logging.getLogger(__name__)

#: the style factors, in the order of the exposure columns
STYLE_FACTORS: tuple[str, ...] = (
    "size",
    "value",
    "momentum",
    "volatility",
    "profitability",
    "leverage",
    "trading_activity",
)

#: factor -> the raw descriptors it averages (after winsorising and standardising each)
DESCRIPTORS: dict[str, tuple[str, ...]] = {
    "size": ("log_market_cap",),
    "value": ("book_to_price",),
    "momentum": ("momentum_12_1",),
    "volatility": ("beta", "residual_volatility", "daily_volatility"),
    "profitability": ("return_on_equity", "gross_profitability"),
    "leverage": ("leverage",),
    "trading_activity": ("log_turnover",),
}

MOMENTUM_WINDOW = 252  # returns in the look-back, the last MOMENTUM_LAG of them skipped
MOMENTUM_LAG = 21
MOMENTUM_COVERAGE = 0.8
BETA_WINDOW = 252
BETA_MIN_OBS = 126
VOL_WINDOW = 63
VOL_HALFLIFE = 42.0
VOL_MIN_OBS = 42
TURNOVER_WINDOW = 63
TURNOVER_MIN_OBS = 32
N_MAD = 5.0
MAD_SCALE = 1.4826  # MAD -> standard deviation for normal data
STALE_DAYS = 548  # a statement older than 18 months is reported in the notes
ANNUALISE = 252

_GICS_LEVELS = ("sector", "industry_group", "industry", "sub_industry")


@dataclass(frozen=True, eq=False)
class ExposureFrame:
    """Style exposures of a cross-section on one date.

    Attributes
    ----------
    date : Timestamp
        The as-of date.
    exposures : DataFrame
        Shape (n_stocks, 7), index ticker, columns :data:`STYLE_FACTORS`: winsorised,
        standardised, filled exposures.
    raw : DataFrame
        Shape (n_stocks, n_descriptors), the raw descriptors of :data:`DESCRIPTORS`
        before winsorising (NaN where unknown).
    filled : DataFrame of bool
        Shape (n_stocks, 7): True where the exposure is a sector-median fill.
    weights : Series
        Market cap in USD per stock (NaN where unknown), the standardisation weights.
    fundamentals_age_days : Series
        Days from the period end of the statement used to ``date`` (NaN: no statement).
    bounds : DataFrame
        Index descriptor, columns ``lower, upper``: the winsorisation bounds.
    notes : list of str
        Data limits that affect this cross-section.
    sectors : Series
        GICS sector per stock known on ``date`` (None where unclassified).
    """

    date: pd.Timestamp
    exposures: pd.DataFrame
    raw: pd.DataFrame
    filled: pd.DataFrame
    weights: pd.Series
    fundamentals_age_days: pd.Series
    bounds: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    sectors: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))

    @property
    def fill_counts(self) -> pd.Series:
        """Number of filled exposures per factor."""
        return self.filled.sum().astype(int).rename("filled")


# ---------------------------------------------------------------------- cross-section maths
def winsorise(values: pd.Series, n_mad: float = N_MAD) -> tuple[pd.Series, float, float]:
    """Clip a cross-section at ``median +- n_mad * 1.4826 * MAD``.

    Parameters
    ----------
    values : Series
        One value per stock; NaN stays NaN.
    n_mad : float
        Half-width of the band in robust standard deviations.

    Returns
    -------
    clipped : Series
        The clipped values.
    lower, upper : float
        The bounds (NaN when there is no data; +-inf when the spread is 0).

    Notes
    -----
    When more than half the values are equal (MAD = 0) the spread falls back to
    ``1.2533 * mean(|x - median|)`` (the normal-consistent mean absolute deviation);
    when that is 0 too nothing is clipped.
    """
    x = values.to_numpy(dtype="float64")
    ok = np.isfinite(x)
    if not ok.any():
        return values.astype("float64"), np.nan, np.nan
    med = float(np.median(x[ok]))
    dev = np.abs(x[ok] - med)
    spread = MAD_SCALE * float(np.median(dev))
    if spread == 0.0:
        spread = 1.2533 * float(dev.mean())
    if spread == 0.0:
        return values.astype("float64"), -np.inf, np.inf
    lower, upper = med - n_mad * spread, med + n_mad * spread
    out = np.where(ok, np.clip(x, lower, upper), np.nan)
    return pd.Series(out, index=values.index, name=values.name), lower, upper


def standardise(values: pd.Series, weights: pd.Series | None = None) -> pd.Series:
    """Shift and scale a cross-section to cap-weighted mean 0 and equal-weighted std 1.

    Parameters
    ----------
    values : Series
        One value per stock; NaN stays NaN and is ignored.
    weights : Series, optional
        Market caps, aligned on the index; stocks with a missing or non-positive weight do
        not enter the mean. Equal weights when none is usable.

    Returns
    -------
    Series
        ``(x - sum(w x) / sum(w)) / std(x)`` with the population (``ddof=0``) standard
        deviation over the stocks with a value. All zeros when the values do not vary.
    """
    x = values.to_numpy(dtype="float64")
    ok = np.isfinite(x)
    if not ok.any():
        return values.astype("float64")
    w = np.zeros(len(x)) if weights is None else weights.reindex(values.index).to_numpy("float64")
    w = np.where(ok & np.isfinite(w) & (w > 0), w, 0.0)
    mean = float(np.sum(w * np.where(ok, x, 0.0)) / w.sum()) if w.sum() > 0 else x[ok].mean()
    std = float(x[ok].std())
    if not np.isfinite(std) or std <= 1e-12 * max(1.0, abs(mean)):
        out = np.where(ok, 0.0, np.nan)
    else:
        out = (x - mean) / std
    return pd.Series(out, index=values.index, name=values.name)


# ---------------------------------------------------------------------- descriptors
def _return_descriptors(rets: np.ndarray, caps: np.ndarray) -> dict[str, np.ndarray]:
    """Momentum, beta, residual and EWMA volatility from the last 252 daily returns.

    ``rets`` has shape (n_days, n_stocks), oldest first, ending on the as-of date;
    ``caps`` the market caps at the as-of date (NaN where unknown).
    """
    n_days, n_stocks = rets.shape
    present = np.isfinite(rets)
    r0 = np.where(present, rets, 0.0)
    out: dict[str, np.ndarray] = {}

    # momentum: returns t-251 .. t-21 (price t-252 to price t-21)
    span = MOMENTUM_WINDOW - MOMENTUM_LAG
    mom = np.full(n_stocks, np.nan)
    if n_days >= MOMENTUM_WINDOW:
        block = slice(n_days - MOMENTUM_WINDOW, n_days - MOMENTUM_LAG)
        count = present[block].sum(axis=0)
        growth = np.prod(1.0 + r0[block], axis=0) - 1.0
        mom = np.where(count >= np.ceil(MOMENTUM_COVERAGE * span), growth, np.nan)
    out["momentum_12_1"] = mom

    # cap-weighted buy-and-hold market: weight before day t = cap(D) / growth from t to D
    w_end = np.where(np.isfinite(caps) & (caps > 0), caps, 0.0)
    if w_end.sum() == 0:
        w_end = np.ones(n_stocks)
    growth_to_end = np.cumprod((1.0 + r0)[::-1], axis=0)[::-1]  # prod over s >= t
    w = w_end / growth_to_end
    w = np.where(present, w, 0.0)
    wsum = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mkt = np.where(wsum > 0, (w * r0).sum(axis=1) / wsum, np.nan)

    # beta and residual volatility: OLS with intercept on the days both are present
    rows = slice(max(0, n_days - BETA_WINDOW), n_days)
    m = present[rows] & np.isfinite(mkt[rows])[:, None]
    x = np.where(m, mkt[rows][:, None], 0.0)
    y = np.where(m, r0[rows], 0.0)
    n = m.sum(axis=0).astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = x.sum(axis=0) / n
        ybar = y.sum(axis=0) / n
        dx = np.where(m, x - xbar, 0.0)
        dy = np.where(m, y - ybar, 0.0)
        sxx = (dx * dx).sum(axis=0)
        beta = (dx * dy).sum(axis=0) / sxx
        resid = np.where(m, dy - beta * dx, 0.0)
        res_vol = np.sqrt((resid * resid).sum(axis=0) / (n - 2.0) * ANNUALISE)
    enough = (n >= BETA_MIN_OBS) & (sxx > 0)
    out["beta"] = np.where(enough, beta, np.nan)
    out["residual_volatility"] = np.where(enough, res_vol, np.nan)

    # EWMA volatility of the last 63 returns, half-life 42
    tail = slice(max(0, n_days - VOL_WINDOW), n_days)
    k = n_days - np.arange(n_days)[tail] - 1  # age in days, 0 = as-of date
    decay = (0.5 ** (k / VOL_HALFLIFE))[:, None]
    pm = present[tail]
    wd = np.where(pm, decay, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = (wd * r0[tail]).sum(axis=0) / wd.sum(axis=0)
        var = (wd * (r0[tail] - mu) ** 2).sum(axis=0) / wd.sum(axis=0)
    out["daily_volatility"] = np.where(
        pm.sum(axis=0) >= VOL_MIN_OBS, np.sqrt(var * ANNUALISE), np.nan
    )
    return out


def _fundamental_descriptors(fund: pd.DataFrame, caps: pd.Series) -> dict[str, pd.Series]:
    """Book-to-price, ROE, gross profitability and leverage from statement rows."""
    equity = fund["total_equity"]
    assets = fund["total_assets"].where(fund["total_assets"] > 0)
    std_debt, lt_debt = fund["short_term_debt"], fund["long_term_debt"]
    debt = (std_debt.fillna(0.0) + lt_debt.fillna(0.0)).where(std_debt.notna() | lt_debt.notna())
    debt = debt.fillna(fund["total_liabilities"])
    return {
        "book_to_price": equity / caps.where(caps > 0),
        "return_on_equity": fund["net_income"] / equity.where(equity > 0),
        "gross_profitability": fund["gross_profit"] / assets,
        "leverage": debt / assets,
    }


def _turnover(view: PointInTimeData, tickers: list[str], shares: np.ndarray) -> np.ndarray:
    """``log(mean(volume / shares))`` over the last 63 trading days up to the view's date."""
    calendar = view.market.calendar
    stop = int(calendar.searchsorted(view.date, side="right"))
    start = calendar[max(0, stop - TURNOVER_WINDOW)]
    volume = view.prices(tickers, start=start, field="volume").to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = volume / np.where(shares > 0, shares, np.nan)
        count = np.isfinite(daily).sum(axis=0)
        mean = np.nansum(daily, axis=0) / np.where(count > 0, count, np.nan)
        out = np.log(np.where(mean > 0, mean, np.nan))
    return np.where(count >= TURNOVER_MIN_OBS, out, np.nan)


def _raw_descriptors(
    view: PointInTimeData, tickers: list[str]
) -> tuple[pd.DataFrame, pd.Series, pd.Series, pd.DataFrame]:
    """Raw descriptors, market caps, statement ages and securities of ``tickers``."""
    index = pd.Index(tickers, name="ticker")
    cap_frame = view.market_cap(tickers)
    caps = cap_frame["market_cap"].reindex(index).astype("float64")
    shares = cap_frame["shares"].reindex(index).to_numpy(dtype="float64")
    fund = view.fundamentals(tickers).reindex(index)
    rets = view.returns(tickers, window=max(MOMENTUM_WINDOW, BETA_WINDOW))
    raw = pd.DataFrame(index=index)
    raw["log_market_cap"] = np.log(caps.where(caps > 0))
    from_returns = _return_descriptors(rets.to_numpy(dtype="float64"), caps.to_numpy())
    from_statements = _fundamental_descriptors(fund, caps)
    raw["book_to_price"] = from_statements["book_to_price"]
    raw["momentum_12_1"] = from_returns["momentum_12_1"]
    for name in ("beta", "residual_volatility", "daily_volatility"):
        raw[name] = from_returns[name]
    raw["return_on_equity"] = from_statements["return_on_equity"]
    raw["gross_profitability"] = from_statements["gross_profitability"]
    raw["leverage"] = from_statements["leverage"]
    raw["log_turnover"] = _turnover(view, tickers, shares)
    raw = raw.astype("float64").replace([np.inf, -np.inf], np.nan)
    age = fund["staleness_days"].astype("float64").rename("fundamentals_age_days")
    return raw, caps.rename("market_cap"), age, view.securities(tickers)


def _fill_by_sector(values: pd.Series, sectors: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Fill NaN with the median of the stock's sector on the date (0 without one)."""
    missing = values.isna()
    if not missing.any():
        return values, missing
    medians = values.groupby(sectors, dropna=True).median()
    fill = sectors.map(medians).astype("float64").fillna(0.0)
    return values.fillna(fill), missing


# ---------------------------------------------------------------------- public API
def compute_exposures(
    market: MarketData, date: DateLike, tickers: Iterable[str] | None = None
) -> ExposureFrame:
    """Standardised style exposures of a cross-section, point in time.

    Parameters
    ----------
    market : MarketData
        The market; only ``market.as_of(date)`` is read.
    date : date-like
        As-of date ``D``: no price, volume, statement or classification after it is used.
    tickers : iterable of str, optional
        The cross-section (also the universe of the standardisation and of the market
        portfolio). Default: index members with a price in the last 5 trading days up to
        ``D`` (``view.tradable(view.members())``).

    Returns
    -------
    ExposureFrame
        Exposures, raw descriptors, fill flags, weights, statement ages and notes.

    Raises
    ------
    DataError
        The cross-section is empty, or a ticker has no price history.

    Notes
    -----
    Definitions and processing are in the module docstring and ``docs/risk_exposures.md``.

    Examples
    --------
    >>> frame = compute_exposures(market, "2019-06-28")          # doctest: +SKIP
    >>> frame.exposures.loc["AAPL", "size"]                       # doctest: +SKIP
    """
    view = market.as_of(date)
    names = view.tradable(view.members()) if tickers is None else list(dict.fromkeys(tickers))
    if not names:
        raise DataError(
            f"no stocks to compute exposures for on {view.date:%Y-%m-%d}; pass tickers or pick "
            "a date with index members that trade"
        )
    names = [str(t) for t in names]
    raw, caps, age, securities = _raw_descriptors(view, names)
    sectors = securities["gics_sector"].reindex(raw.index).astype(object)
    sectors = sectors.where(sectors.notna(), None)

    notes: list[str] = []
    bounds = pd.DataFrame(
        index=pd.Index(raw.columns, name="descriptor"), columns=["lower", "upper"]
    )
    standard = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        clipped, lower, upper = winsorise(raw[col])
        bounds.loc[col] = [lower, upper]
        standard[col] = standardise(clipped, caps)
    bounds = bounds.astype("float64")

    exposures = pd.DataFrame(index=raw.index)
    filled = pd.DataFrame(index=raw.index)
    for factor in STYLE_FACTORS:
        combined = standard[list(DESCRIPTORS[factor])].mean(axis=1, skipna=True)
        if combined.isna().all():
            notes.append(f"{factor}: no data on {view.date:%Y-%m-%d}; exposure set to 0")
        values, missing = _fill_by_sector(combined, sectors)
        exposures[factor] = standardise(values, caps)
        filled[factor] = missing

    n_cap = int(caps.isna().sum())
    if n_cap == len(caps):
        notes.append("no market cap known: equal weights in the standardisation and the market")
    elif n_cap:
        notes.append(f"{n_cap} stocks without a market cap: weight 0 in the standardisation")
    n_fund = int(age.isna().sum())
    if n_fund:
        notes.append(f"{n_fund} of {len(age)} stocks have no statement published on or before D")
    stale = int((age > STALE_DAYS).sum())
    if stale:
        notes.append(
            f"{stale} stocks use a statement whose period ended more than {STALE_DAYS} days "
            f"before D (median age {age.median():.0f} days)"
        )
    n_sector = int(sectors.isna().sum())
    if n_sector:
        notes.append(f"{n_sector} stocks without a GICS sector: missing values filled with 0")
    logger.debug("exposures %s: fills %s", view.date.date(), filled.sum().to_dict())
    return ExposureFrame(
        date=view.date,
        exposures=exposures,
        raw=raw,
        filled=filled,
        weights=caps,
        fundamentals_age_days=age,
        bounds=bounds,
        notes=notes,
        sectors=sectors.rename("gics_sector"),
    )


def compute_exposure_history(
    market: MarketData, dates: Iterable[DateLike], tickers: Iterable[str] | None = None
) -> pd.DataFrame:
    """Style exposures on several (e.g. monthly rebalance) dates.

    Parameters
    ----------
    market : MarketData
        The market.
    dates : iterable of date-like
        As-of dates; each cross-section sees only what was known on its date.
    tickers : iterable of str, optional
        A fixed cross-section; default: the index members trading on each date.

    Returns
    -------
    DataFrame
        Index (date, ticker), columns :data:`STYLE_FACTORS`. ``attrs['fill_counts']`` holds
        a dates x factors frame of fill counts, ``attrs['notes']`` the notes per date.

    Examples
    --------
    >>> dates = pd.date_range("2015-01-31", "2015-12-31", freq="ME")   # doctest: +SKIP
    >>> history = compute_exposure_history(market, dates)               # doctest: +SKIP
    """
    names: Sequence[str] | None = None if tickers is None else list(tickers)
    stamps = [to_timestamp(d) for d in dates]
    if not stamps:
        raise ConfigurationError("dates is empty; pass at least one as-of date")
    began = time.perf_counter()
    frames, counts, notes = [], {}, {}
    for ts in stamps:
        frame = compute_exposures(market, ts, names)
        frames.append(frame.exposures)
        counts[ts] = frame.fill_counts
        notes[ts] = frame.notes
    out = pd.concat(frames, keys=stamps, names=["date", "ticker"])
    out.attrs["fill_counts"] = pd.DataFrame(counts).T.rename_axis("date")
    out.attrs["notes"] = notes
    logger.info("exposures on %d dates in %.1f s", len(stamps), time.perf_counter() - began)
    return out


def industry_dummies(securities: pd.DataFrame, level: str = "sector") -> pd.DataFrame:
    """One 0/1 column per GICS group present (sector by default).

    Parameters
    ----------
    securities : DataFrame
        Indexed by ticker, with a ``gics_<level>`` column (``PointInTimeData.securities``).
    level : {'sector', 'industry_group', 'industry', 'sub_industry'}
        The GICS level; ``'gics_sector'`` and so on are accepted too.

    Returns
    -------
    DataFrame
        Index as ``securities``, one int column per group present (sorted), plus
        ``'Unclassified'`` only when some stock has no group; each row sums to 1.

    Raises
    ------
    ConfigurationError
        Unknown level, or the column is absent.
    """
    key = str(level).strip().lower().removeprefix("gics_")
    if key not in _GICS_LEVELS:
        raise ConfigurationError(
            f"level={level!r} is not a GICS level; use one of {', '.join(_GICS_LEVELS)}"
        )
    column = f"gics_{key}"
    if column not in securities.columns:
        raise ConfigurationError(
            f"securities has no {column!r} column; pass PointInTimeData.securities(...)"
        )
    groups = securities[column].astype(object)
    groups = groups.where(groups.notna() & (groups.astype(str).str.strip() != ""), "Unclassified")
    labels = sorted(set(groups) - {"Unclassified"})
    if (groups == "Unclassified").any():
        labels.append("Unclassified")
    values = (groups.to_numpy()[:, None] == np.asarray(labels, dtype=object)[None, :]).astype(int)
    return pd.DataFrame(values, index=securities.index, columns=pd.Index(labels, name=column))
