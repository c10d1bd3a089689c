"""Generate the seeded synthetic "demo market" bundle shipped inside hedgekit.

``hedgekit demo`` must run on a fresh machine without the real data set, so the package ships a
small simulated market in ``src/hedgekit/data/_bundled/demo/``. The bundle uses the file names,
columns and dtypes of the real ``us_equities`` store (see ``/work/shared/data/README.md``) for a
subset of its files, plus a ``manifest.json`` that marks every number in it as synthetic::

    prices.parquet               date, ticker, open, high, low, close, adj_close, volume
    benchmarks.parquet           date, ticker, adj_close, volume (SPY and sector SPDR look-alikes)
    securities.parquet           ticker, name, gics_sector, gics_sub_industry, ..., country
    index_membership.parquet     ticker, start_date, end_date
    descriptions.parquet         two ``yahoo_profile`` vintages (2021-06-30, 2023-06-30)
    fundamentals_annual.parquet  FY2018-FY2022, source ``demo``
    fundamentals_snapshots.parquet  quarterly valuation snapshots (price, market_cap, pe, ...)
    fama_french_daily.parquet    mkt_rf, smb, hml, rmw, cma, rf, mom
    manifest.json                ``synthetic: true``, seed, dates, ``demo_target``

Usage::

    python scripts/make_demo_market.py                      # the shipped bundle
    python scripts/make_demo_market.py --seed 7 --out /tmp/demo --n-stocks 30 --years 2

The same seed, ``--n-stocks`` and ``--years`` always give byte-identical files. All randomness
comes from one ``numpy.random.default_rng(seed)``.

Simulation model
----------------
*Calendar.* NYSE trading days (weekends and exchange holidays removed) from 2019-01-02 to the
last trading day of ``2019 + years - 1``. A burn-in year before the start feeds the GARCH
recursion and the momentum signal and is not written.

*Cast.* A fixed, hand-written cast of 100 fictional companies (fictional tickers that do not
collide with the real store) in 8 GICS sectors and 23 GICS sub-industries, each company tied to a
*business line* that drives its description vocabulary. The cast, the sectors, sub-industries
(with their economic parameters) and business lines, the head-office cities and the boilerplate
sentences are data, not code: ``make_demo_market_data.json`` next to this script
(:data:`REFERENCE_DATA`, read and checked by :func:`load_reference_data`). The seed changes the
numbers, never the names. ``--n-stocks`` keeps every special name (below) and fills up
round-robin across sub-industries.

*Returns.* The daily simple total return of stock *i* is

.. math::

    R_{i,t} = r^f_t + \\alpha_i + \\beta_i m_t + s_{k(i),t} + u_{j(i),t} + \\ell_{b(i),t}
              + \\sum_f L_{i,f} F_{f,t} + \\mathrm{mom}_{i,t} F_{\\mathrm{mom},t}
              + \\sigma_i c_t^{1/2} \\varepsilon_{i,t}

* ``m``: market excess return, 13% base annual volatility times a GARCH(1,1) volatility
  (alpha 0.05, beta 0.90, Student-t(5) shocks) times a stylised regime calendar
  (:data:`MARKET_REGIMES`: calm 2019, a Covid-like crash from 2020-02-20 and a rebound, a 2022
  bear market to 2022-10-12, a 2023 recovery) that also sets the drift. The noise is de-meaned
  inside each regime episode, so every seed realises the calendar's episode returns (the index
  falls ~30% in the crash and ~25% in 2022) while the daily path stays random.
  ``c_t`` (regime times GARCH volatility) is the common volatility level: sub-industry and line
  factors scale with ``c^0.75``, sector and style factors and idiosyncratic noise with
  ``c^0.5``, so volatility clusters in every component.
* ``s``: one factor per sector (annual vol 7%-22%) with a few pinned drift episodes
  (:data:`SECTOR_DRIFTS`: the 2020 oil crash, the 2021-22 energy rally, the 2023 tech rally),
  ``u``: one factor per sub-industry, ``l``: one factor per business line (5% a year). A
  *niche* business line spans two companies with different sub-industry labels (and sectors) and
  carries a 25% hidden factor: the returns of the pair co-move, and their descriptions share the
  niche vocabulary, while their labels say nothing. This is what text-based peer search should
  find and GICS-based search misses (see :func:`niche_pairs`).
* style factors ``F``: size, value, volatility, profitability and investment with static
  loadings (-0.4 z log cap, 0.4 z log book-to-market, 0.4 z total volatility, 0.3 z operating
  profit to book, -0.3 z asset growth), correlated (:data:`STYLE_CORRELATION`, e.g.
  value/investment +0.5, value/momentum -0.35), with yearly drifts pinned like the market
  (value lags in 2020 and leads in 2022). Momentum exposure is 0.35 times the monthly
  re-estimated, clipped z-score of each stock's trailing 12-1 month return. Sector and style
  drifts are made cap-neutral: their cap-weighted average is taken out of the market factor.
* ``varepsilon``: Student-t with 4 degrees of freedom scaled to unit variance; ``sigma_i`` is
  0.85 times the sub-industry idiosyncratic volatility times lognormal noise times
  ``(cap/median)^-0.15``. Four earnings days a year add a jump of 2.5 daily idiosyncratic
  deviations.
* betas: sub-industry mean plus N(0, 0.15), rescaled so the cap-weighted beta is 1.
  Resulting annual volatilities are ~20%-60% (utilities and staples low, E&P and biotech
  high), stocks in one sub-industry correlate ~0.5, across sectors ~0.25.

*Prices.* Economic price per original share ``P_t = (P_{t-1} - D_t)(1 + R_t)``: a dividend
``D`` is paid on its ex-date, the price drops by it, and the total return is unchanged. Payers
(by sub-industry) pay quarterly; the quarterly amount is reset each January to a quarter of the
stock's yield times the price, and cut to 1% of the price when it exceeds 2% after a crash.
The traded (raw) price divides ``P`` by the cumulative split factor: at four dates the highest
priced stock not yet split splits 2:1 .. 20:1 (the traded price drops by 1/ratio and the
traded share volume rises by the ratio). ``prices.parquet`` follows Yahoo, whose data is pulled
after the last day: ``open, high, low, close`` are the traded prices (rounded to cents) divided
by the splits still to come up to the last day, i.e. in the last day's share basis, rounded to
4 decimals; they are *not* dividend-adjusted, and never jump on a split day. ``volume`` is the
traded share count (rounded to 100 shares) times the same factor, so ``close * volume`` is
the dollar volume traded. ``adj_close`` is split- and dividend-adjusted: it equals ``close`` on
the last day and compounds the total return backwards, so it lies below ``close`` before
dividends; ``close / adj_close`` moves only on ex-dividend days. Splits are not in
``prices.parquet``; they show in the snapshots (below). Opens carry 30% of the day's move plus
noise, highs/lows add half-normal excursions. ``adj_close`` is rounded to 4 decimals.

*Size, shares, volume.* Starting market caps follow an S&P 500 like rank curve from ~$2B to
~$0.9T (tilted by sub-industry: money-centre banks and payment networks big, regional banks
small) and reach ~$3T for the largest by the end; IPOs list at $5B-$40B.
Shares outstanding drift slowly (buybacks for profitable firms, issuance for biotech and
utilities, monthly noise). Dollar volume is ``0.9 cap^0.8`` times a stock liquidity level, AR(1)
lognormal noise, a market-wide AR(1) component, spikes on large ``|return|`` days, earnings days
and listing days, and ``c^0.5``; volume in shares is dollar volume over the raw close, rounded to
100 shares.

*Index and benchmarks.* Most stocks are index members throughout; four list mid-sample (IPOs,
staggered from ~6 months to ~3 years in) and join the index 6-16 months later, two existing
stocks join mid-sample, two leave (they keep trading, as in the survivorship-biased real data).
``SPY`` is the cap-weighted (previous-day caps) total return of the point-in-time members less
a 0.0945% fee; each simulated sector has its SPDR look-alike (XLK, XLF, ...) built the same way
over its members (pure cap weights, no 22.5% capping as in the real SPDRs).

*Fundamentals.* Fiscal years end in December (most), September or June; publish dates fall
40-80 days after the period end. Book equity starts at book-to-market times market cap and grows
with the stock's asset growth; assets, liabilities, debt, revenue, gross and operating profit
follow sub-industry leverage, turnover and margins (with 2020/2022 shocks for energy and a 2020
dip for restaurants); net income is operating income less 4% interest on long-term debt, taxed at
21% when positive. Shares are as reported at the period end (not restated for later splits).
Banks and insurers have no gross profit; banks no short-term debt.

*Valuation snapshots.* On the first trading day after each quarter end, one row per listed
stock with what the market showed *that day*: ``price`` is the traded (unadjusted) close, so
``price / close`` is the split factor still to come (1 after a stock's last split),
``market_cap`` is the traded price times the shares outstanding that day (USD; the true
simulated market cap), ``low_52w, high_52w`` the trailing 252-day range in that day's share
basis, ``dividend_yield`` the trailing 252-day dividends over the price in percent; ``eps`` and
``book_value`` are net income and book equity of the latest annual statement published by then
per share outstanding that day, ``pe = price / eps``, ``pb = price / book_value`` (NaN when not
positive), ``ps = market_cap / revenue``; there is no depreciation, so ``ebitda`` is NaN.
hedgekit anchors market caps on these snapshots (``shares = market_cap / close``).

*Demo target.* ``manifest.json`` names the stock ``hedgekit demo`` hedges by default:
:data:`DEMO_TARGET` (a disk-drive maker listed from the start whose best hedge mixes its peers
with semiconductors, and whose 2022 split the adjustments must absorb).

*Fama-French.* ``mkt_rf`` is the cap-weighted return of all listed stocks minus ``rf``;
``smb, hml, rmw, cma, mom`` are the simulated size, value, profitability, investment and
momentum factor returns; ``rf`` follows a stylised 2019-2023 T-bill path. Decimal, rounded like
the Ken French library (4 decimals, ``rf`` 5).

*Descriptions.* 60-150 words composed from the business line's products, customers and segment
names, the sub-industry's shared phrases, a niche sentence for niche lines and generic corporate
boilerplate; never the GICS sector or sub-industry label itself. The 2023 vintage rewords the
sentences, swaps one product and changes the head count. Companies listed after 2021-06-30 have
only the 2023 vintage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

DEFAULT_SEED = 20240101
DEFAULT_OUT = (
    Path(__file__).resolve().parents[1] / "src" / "hedgekit" / "data" / "_bundled" / "demo"
)
START = pd.Timestamp("2019-01-02")
MAX_BUNDLE_BYTES = 4_000_000
TRADING_DAYS = 252
BURN_IN = 252
DESCRIPTION_VINTAGES = (pd.Timestamp("2021-06-30"), pd.Timestamp("2023-06-30"))
FUNDAMENTAL_SOURCE = "demo"
DEMO_TARGET = "KSTD"
MIN_STOCKS = 20

BUNDLE_FILES = (
    "prices.parquet",
    "benchmarks.parquet",
    "securities.parquet",
    "index_membership.parquet",
    "descriptions.parquet",
    "fundamentals_annual.parquet",
    "fundamentals_snapshots.parquet",
    "fama_french_daily.parquet",
    "manifest.json",
)

# --------------------------------------------------------------------------------------------
# Reference data: sectors, sub-industries, business lines, the cast (read from a JSON file)
# --------------------------------------------------------------------------------------------

#: the hand-written reference data of the demo market, next to this script: GICS sectors,
#: sub-industries (labels, shared phrases, economic parameters), business lines, the cast of
#: fictional companies, head-office cities and boilerplate sentences
REFERENCE_DATA = Path(__file__).resolve().with_name("make_demo_market_data.json")

SPY_START = 230.0
SPY_FEE = 0.000945
SECTOR_ETF_FEE = 0.0010
#: roles of the cast: member throughout, IPO, joins the index, leaves the index
ROLES = ("", "ipo", "joiner", "leaver")


@dataclass(frozen=True)
class Sector:
    """A GICS sector with its Yahoo name, SPDR ticker, factor volatility and start level."""

    name: str
    yahoo: str
    etf: str
    factor_vol: float
    etf_start: float


@dataclass(frozen=True)
class SubIndustry:
    """A GICS sub-industry: labels and the phrases all its companies may use."""

    key: str
    sector: str
    name: str
    yahoo_industry: str
    vocabulary: tuple[str, ...]


@dataclass(frozen=True)
class BusinessLine:
    """A business line: the vocabulary of its descriptions and the size of its hidden factor.

    A *niche* line has members in different sub-industries; its factor is large and its
    description sentence (``driver``) is shared by its members.
    """

    key: str
    verb: str
    segments: tuple[str, ...]
    products: tuple[str, ...]
    customers: tuple[str, ...]
    factor_vol: float = 0.05
    driver: str = ""

    @property
    def niche(self) -> bool:
        """Whether the line is a hidden cross-label niche."""
        return bool(self.driver)


@dataclass(frozen=True)
class CastEntry:
    """One fictional company: ticker, legal name, sub-industry, business line, country, role.

    ``role`` is ``""`` (member throughout), ``"ipo"`` (lists mid-sample, joins the index
    later), ``"joiner"`` (trades throughout, joins the index mid-sample) or ``"leaver"``
    (leaves the index mid-sample and keeps trading).
    """

    ticker: str
    name: str
    sub: str
    line: str
    country: str = "United States"
    role: str = ""


@dataclass(frozen=True)
class ReferenceData:
    """The content of :data:`REFERENCE_DATA`, checked and typed.

    ``sub_parameters`` holds the economic parameters per sub-industry, one row each
    (annual figures, decimals), indexed by sub-industry key; its columns are described in
    the file's ``sub_industry_parameter_columns`` (beta: mean market beta, fvol: sub-industry
    factor vol, ivol: median idiosyncratic vol, dy: dividend yield of payers, pay: share of
    payers, bm: median book-to-market, turn: revenue over assets, gm: gross margin, NaN when
    not reported, om: operating margin, lev: assets over equity, debt: long-term debt over
    liabilities, rpe: revenue per employee in $M, tilt: size tilt of the market cap rank,
    grow: asset growth).
    """

    sectors: dict[str, Sector]
    sub_industries: dict[str, SubIndustry]
    sub_parameters: pd.DataFrame
    lines: dict[str, BusinessLine]
    cast: tuple[CastEntry, ...]
    us_cities: tuple[tuple[str, str, str], ...]
    foreign_cities: dict[str, str]
    boilerplate: tuple[str, ...]


def load_reference_data(path: Path = REFERENCE_DATA) -> ReferenceData:
    """Read the demo market's reference data and check that its parts fit together.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file (default :data:`REFERENCE_DATA`).

    Returns
    -------
    ReferenceData

    Raises
    ------
    ValueError
        A duplicate key, a sub-industry of an unknown sector, a cast entry of an unknown
        sub-industry, business line or role, a foreign company without a head-office city,
        or sub-industry parameters that are missing or not numbers.
    """
    raw = json.loads(path.read_text(encoding="utf-8"))
    columns = list(raw["sub_industry_parameter_columns"])
    sectors = {s["name"]: Sector(**s) for s in raw["sectors"]}
    sub_industries: dict[str, SubIndustry] = {}
    parameters: dict[str, list[float]] = {}
    for entry in raw["sub_industries"]:
        params = entry.pop("parameters")
        sub = SubIndustry(**{**entry, "vocabulary": tuple(entry["vocabulary"])})
        if sub.sector not in sectors:
            raise ValueError(f"{path}: sub-industry {sub.key!r} has unknown sector {sub.sector!r}")
        if set(params) != set(columns):
            raise ValueError(
                f"{path}: sub-industry {sub.key!r} parameters {sorted(params)} differ from "
                f"the columns {sorted(columns)}"
            )
        sub_industries[sub.key] = sub
        parameters[sub.key] = [np.nan if params[c] is None else float(params[c]) for c in columns]
    lines = {
        b["key"]: BusinessLine(**{k: tuple(v) if isinstance(v, list) else v for k, v in b.items()})
        for b in raw["business_lines"]
    }
    cast = tuple(CastEntry(**c) for c in raw["cast"])
    foreign_cities = dict(raw["foreign_cities"])
    for c in cast:
        problem = (
            f"unknown sub-industry {c.sub!r}"
            if c.sub not in sub_industries
            else f"unknown business line {c.line!r}"
            if c.line not in lines
            else f"unknown role {c.role!r} (one of {ROLES})"
            if c.role not in ROLES
            else f"no head-office city for {c.country!r} in foreign_cities"
            if c.country != "United States" and c.country not in foreign_cities
            else ""
        )
        if problem:
            raise ValueError(f"{path}: cast entry {c.ticker}: {problem}")
    for what, keys in (
        ("sector", [s["name"] for s in raw["sectors"]]),
        ("sub-industry", [s["key"] for s in raw["sub_industries"]]),
        ("business line", [b["key"] for b in raw["business_lines"]]),
        ("ticker", [c.ticker for c in cast]),
    ):
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"{path}: duplicate {what} {duplicated}")
    sub_parameters = pd.DataFrame.from_dict(parameters, orient="index", columns=columns)
    sub_parameters.index.name = "key"
    return ReferenceData(
        sectors=sectors,
        sub_industries=sub_industries,
        sub_parameters=sub_parameters.astype(float),
        lines=lines,
        cast=cast,
        us_cities=tuple((city, st, state) for city, st, state in raw["us_cities"]),
        foreign_cities=foreign_cities,
        boilerplate=tuple(raw["boilerplate"]),
    )


_REFERENCE = load_reference_data()
SECTORS: dict[str, Sector] = _REFERENCE.sectors
SUB_INDUSTRIES: dict[str, SubIndustry] = _REFERENCE.sub_industries
LINES: dict[str, BusinessLine] = _REFERENCE.lines
CAST: tuple[CastEntry, ...] = _REFERENCE.cast
US_CITIES: tuple[tuple[str, str, str], ...] = _REFERENCE.us_cities
FOREIGN_CITIES: dict[str, str] = _REFERENCE.foreign_cities
BOILERPLATE: tuple[str, ...] = _REFERENCE.boilerplate


def _sub_parameters() -> pd.DataFrame:
    """Economic parameters per sub-industry (:attr:`ReferenceData.sub_parameters`), a copy."""
    return _REFERENCE.sub_parameters.copy()


# --------------------------------------------------------------------------------------------
# Calendar and regime schedules
# --------------------------------------------------------------------------------------------

_NYSE_RULES = [
    Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
    USMartinLutherKingJr,
    USPresidentsDay,
    GoodFriday,
    USMemorialDay,
    Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday),
    Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
    USLaborDay,
    USThanksgivingDay,
    Holiday("Christmas Day", month=12, day=25, observance=nearest_workday),
]

# (first day, last day, annual excess drift, volatility multiplier at start, at end)
MARKET_REGIMES: tuple[tuple[str, str, float, float, float], ...] = (
    ("2019-01-01", "2019-12-31", 0.26, 0.80, 0.80),
    ("2020-01-01", "2020-02-19", 0.25, 0.80, 0.90),
    ("2020-02-20", "2020-03-23", -3.80, 2.50, 3.50),
    ("2020-03-24", "2020-06-30", 1.20, 2.50, 1.30),
    ("2020-07-01", "2020-12-31", 0.35, 1.20, 1.00),
    ("2021-01-01", "2021-12-31", 0.24, 0.90, 0.85),
    ("2022-01-01", "2022-10-12", -0.34, 1.15, 1.35),
    ("2022-10-13", "2022-12-31", 0.30, 1.30, 1.10),
    ("2023-01-01", "2023-12-31", 0.20, 1.00, 0.80),
)
BURN_IN_DRIFT = 0.07

# Sector factor drift episodes: sector -> (first day, last day, annual drift)
SECTOR_DRIFTS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "Energy": (
        ("2020-01-01", "2020-10-30", -0.60),
        ("2020-11-02", "2022-06-08", 0.45),
        ("2023-01-01", "2023-12-31", -0.05),
    ),
    "Information Technology": (
        ("2020-03-24", "2021-12-31", 0.08),
        ("2022-01-01", "2022-10-12", -0.10),
        ("2023-01-01", "2023-12-31", 0.25),
    ),
    "Utilities": (("2022-09-01", "2023-10-31", -0.15),),
    "Consumer Discretionary": (("2022-01-01", "2022-12-31", -0.12),),
}

# Style factors: annual vol, default annual drift, drift overrides by calendar year.
STYLE_FACTORS = ("size", "value", "volatility", "profitability", "investment", "momentum")
STYLE_VOL = {
    "size": 0.08,
    "value": 0.10,
    "volatility": 0.09,
    "profitability": 0.06,
    "investment": 0.05,
    "momentum": 0.12,
}
STYLE_DRIFT: dict[str, dict[int, float]] = {
    "size": {2019: -0.03, 2020: 0.02, 2022: -0.02, 2023: -0.05},
    "value": {2019: -0.10, 2020: -0.25, 2021: 0.15, 2022: 0.25, 2023: -0.10},
    "volatility": {2020: 0.10, 2022: -0.15},
    "profitability": {},
    "investment": {2022: 0.15},
    "momentum": {},
}
STYLE_DEFAULT_DRIFT = {
    "size": 0.0,
    "value": 0.0,
    "volatility": 0.0,
    "profitability": 0.03,
    "investment": 0.02,
    "momentum": 0.04,
}
STYLE_CORRELATION = np.array(
    [
        # size value  vol   prof  inv   mom
        [1.00, 0.10, 0.40, -0.20, 0.00, -0.10],
        [0.10, 1.00, 0.10, 0.10, 0.50, -0.35],
        [0.40, 0.10, 1.00, -0.40, -0.20, -0.20],
        [-0.20, 0.10, -0.40, 1.00, 0.10, 0.10],
        [0.00, 0.50, -0.20, 0.10, 1.00, 0.00],
        [-0.10, -0.35, -0.20, 0.10, 0.00, 1.00],
    ]
)

# Risk-free rate knots (annual, decimal) for the stylised T-bill path.
RF_KNOTS: tuple[tuple[str, float], ...] = (
    ("2018-01-01", 0.015),
    ("2019-01-02", 0.024),
    ("2019-07-31", 0.021),
    ("2019-12-31", 0.0155),
    ("2020-02-28", 0.015),
    ("2020-03-20", 0.0005),
    ("2021-12-31", 0.0005),
    ("2022-03-15", 0.003),
    ("2022-06-30", 0.016),
    ("2022-12-30", 0.043),
    ("2023-07-31", 0.053),
    ("2023-12-29", 0.0535),
)

# Fundamental shocks: sector or sub-industry -> year -> (revenue multiplier, margin shift)
# (keys are sector names or sub-industry keys)
FUNDAMENTAL_SHOCKS: dict[str, dict[int, tuple[float, float]]] = {
    "Energy": {2020: (0.65, -0.15), 2021: (0.95, 0.0), 2022: (1.35, 0.06)},
    "restaurants": {2020: (0.85, -0.05)},
}

# Cap rank curve: fraction from the top -> log10 market cap (an S&P 500 like shape).
CAP_CURVE = (
    (0.0, 11.95),
    (0.012, 11.85),
    (0.03, 11.62),
    (0.10, 11.25),
    (0.20, 10.95),
    (0.40, 10.65),
    (0.60, 10.45),
    (0.80, 10.25),
    (0.95, 10.00),
    (1.0, 9.30),
)

SPLIT_FRACTIONS = (0.30, 0.42, 0.55, 0.68)
SPLIT_RATIOS = (2, 3, 4, 5, 10, 20)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def trading_days(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Return NYSE trading days in ``[start, end]``.

    Parameters
    ----------
    start, end : pandas.Timestamp
        First and last calendar day.

    Returns
    -------
    pandas.DatetimeIndex
        Weekdays that are not NYSE holidays, microsecond resolution.
    """
    calendar = AbstractHolidayCalendar(name="NYSE", rules=_NYSE_RULES)
    holidays = calendar.holidays(start, end)
    days = pd.bdate_range(start, end)
    return pd.DatetimeIndex(days[~days.isin(holidays)]).as_unit("us")


def _zscore(x: FloatArray) -> FloatArray:
    """Cross-sectional z-score ignoring NaN, clipped to [-3, 3]."""
    mean = np.nanmean(x)
    std = np.nanstd(x)
    return np.clip((x - mean) / (std if std > 0 else 1.0), -3.0, 3.0)


def _join(items: Sequence[str]) -> str:
    """Join phrases as English prose: ``a``, ``a and b``, ``a, b, and c``."""
    items = list(items)
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f", and {items[-1]}"


def _pick(rng: np.random.Generator, items: Sequence[str], k: int) -> list[str]:
    """Pick ``k`` distinct items in random order."""
    order = rng.permutation(len(items))[:k]
    return [items[i] for i in order]


def _schedule(
    dates: pd.DatetimeIndex,
    episodes: Sequence[tuple[str, str, float, float, float]],
    default_drift: float,
    default_vol: float,
) -> tuple[FloatArray, FloatArray]:
    """Daily drift and volatility multiplier from calendar episodes.

    Parameters
    ----------
    dates : pandas.DatetimeIndex
        Simulation days.
    episodes : sequence of (first, last, annual drift, vol at start, vol at end)
        Calendar episodes; the volatility multiplier is interpolated linearly inside each.
    default_drift, default_vol : float
        Values outside every episode.

    Returns
    -------
    drift : ndarray of shape (n_days,)
        Daily drift (annual drift / 252).
    vol : ndarray of shape (n_days,)
        Volatility multiplier.
    """
    drift = np.full(len(dates), default_drift / TRADING_DAYS)
    vol = np.full(len(dates), default_vol)
    for first, last, annual, vol_start, vol_end in episodes:
        mask = np.asarray((dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last)))
        drift[mask] = annual / TRADING_DAYS
        vol[mask] = np.linspace(vol_start, vol_end, int(mask.sum()))
    return drift, vol


def _pin(
    noise: FloatArray, dates: pd.DatetimeIndex, episodes: Sequence[tuple[str, str]]
) -> FloatArray:
    """De-mean ``noise`` inside each calendar episode so that the episode drift is realised.

    Parameters
    ----------
    noise : ndarray of shape (n_days,)
        Zero-mean daily noise.
    dates : pandas.DatetimeIndex
        Simulation days.
    episodes : sequence of (first day, last day)
        Calendar episodes.

    Returns
    -------
    ndarray of shape (n_days,)
        ``noise`` with mean zero inside every episode; volatility clustering is kept.
    """
    out = noise.copy()
    for first, last in episodes:
        mask = np.asarray((dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last)))
        if mask.sum() > 1:
            out[mask] -= out[mask].mean()
    return out


def _standard_t(rng: np.random.Generator, df: float, size: tuple[int, ...]) -> FloatArray:
    """Student-t draws scaled to unit variance."""
    return rng.standard_t(df, size) / np.sqrt(df / (df - 2.0))


def _garch_variance(
    shocks: FloatArray, alpha: float = 0.05, beta: float = 0.90
) -> tuple[FloatArray, FloatArray]:
    """Run a unit-variance GARCH(1,1) on standardised shocks.

    Parameters
    ----------
    shocks : ndarray of shape (n_days,)
        i.i.d. unit-variance innovations.
    alpha, beta : float
        GARCH coefficients; ``alpha + beta < 1``.

    Returns
    -------
    returns : ndarray of shape (n_days,)
        ``sqrt(h_t) * shocks_t``.
    h : ndarray of shape (n_days,)
        Conditional variance with unconditional mean 1.

    Notes
    -----
    :math:`h_t = (1 - \\alpha - \\beta) + \\alpha h_{t-1} z_{t-1}^2 + \\beta h_{t-1}`.
    """
    h = np.empty_like(shocks)
    h[0] = 1.0
    for t in range(1, len(shocks)):
        h[t] = (1.0 - alpha - beta) + alpha * h[t - 1] * shocks[t - 1] ** 2 + beta * h[t - 1]
    return np.sqrt(h) * shocks, h


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], phi: float, sd: float) -> FloatArray:
    """Stationary AR(1) paths along axis 0 with innovation s.d. ``sd``."""
    eps = rng.standard_normal(shape) * sd
    out = np.empty(shape)
    out[0] = eps[0] / np.sqrt(1.0 - phi**2)
    for t in range(1, shape[0]):
        out[t] = phi * out[t - 1] + eps[t]
    return out


def _next_trading_index(dates: pd.DatetimeIndex, day: pd.Timestamp) -> int:
    """Index of the first trading day on or after ``day`` (``len(dates)`` if none)."""
    return int(dates.searchsorted(day, side="left"))


def select_cast(n_stocks: int) -> list[CastEntry]:
    """Choose ``n_stocks`` names: all special ones, then round-robin across sub-industries.

    Parameters
    ----------
    n_stocks : int
        Number of stocks, between :data:`MIN_STOCKS` and ``len(CAST)``.

    Returns
    -------
    list of CastEntry
        In cast order.
    """
    if not MIN_STOCKS <= n_stocks <= len(CAST):
        raise ValueError(
            f"n_stocks={n_stocks} is outside [{MIN_STOCKS}, {len(CAST)}]; the demo cast has "
            f"{len(CAST)} companies"
        )
    special = {c.ticker for c in CAST if c.role or LINES[c.line].niche}
    chosen = set(special)
    rank: dict[str, int] = {}
    for c in CAST:
        if c.ticker not in special:
            rank[c.ticker] = sum(1 for o in CAST if o.sub == c.sub and o.ticker in rank)
    rest = sorted(
        (c for c in CAST if c.ticker not in special),
        key=lambda c: (rank[c.ticker], list(SUB_INDUSTRIES).index(c.sub)),
    )
    for c in rest[: max(n_stocks - len(chosen), 0)]:
        chosen.add(c.ticker)
    return [c for c in CAST if c.ticker in chosen]


def niche_pairs() -> list[tuple[str, str]]:
    """Return the hidden niche pairs of the full cast as ticker tuples.

    Returns
    -------
    list of tuple of str
        One ``(ticker, ticker)`` per niche business line, in cast order.
    """
    pairs = []
    for key, line in LINES.items():
        if line.niche:
            members = [c.ticker for c in CAST if c.line == key]
            pairs.append((members[0], members[1]))
    return pairs


# --------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------


@dataclass
class Market:
    """Everything simulated, on the sample days (burn-in removed).

    Arrays of shape (n_days, n_stocks) are in the order of ``stocks``; prices are economic
    (per original share, before splits) unless named ``raw``.
    """

    dates: pd.DatetimeIndex
    stocks: pd.DataFrame
    returns: FloatArray
    price: FloatArray
    dividend: FloatArray
    split_factor: FloatArray
    open_: FloatArray
    high: FloatArray
    low: FloatArray
    shares: FloatArray
    dollar_volume: FloatArray
    member: BoolArray
    listed: BoolArray
    factors: pd.DataFrame
    rf: FloatArray
    splits: list[tuple[str, pd.Timestamp, int]]

    @property
    def cap(self) -> FloatArray:
        """Market capitalisation in USD, shape (n_days, n_stocks)."""
        return self.price * self.shares


def _static_attributes(
    cast: list[CastEntry], params: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw the per-stock attributes that do not depend on the return path."""
    n = len(cast)
    stocks = pd.DataFrame(
        {
            "ticker": [c.ticker for c in cast],
            "name": [c.name for c in cast],
            "sub": [c.sub for c in cast],
            "line": [c.line for c in cast],
            "country": [c.country for c in cast],
            "role": [c.role for c in cast],
        }
    )
    stocks["sector"] = [SUB_INDUSTRIES[s].sector for s in stocks["sub"]]
    p = params.loc[stocks["sub"]].reset_index(drop=True)

    # Market caps: rank a tilted score and map it on the cap curve.
    score = p["tilt"].to_numpy() + rng.normal(0.0, 0.7, n)
    top_fraction = (np.argsort(np.argsort(-score)) + 0.5) / n
    knots_x, knots_y = zip(*CAP_CURVE, strict=True)
    stocks["cap0"] = 10.0 ** np.interp(top_fraction, knots_x, knots_y)
    stocks["price0"] = np.clip(np.exp(rng.normal(np.log(70.0), 0.75, n)), 15.0, 900.0)
    # IPOs list at $5B-$40B and $18-$45 a share.
    ipo = (stocks["role"] == "ipo").to_numpy()
    stocks["cap0"] = np.where(ipo, 10.0 ** rng.uniform(9.7, 10.6, n), stocks["cap0"])
    stocks["price0"] = np.where(ipo, rng.uniform(18.0, 45.0, n), stocks["price0"])

    beta = np.clip(p["beta"].to_numpy() + rng.normal(0.0, 0.15, n), 0.3, 1.9)
    weight = stocks["cap0"].to_numpy() / stocks["cap0"].sum()
    stocks["beta"] = beta / float(weight @ beta)  # the cap-weighted market has beta 1
    median_cap = float(np.median(stocks["cap0"]))
    idio = 0.85 * p["ivol"].to_numpy() * np.exp(rng.normal(0.0, 0.2, n))
    idio *= (stocks["cap0"].to_numpy() / median_cap) ** -0.15
    stocks["idio_vol"] = np.clip(idio, 0.10, 0.60)
    stocks["alpha"] = rng.normal(0.0, 0.03, n)

    payer = rng.random(n) < p["pay"].to_numpy()
    stocks["dividend_yield"] = np.where(
        payer, p["dy"].to_numpy() * np.exp(rng.normal(0.0, 0.3, n)), 0.0
    )
    stocks["book_to_market"] = p["bm"].to_numpy() * np.exp(rng.normal(0.0, 0.35, n))
    stocks["asset_turnover"] = p["turn"].to_numpy() * np.exp(rng.normal(0.0, 0.15, n))
    om = p["om"].to_numpy()
    stocks["op_margin"] = om + rng.normal(0.0, 0.03, n) + np.where(om < 0, rng.normal(0, 0.2, n), 0)
    gm = p["gm"].to_numpy()
    stocks["gross_margin"] = np.where(
        np.isnan(gm), np.nan, np.maximum(gm + rng.normal(0.0, 0.05, n), stocks["op_margin"] + 0.08)
    )
    stocks["leverage"] = p["lev"].to_numpy() * np.exp(rng.normal(0.0, 0.15, n))
    stocks["debt_share"] = np.clip(p["debt"].to_numpy() + rng.normal(0.0, 0.05, n), 0.02, 0.9)
    stocks["financial"] = np.isnan(gm)
    stocks["bank"] = stocks["sub"].isin(["diversified_banks", "regional_banks"])
    stocks["revenue_per_employee"] = p["rpe"].to_numpy() * 1e6 * np.exp(rng.normal(0, 0.25, n))
    stocks["asset_growth"] = p["grow"].to_numpy() + rng.normal(0.0, 0.04, n)
    stocks["profitability"] = (
        stocks["op_margin"] * stocks["asset_turnover"] * stocks["leverage"]
    ).to_numpy()
    stocks["fye_month"] = rng.choice([12, 12, 12, 12, 12, 12, 12, 12, 9, 6], n)

    # Share count drift: buybacks for profitable firms, issuance for cash-hungry ones.
    share_growth = -0.02 * np.clip(_zscore(stocks["profitability"].to_numpy()), -1, 2)
    share_growth += np.where(stocks["sub"].isin(["biotech", "electric_utilities"]), 0.03, 0.0)
    stocks["share_growth"] = share_growth + rng.normal(-0.005, 0.01, n)
    stocks["liquidity"] = np.exp(rng.normal(0.0, 0.3, n))
    return stocks


def _style_loadings(stocks: pd.DataFrame, total_vol: FloatArray) -> FloatArray:
    """Static style loadings, shape (n_stocks, 5): size, value, volatility, prof, investment.

    Size is minus the z-score of log cap, value the z-score of log book-to-market, volatility
    the z-score of total volatility, profitability the z-score of operating profit over book
    and investment minus the z-score of asset growth; scaled by 0.4 (first three) or 0.3.
    """
    return np.column_stack(
        [
            -0.4 * _zscore(np.log(stocks["cap0"].to_numpy())),
            0.4 * _zscore(np.log(stocks["book_to_market"].to_numpy())),
            0.4 * _zscore(total_vol),
            0.3 * np.clip(_zscore(stocks["profitability"].to_numpy()), -2.5, 2.5),
            -0.3 * _zscore(stocks["asset_growth"].to_numpy()),
        ]
    )


def _momentum_exposure(
    log_returns: FloatArray, listed: BoolArray, month_start: BoolArray
) -> FloatArray:
    """Monthly z-scored trailing 12-1 month return, clipped and scaled by 0.35.

    Parameters
    ----------
    log_returns : ndarray of shape (n_days, n_stocks)
        Daily log returns without the momentum component.
    listed : ndarray of bool, shape (n_days, n_stocks)
        Whether a stock trades that day.
    month_start : ndarray of bool, shape (n_days,)
        First trading day of each month (rebalancing days).

    Returns
    -------
    ndarray of shape (n_days, n_stocks)
        Exposure held from each rebalancing day until the next.
    """
    n_days, n = log_returns.shape
    masked = np.where(listed, log_returns, 0.0)
    csum = np.vstack([np.zeros((1, n)), np.cumsum(masked, axis=0)])
    ccount = np.vstack([np.zeros((1, n)), np.cumsum(listed, axis=0)])
    exposure = np.zeros((n_days, n))
    current = np.zeros(n)
    for t in range(n_days):
        if month_start[t] and t >= 126:
            lo, hi = max(t - 252, 0), t - 21
            signal = csum[hi] - csum[lo]
            valid = (ccount[hi] - ccount[lo] >= 105) & listed[t]
            current = np.zeros(n)
            if valid.sum() >= 5:
                current[valid] = 0.35 * np.clip(_zscore(signal[valid]), -2.5, 2.5)
        exposure[t] = np.where(listed[t], current, 0.0)
    return exposure


def simulate_market(cast: list[CastEntry], end: pd.Timestamp, rng: np.random.Generator) -> Market:
    """Simulate returns, prices, corporate actions, shares, volume and index membership.

    Parameters
    ----------
    cast : list of CastEntry
        The companies.
    end : pandas.Timestamp
        Last calendar day of the sample.
    rng : numpy.random.Generator
        The single source of randomness.

    Returns
    -------
    Market
        The simulated market on the sample days.
    """
    params = _sub_parameters()
    stocks = _static_attributes(cast, params, rng)
    n = len(stocks)
    sample_days = trading_days(START, end)
    burn_days = trading_days(START - pd.Timedelta(days=400), START - pd.Timedelta(days=1))[
        -BURN_IN:
    ]
    dates = burn_days.append(sample_days)
    n_all, n_days, burn = len(dates), len(sample_days), len(burn_days)
    years = np.asarray(dates.year)
    sqrt_year = np.sqrt(TRADING_DAYS)

    # Listing, membership, roles.
    list_idx = np.full(n, burn, dtype=np.int64)
    ipo = (stocks["role"] == "ipo").to_numpy()
    # IPOs are staggered: the k-th lists within [0.10 + 0.15 k, 0.20 + 0.15 k] of the sample.
    windows = 0.10 + 0.15 * np.arange(ipo.sum())
    list_idx[ipo] = burn + (rng.uniform(windows, windows + 0.10) * n_days).astype(np.int64)
    listed = np.arange(n_all)[:, None] >= list_idx[None, :]

    # Risk-free rate (daily decimal).
    epoch = pd.Timestamp("1970-01-01")
    knot_days = np.array([(pd.Timestamp(d) - epoch).days for d, _ in RF_KNOTS], dtype=float)
    day_numbers = np.asarray((dates - epoch).days, dtype=float)
    rf_annual = np.interp(day_numbers, knot_days, [r for _, r in RF_KNOTS])
    rf = np.round(rf_annual / TRADING_DAYS, 5)

    # Static exposures: beta, an ex-ante total volatility, style loadings, start cap weights.
    beta = stocks["beta"].to_numpy()
    idio_daily = stocks["idio_vol"].to_numpy() / sqrt_year
    total_vol = np.sqrt(
        (beta * 0.18) ** 2
        + np.array([SECTORS[s].factor_vol for s in stocks["sector"]]) ** 2
        + (0.75 * params.loc[stocks["sub"], "fvol"].to_numpy()) ** 2
        + np.array([LINES[k].factor_vol for k in stocks["line"]]) ** 2
        + stocks["idio_vol"].to_numpy() ** 2
    )
    loadings = _style_loadings(stocks, total_vol)
    weight0 = stocks["cap0"].to_numpy() / stocks["cap0"].sum()

    # Market factor: regime calendar x GARCH(1,1) with Student-t shocks.
    drift_m, regime = _schedule(dates, MARKET_REGIMES, BURN_IN_DRIFT, 1.0)
    garch, h = _garch_variance(_standard_t(rng, 5.0, (n_all,)))
    sigma_m = 0.13 / sqrt_year
    market = drift_m + _pin(sigma_m * regime * garch, dates, [e[:2] for e in MARKET_REGIMES])
    level = regime * np.sqrt(h)  # common volatility level c_t
    c_factor = level**0.75
    c_half = np.sqrt(level)

    # Sector, sub-industry and business-line factors.
    sector_names = list(SECTORS)
    sec_idx = np.array([sector_names.index(s) for s in stocks["sector"]])
    sector_f = np.empty((n_all, len(sector_names)))
    neutral = np.zeros(n_all)  # cap-weighted drift of sector and style episodes
    for k, name in enumerate(sector_names):
        episodes = [(a, b, mu, 1.0, 1.0) for a, b, mu in SECTOR_DRIFTS.get(name, ())]
        drift_s, _ = _schedule(dates, episodes, 0.0, 1.0)
        vol = SECTORS[name].factor_vol / sqrt_year
        noise = vol * c_half * _standard_t(rng, 5.0, (n_all,))
        sector_f[:, k] = drift_s + _pin(noise, dates, [e[:2] for e in episodes])
        neutral += weight0[sec_idx == k].sum() * drift_s
    sub_names = list(SUB_INDUSTRIES)
    sub_idx = np.array([sub_names.index(s) for s in stocks["sub"]])
    sub_vol = 0.75 * params.loc[sub_names, "fvol"].to_numpy() / sqrt_year
    sub_f = sub_vol[None, :] * c_factor[:, None] * rng.standard_normal((n_all, len(sub_names)))
    line_names = list(LINES)
    line_idx = np.array([line_names.index(s) for s in stocks["line"]])
    line_vol = np.array([LINES[k].factor_vol for k in line_names]) / sqrt_year
    line_f = line_vol[None, :] * c_factor[:, None] * rng.standard_normal((n_all, len(line_names)))

    # Style factors (correlated), with yearly drifts.
    chol = np.linalg.cholesky(STYLE_CORRELATION)
    style_vol = np.array([STYLE_VOL[f] for f in STYLE_FACTORS]) / sqrt_year
    style = (rng.standard_normal((n_all, len(STYLE_FACTORS))) @ chol.T) * style_vol
    style *= c_half[:, None]
    for j, f in enumerate(STYLE_FACTORS):
        annual = np.array([STYLE_DRIFT[f].get(int(y), STYLE_DEFAULT_DRIFT[f]) for y in years])
        pinned = [(f"{y}-01-01", f"{y}-12-31") for y in STYLE_DRIFT[f]]
        style[:, j] = _pin(style[:, j], dates, pinned) + annual / TRADING_DAYS
        if j < loadings.shape[1]:
            neutral += float(weight0 @ loadings[:, j]) * annual / TRADING_DAYS
    # Sector and style drifts are relative: the cap-weighted market keeps the regime drift.
    market -= neutral
    factors = pd.DataFrame(style, columns=list(STYLE_FACTORS))
    factors.insert(0, "market", market)

    # Idiosyncratic noise with earnings jumps.
    idio = idio_daily[None, :] * c_half[:, None] * _standard_t(rng, 4.0, (n_all, n))
    earnings = np.zeros((n_all, n), dtype=bool)
    offsets = rng.integers(18, 41, n)
    quarter_ends = pd.date_range(dates[0] - pd.offsets.QuarterEnd(1), end, freq="QE")
    for i in range(n):
        for q in quarter_ends:
            t = _next_trading_index(dates, q + pd.Timedelta(days=int(offsets[i])))
            if t < n_all:
                earnings[t, i] = True
    idio += earnings * 2.5 * idio_daily[None, :] * c_half[:, None] * rng.standard_normal((n_all, n))

    base = (
        rf[:, None]
        + stocks["alpha"].to_numpy()[None, :] / TRADING_DAYS
        + beta[None, :] * market[:, None]
        + sector_f[:, sec_idx]
        + sub_f[:, sub_idx]
        + line_f[:, line_idx]
        + style[:, :5] @ loadings.T
        + idio
    )
    month_start = np.r_[True, np.asarray(dates.month[1:] != dates.month[:-1])]
    mom_exposure = _momentum_exposure(np.log1p(np.clip(base, -0.9, None)), listed, month_start)
    returns = np.clip(base + mom_exposure * style[:, [5]], -0.6, 1.5)

    # Dividend ex-dates (quarterly) and the economic price path.
    payer = stocks["dividend_yield"].to_numpy() > 0
    exdate = np.zeros((n_all, n), dtype=bool)
    first_month = rng.integers(1, 4, n)
    ex_day = rng.integers(3, 26, n)
    for i in np.flatnonzero(payer):
        for year in range(int(years[0]), int(years[-1]) + 1):
            for month in range(int(first_month[i]), 13, 3):
                t = _next_trading_index(dates, pd.Timestamp(year, month, int(ex_day[i])))
                if list_idx[i] < t < n_all:
                    exdate[t, i] = True
    price = np.full((n_all, n), np.nan)
    dividend = np.zeros((n_all, n))
    quarterly = np.zeros(n)
    price0 = stocks["price0"].to_numpy()
    quarter_yield = stocks["dividend_yield"].to_numpy() / 4.0
    for t in range(burn, n_all):
        if t == burn or years[t] != years[t - 1]:
            reference = price0 if t == burn else np.nan_to_num(price[t - 1])
            quarterly = quarter_yield * reference
        new = list_idx == t
        old = list_idx < t
        # A dividend above 2% of the price a quarter is cut to 1% (and stays cut that year).
        cut = exdate[t] & old & (quarterly > 0.02 * np.nan_to_num(price[t - 1]))
        quarterly = np.where(cut, 0.01 * np.nan_to_num(price[t - 1]), quarterly)
        dividend[t] = np.where(exdate[t] & old, quarterly, 0.0)
        price[t, old] = (price[t - 1, old] - dividend[t, old]) * (1.0 + returns[t, old])
        price[t, new] = price0[new]

    # Open, high, low (economic).
    day_vol = total_vol[None, :] / sqrt_year * level[:, None] ** 0.6
    prev = np.vstack([np.full((1, n), np.nan), price[:-1]])
    gap = 0.3 * np.log1p(returns) + 0.2 * day_vol * rng.standard_normal((n_all, n))
    open_ = (prev - dividend) * np.exp(gap)
    first_day = np.isnan(prev) & ~np.isnan(price)
    open_[first_day] = (price * np.exp(0.5 * day_vol * rng.standard_normal((n_all, n))))[first_day]
    high = np.maximum(open_, price) * np.exp(
        np.abs(0.45 * day_vol * rng.standard_normal((n_all, n)))
    )
    low = np.minimum(open_, price) * np.exp(
        -np.abs(0.45 * day_vol * rng.standard_normal((n_all, n)))
    )

    # Shares outstanding (economic, per original share): monthly steps after listing.
    steps = np.where(
        month_start[:, None] & listed,
        stocks["share_growth"].to_numpy()[None, :] / 12.0 + rng.normal(0.0, 0.003, (n_all, n)),
        0.0,
    )
    steps[np.arange(n_all)[:, None] <= list_idx[None, :]] = 0.0
    shares0 = stocks["cap0"].to_numpy() / price0
    shares = shares0[None, :] * np.exp(np.cumsum(steps, axis=0))

    # Splits: at fixed points in time the highest priced unsplit stock splits.
    split_factor = np.ones((n_all, n))
    splits: list[tuple[str, pd.Timestamp, int]] = []
    done: set[int] = set()
    for fraction in SPLIT_FRACTIONS:
        t = burn + int(fraction * n_days)
        raw = np.where(listed[t - 1], price[t - 1] / split_factor[t - 1], -np.inf)
        raw[list(done)] = -np.inf
        i = int(np.argmax(raw))
        ratio = min(SPLIT_RATIOS, key=lambda k: abs(np.log(raw[i] / k / 120.0)))
        while exdate[t, i]:
            t += 1
        split_factor[t:, i] *= ratio
        done.add(i)
        splits.append((str(stocks.at[i, "ticker"]), dates[t], int(ratio)))

    # Dollar volume.
    cap = price * shares
    shock = np.abs(returns - rf[:, None]) / (total_vol[None, :] / sqrt_year * level[:, None] ** 0.6)
    spike = np.exp(0.35 * np.maximum(shock - 1.5, 0.0))
    after_earnings = np.vstack([np.zeros((1, n), dtype=bool), earnings[:-1]])
    spike *= 1.0 + 1.5 * earnings + 0.5 * after_earnings
    spike[first_day] *= 4.0
    noise = _ar1(rng, (n_all, n), 0.8, 0.2) + _ar1(rng, (n_all, 1), 0.9, 0.06)
    dollar_volume = (
        0.9 * np.nan_to_num(cap) ** 0.8 * stocks["liquidity"].to_numpy()[None, :] * np.exp(noise)
    )
    dollar_volume *= spike * np.sqrt(level)[:, None]

    # Index membership: initial members, IPOs and joiners join later, leavers leave.
    join_idx = np.full(n, -1, dtype=np.int64)  # -1: member before the sample
    leave_idx = np.full(n, n_all + 1, dtype=np.int64)
    joiner = (stocks["role"] == "joiner").to_numpy()
    join_idx[joiner] = burn + rng.integers(int(0.30 * n_days), int(0.70 * n_days), joiner.sum())
    join_idx[ipo] = list_idx[ipo] + rng.integers(120, 330, ipo.sum())
    leaver = (stocks["role"] == "leaver").to_numpy()
    leave_idx[leaver] = burn + rng.integers(int(0.45 * n_days), int(0.85 * n_days), leaver.sum())
    t_all = np.arange(n_all)[:, None]
    member = listed & (t_all >= join_idx[None, :]) & (t_all < leave_idx[None, :])
    stocks["join_idx"] = np.where(join_idx >= 0, join_idx - burn, -1)
    stocks["leave_idx"] = np.where(leave_idx <= n_all, leave_idx - burn, -1)
    stocks["list_idx"] = list_idx - burn

    keep = slice(burn, None)
    return Market(
        dates=sample_days,
        stocks=stocks,
        returns=returns[keep],
        price=price[keep],
        dividend=dividend[keep],
        split_factor=split_factor[keep],
        open_=open_[keep],
        high=high[keep],
        low=low[keep],
        shares=shares[keep],
        dollar_volume=dollar_volume[keep],
        member=member[keep],
        listed=listed[keep],
        factors=factors.iloc[burn:].reset_index(drop=True),
        rf=rf[keep],
        splits=splits,
    )


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _ticker_order(market: Market) -> IntArray:
    """Column order that sorts the stocks by ticker."""
    return np.argsort(market.stocks["ticker"].to_numpy(), kind="stable")


def split_adjustment(market: Market) -> FloatArray:
    """Cumulative split factor from each day to the end of the data, shape (n_days, n_stocks).

    ``1`` on and after a stock's last split, the product of the split ratios still to come
    before it. A traded (raw) price divided by it, or a traded share count multiplied by it,
    is expressed in the share basis of the last day (the vendor's pull date), as Yahoo does.
    """
    return market.split_factor[-1][None, :] / market.split_factor


def build_prices(market: Market) -> pd.DataFrame:
    """Long daily price table in the layout and the conventions of the real ``prices.parquet``.

    Yahoo conventions: ``open, high, low, close`` are the traded prices, rounded to cents,
    divided by :func:`split_adjustment` (split-adjusted to the last day's share basis, not
    dividend-adjusted; 4 decimals), so they never jump on a split day; ``volume`` is the traded
    share count (rounded to 100 shares) times the same factor, so ``close * volume`` is the
    dollar volume traded; ``adj_close`` is split- and dividend-adjusted.

    Parameters
    ----------
    market : Market
        Simulated market.

    Returns
    -------
    pandas.DataFrame
        date, ticker, open, high, low, close, adj_close (4 decimals), volume (int); sorted by
        ticker and date; only days a stock trades.
    """
    split = market.split_factor
    adjust = split_adjustment(market)

    def yahoo(economic: FloatArray) -> FloatArray:
        traded = np.round(economic / split, 2)  # the traded price, in cents
        return np.round(traded / adjust, 4)

    close = yahoo(market.price)
    open_ = yahoo(market.open_)
    high = yahoo(market.high)
    low = yahoo(market.low)
    prev_listed = np.vstack([np.zeros((1, market.listed.shape[1]), bool), market.listed[:-1]])
    counted = market.listed & prev_listed
    log_tri = np.cumsum(np.where(counted, np.log1p(market.returns), 0.0), axis=0)
    adj = np.round(close[-1][None, :] * np.exp(log_tri - log_tri[-1][None, :]), 4)
    raw_close = market.price / split
    with np.errstate(invalid="ignore"):
        traded_shares = np.round(np.nan_to_num(market.dollar_volume / raw_close) / 100.0) * 100.0
    volume = np.maximum(traded_shares, 100.0) * adjust

    order = _ticker_order(market)
    stock_pos, day_pos = np.nonzero(market.listed[:, order].T)
    cols = order[stock_pos]
    tickers = market.stocks["ticker"].to_numpy()
    frame = pd.DataFrame(
        {
            "date": market.dates[day_pos],
            "ticker": pd.array(tickers[cols], dtype="str"),
            "open": open_[day_pos, cols],
            "high": high[day_pos, cols],
            "low": low[day_pos, cols],
            "close": close[day_pos, cols],
            "adj_close": adj[day_pos, cols],
            "volume": np.round(volume[day_pos, cols]).astype(np.int64),
        }
    )
    return frame


def _index_return(market: Market, columns: BoolArray) -> tuple[FloatArray, FloatArray]:
    """Cap-weighted (previous-day caps) return of members in ``columns`` and their dollar volume."""
    cap = np.nan_to_num(market.cap)
    cap_prev = np.vstack([cap[:1], cap[:-1]])
    weight = cap_prev * market.member * columns[None, :]
    returns = np.nansum(weight * market.returns, axis=1) / weight.sum(axis=1)
    returns[0] = 0.0
    dollar_volume = np.nansum(market.dollar_volume * market.member * columns[None, :], axis=1)
    return returns, dollar_volume


def build_benchmarks(market: Market, rng: np.random.Generator) -> pd.DataFrame:
    """SPY and one SPDR sector look-alike per simulated sector, cap-weighted over members.

    Parameters
    ----------
    market : Market
        Simulated market.
    rng : numpy.random.Generator
        Source of the ETF volume noise.

    Returns
    -------
    pandas.DataFrame
        date, ticker, adj_close (total return level net of the fee), volume (Int64 shares).
        A sector without index members on some day (possible with few ``--n-stocks``) gets no
        ETF.
    """
    sectors = market.stocks["sector"].to_numpy()
    specs = [("SPY", np.ones(len(sectors), bool), SPY_START, SPY_FEE, 0.07)]
    for name, sector in SECTORS.items():
        if market.member[:, sectors == name].any(axis=1).all():  # members on every day
            specs.append((sector.etf, sectors == name, sector.etf_start, SECTOR_ETF_FEE, 0.015))
    frames = []
    for ticker, columns, start, fee, share in specs:
        returns, member_dv = _index_return(market, columns)
        net = returns - fee / TRADING_DAYS
        net[0] = 0.0
        level = start * np.cumprod(1.0 + net)
        dollar_volume = share * member_dv * np.exp(rng.normal(0.0, 0.2, len(level)))
        volume = np.maximum(np.round(dollar_volume / level / 100.0) * 100.0, 100.0)
        frames.append(
            pd.DataFrame(
                {
                    "date": market.dates,
                    "ticker": pd.array([ticker] * len(level), dtype="str"),
                    "adj_close": np.round(level, 4),
                    "volume": pd.array(volume.astype(np.int64), dtype="Int64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["ticker", "date"], ignore_index=True)


def build_fama_french(market: Market) -> pd.DataFrame:
    """Daily Fama-French style factors from the simulated market.

    Parameters
    ----------
    market : Market
        Simulated market.

    Returns
    -------
    pandas.DataFrame
        date, mkt_rf (cap-weighted return of all listed stocks minus rf), smb, hml, rmw, cma,
        rf, mom; decimals rounded to 4 places (rf 5).
    """
    cap = np.nan_to_num(market.cap)
    cap_prev = np.vstack([cap[:1], cap[:-1]])
    weight = cap_prev * market.listed
    market_return = (weight * market.returns).sum(axis=1) / weight.sum(axis=1)
    f = market.factors
    return pd.DataFrame(
        {
            "date": market.dates,
            "mkt_rf": np.round(market_return - market.rf, 4),
            "smb": np.round(f["size"].to_numpy(), 4),
            "hml": np.round(f["value"].to_numpy(), 4),
            "rmw": np.round(f["profitability"].to_numpy(), 4),
            "cma": np.round(f["investment"].to_numpy(), 4),
            "rf": np.round(market.rf, 5),
            "mom": np.round(f["momentum"].to_numpy(), 4),
        }
    )


def _add_profiles(market: Market, rng: np.random.Generator) -> None:
    """Draw headquarters, founding year, historical index add date and CIK per stock."""
    stocks = market.stocks
    n = len(stocks)
    city_pick = rng.integers(0, len(US_CITIES), n)
    city, state, state_name = [], [], []
    for i, country in enumerate(stocks["country"]):
        if country == "United States":
            c, s, sn = US_CITIES[int(city_pick[i])]
        else:
            c, s, sn = FOREIGN_CITIES[country], "", country
        city.append(c)
        state.append(s)
        state_name.append(sn)
    stocks["city"] = city
    stocks["state"] = state
    stocks["headquarters"] = [f"{c}, {sn}" for c, sn in zip(city, state_name, strict=True)]
    first_add = pd.Timestamp("1957-03-04")
    span = (pd.Timestamp("2018-09-28") - first_add).days
    added = [
        (first_add + pd.Timedelta(days=int(d)) + pd.offsets.BDay(0)).normalize()
        for d in rng.integers(0, span, n)
    ]
    stocks["date_added_hist"] = added
    founded = [
        int(rng.integers(2004, 2016))
        if role == "ipo"
        else int(rng.integers(1870, max(a.year - 4, 1871)))
        for role, a in zip(stocks["role"], added, strict=True)
    ]
    stocks["founded"] = founded
    stocks["cik"] = rng.choice(np.arange(9_900_000, 10_000_000), n, replace=False)


def build_index_membership(market: Market) -> pd.DataFrame:
    """Point-in-time index membership intervals ``[start_date, end_date)``.

    Parameters
    ----------
    market : Market
        Simulated market (after :func:`_add_profiles`).

    Returns
    -------
    pandas.DataFrame
        ticker, start_date, end_date (NaT: still a member on the last day).
    """
    rows = []
    dates = market.dates
    for s in market.stocks.itertuples():
        if s.join_idx < 0:
            start = s.date_added_hist
        elif s.join_idx < len(dates):
            start = dates[s.join_idx]
        else:
            continue
        end = dates[s.leave_idx] if 0 <= s.leave_idx < len(dates) else pd.NaT
        rows.append((s.ticker, start, end))
    frame = pd.DataFrame(rows, columns=["ticker", "start_date", "end_date"])
    frame["ticker"] = frame["ticker"].astype("str")
    for col in ("start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame.sort_values(["ticker", "start_date"], ignore_index=True)


def build_securities(market: Market) -> pd.DataFrame:
    """One row per security in the layout (columns and dtypes) of the real file.

    Parameters
    ----------
    market : Market
        Simulated market (after :func:`_add_profiles`).

    Returns
    -------
    pandas.DataFrame
        Sorted by ticker; every name ends with ``" (synthetic)"``.
    """
    dates = market.dates
    rows = []
    for s in market.stocks.itertuples():
        if s.join_idx < 0:
            date_added = s.date_added_hist.strftime("%Y-%m-%d")
        elif s.join_idx < len(dates):
            date_added = dates[s.join_idx].strftime("%Y-%m-%d")
        else:
            date_added = None
        if s.leave_idx >= 0:
            snapshot = dates[s.leave_idx - 1]
        elif s.join_idx < len(dates):
            snapshot = dates[-1]
        else:
            snapshot = pd.NaT
        rows.append(
            {
                "ticker": s.ticker,
                "first_price_date": dates[s.list_idx],
                "last_price_date": dates[-1],
                "name": f"{s.name} (synthetic)",
                "gics_sector": s.sector,
                "gics_sub_industry": SUB_INDUSTRIES[s.sub].name,
                "headquarters": s.headquarters,
                "date_added": date_added,
                "cik": int(s.cik),
                "founded": str(s.founded),
                "last_listed_snapshot": snapshot,
                "possible_ticker_reuse": False,
                "check_identity": False,
                "country": s.country,
            }
        )
    frame = pd.DataFrame(rows)
    dtypes = {
        "ticker": "str",
        "first_price_date": "datetime64[us]",
        "last_price_date": "datetime64[us]",
        "name": "string",
        "gics_sector": "string",
        "gics_sub_industry": "string",
        "headquarters": "string",
        "date_added": "string",
        "cik": "Int64",
        "founded": "string",
        "last_listed_snapshot": "datetime64[us]",
        "possible_ticker_reuse": "bool",
        "check_identity": "bool",
        "country": "str",
    }
    return frame.astype(dtypes).sort_values("ticker", ignore_index=True)


def build_fundamentals(market: Market, end: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Annual statements FY2018 .. FY(end year - 1), published 40-80 days after period end.

    Parameters
    ----------
    market : Market
        Simulated market.
    end : pandas.Timestamp
        Last sample day; statements published later are dropped.
    rng : numpy.random.Generator
        Source of the accounting noise.

    Returns
    -------
    pandas.DataFrame
        The columns of the real ``fundamentals_annual.parquet``; ``source`` is ``"demo"``.
        Shares are as reported at the period end (not restated for later splits).
    """
    dates = market.dates
    rows = []
    for i, s in enumerate(market.stocks.itertuples()):
        listing = dates[s.list_idx]
        shocks = {**FUNDAMENTAL_SHOCKS.get(s.sector, {}), **FUNDAMENTAL_SHOCKS.get(s.sub, {})}
        equity = s.book_to_market * s.cap0
        for fy in range(2018, min(end.year - 1, 2022) + 1):
            if fy > 2018:
                equity *= np.exp(s.asset_growth + rng.normal(0.0, 0.04))
            period_end = pd.Timestamp(fy, int(s.fye_month), 1) + pd.offsets.MonthEnd(0)
            lag = pd.Timedelta(days=int(rng.integers(40, 81)))
            publish = pd.offsets.BDay(0).rollforward(period_end + lag)
            revenue_noise = rng.normal(0.0, 0.05)
            margin_noise = rng.normal(0.0, 0.015)
            dilution = rng.uniform(0.002, 0.02)
            short_share = rng.uniform(0.03, 0.15)
            if period_end < listing - pd.Timedelta(days=365):
                continue
            publish = max(publish, listing)
            if publish > end:
                continue
            t = max(int(dates.searchsorted(period_end, side="right")) - 1, int(s.list_idx))
            shares = market.shares[t, i] * market.split_factor[t, i]
            if period_end < listing and s.list_idx > 0:  # an IPO issues new shares
                shares *= 0.92
            revenue_mult, margin_shift = shocks.get(fy, (1.0, 0.0))
            assets = equity * s.leverage
            liabilities = assets - equity
            revenue = assets * s.asset_turnover * np.exp(revenue_noise) * revenue_mult
            operating = revenue * (s.op_margin + margin_noise + margin_shift)
            long_debt = liabilities * s.debt_share
            short_debt = np.nan if s.bank else long_debt * short_share
            interest = 0.0 if s.bank else 0.04 * long_debt
            pretax = operating - interest
            net = pretax * 0.79 if pretax > 0 else pretax
            gross = np.nan if s.financial else revenue * s.gross_margin

            def money(x: float) -> float:
                return float(np.round(x / 1e5) * 1e5)

            rows.append(
                {
                    "ticker": s.ticker,
                    "fiscal_year": float(fy),
                    "period_end": period_end,
                    "publish_date": publish,
                    "shares_basic": float(np.round(shares, -3)),
                    "shares_diluted": float(np.round(shares * (1.0 + dilution), -3)),
                    "total_assets": money(assets),
                    "total_equity": money(equity),
                    "short_term_debt": money(short_debt),
                    "long_term_debt": money(long_debt),
                    "total_liabilities": money(liabilities),
                    "revenue": money(revenue),
                    "gross_profit": money(gross),
                    "operating_income": money(operating),
                    "net_income": money(net),
                    "source": FUNDAMENTAL_SOURCE,
                    "publish_date_estimated": False,
                }
            )
    frame = pd.DataFrame(rows)
    frame["ticker"] = frame["ticker"].astype("str")
    frame["source"] = frame["source"].astype("str")
    for col in ("period_end", "publish_date"):
        frame[col] = frame[col].astype("datetime64[us]")
    return frame.sort_values(["ticker", "fiscal_year"], ignore_index=True)


def snapshot_days(market: Market) -> IntArray:
    """Day indices of the valuation snapshots: the first trading day after each quarter end."""
    dates = market.dates
    quarter_ends = pd.date_range(dates[0] - pd.offsets.QuarterEnd(1), dates[-1], freq="QE")
    days = dates.searchsorted(quarter_ends, side="right")
    return np.unique(days[days < len(dates)]).astype(np.int64)


def build_fundamentals_snapshots(market: Market, fundamentals: pd.DataFrame) -> pd.DataFrame:
    """Quarterly valuation snapshots in the layout of the real ``fundamentals_snapshots.parquet``.

    One row per listed stock on the first trading day after each quarter end. Unlike the
    split-adjusted ``prices``, a snapshot states what the market showed that day: ``price`` is
    the traded (unadjusted) close, ``market_cap`` the traded price times the shares outstanding
    that day (USD), ``low_52w``/``high_52w`` the trailing 252-day range in that day's share
    basis and ``dividend_yield`` the trailing 252-day dividends over the price, in percent.
    ``eps``, ``book_value`` (per share outstanding that day), ``pe``, ``ps`` and ``pb`` use the
    latest annual statement published on or before the snapshot day (NaN before the first, and
    ``pe``/``pb`` when earnings or book equity are not positive). The simulator has no
    depreciation, so ``ebitda`` is NaN.

    Parameters
    ----------
    market : Market
        Simulated market (after :func:`_add_profiles`).
    fundamentals : pandas.DataFrame
        Output of :func:`build_fundamentals`.

    Returns
    -------
    pandas.DataFrame
        snapshot_date, ticker, name, sector, price, pe, dividend_yield, eps, low_52w,
        high_52w, market_cap, ebitda, ps, pb, book_value; sorted by snapshot_date and ticker.
    """
    stocks = market.stocks
    order = _ticker_order(market)
    rows = []
    for t in snapshot_days(market):
        cols = order[market.listed[t, order]]
        window = slice(max(int(t) - TRADING_DAYS + 1, 0), int(t) + 1)
        split = market.split_factor[t, cols]
        with np.errstate(invalid="ignore"):
            low = np.nanmin(market.low[window, cols], axis=0) / split
            high = np.nanmax(market.high[window, cols], axis=0) / split
        trailing_dividends = market.dividend[window, cols].sum(axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "snapshot_date": market.dates[t],
                    "ticker": stocks["ticker"].to_numpy()[cols],
                    "name": [f"{name} (synthetic)" for name in stocks["name"].to_numpy()[cols]],
                    "sector": stocks["sector"].to_numpy()[cols],
                    "price": np.round(market.price[t, cols] / split, 2),
                    "dividend_yield": np.round(
                        100.0 * trailing_dividends / market.price[t, cols], 4
                    ),
                    "low_52w": np.round(low, 2),
                    "high_52w": np.round(high, 2),
                    "market_cap": np.round(market.cap[t, cols] / 1e5) * 1e5,
                    "shares": market.shares[t, cols] * split,  # outstanding that day
                }
            )
        )
    snap = pd.concat(rows, ignore_index=True)
    statements = fundamentals[
        ["ticker", "publish_date", "total_equity", "revenue", "net_income"]
    ].sort_values("publish_date")
    snap = pd.merge_asof(
        snap.sort_values("snapshot_date"),
        statements,
        left_on="snapshot_date",
        right_on="publish_date",
        by="ticker",
        direction="backward",
    )
    eps = (snap["net_income"] / snap["shares"]).round(2)
    book = (snap["total_equity"] / snap["shares"]).round(3)
    snap["eps"] = eps
    snap["book_value"] = book
    snap["pe"] = (snap["price"] / eps).where(eps > 0).round(2)
    snap["pb"] = (snap["price"] / book).where(book > 0).round(2)
    snap["ps"] = (snap["market_cap"] / snap["revenue"]).where(snap["revenue"] > 0).round(4)
    snap["ebitda"] = np.nan
    columns = {
        "snapshot_date": "datetime64[us]",
        "ticker": "str",
        "name": "string",
        "sector": "string",
        **dict.fromkeys(
            [
                "price",
                "pe",
                "dividend_yield",
                "eps",
                "low_52w",
                "high_52w",
                "market_cap",
                "ebitda",
                "ps",
                "pb",
                "book_value",
            ],
            "float64",
        ),
    }
    snap = snap[list(columns)].astype(columns)
    return snap.sort_values(["snapshot_date", "ticker"], ignore_index=True)


def _labels() -> list[str]:
    """Every GICS sector and sub-industry label, lower case."""
    return [s.lower() for s in SECTORS] + [s.name.lower() for s in SUB_INDUSTRIES.values()]


def compose_descriptions(
    name: str,
    line: BusinessLine,
    sub: SubIndustry,
    founded: int,
    place: str,
    rng: np.random.Generator,
) -> tuple[str, str]:
    """Compose the 2021 and the reworded 2023 business description of one company.

    Parameters
    ----------
    name : str
        Legal name used in the text.
    line : BusinessLine
        Business line: products, customers, segments, niche driver.
    sub : SubIndustry
        Sub-industry: shared phrases.
    founded : int
        Founding year.
    place : str
        ``"City, State"`` or ``"City, Country"``.
    rng : numpy.random.Generator
        Chooses the phrases.

    Returns
    -------
    tuple of str
        The earlier and the later vintage, each 60-150 words.

    Raises
    ------
    ValueError
        If a text would contain a GICS label or fall outside 60-150 words.
    """
    products = _pick(rng, line.products, 8)
    customers = _pick(rng, line.customers, 2)
    shared = _pick(rng, sub.vocabulary, 3)
    segments = _pick(rng, line.segments, 2)
    boiler = _pick(rng, BOILERPLATE, 3)
    early = [
        f"{name} {line.verb} {_join(products[:3])} for {_join(customers)}.",
        f"The company's {segments[0]} segment offers {_join(products[3:5])}; its {segments[1]} "
        f"segment provides {_join(products[5:7])}.",
        f"Its operations span {_join(shared)}.",
        *([f"Demand is driven by {line.driver}."] if line.niche else []),
        boiler[0],
        boiler[1],
        f"{name} was founded in {founded} and is headquartered in {place}.",
    ]
    later_products = [products[i] for i in (1, 0, 7, 4, 3, 6, 5)]
    later = [
        f"{name}, together with its subsidiaries, {line.verb} {_join(later_products[:3])} for "
        f"{_join(customers[::-1])} worldwide.",
        f"Its {segments[0]} segment provides {_join(later_products[3:5])}, and its {segments[1]} "
        f"segment offers {_join(later_products[5:7])}.",
        f"The company's activities include {_join(shared[::-1])}.",
        *([f"Growth reflects {line.driver}."] if line.niche else []),
        boiler[0],
        boiler[2],
        f"{name} was incorporated in {founded} and is based in {place}.",
    ]
    texts = (" ".join(early), " ".join(later))
    for text in texts:
        words = len(text.split())
        if not 60 <= words <= 150:
            raise ValueError(f"description of {name} has {words} words, outside 60-150")
        lowered = text.lower()
        for label in _labels():
            if label in lowered:
                raise ValueError(f"description of {name} contains the GICS label {label!r}")
    return texts


def build_descriptions(
    market: Market, fundamentals: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Two ``yahoo_profile`` vintages of business descriptions.

    Parameters
    ----------
    market : Market
        Simulated market (after :func:`_add_profiles`).
    fundamentals : pandas.DataFrame
        Annual statements; head counts follow the latest published revenue.
    rng : numpy.random.Generator
        Chooses phrases and head-count noise.

    Returns
    -------
    pandas.DataFrame
        ticker, as_of, source, name, sector, industry, city, state, country, employees, text;
        a company listed after a vintage's date has no row for it.
    """
    rows = []
    for s in market.stocks.itertuples():
        place = s.headquarters
        texts = compose_descriptions(
            s.name, LINES[s.line], SUB_INDUSTRIES[s.sub], int(s.founded), place, rng
        )
        listing = market.dates[s.list_idx]
        own = fundamentals[fundamentals["ticker"] == s.ticker]
        for as_of, text in zip(DESCRIPTION_VINTAGES, texts, strict=True):
            headcount_noise = rng.normal(0.0, 0.1)
            if listing > as_of:
                continue
            known = own[own["publish_date"] <= as_of]
            if len(known):
                revenue = float(known["revenue"].iloc[-1])
            elif len(own):
                revenue = float(own["revenue"].iloc[0])
            else:  # no statement in a short sample: revenue implied by size and turnover
                revenue = s.book_to_market * s.cap0 * s.leverage * s.asset_turnover
            employees = float(
                np.round(revenue / s.revenue_per_employee * np.exp(headcount_noise), -1)
            )
            rows.append(
                {
                    "ticker": s.ticker,
                    "as_of": as_of,
                    "source": "yahoo_profile",
                    "name": f"{s.name} (synthetic)",
                    "sector": SECTORS[s.sector].yahoo,
                    "industry": SUB_INDUSTRIES[s.sub].yahoo_industry,
                    "city": s.city,
                    "state": s.state or None,
                    "country": s.country,
                    "employees": max(employees, 50.0),
                    "text": text,
                }
            )
    frame = pd.DataFrame(rows)
    for col in (
        "ticker",
        "source",
        "name",
        "sector",
        "industry",
        "city",
        "state",
        "country",
        "text",
    ):
        frame[col] = frame[col].astype("string")
    frame["as_of"] = frame["as_of"].astype("datetime64[us]")
    frame["employees"] = frame["employees"].astype("float64")
    return frame.sort_values(["ticker", "as_of", "source"], ignore_index=True)


# --------------------------------------------------------------------------------------------
# Bundle
# --------------------------------------------------------------------------------------------


def demo_target(market: Market) -> str:
    """The stock ``hedgekit demo`` hedges by default.

    :data:`DEMO_TARGET` when it is in the cast, else the largest company that trades from the
    first day and stays an index member throughout.
    """
    stocks = market.stocks
    if DEMO_TARGET in set(stocks["ticker"]):
        return DEMO_TARGET
    full = market.listed[0] & market.member.all(axis=0)
    return str(stocks["ticker"].to_numpy()[full][np.argmax(market.cap[0, full])])


def last_trading_day(years: int) -> pd.Timestamp:
    """Last NYSE trading day of calendar year ``2019 + years - 1``."""
    year = START.year + years - 1
    return trading_days(pd.Timestamp(year, 12, 1), pd.Timestamp(year, 12, 31))[-1]


def build_bundle(
    seed: int = DEFAULT_SEED, n_stocks: int = len(CAST), years: int = 5
) -> tuple[dict[str, pd.DataFrame], dict[str, object], Market]:
    """Simulate the market and build every table of the bundle.

    Parameters
    ----------
    seed : int
        Seed of the single ``numpy.random.default_rng``.
    n_stocks : int
        Number of companies (special names always included).
    years : int
        Calendar years from 2019, 1 to 5.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        File name (without ``.parquet``) to table.
    manifest : dict
        Content of ``manifest.json``.
    market : Market
        The simulated market, for reporting.
    """
    if not 1 <= years <= 5:
        raise ValueError(f"years={years} is outside [1, 5]; the demo covers 2019-2023")
    rng = np.random.default_rng(seed)
    end = last_trading_day(years)
    market = simulate_market(select_cast(n_stocks), end, rng)
    _add_profiles(market, rng)
    fundamentals = build_fundamentals(market, end, rng)
    tables = {
        "prices": build_prices(market),
        "benchmarks": build_benchmarks(market, rng),
        "securities": build_securities(market),
        "index_membership": build_index_membership(market),
        "descriptions": build_descriptions(market, fundamentals, rng),
        "fundamentals_annual": fundamentals,
        "fundamentals_snapshots": build_fundamentals_snapshots(market, fundamentals),
        "fama_french_daily": build_fama_french(market),
    }
    _check_tables(tables)
    manifest: dict[str, object] = {
        "synthetic": True,
        "name": "hedgekit demo market",
        "seed": seed,
        "generator": "scripts/make_demo_market.py",
        "start": market.dates[0].strftime("%Y-%m-%d"),
        "end": market.dates[-1].strftime("%Y-%m-%d"),
        "n_stocks": len(market.stocks),
        "demo_target": demo_target(market),
        "note": "Simulated data. Every number built on it is synthetic.",
    }
    return tables, manifest, market


_KEYS = {
    "prices": ["date", "ticker"],
    "benchmarks": ["date", "ticker"],
    "securities": ["ticker"],
    "index_membership": ["ticker", "start_date"],
    "descriptions": ["ticker", "as_of", "source"],
    "fundamentals_annual": ["ticker", "fiscal_year", "source"],
    "fundamentals_snapshots": ["snapshot_date", "ticker"],
    "fama_french_daily": ["date"],
}


def _check_tables(tables: dict[str, pd.DataFrame]) -> None:
    """Fail loudly on duplicate keys or non-positive prices before anything is written."""
    for name, key in _KEYS.items():
        duplicated = int(tables[name].duplicated(key).sum())
        if duplicated:
            raise ValueError(f"{name}: {duplicated} duplicate {key} keys")
    prices = tables["prices"]
    for col in ("open", "high", "low", "close", "adj_close"):
        if not (prices[col] > 0).all():
            raise ValueError(f"prices.{col} has non-positive values; lower the volatilities")
    if not ((prices["low"] <= prices[["open", "close"]].min(axis=1)).all()):
        raise ValueError("prices: low above open or close")
    if not ((prices["high"] >= prices[["open", "close"]].max(axis=1)).all()):
        raise ValueError("prices: high below open or close")
    snapshots = tables["fundamentals_snapshots"]
    if not (snapshots[["price", "market_cap"]] > 0).all().all():
        raise ValueError("fundamentals_snapshots: non-positive price or market cap")


def write_bundle(tables: dict[str, pd.DataFrame], manifest: dict[str, object], out: Path) -> int:
    """Write the tables (zstd level 19) and the manifest; return the bundle size in bytes.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        File name (without ``.parquet``) to table.
    manifest : dict
        Content of ``manifest.json``.
    out : pathlib.Path
        Target directory, created if needed.

    Returns
    -------
    int
        Total size of the written files in bytes.
    """
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_parquet(
            out / f"{name}.parquet", index=False, compression="zstd", compression_level=19
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return sum((out / f).stat().st_size for f in BUNDLE_FILES)


def _report(market: Market, tables: dict[str, pd.DataFrame], out: Path, size: int) -> None:
    """Print what was written."""
    print(f"wrote {out}")
    for f in BUNDLE_FILES:
        rows = len(tables[f.removesuffix(".parquet")]) if f.endswith(".parquet") else "-"
        print(f"  {f:<30} {(out / f).stat().st_size:>10,d} bytes  {rows} rows")
    print(f"  total {size:,d} bytes ({size / 1e6:.2f} MB)")
    print("splits:", ", ".join(f"{t} {d:%Y-%m-%d} {k}:1" for t, d, k in market.splits))
    in_cast = set(market.stocks["ticker"])
    pairs = [p for p in niche_pairs() if set(p) <= in_cast]
    print("niche pairs:", ", ".join(f"{a}/{b}" for a, b in pairs))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 on success, 1 if the bundle exceeds :data:`MAX_BUNDLE_BYTES`.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--n-stocks", type=int, default=len(CAST), help=f"companies ({MIN_STOCKS}-{len(CAST)})"
    )
    parser.add_argument("--years", type=int, default=5, help="calendar years from 2019 (1-5)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        tables, manifest, market = build_bundle(args.seed, args.n_stocks, args.years)
    except ValueError as exc:
        parser.error(str(exc))
    size = write_bundle(tables, manifest, args.out)
    if not args.quiet:
        _report(market, tables, args.out, size)
        print(f"done in {time.perf_counter() - started:.1f} s")
    if size > MAX_BUNDLE_BYTES:
        print(
            f"error: bundle is {size:,d} bytes, above the {MAX_BUNDLE_BYTES:,d} byte budget; "
            "use fewer --n-stocks or --years",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
