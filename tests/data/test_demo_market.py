"""Tests of the synthetic demo market shipped in ``hedgekit/data/_bundled/demo``.

The bundle is read with plain pandas, the way a user or the data layer would read it, and checked
against the invariants its generator (``scripts/make_demo_market.py``) promises: the layout of the
real store, unique keys, prices in the Yahoo conventions (``close`` split-adjusted to the last
day's share basis, never jumping on a split; splits visible only through the unadjusted prices of
the valuation snapshots), consistent market caps, realistic volatilities, hidden niche pairs that
co-move and share vocabulary, and reproducibility from the seed.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hedgekit.hedge import SECTOR_ETFS

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "make_demo_market.py"
BUNDLE = Path(str(files("hedgekit"))) / "data" / "_bundled" / "demo"
MAX_BYTES = 4_000_000
START, END = pd.Timestamp("2019-01-02"), pd.Timestamp("2023-12-29")

TABLES = (
    "prices",
    "benchmarks",
    "securities",
    "index_membership",
    "descriptions",
    "fundamentals_annual",
    "fundamentals_snapshots",
    "fama_french_daily",
)
FILES = (*(f"{t}.parquet" for t in TABLES), "manifest.json")
KEYS = {
    "prices": ["date", "ticker"],
    "benchmarks": ["date", "ticker"],
    "securities": ["ticker"],
    "index_membership": ["ticker", "start_date"],
    "descriptions": ["ticker", "as_of", "source"],
    "fundamentals_annual": ["ticker", "fiscal_year", "source"],
    "fundamentals_snapshots": ["snapshot_date", "ticker"],
    "fama_french_daily": ["date"],
}
DATE, STR, STRING, FLOAT = "datetime64[us]", "str", "string", "float64"
DTYPES = {
    "prices": {
        "date": DATE,
        "ticker": STR,
        **dict.fromkeys(["open", "high", "low", "close", "adj_close"], FLOAT),
        "volume": "int64",
    },
    "benchmarks": {"date": DATE, "ticker": STR, "adj_close": FLOAT, "volume": "Int64"},
    "securities": {
        "ticker": STR,
        "first_price_date": DATE,
        "last_price_date": DATE,
        "name": STRING,
        "gics_sector": STRING,
        "gics_sub_industry": STRING,
        "headquarters": STRING,
        "date_added": STRING,
        "cik": "Int64",
        "founded": STRING,
        "last_listed_snapshot": DATE,
        "possible_ticker_reuse": "bool",
        "check_identity": "bool",
        "country": STR,
    },
    "index_membership": {"ticker": STR, "start_date": DATE, "end_date": DATE},
    "descriptions": {
        "ticker": STRING,
        "as_of": DATE,
        "source": STRING,
        "name": STRING,
        "sector": STRING,
        "industry": STRING,
        "city": STRING,
        "state": STRING,
        "country": STRING,
        "employees": FLOAT,
        "text": STRING,
    },
    "fundamentals_annual": {
        "ticker": STR,
        "fiscal_year": FLOAT,
        "period_end": DATE,
        "publish_date": DATE,
        **dict.fromkeys(
            [
                "shares_basic",
                "shares_diluted",
                "total_assets",
                "total_equity",
                "short_term_debt",
                "long_term_debt",
                "total_liabilities",
                "revenue",
                "gross_profit",
                "operating_income",
                "net_income",
            ],
            FLOAT,
        ),
        "source": STR,
        "publish_date_estimated": "bool",
    },
    "fundamentals_snapshots": {
        "snapshot_date": DATE,
        "ticker": STR,
        "name": STRING,
        "sector": STRING,
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
            FLOAT,
        ),
    },
    "fama_french_daily": {
        "date": DATE,
        **dict.fromkeys(["mkt_rf", "smb", "hml", "rmw", "cma", "rf", "mom"], FLOAT),
    },
}
SPLIT_RATIOS = {2, 3, 4, 5, 10, 20}
# what the generator builds: tables, manifest, simulated market (a generator Market)
Built = tuple[dict[str, pd.DataFrame], dict[str, object], Any]
DISK_DRIVE_MAKERS = {"KSTD", "FRLX", "PLTN"}
SPDR_SECTORS = SECTOR_ETFS


def _words(text: str) -> set[str]:
    """Lower-case word set of a description."""
    return set(re.findall(r"[a-z]+", text.lower()))


def _jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two word sets."""
    return len(a & b) / len(a | b)


def _run_generator(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the generator script in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--quiet", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """The generator script imported as a module (for its cast and its functions)."""
    spec = importlib.util.spec_from_file_location("_demo_market_generator", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(generator: ModuleType) -> Built:
    """What the generator builds with the default seed: tables, manifest, simulated market."""
    return generator.build_bundle(generator.DEFAULT_SEED)


@pytest.fixture(scope="module")
def bundle() -> dict[str, pd.DataFrame]:
    """Every table of the shipped bundle, read with pandas."""
    return {t: pd.read_parquet(BUNDLE / f"{t}.parquet") for t in TABLES}


@pytest.fixture(scope="module")
def returns(bundle: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Daily total returns from adj_close, shape (n_days, n_tickers)."""
    adj = bundle["prices"].pivot(index="date", columns="ticker", values="adj_close")
    return adj.pct_change(fill_method=None).iloc[1:]


@pytest.fixture(scope="module")
def securities(bundle: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Securities indexed by ticker."""
    return bundle["securities"].set_index("ticker")


@pytest.fixture(scope="module")
def snapshots(bundle: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Valuation snapshots with the split-adjusted close of their day and the split factor.

    ``future_splits`` is the unadjusted snapshot price over the split-adjusted close: the
    product of the splits between the snapshot and the end of the data.
    """
    prices = bundle["prices"][["date", "ticker", "close", "volume"]]
    snap = bundle["fundamentals_snapshots"].merge(
        prices, left_on=["snapshot_date", "ticker"], right_on=["date", "ticker"], how="left"
    )
    return snap.assign(future_splits=snap["price"] / snap["close"])


# ----------------------------------------------------------------------------- files, layout


def test_bundle_has_every_file_and_a_synthetic_manifest() -> None:
    missing = [f for f in FILES if not (BUNDLE / f).is_file()]
    assert not missing, f"missing in {BUNDLE}: {missing}; run scripts/make_demo_market.py"
    manifest = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True
    assert manifest["name"] == "hedgekit demo market"
    assert manifest["generator"] == "scripts/make_demo_market.py"
    assert manifest["seed"] == 20240101
    assert manifest["n_stocks"] == 100
    assert (manifest["start"], manifest["end"]) == ("2019-01-02", "2023-12-29")
    assert "synthetic" in manifest["note"].lower()


def test_manifest_names_a_disk_drive_maker_with_full_history_as_demo_target(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame, snapshots: pd.DataFrame
) -> None:
    manifest = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))
    target = manifest["demo_target"]
    assert target in DISK_DRIVE_MAKERS
    assert securities.at[target, "first_price_date"] == START
    assert securities.at[target, "gics_sub_industry"] == (
        "Technology Hardware, Storage & Peripherals"
    )
    m = bundle["index_membership"].query("ticker == @target")
    assert len(m) == 1
    assert m["start_date"].iloc[0] <= START
    assert m["end_date"].isna().all()
    # it splits during the sample, so the demo exercises the split handling
    assert snapshots.query("ticker == @target")["future_splits"].max() > 1.5


def test_bundle_fits_the_size_budget() -> None:
    size = sum((BUNDLE / f).stat().st_size for f in FILES)
    assert size < MAX_BYTES, f"bundle is {size:,d} bytes"


@pytest.mark.parametrize("table", TABLES)
def test_columns_and_dtypes_follow_the_real_store(
    bundle: dict[str, pd.DataFrame], table: str
) -> None:
    frame = bundle[table]
    assert list(frame.columns) == list(DTYPES[table])
    assert {c: str(t) for c, t in frame.dtypes.items()} == DTYPES[table]


@pytest.mark.realdata
@pytest.mark.parametrize("table", TABLES)
def test_layout_is_identical_to_the_real_files(real_data_dir: Path, table: str) -> None:
    def layout(path: Path) -> list[tuple[str, str, str, str]]:
        schema = pq.read_schema(path)
        meta = json.loads(schema.metadata[b"pandas"])
        return [
            (c["name"], c["pandas_type"], c["numpy_type"], str(schema.field(c["name"]).type))
            for c in meta["columns"]
        ]

    assert layout(BUNDLE / f"{table}.parquet") == layout(real_data_dir / f"{table}.parquet")


@pytest.mark.realdata
def test_tickers_do_not_collide_with_real_tickers(
    real_data_dir: Path, securities: pd.DataFrame
) -> None:
    real_tickers: set[str] = set()
    for table in ("securities", "index_membership", "descriptions", "benchmarks"):
        frame = pd.read_parquet(real_data_dir / f"{table}.parquet", columns=["ticker"])
        real_tickers |= set(frame["ticker"])
    assert not set(securities.index) & real_tickers


@pytest.mark.parametrize("table", TABLES)
def test_keys_are_unique(bundle: dict[str, pd.DataFrame], table: str) -> None:
    frame = bundle[table]
    assert not frame.duplicated(KEYS[table]).any()
    assert frame[KEYS[table]].notna().all().all()


# ----------------------------------------------------------------------------- prices


def test_prices_are_positive_and_ohlc_consistent(bundle: dict[str, pd.DataFrame]) -> None:
    prices = bundle["prices"]
    assert (prices[["open", "high", "low", "close", "adj_close"]] > 0).all().all()
    assert (prices["volume"] > 0).all()
    assert (prices["low"] <= prices[["open", "close"]].min(axis=1)).all()
    assert (prices["high"] >= prices[["open", "close"]].max(axis=1)).all()


def test_prices_have_no_gaps_between_listing_and_the_end(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    prices = bundle["prices"]
    calendar = pd.DatetimeIndex(bundle["fama_french_daily"]["date"])
    assert (calendar[0], calendar[-1]) == (START, END)
    assert calendar.day_of_week.max() <= 4
    assert pd.Timestamp("2020-12-25") not in calendar  # an exchange holiday
    first = prices.groupby("ticker")["date"].min()
    last = prices.groupby("ticker")["date"].max()
    count = prices.groupby("ticker").size()
    expected = first.map(lambda d: int((calendar >= d).sum()))
    pd.testing.assert_series_equal(count, expected, check_names=False)
    assert (last == END).all()
    assert (first == securities.loc[first.index, "first_price_date"]).all()
    assert (first > START).sum() >= 3, "some names must list mid-sample"


def _ratio_changes(prices: pd.DataFrame) -> pd.DataFrame:
    """Day-over-day change of adj_close/close per ticker with its rounding tolerance."""
    p = prices.sort_values(["ticker", "date"]).copy()
    grouped = p.groupby("ticker")
    p["prev_close"] = grouped["close"].shift()
    p["prev_adj"] = grouped["adj_close"].shift()
    p["prev_volume"] = grouped["volume"].shift()
    p["change"] = (p["adj_close"] / p["close"]) / (p["prev_adj"] / p["prev_close"])
    # close is a traded price in cents divided by the later splits (4 decimals), adj_close has
    # 4 decimals
    p["tol"] = (
        0.005 / p["close"]
        + 0.005 / p["prev_close"]
        + 5e-5 / p["adj_close"]
        + 5e-5 / p["prev_adj"]
        + 1e-9
    )
    return p.dropna(subset=["change"])


def _split_days(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Splits recovered from the snapshots: ticker, ratio, and the snapshots around the split."""
    rows = []
    for ticker, snap in snapshots.sort_values("snapshot_date").groupby("ticker"):
        factor = snap["future_splits"].round().to_numpy()
        dates = snap["snapshot_date"].to_numpy()
        for k in np.flatnonzero(factor[1:] < factor[:-1]):
            rows.append(
                {
                    "ticker": ticker,
                    "ratio": factor[k] / factor[k + 1],
                    "after": pd.Timestamp(dates[k]),
                    "until": pd.Timestamp(dates[k + 1]),
                }
            )
    return pd.DataFrame(rows)


def test_close_moves_against_adj_close_only_on_dividend_days(
    bundle: dict[str, pd.DataFrame], built: Built
) -> None:
    p = _ratio_changes(bundle["prices"])
    # Yahoo convention: close is split-adjusted, so adj_close/close never moves by a split
    # ratio; without an event the ratio is constant, a dividend D raises it by 1 / (1 - D/close).
    assert (p["change"] >= 1 - p["tol"]).all()
    assert (p["change"] <= 1 / (1 - 0.03) + p["tol"]).all()
    moved = p[p["change"] > 1 + p["tol"]]
    per_ticker = moved.groupby("ticker").size()
    assert (per_ticker >= 16).sum() >= 50, "most names pay quarterly dividends"
    # ... and only on the simulated ex-dividend days.
    market = built[2]
    dividend = pd.DataFrame(
        market.dividend, index=market.dates, columns=market.stocks["ticker"]
    ).stack()
    ex_days = set(dividend[dividend > 0].index)
    assert set(zip(moved["date"], moved["ticker"], strict=True)) <= ex_days
    # Yahoo convention: adj_close equals close on the last day and is below it before (up to
    # the rounding of close to cents).
    prices = bundle["prices"]
    last = prices.sort_values("date").groupby("ticker").tail(1)
    assert (last["adj_close"] == last["close"]).all()
    assert (prices["adj_close"] <= prices["close"] * 1.003 + 0.006).all()


def test_snapshot_prices_reveal_the_splits(snapshots: pd.DataFrame, built: Built) -> None:
    # unadjusted price / split-adjusted close = the splits still to come: an integer >= 1
    assert snapshots["close"].notna().all()
    factor = snapshots["future_splits"]
    whole = factor.round()
    assert (whole >= 1).all()
    assert ((factor - whole).abs() <= whole * 0.005 / snapshots["price"] + 1e-9).all()
    for _, snap in snapshots.sort_values("snapshot_date").groupby("ticker"):
        steps = snap["future_splits"].round().to_numpy()
        assert (np.diff(steps) <= 0).all(), "the factor only steps down, at splits"
        assert steps[-1] == 1
    splits = _split_days(snapshots)
    assert splits["ticker"].nunique() >= 3
    assert set(splits["ratio"]) <= SPLIT_RATIOS
    # the steps are the simulated splits, between the snapshots around each split day
    simulated = {(t, ratio): day for t, day, ratio in built[2].splits}
    assert len(splits) == len(simulated)
    for row in splits.itertuples():
        day = simulated[(row.ticker, row.ratio)]
        assert row.after < day <= row.until


def test_split_days_move_neither_close_nor_volume_by_the_ratio(
    bundle: dict[str, pd.DataFrame], built: Built
) -> None:
    p = _ratio_changes(bundle["prices"])
    splits = built[2].splits
    assert len({t for t, _, _ in splits}) >= 3
    for ticker, day, ratio in splits:
        history = p[p["ticker"] == ticker].set_index("date")
        at = history.index.get_loc(day)
        row = history.iloc[at]
        assert 0.75 < row["close"] / row["prev_close"] < 1.33, f"{ticker} close jumps"
        assert abs(row["change"] - 1) <= row["tol"], f"{ticker} adj_close/close moves"
        # volume is split-adjusted too: shares and dollars traded do not jump by the ratio
        dollars = history["close"] * history["volume"]
        for series in (history["volume"], dollars):
            before = series.iloc[at - 20 : at].median()
            after = series.iloc[at : at + 20].median()
            assert abs(np.log(after / before)) < np.log(ratio) / 2, ticker


def test_volume_times_close_is_the_dollar_volume_traded(snapshots: pd.DataFrame) -> None:
    # On a snapshot day: volume / (splits to come) is the traded share count, a multiple of
    # 100, and close x (splits to come) is the traded price, so close * volume is the dollar
    # volume traded.
    factor = snapshots["future_splits"].round()
    traded_shares = snapshots["volume"] / factor
    assert (traded_shares == traded_shares.round(-2)).all()
    gap = (snapshots["close"] * factor - snapshots["price"]).abs()
    assert (gap <= 5e-5 * factor + 1e-9).all()
    dollars = snapshots["close"] * snapshots["volume"]
    assert np.allclose(dollars, snapshots["price"] * traded_shares, rtol=1e-4)


def test_annualised_volatilities_are_realistic(
    bundle: dict[str, pd.DataFrame], returns: pd.DataFrame, securities: pd.DataFrame
) -> None:
    vol = np.log1p(returns).std() * np.sqrt(252)
    assert vol.between(0.12, 0.75).all(), vol[~vol.between(0.12, 0.75)]
    assert 0.22 < vol.median() < 0.42
    by_sub = vol.groupby(securities["gics_sub_industry"]).mean()
    assert by_sub["Electric Utilities"] < by_sub["Oil & Gas Exploration & Production"]
    spy = bundle["benchmarks"].query("ticker == 'SPY'").set_index("date")["adj_close"]
    spy_vol = np.log(spy).diff().std() * np.sqrt(252)
    assert 0.12 < spy_vol < 0.30


def test_returns_cluster_by_sub_industry_and_sector(
    returns: pd.DataFrame, securities: pd.DataFrame
) -> None:
    corr = returns.corr(min_periods=120)
    sub, sector = securities["gics_sub_industry"], securities["gics_sector"]
    same_sub, cross_sector = [], []
    for a, b in itertools.combinations(corr.index, 2):
        if sub[a] == sub[b]:
            same_sub.append(corr.loc[a, b])
        elif sector[a] != sector[b]:
            cross_sector.append(corr.loc[a, b])
    assert np.mean(same_sub) > np.mean(cross_sector) + 0.15


def test_niche_pairs_correlate_more_than_cross_sector_pairs(
    generator: ModuleType, returns: pd.DataFrame, securities: pd.DataFrame
) -> None:
    pairs = generator.niche_pairs()
    assert len(pairs) >= 2
    corr = returns.corr(min_periods=120)
    sector = securities["gics_sector"]
    cross_sector = [
        corr.loc[a, b]
        for a, b in itertools.combinations(corr.index, 2)
        if sector[a] != sector[b] and {a, b} not in [set(p) for p in pairs]
    ]
    threshold = np.percentile(cross_sector, 95)
    for a, b in pairs:
        labels = securities.loc[[a, b], ["gics_sector", "gics_sub_industry"]]
        assert labels.iloc[0]["gics_sub_industry"] != labels.iloc[1]["gics_sub_industry"]
        assert corr.loc[a, b] > threshold, f"{a}/{b}: {corr.loc[a, b]:.2f} <= {threshold:.2f}"


# ----------------------------------------------------------------------------- descriptions


def test_descriptions_have_two_vintages_of_60_to_150_words(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    d = bundle["descriptions"]
    assert set(d["as_of"]) == {pd.Timestamp("2021-06-30"), pd.Timestamp("2023-06-30")}
    assert set(d["source"]) == {"yahoo_profile"}
    assert d["text"].str.split().str.len().between(60, 150).all()
    assert d["name"].str.endswith(" (synthetic)").all()
    # A description is never dated before the company listed (point in time).
    listed = securities.loc[d["ticker"], "first_price_date"].to_numpy()
    assert (d["as_of"].to_numpy() >= listed).all()
    later = d[d["as_of"] == pd.Timestamp("2023-06-30")]
    assert set(later["ticker"]) == set(securities.index)


def test_descriptions_never_contain_the_gics_labels(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    labels = set(securities["gics_sector"].str.lower()) | set(
        securities["gics_sub_industry"].str.lower()
    )
    for text in bundle["descriptions"]["text"].str.lower():
        assert not [label for label in labels if label in text]


def test_related_descriptions_share_vocabulary(
    generator: ModuleType, bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    d = bundle["descriptions"]
    texts = d[d["as_of"] == pd.Timestamp("2023-06-30")].set_index("ticker")["text"]
    words = {t: _words(x) for t, x in texts.items()}
    sub = securities["gics_sub_industry"]
    within, across = [], []
    for a, b in itertools.combinations(words, 2):
        (within if sub[a] == sub[b] else across).append(_jaccard(words[a], words[b]))
    assert np.mean(within) > 1.5 * np.mean(across)
    # Niche pairs: different labels, yet their texts overlap like close peers.
    threshold = np.percentile(across, 95)
    for a, b in generator.niche_pairs():
        assert _jaccard(words[a], words[b]) > threshold


def test_later_vintage_rewords_the_earlier_one(bundle: dict[str, pd.DataFrame]) -> None:
    d = bundle["descriptions"].pivot(index="ticker", columns="as_of", values="text").dropna()
    early, late = d.columns
    for ticker, row in d.iterrows():
        assert row[early] != row[late], ticker
        assert 0.5 < _jaccard(_words(row[early]), _words(row[late])) < 1.0, ticker


# ----------------------------------------------------------------------------- reference data


def test_securities_are_fictional_and_labelled(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    assert securities.index.str.fullmatch(r"[A-Z]{3,4}").all()
    assert securities["name"].str.endswith(" (synthetic)").all()
    assert securities["gics_sector"].nunique() >= 8
    assert securities["gics_sub_industry"].nunique() >= 20
    assert "Technology Hardware, Storage & Peripherals" in set(securities["gics_sub_industry"])
    countries = securities["country"].value_counts()
    assert countries.index[0] == "United States"
    assert {"Ireland", "United Kingdom"} <= set(countries.index)
    assert not set(securities.index) & set(bundle["benchmarks"]["ticker"])


def test_index_membership_is_point_in_time(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    m = bundle["index_membership"]
    prices = bundle["prices"]
    assert set(m["ticker"]) <= set(securities.index)
    assert (m["end_date"].isna() | (m["end_date"] > m["start_date"])).all()
    joiners = m[m["start_date"] > START]
    leavers = m[m["end_date"].notna()]
    assert len(joiners) >= 3
    assert len(leavers) >= 2
    # A member must trade; leavers keep trading (survivorship-biased like the real data).
    first = securities["first_price_date"]
    assert (joiners["start_date"].to_numpy() >= first[joiners["ticker"]].to_numpy()).all()
    for row in leavers.itertuples():
        assert prices.query("ticker == @row.ticker")["date"].max() > row.end_date
    assert m["end_date"].isna().sum() >= 0.9 * len(securities)


def test_benchmarks_are_cap_weighted_baskets_of_members(
    bundle: dict[str, pd.DataFrame], returns: pd.DataFrame, securities: pd.DataFrame
) -> None:
    b = bundle["benchmarks"].pivot(index="date", columns="ticker", values="adj_close")
    etfs = set(b.columns) - {"SPY"}
    assert "SPY" in b.columns
    assert etfs <= set(SPDR_SECTORS)
    assert {SPDR_SECTORS[e] for e in etfs} == set(securities["gics_sector"])
    assert b.notna().all().all()
    assert (bundle["benchmarks"]["volume"] > 0).all()
    etf_returns = b.pct_change().iloc[1:]
    market = returns.mean(axis=1)
    assert etf_returns["SPY"].corr(market) > 0.9
    for etf in etfs:
        members = securities.index[securities["gics_sector"] == SPDR_SECTORS[etf]]
        own = returns[members].mean(axis=1)
        assert etf_returns[etf].corr(own) > 0.7, etf
        assert etf_returns[etf].corr(own) > etf_returns[etf].corr(market), etf


def test_fundamentals_are_published_after_the_period_and_add_up(
    bundle: dict[str, pd.DataFrame], securities: pd.DataFrame
) -> None:
    f = bundle["fundamentals_annual"]
    assert set(f["source"]) == {"demo"}
    assert set(f["fiscal_year"]) == {2018.0, 2019.0, 2020.0, 2021.0, 2022.0}
    assert not f["publish_date_estimated"].any()
    lag = (f["publish_date"] - f["period_end"]).dt.days
    listed = securities.loc[f["ticker"], "first_price_date"].to_numpy()
    at_listing = f["publish_date"].to_numpy() == listed
    assert lag[~at_listing].between(40, 84).all()  # 40-80 days, rolled to a business day
    assert (f["publish_date"] <= END).all()
    assert ((f["total_assets"] - f["total_equity"] - f["total_liabilities"]).abs() <= 2e5).all()
    assert (f["shares_diluted"] >= f["shares_basic"]).all()
    has_gross = f["gross_profit"].notna()
    assert (f.loc[has_gross, "gross_profit"] >= f.loc[has_gross, "operating_income"]).all()
    # Shares are as reported at the period end: times the unadjusted price of the snapshot
    # right after the period end (the first trading day after a quarter end) they give the
    # snapshot's market cap, up to the shares issued or bought back in between.
    snaps = bundle["fundamentals_snapshots"].sort_values("snapshot_date")
    inside = f[f["period_end"] >= START].sort_values("period_end")
    merged = pd.merge_asof(
        inside,
        snaps[["snapshot_date", "ticker", "price", "market_cap"]],
        left_on="period_end",
        right_on="snapshot_date",
        by="ticker",
        direction="forward",
        tolerance=pd.Timedelta(days=5),
    ).dropna(subset=["price"])
    assert len(merged) >= 0.8 * len(inside)
    cap = merged["shares_basic"] * merged["price"]
    assert cap.between(1e8, 5e12).all()
    assert cap.median() > 1e10
    assert (cap / merged["market_cap"]).between(0.98, 1.02).all()
    book_to_market = merged["total_equity"] / cap
    assert book_to_market.between(0.005, 20).all()


def test_snapshots_cover_every_listed_stock_each_quarter(
    bundle: dict[str, pd.DataFrame], snapshots: pd.DataFrame, securities: pd.DataFrame
) -> None:
    calendar = pd.DatetimeIndex(bundle["fama_french_daily"]["date"])
    quarter_ends = pd.date_range("2018-12-31", END, freq="QE")
    expected = calendar[calendar.searchsorted(quarter_ends, side="right")]
    assert list(snapshots["snapshot_date"].drop_duplicates().sort_values()) == list(expected)
    for day, snap in snapshots.groupby("snapshot_date"):
        listed = securities.index[securities["first_price_date"] <= day]
        assert sorted(snap["ticker"]) == sorted(listed)
    names = securities.loc[snapshots["ticker"]]
    assert (snapshots["name"].to_numpy() == names["name"].to_numpy()).all()
    assert (snapshots["sector"].to_numpy() == names["gics_sector"].to_numpy()).all()


def test_snapshot_market_caps_are_price_times_shares_outstanding(
    snapshots: pd.DataFrame, built: Built
) -> None:
    market = built[2]
    true_cap = pd.DataFrame(market.cap, index=market.dates, columns=market.stocks["ticker"])
    true = true_cap.stack().reindex(pd.MultiIndex.from_frame(snapshots[["date", "ticker"]]))
    assert np.allclose(snapshots["market_cap"], true.to_numpy(), rtol=0, atol=5e4 + 1)  # $0.1M
    # market_cap / close = shares in the close's (last day's) basis = real shares x later splits
    shares_now = snapshots["market_cap"] / snapshots["price"]
    shares_close_basis = snapshots["market_cap"] / snapshots["close"]
    ratio = shares_close_basis / (shares_now * snapshots["future_splits"].round())
    assert ratio.between(1 - 1e-3, 1 + 1e-3).all()
    assert snapshots["market_cap"].between(1e8, 5e12).all()


def test_snapshot_valuation_ratios_are_consistent(snapshots: pd.DataFrame) -> None:
    s = snapshots
    assert s["ebitda"].isna().all()
    assert (s["low_52w"] <= s["price"]).all()
    assert (s["high_52w"] >= s["price"]).all()
    assert s["dividend_yield"].between(0, 15).all()
    assert (s["dividend_yield"] > 0).groupby(s["ticker"]).any().sum() >= 50
    ok = s["eps"] > 0
    assert np.allclose(s.loc[ok, "pe"], s.loc[ok, "price"] / s.loc[ok, "eps"], atol=0.005 + 1e-9)
    assert s.loc[s["eps"] <= 0, "pe"].isna().all()
    ok = s["book_value"] > 0
    pb = s.loc[ok, "price"] / s.loc[ok, "book_value"]
    assert np.allclose(s.loc[ok, "pb"], pb, rtol=1e-3, atol=0.005 + 1e-9)
    # statements only once published: most names have one from the second quarter on
    later = s[s["snapshot_date"] >= pd.Timestamp("2019-04-01")]
    assert later["eps"].notna().mean() > 0.95
    assert (s["ps"].dropna() > 0).all()


def test_fama_french_factors_come_from_the_simulated_market(
    bundle: dict[str, pd.DataFrame],
) -> None:
    ff = bundle["fama_french_daily"].set_index("date")
    prices_dates = pd.DatetimeIndex(sorted(bundle["prices"]["date"].unique()))
    assert ff.index.equals(prices_dates)
    assert ff.notna().all().all()
    assert (ff.abs() < 0.25).all().all(), "factors are decimal returns"
    assert (ff["rf"] >= 0).all()
    spy = bundle["benchmarks"].query("ticker == 'SPY'").set_index("date")["adj_close"]
    spy_return = spy.pct_change().iloc[1:]
    assert (ff["mkt_rf"] + ff["rf"]).iloc[1:].corr(spy_return) > 0.98
    assert 0.05 < ff["smb"].std() * np.sqrt(252) < 0.2


def test_hedgekit_imports_the_bundle_without_distributions_and_true_market_caps(
    tmp_path: Path, built: Built
) -> None:
    from hedgekit.data import MarketData, Store, import_bundle

    report = import_bundle(BUNDLE, Store(tmp_path))
    assert report.synthetic is True
    # close and adj_close never diverge by a split ratio: no split is taken for a distribution
    assert report.derived["distributions"] == 0
    market = built[2]
    true_cap = pd.DataFrame(market.cap, index=market.dates, columns=market.stocks["ticker"])
    data = MarketData(Store(tmp_path))
    for day in ("2019-01-02", "2023-06-30"):
        view = data.as_of(day)
        caps = view.market_cap(view.members())
        assert (caps["shares_source"] == "snapshot").all()
        error = caps["market_cap"] / true_cap.loc[view.date, caps.index] - 1
        assert error.abs().max() < 0.02, error.abs().idxmax()
    # the demo target through its split: anchored on snapshots before and after it
    target = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))["demo_target"]
    for day in ("2022-05-20", "2022-05-25", "2022-06-30", "2022-07-05", "2023-12-29"):
        view = data.as_of(day)
        cap = view.market_cap([target]).iloc[0]
        assert cap["shares_source"] == "snapshot"
        assert abs(cap["market_cap"] / true_cap.at[view.date, target] - 1) < 0.02, day


# ----------------------------------------------------------------------------- generator


def test_generator_is_deterministic(tmp_path: Path) -> None:
    small = ("--n-stocks", "24", "--years", "2")
    for name in ("a", "b"):
        result = _run_generator(tmp_path / name, *small)
        assert result.returncode == 0, result.stderr
    for f in FILES:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["n_stocks"], manifest["end"], manifest["synthetic"]) == (
        24,
        "2020-12-31",
        True,
    )

    other = _run_generator(tmp_path / "c", *small, "--seed", "7")
    assert other.returncode == 0, other.stderr
    a = pd.read_parquet(tmp_path / "a" / "prices.parquet")
    c = pd.read_parquet(tmp_path / "c" / "prices.parquet")
    assert set(a["ticker"]) == set(c["ticker"])
    assert not np.allclose(a["close"].to_numpy()[:100], c["close"].to_numpy()[:100])


def test_shipped_bundle_is_what_the_generator_builds(
    built: Built, bundle: dict[str, pd.DataFrame]
) -> None:
    tables, manifest, _ = built
    assert set(tables) == set(TABLES)
    shipped = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == shipped
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, bundle[name], check_exact=False, rtol=1e-9)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--n-stocks", "5"], "n_stocks=5 is outside"),
        (["--n-stocks", "101"], "n_stocks=101 is outside"),
        (["--years", "6"], "years=6 is outside"),
    ],
)
def test_generator_rejects_bad_sizes(
    generator: ModuleType,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        generator.main([*argv, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_company_data_is_read_from_the_reference_file(generator: ModuleType) -> None:
    path = generator.REFERENCE_DATA
    assert path == SCRIPT.with_name("make_demo_market_data.json") and path.is_file()
    ref = generator.load_reference_data(path)
    assert len(ref.cast) == len(generator.CAST) == 100
    assert {c.sub for c in ref.cast} == set(ref.sub_industries)
    assert {c.line for c in ref.cast} == set(ref.lines)
    assert {s.sector for s in ref.sub_industries.values()} == set(ref.sectors)
    assert list(ref.sub_parameters.index) == list(ref.sub_industries)
    params = ref.sub_parameters
    assert params["gm"].isna().sum() == 3  # banks and insurers report no gross margin
    assert params.drop(columns="gm").notna().all().all()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["cast"][0].update(line="teleporters"), "KSTD: unknown business line"),
        (lambda d: d["cast"][1].update(ticker="KSTD"), r"duplicate ticker \['KSTD'\]"),
        (lambda d: d["cast"][0].update(role="spac"), "KSTD: unknown role 'spac'"),
        (lambda d: d["cast"][0].update(country="Narnia"), "no head-office city for 'Narnia'"),
        (lambda d: d["sub_industries"][0]["parameters"].pop("beta"), "parameters .* differ"),
        (lambda d: d["sub_industries"][0].update(sector="Crypto"), "unknown sector 'Crypto'"),
    ],
)
def test_reference_file_errors_name_the_entry(
    generator: ModuleType, tmp_path: Path, edit: Any, message: str
) -> None:
    data = json.loads(generator.REFERENCE_DATA.read_text(encoding="utf-8"))
    edit(data)
    broken = tmp_path / "reference.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        generator.load_reference_data(broken)


def test_open_market_demo_bundle_or_home(demo_store):
    from hedgekit.data import open_market
    from hedgekit.data._demo import demo_bundle_path

    demo = open_market("demo")
    assert demo.is_synthetic
    assert demo.store.home != demo_store.home  # a temporary store of its own
    from_bundle = open_market(demo_bundle_path())
    assert list(from_bundle.tickers) == list(demo.tickers)
    home = open_market(demo_store.home)  # a data home is opened, not imported
    assert home.store.home == demo_store.home
