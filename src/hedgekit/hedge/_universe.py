"""The hedge universe: indices and ETFs exploded into members, then filtered.

Every filter records how many names it removed, so an empty universe comes with the
reason (``CandidateFilter.summary``). :func:`hedge_universe` applies the filters that do
not depend on the positions and gathers the candidates' data on the hedge date.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hedgekit._errors import ConfigurationError, DataError, UnknownIdentifierError
from hedgekit.data import (
    ACTION_TYPES,
    COUNTRIES,
    INDEX_ALIASES,
    REGIONS,
    MarketData,
    PointInTimeData,
    Sampling,
    canonical_action_type,
    resolve_gics_name,
)
from hedgekit.hedge._baskets import Basket, baskets_of
from hedgekit.hedge._instruments import (
    etf_instruments,
    instrument_adv,
    instrument_prices,
    instrument_returns,
)

if TYPE_CHECKING:
    from hedgekit.hedge._parameters import PerformanceHedgeParameters

__all__ = [
    "SECTOR_ETFS",
    "CandidateFilter",
    "Universe",
    "explode_universe",
    "hedge_universe",
    "price_portfolio",
]

logger = logging.getLogger(__name__)

#: days of the average daily dollar volume that caps a name's weight
_ADV_WINDOW = 20

#: SPDR sector funds hold the S&P 500 members of one GICS sector
SECTOR_ETFS: dict[str, str] = {
    "XLK": "Information Technology",
    "XLF": "Financials",
    "XLE": "Energy",
    "XLV": "Health Care",
    "XLI": "Industrials",
    "XLY": "Consumer Discretionary",
    "XLP": "Consumer Staples",
    "XLU": "Utilities",
    "XLB": "Materials",
    "XLC": "Communication Services",
    "XLRE": "Real Estate",
}


def explode_universe(
    market: MarketData,
    view: PointInTimeData,
    universe: Iterable[str | Basket],
    explode: bool = True,
) -> list[str]:
    """Tickers of a universe on the view's date.

    Index codes and index ETFs (``SPX``, ``S&P 500``, ``SPY``...) become the index members
    with prices; sector SPDRs (``XLK``...) the S&P 500 members of their sector; anything
    else is resolved as a ticker. With ``explode=False`` each entry is resolved as a ticker
    or a benchmark-table ETF, held as itself (:mod:`hedgekit.hedge._instruments`). A
    :class:`~hedgekit.hedge.Basket` is always held as itself, under its name.
    """
    out: list[str] = []
    unknown: list[str] = []
    for item in universe:
        if isinstance(item, Basket):
            out.append(_basket_name(market, view, item))
            continue
        key = " ".join(str(item).upper().split())
        index_key = key.removesuffix(" INDEX").removesuffix(" EQUITY").removesuffix(" US")
        if explode and (key in INDEX_ALIASES or index_key in INDEX_ALIASES):
            out.extend(view.members(INDEX_ALIASES.get(key, INDEX_ALIASES.get(index_key, key))))
            continue
        if explode and index_key in SECTOR_ETFS:
            sector = SECTOR_ETFS[index_key]
            members = view.members("SPX")
            sec = view.securities(members)
            out.extend(sec.index[sec["gics_sector"] == sector])
            continue
        try:
            out.append(market.resolve(item, view.date))
        except UnknownIdentifierError:
            unknown.append(str(item))
    if unknown:
        raise UnknownIdentifierError(
            ", ".join(unknown),
            (),
            detail="not a ticker, an index (SPX) or a sector SPDR (XLK...) in the store",
        )
    seen: dict[str, None] = dict.fromkeys(out)
    if not seen:
        raise DataError(
            f"the universe {list(universe)!r} has no members on {view.date:%Y-%m-%d}; "
            "use an index like 'SPX' or list tickers"
        )
    return list(seen)


def _basket_name(market: MarketData, view: PointInTimeData, basket: Basket) -> str:
    """The basket's name, checked: not a security or ETF of the data on the date."""
    try:
        clash = market.resolve(basket.name, view.date)
    except UnknownIdentifierError:
        return basket.name
    raise ConfigurationError(
        f"basket name {basket.name!r} is a security of the data ({clash}); give the basket "
        "another name"
    )


@dataclass
class CandidateFilter:
    """Apply filters to a candidate list, counting what each removed."""

    names: list[str]
    removed: dict[str, list[str]] = field(default_factory=dict)

    def drop(self, reason: str, names: Iterable[str]) -> None:
        """Remove ``names`` for ``reason`` (names not present are ignored)."""
        gone = set(names) & set(self.names)
        if not gone:
            return
        self.removed.setdefault(reason, []).extend(sorted(gone))
        self.names = [n for n in self.names if n not in gone]

    def keep(self, reason: str, mask: pd.Series) -> None:
        """Keep names where ``mask`` (indexed by name) is True; the others go for ``reason``."""
        ok = mask.reindex(self.names).fillna(False).astype(bool)
        self.drop(reason, ok.index[~ok.to_numpy()])

    @property
    def summary(self) -> dict[str, int]:
        """Names removed per reason."""
        return {k: len(v) for k, v in self.removed.items()}

    def describe(self) -> str:
        """One line: 'N left; removed: reason (n), ...'."""
        parts = ", ".join(f"{k} ({v})" for k, v in self.summary.items()) or "none"
        return f"{len(self.names)} candidates left; removed: {parts}"


@dataclass(frozen=True)
class Universe:
    """Candidates of one hedge date and their data, before position-specific filters."""

    filters: CandidateFilter
    returns: pd.DataFrame  # window returns of the candidates
    securities: pd.DataFrame
    adv_usd: pd.Series
    close: pd.Series
    daily_vol: pd.Series
    borrow_bps: pd.Series
    scores: dict[str, pd.Series]


def hedge_universe(
    market: MarketData,
    view: PointInTimeData,
    parameters: PerformanceHedgeParameters,
    start: pd.Timestamp,
    sampling: Sampling,
) -> Universe:
    """Candidates and their data on the hedge date, before any position-specific filter;
    cached on ``market`` (a backtest hedges many targets on one date).

    Parameters
    ----------
    market, view : MarketData, PointInTimeData
        The data and the hedge date's view.
    parameters : PerformanceHedgeParameters
        The universe, exclusions, market-cap bounds, ESG constraints and score screen
        (``min_esg_score``) and borrow cost (the positions are not used).
    start : Timestamp
        First day of the observation window.
    sampling : Sampling
        Period of the window's returns.

    Returns
    -------
    Universe
        The filters applied so far and the candidates' data.
    """
    p = parameters
    esg = p.constraints.esg if p.constraints is not None else ()
    key = repr(
        (
            view.date,
            start,
            sampling.value,
            p.universe,
            p.explode_universe,
            p.exclusions,
            p.exclude_restricted_assets,
            p.exclude_hard_to_borrow_assets,
            p.exclude_corporate_actions_types,
            p.min_market_cap,
            p.max_market_cap,
            tuple(c.constraint_name for c in esg),
            p.default_borrow_cost_bps,
        )
    )
    if p.min_esg_score:  # the key of a request without the screen is unchanged
        key += repr(tuple(p.min_esg_score.items()))
    hit = market.cache.get("hedge_universe", key)
    if hit is not None:
        return hit
    universe = explode_universe(market, view, p.universe, p.explode_universe)
    # with explode_universe=False an ETF of the benchmark table is held as itself; a user
    # basket always is (its members' data make its own)
    baskets = baskets_of(p.universe) or None
    etfs = [] if p.explode_universe else etf_instruments(market, universe)
    etfs += list(baskets or ())
    have = market.priced_tickers | set(etfs)
    filt = CandidateFilter([t for t in universe if t in have])
    filt.drop("no price history", [t for t in universe if t not in have])
    sec = view.securities([n for n in filt.names if n not in (baskets or {})])
    sec = sec.reindex(filt.names) if baskets else sec
    for b in (baskets or {}).values():
        sec.loc[b.name, ["name", "currency"]] = [b.describe(), "USD"]
    ex = p.exclusions
    if ex is not None and ex.countries:
        require_known("country", ex.countries, [*COUNTRIES, *sec["country"].dropna()])
    if ex is not None and ex.regions:
        require_known("region", ex.regions, [*REGIONS, *sec["region"].dropna()])
    if p.exclude_corporate_actions_types:
        in_store = market.store.read("corporate_actions")["action_type"].dropna()
        require_known(
            "corporate-action type",
            [canonical_action_type(t) for t in p.exclude_corporate_actions_types],
            [*ACTION_TYPES, *map(canonical_action_type, in_store)],
        )
    if ex is not None:
        if ex.assets:
            filt.drop("excluded assets", market.resolve_many(ex.assets, view.date))
        if ex.countries:
            filt.drop("excluded countries", sec.index[text_match(sec["country"], ex.countries)])
        if ex.regions:
            filt.drop("excluded regions", sec.index[text_match(sec["region"], ex.regions)])
        if ex.sectors:
            filt.drop(
                "excluded sectors",
                sec.index[match_labels(sec["gics_sector"], ex.sectors, "sector")],
            )
        if ex.industries:
            filt.drop("excluded industries", sec.index[any_industry(sec, ex.industries)])
    if p.exclude_restricted_assets:
        filt.drop("restricted list", view.restricted())
    htb = view.hard_to_borrow()
    if p.exclude_hard_to_borrow_assets:
        filt.drop("hard-to-borrow list", htb.index)
    if p.exclude_corporate_actions_types:
        events = view.corporate_actions(p.exclude_corporate_actions_types, pending_only=True)
        filt.drop("pending corporate actions", events["ticker"])
    if not etfs:
        tradable = view.tradable(filt.names)
    else:
        stocks = [n for n in filt.names if n not in etfs]
        px = instrument_prices(view, [n for n in filt.names if n in etfs], baskets)
        tradable = [*view.tradable(stocks), *px.index[finite(px).to_numpy()]]
    filt.drop("no price on the hedge date", set(filt.names) - set(tradable))
    if p.min_market_cap is not None or p.max_market_cap is not None:
        # an ETF has no market cap: the bounds apply to stocks
        funds = pd.Series(True, index=pd.Index([n for n in filt.names if n in etfs]))
        caps = view.market_cap([n for n in filt.names if n not in etfs])["market_cap"]
        filt.keep("market cap unknown", pd.concat([finite(caps), funds]) if etfs else finite(caps))
        lo = p.min_market_cap if p.min_market_cap is not None else -np.inf
        hi = p.max_market_cap if p.max_market_cap is not None else np.inf
        inside = (caps >= lo) & (caps <= hi)
        filt.keep("outside the market-cap bounds", pd.concat([inside, funds]) if etfs else inside)
    if not etfs:
        adv_usd = view.adv(filt.names, window=_ADV_WINDOW)
    else:
        held = [n for n in filt.names if n in etfs]
        adv_usd = pd.concat(
            [
                view.adv([n for n in filt.names if n not in etfs], window=_ADV_WINDOW),
                instrument_adv(view, held, _ADV_WINDOW, baskets),
            ]
        ).reindex(filt.names)
        unbounded = [n for n in held if not np.isfinite(adv_usd[n]) and n not in (baskets or {})]
        if unbounded:  # an ETF without volume in the data: no ADV cap, said in the log
            logger.warning(
                "no volume for %s in the benchmark table: no ADV cap on them",
                ", ".join(unbounded),
            )
            adv_usd[unbounded] = np.inf
    has_volume = finite(adv_usd) | adv_usd.index.isin(etfs) & np.isinf(adv_usd)
    filt.keep("no 20-day volume", has_volume & (adv_usd > 0))
    scores = {}
    for c in esg:
        s = view.scores(c.constraint_name)
        scores[c.constraint_name] = s
        filt.keep(f"no {c.constraint_name} score", finite(s.reindex(filt.names)))
    for name, minimum in (p.min_esg_score or {}).items():
        s = scores[name] if name in scores else view.scores(name)
        scores.setdefault(name, s)
        have_score = s.reindex(filt.names)
        filt.keep(f"no {name} score", finite(have_score))
        filt.keep(f"{name} score below {minimum:g}", have_score >= minimum)
    names = filt.names
    daily = instrument_returns(view, names, window=63, baskets=baskets)
    vol = daily.std(ddof=1)
    borrow = pd.Series(p.default_borrow_cost_bps, index=pd.Index(names), dtype="float64")
    borrow.update(htb.reindex(names).dropna())
    uni = Universe(
        filters=filt,
        returns=instrument_returns(view, names, start=start, sampling=sampling, baskets=baskets),
        securities=sec.reindex(names),
        adv_usd=adv_usd.reindex(names),
        close=(
            instrument_prices(view, names, baskets)
            if etfs
            else view.last_prices(names, field="close")
        ),
        daily_vol=vol.fillna(vol.median()),
        borrow_bps=borrow,
        scores=scores,
    )
    market.cache.put("hedge_universe", key, uni)
    return uni


def match_labels(values: pd.Series, wanted: Iterable[str], level: str) -> pd.Series:
    """True where ``values`` equals one of the canonical GICS names of ``wanted``."""
    canon = {resolve_gics_name(level, w) for w in wanted}
    return values.isin(list(canon)).fillna(False).astype(bool)


def any_industry(securities: pd.DataFrame, wanted: Iterable[str]) -> pd.Series:
    """True where the industry group, industry or sub-industry matches one of ``wanted``."""
    hits = pd.Series(False, index=securities.index)
    for name in wanted:
        found = False
        for level, col in (
            ("industry_group", "gics_industry_group"),
            ("industry", "gics_industry"),
            ("sub_industry", "gics_sub_industry"),
        ):
            try:
                canon = resolve_gics_name(level, name)
            except Exception:
                continue
            hits |= securities[col].eq(canon).fillna(False).astype(bool)
            found = True
        if not found:
            resolve_gics_name("industry", name)  # raises with suggestions
    return hits


def price_portfolio(
    market: MarketData, view: PointInTimeData, positions: Any
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The positions resolved and priced at the close of the view's date.

    Parameters
    ----------
    market, view : MarketData, PointInTimeData
        The data and the hedge date's view.
    positions : PositionSet
        By quantity, or by weight with its ``reference_notional``. A position may be an
        ETF of the benchmark table (``'XLK'``), priced at its adjusted close.

    Returns
    -------
    (DataFrame, dict)
        Per security (ticker index): ``quantity``, ``price``, ``notional``, ``weight``;
        one security named twice (two lots, or ``'WDC'`` and ``'WDC UW'``) is one row
        with the quantities added up, and the dict maps it to the identifiers given.

    Raises
    ------
    UnknownIdentifierError
        An identifier that does not resolve on the date.
    DataError
        A security without a price on or shortly before the date (naming a data end
        moved by a few late rows, when that is the cause).
    ConfigurationError
        A portfolio whose net notional is zero (a net-short one is hedged by a long basket).
    """
    ids = [pos.identifier for pos in positions.positions]
    tickers = market.resolve_many(ids, view.date)
    unique = list(dict.fromkeys(tickers))
    merged = {
        t: [i for i, u in zip(ids, tickers, strict=True) if u == t]
        for t in unique
        if tickers.count(t) > 1
    }
    # an ETF of the benchmark table is a position like a stock, at its adjusted close
    prices = instrument_prices(view, unique)
    missing = [t for t in unique if not np.isfinite(prices[t])]
    if missing:
        raise DataError(
            f"no price for {', '.join(missing)} on or shortly before "
            f"{view.date:%Y-%m-%d}; choose a date when they traded" + market.end_hint(view.date)
        )
    rows: dict[str, dict[str, float]] = {}
    for pos, t in zip(positions.positions, tickers, strict=True):
        px = float(prices[t])
        if pos.quantity is not None:
            qty = pos.quantity
        else:
            qty = pos.weight * positions.reference_notional / px
        entry = rows.setdefault(t, {"quantity": 0.0, "price": px})
        entry["quantity"] += float(qty)
    portfolio = pd.DataFrame.from_dict(rows, orient="index")
    portfolio.index.name = "ticker"
    portfolio["notional"] = portfolio["quantity"] * portfolio["price"]
    notional = float(portfolio["notional"].sum())
    gross = float(portfolio["notional"].abs().sum())
    if abs(notional) <= 1e-9 * gross or notional == 0:
        raise ConfigurationError(
            f"the portfolio's net notional is {notional:,.0f} USD; a hedge needs a net long "
            "portfolio (hedged by a short basket) or a net short one (a long basket)"
        )
    # weights of the net-long book, or of a net-short book's sign-flipped self
    portfolio["weight"] = portfolio["notional"] / notional
    return portfolio, merged


def require_known(kind: str, wanted: Iterable[str], known: Iterable[str]) -> None:
    """Raise a ConfigurationError naming each of ``wanted`` that matches none of ``known``
    (case- and space-insensitive), with the nearest known names."""
    norm = {" ".join(str(k).split()).casefold(): str(k) for k in known if isinstance(k, str)}
    for w in wanted:
        if " ".join(str(w).split()).casefold() in norm:
            continue
        close = difflib.get_close_matches(str(w).casefold(), list(norm), n=3, cutoff=0.6)
        hint = (
            f"did you mean {', '.join(repr(norm[c]) for c in close)}?"
            if close
            else f"known: {', '.join(sorted(norm.values()))}"
        )
        raise ConfigurationError(f"{kind} {w!r} is not known; {hint}")


def text_match(values: pd.Series, wanted: Iterable[str]) -> pd.Series:
    """Case-insensitive equality with any of ``wanted``."""
    keys = {" ".join(str(w).split()).casefold() for w in wanted}
    norm = values.astype("string").str.split().str.join(" ").str.casefold()
    return norm.isin(list(keys)).fillna(False).astype(bool)


def finite(series: pd.Series) -> pd.Series:
    """True where the value is a finite number."""
    return pd.Series(np.isfinite(series.to_numpy(dtype="float64")), index=series.index)
